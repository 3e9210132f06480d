/// The console's style sheet and its small script (no bundler, no npm): the script only makes live what the pages
/// already show — statuses refreshed without a reload, logs followed as they grow, copy buttons, zips dropped to
/// deploy. Every page reads without it.
enum ConsoleAssets {
    static let css = """
        :root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --accent: #0969da; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --accent: #4493f8; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
        header form { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: 0; max-width: 100%; }
        .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
        nav { flex: 1; min-width: 12rem; }
        main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
        a { color: var(--accent); }
        table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        input, select, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .3rem .5rem; }
        button { cursor: pointer; } button:focus-visible, a:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
        .danger { border-color: #cf222e; color: #cf222e; }
        .stack { display: grid; gap: .6rem; max-width: 40rem; } .stack label { display: grid; gap: .2rem; }
        .inline { display: inline-flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: .2rem 0; max-width: 100%; }
        input, select, textarea { max-width: 100%; }
        .actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: start; margin: .5rem 0 1rem; }
        .drop { border: 2px dashed var(--line); border-radius: 8px; padding: .8rem; min-width: 16rem; } .drop.over { border-color: var(--accent); }
        .status { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; border: 1px solid var(--line); }
        .status-SUCCEED, .status-AVAILABLE { background: #dafbe1; color: #116329; } .status-FAILED { background: #ffebe9; color: #a40e26; }
        .status-RUNNING, .status-PENDING, .status-PROVISIONING { background: #fff8c5; color: #7d4e00; } .status-CANCELLED, .status-CANCELLING { background: #eaeef2; color: #424a53; }
        .error { border-left: 4px solid #cf222e; padding: .4rem .6rem; background: #ffebe9; color: #82071e; }
        .notice { border-left: 4px solid #1a7f37; padding: .4rem .6rem; background: #dafbe1; color: #044f1e; }
        .log { max-height: 28rem; overflow: auto; background: #0d1117; color: #e6edf3; padding: .6rem; border-radius: 6px; font-size: 12.5px; white-space: pre-wrap; word-break: break-all; }
        .branch { margin-right: .5rem; white-space: nowrap; } .thumbnail { border: 1px solid var(--line); border-radius: 6px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { color: var(--muted); }
        @media (max-width: 640px) { header { flex-direction: column; align-items: flex-start; } main { padding: .6rem; } th, td { padding: .3rem; } }
        /* A list of cards on a phone (the apps): each row whole on the screen, its actions in reach, no sideways scroll. */
        @media (max-width: 640px) {
          table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
          table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
          table.cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .6rem; padding: .2rem .4rem; }
          table.cards td { border: 0; padding: .15rem 0; overflow-wrap: anywhere; }
          table.cards td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-size: .85rem; }
          table.cards .branch { white-space: normal; display: inline-block; }
        }
        """

    static let js = """
        'use strict';
        // Live parts: every element with data-live is replaced by the same element of a fresh copy of the page.
        const live = document.querySelectorAll('[data-live]');
        if (live.length) {
          setInterval(async () => {
            if (document.hidden) return;
            try {
              const response = await fetch(location.href, {headers: {'X-Console-Live': '1'}});
              if (!response.ok) return;
              const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
              for (const element of document.querySelectorAll('[data-live]')) {
                const replacement = element.id && fresh.getElementById(element.id);
                if (replacement && replacement.innerHTML !== element.innerHTML) {
                  element.innerHTML = replacement.innerHTML;
                  element.className = replacement.className;
                }
              }
            } catch (error) { /* the next round tries again */ }
          }, 2000);
        }
        // Whether an element (or the page) shows its end: the reader is there, and it follows what is added.
        const atEnd = (element) => element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
        // A running step's log shows its end, then the bytes after it as they are written, following them while the
        // reader stays at the end; scrolled up, it stays where the reader put it.
        const followLog = (log) => {
          log.scrollTop = log.scrollHeight;
          const follow = async () => {
            try {
              const response = await fetch(log.dataset.log + '?offset=' + log.dataset.offset);
              if (response.ok) {
                const text = await response.text();
                const following = atEnd(log);
                if (text) log.append(text);
                log.dataset.offset = response.headers.get('X-Log-Size') || log.dataset.offset;
                if (following) log.scrollTop = log.scrollHeight;
                if (response.headers.get('X-Step-Done') === 'true') return;
              }
            } catch (error) { /* tried again below */ }
            setTimeout(follow, 700);
          };
          follow();
        };
        for (const log of document.querySelectorAll('pre.log[data-done="false"]')) followLog(log);
        // A job's page follows the job in place, never loaded again: its status, summary and step headings, and the
        // steps that start, from `…/progress` (JSON, the parts rendered by the server) until the job has finished.
        const job = document.getElementById('job');
        if (job && job.dataset.done === 'false') {
          const shown = new Map();
          const poll = async () => {
            try {
              if (!document.hidden) {
                const known = job.querySelectorAll('section.step').length;
                const response = await fetch(job.dataset.progress + '?known=' + known);
                if (response.ok) {
                  const progress = await response.json();
                  const status = document.getElementById('job-status');
                  status.textContent = progress.status;
                  status.className = 'status status-' + progress.status;
                  for (const [id, html] of Object.entries(progress.parts)) {
                    const part = document.getElementById(id);
                    if (part && shown.get(id) !== html) { part.innerHTML = html; shown.set(id, html); }
                  }
                  if (progress.added) {
                    const pageAtEnd = atEnd(document.scrollingElement);
                    const none = document.getElementById('no-steps');
                    if (none) none.remove();
                    job.insertAdjacentHTML('beforeend', progress.added);
                    for (const section of [...job.querySelectorAll('section.step')].slice(known)) {
                      const log = section.querySelector('pre.log[data-done="false"]');
                      if (log) followLog(log);
                    }
                    if (pageAtEnd) document.scrollingElement.scrollTop = document.scrollingElement.scrollHeight;
                  }
                  if (progress.done) return;
                }
              }
            } catch (error) { /* tried again below */ }
            setTimeout(poll, 1000);
          };
          setTimeout(poll, 1000);
        }
        // Copy buttons.
        document.addEventListener('click', (event) => {
          const button = event.target.closest('[data-copy]');
          if (!button) return;
          navigator.clipboard.writeText(button.dataset.copy).then(() => { button.textContent = 'Copied'; }, () => { button.textContent = 'Copy failed'; });
        });
        // Deploying: a zip, or a folder (zipped here, stored without compression), chosen or dropped on the form.
        const crcTable = new Uint32Array(256).map((_, n) => {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
          return c >>> 0;
        });
        const crc32 = (bytes) => {
          let c = 0xFFFFFFFF;
          for (const b of bytes) c = crcTable[(c ^ b) & 0xFF] ^ (c >>> 8);
          return (c ^ 0xFFFFFFFF) >>> 0;
        };
        const zip = async (files) => {
          const parts = [], central = [];
          let offset = 0;
          for (const {path, file} of files) {
            const data = new Uint8Array(await file.arrayBuffer());
            const name = new TextEncoder().encode(path);
            const crc = crc32(data);
            const local = new DataView(new ArrayBuffer(30));
            local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true); local.setUint16(6, 0x0800, true);
            local.setUint32(14, crc, true); local.setUint32(18, data.length, true); local.setUint32(22, data.length, true);
            local.setUint16(26, name.length, true);
            parts.push(local, name, data);
            const entry = new DataView(new ArrayBuffer(46));
            entry.setUint32(0, 0x02014b50, true); entry.setUint16(4, 20, true); entry.setUint16(6, 20, true); entry.setUint16(8, 0x0800, true);
            entry.setUint32(16, crc, true); entry.setUint32(20, data.length, true); entry.setUint32(24, data.length, true);
            entry.setUint16(28, name.length, true); entry.setUint32(42, offset, true);
            central.push(entry, name);
            offset += 30 + name.length + data.length;
          }
          const size = central.reduce((sum, part) => sum + part.byteLength, 0);
          const end = new DataView(new ArrayBuffer(22));
          end.setUint32(0, 0x06054b50, true); end.setUint16(8, files.length, true); end.setUint16(10, files.length, true);
          end.setUint32(12, size, true); end.setUint32(16, offset, true);
          return new Blob([...parts, ...central, end], {type: 'application/zip'});
        };
        // A dropped folder's files, with paths inside it.
        const walk = async (entry, prefix, found) => {
          if (entry.isFile) {
            found.push({path: prefix + entry.name, file: await new Promise((resolve, reject) => entry.file(resolve, reject))});
            return;
          }
          const reader = entry.createReader();
          for (;;) {
            const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
            if (!batch.length) break;
            for (const child of batch) await walk(child, prefix + entry.name + '/', found);
          }
        };
        const deploy = document.getElementById('deploy');
        if (deploy) {
          const result = document.getElementById('deploy-result');
          const send = async (body, label) => {
            result.className = '';
            result.textContent = 'Deploying ' + label + '…';
            const response = await fetch(deploy.action, {method: 'POST', body: body,
              headers: {'Content-Type': 'application/zip', 'X-CSRF-Token': deploy.dataset.csrf}});
            const answer = await response.json().catch(() => ({message: response.statusText}));
            if (!response.ok) { result.textContent = answer.message; result.className = 'error'; return; }
            location.href = answer.href;
          };
          const sendFolder = async (files, label) => {
            if (!files.length) { result.textContent = 'The folder is empty.'; result.className = 'error'; return; }
            send(await zip(files), label);
          };
          document.getElementById('deploy-file').addEventListener('change', (event) => {
            const file = event.target.files[0];
            if (file) send(file, file.name);
          });
          document.getElementById('deploy-folder').addEventListener('change', (event) => {
            // Paths inside the chosen folder (its own name left out).
            const files = [...event.target.files].map((file) => ({path: file.webkitRelativePath.split('/').slice(1).join('/'), file}));
            sendFolder(files, 'the folder');
          });
          deploy.addEventListener('dragover', (event) => { event.preventDefault(); deploy.classList.add('over'); });
          deploy.addEventListener('dragleave', () => deploy.classList.remove('over'));
          deploy.addEventListener('drop', async (event) => {
            event.preventDefault();
            deploy.classList.remove('over');
            const entry = event.dataTransfer.items[0] && event.dataTransfer.items[0].webkitGetAsEntry();
            if (entry && entry.isDirectory) {
              const files = [];
              const reader = entry.createReader();
              for (;;) {
                const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
                if (!batch.length) break;
                for (const child of batch) await walk(child, '', files);
              }
              sendFolder(files, entry.name);
            } else if (event.dataTransfer.files[0]) {
              send(event.dataTransfer.files[0], event.dataTransfer.files[0].name);
            }
          });
          deploy.addEventListener('submit', (event) => event.preventDefault());
        }
        """
}
