"""The doc test: the examples in README.md and docs/*.md run as written, against a real server.

Each Markdown file is one test. Its fenced blocks marked ```bash, ```sh, ```shell, ```console or ```python
run in the order they appear in the file, in one new temporary folder (the reader's terminal), against an
amplify-local that the test starts with no flags but a data directory of its own (so build mode `auto`, as a
reader's `amplify-local` has). What the test changes in a block before running it, and around it:

- every `:4566` becomes `:<port>` of the test's server (the README talks to the default port);
- the folder of the binary under test (conftest's `binary_path()`) comes first on PATH, so `amplify-local`
  in a block is that binary;
- no AWS_* or AMPLIFY_LOCAL_* variable, no ~/.aws file and no global or system git configuration reaches a
  block: as on a fresh machine, a block sets what it needs (credentials, region, endpoint, a git identity).

Shell blocks (bash, sh, shell) run with `bash -euo pipefail`. The shell variables a block sets and the folder
it ends in carry over to the file's next shell block, as in one terminal. In a console block, lines that start
with `$ ` are the commands (a command whose line ends with `\\` goes on over the next line); the other lines
are output and are not checked. Python blocks run in this process, in one namespace per file (names carry over
from block to block), in the folder the shell blocks are in, with a 5-minute alarm.

A block fails the test when a command exits non-zero or the Python code raises; the message shows the file,
the line of the block, the block's text and its output.

Skipping: a block that cannot run here (it starts a server or builds the project, which the test does
itself; it needs PostgreSQL, nginx or a download; it runs for minutes) starts with this comment line, visible
where the Markdown is shown:

    # (not run by the doc test: <why>)

Blocks in any other language (yaml, nginx, text, none) are not run. The README must keep at least one shell
and one Python block that run, so that this test cannot pass by skipping everything.
"""
import contextlib
import io
import os
import re
import signal
import subprocess
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, Server, binary_path

README = Path(ROOT) / "README.md"
DOCUMENTS = [README] + sorted((Path(ROOT) / "docs").glob("*.md"))
KINDS = {"bash": "shell", "sh": "shell", "shell": "shell", "console": "console", "python": "python", "py": "python"}
SKIP_MARKER = re.compile(r"^#\s*\(not run by the doc test: .+\)\s*$")
OPENING_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
BLOCK_TIMEOUT = 300

# Runs one shell block (argument 2) after the state the blocks before it left (argument 1: variables and the
# folder), then writes the state again. Bash's own variables and read-only ones are not carried.
SHELL_RUNNER = r"""
__doctest_state="$1"
__doctest_block="$2"
if [ -f "$__doctest_state" ]; then
    source "$__doctest_state" 2>/dev/null || true
fi
set -euo pipefail
source "$__doctest_block"
set +eu
{
    for __doctest_name in $(compgen -v); do
        [[ $__doctest_name =~ ^(BASH.*|__doctest_.*|FUNCNAME|PIPESTATUS|DIRSTACK|GROUPS|LINENO|RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|SHLVL|PWD|OLDPWD|PPID|UID|EUID|SHELLOPTS|HISTCMD|OPTIND|OPTERR|OPTARG|IFS|_|COLUMNS|LINES|COMP_.*)$ ]] && continue
        __doctest_declaration=$(declare -p "$__doctest_name" 2>/dev/null) || continue
        [[ ${__doctest_declaration#declare -} =~ ^[a-zA-Z-]*r ]] && continue
        printf '%s\n' "$__doctest_declaration"
    done
    printf 'cd -- %q\n' "$PWD"
} > "$__doctest_state"
printf '%s' "$PWD" > "$__doctest_state.cwd"
"""


@dataclass
class Block:
    """One fenced block of a Markdown file."""
    path: Path
    line: int
    language: str
    text: str

    @property
    def kind(self):
        return KINDS.get(self.language)

    @property
    def skipped(self):
        first = next((line for line in self.text.splitlines() if line.strip()), "")
        return SKIP_MARKER.match(first.strip()) is not None

    @property
    def runnable(self):
        return self.kind is not None and not self.skipped

    def where(self):
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}"


def fenced_blocks(path):
    """The fenced blocks of a Markdown file, in order; a fence may be indented (inside a list item)."""
    lines = Path(path).read_text().splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = OPENING_FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body = []
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            line = lines[end]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip(" "))
            end += 1
        blocks.append(Block(Path(path), index + 1, opening["info"].lower(), "\n".join(body) + "\n"))
        index = end + 1
    return blocks


def console_commands(text):
    """The commands of a console block: its `$ ` lines and their `\\` continuations."""
    commands = []
    continuing = False
    for line in text.splitlines():
        if continuing:
            commands.append(line)
        elif line.startswith("$ "):
            commands.append(line[2:])
        else:
            continue
        continuing = line.endswith("\\")
    return "\n".join(commands) + "\n"


def failure(block, what, output=""):
    text = textwrap.indent(block.text.rstrip("\n"), "    ")
    pytest.fail(f"{block.where()}: the ```{block.language} block {what}:\n{text}\n{output}", pytrace=False)


class Terminal:
    """Where one file's blocks run: a folder, an environment, the shell's state and Python's namespace."""

    def __init__(self, folder, port=None, path_first=None):
        self.folder = Path(folder)
        self.work = self.folder / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.state = self.folder / "shell-state"
        self.cwd = self.work
        self.port = port
        self.namespace = {"__name__": "__main__"}
        environment = {
            name: value for name, value in os.environ.items()
            if not name.startswith(("AWS_", "AMPLIFY_LOCAL_", "GIT_", "BOTO_"))
        }
        environment.update({
            "AWS_CONFIG_FILE": str(self.folder / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.folder / "no-aws-credentials"),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        })
        if path_first:
            environment["PATH"] = path_first + os.pathsep + environment.get("PATH", "")
        self.environment = environment

    def prepared(self, text):
        return text.replace(":4566", f":{self.port}") if self.port else text

    def run(self, block):
        if block.kind == "python":
            self.run_python(block)
        else:
            script = console_commands(block.text) if block.kind == "console" else block.text
            self.run_shell(block, script)

    def run_shell(self, block, script):
        runner = self.folder / "runner.sh"
        runner.write_text(SHELL_RUNNER)
        source = self.folder / f"block-{block.line}.sh"
        source.write_text(self.prepared(script))
        try:
            result = subprocess.run(
                ["bash", str(runner), str(self.state), str(source)], cwd=self.cwd, env=self.environment,
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BLOCK_TIMEOUT,
            )
        except subprocess.TimeoutExpired as error:
            failure(block, f"ran longer than {BLOCK_TIMEOUT} s", f"--- output ---\n{error.stdout or ''}{error.stderr or ''}")
        if result.returncode != 0:
            failure(block, f"exited with {result.returncode}", f"--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}")
        cwd_file = Path(f"{self.state}.cwd")
        if cwd_file.exists():
            self.cwd = Path(cwd_file.read_text())

    def run_python(self, block):
        code = compile(self.prepared(block.text), block.where(), "exec")
        output = io.StringIO()
        saved_environment, saved_cwd = dict(os.environ), os.getcwd()

        def timed_out(signum, frame):
            raise TimeoutError(f"the block ran longer than {BLOCK_TIMEOUT} s")

        previous_handler = signal.signal(signal.SIGALRM, timed_out)
        signal.alarm(BLOCK_TIMEOUT)
        try:
            os.environ.clear()
            os.environ.update(self.environment)
            os.chdir(self.cwd)
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                exec(code, self.namespace)
        except BaseException:  # noqa: B902 - a block's SystemExit or KeyboardInterrupt is its failure too
            failure(block, "raised", f"--- output ---\n{output.getvalue()}--- traceback ---\n{traceback.format_exc()}")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous_handler)
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_environment)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: os.path.relpath(path, ROOT))
def test_examples_run_as_written(document, tmp_path):
    blocks = [block for block in fenced_blocks(document) if block.runnable]
    if document == README:
        kinds = {block.kind for block in blocks}
        assert "python" in kinds and kinds & {"shell", "console"}, \
            "README.md must keep a shell and a Python example that the doc test runs"
    if not blocks:
        pytest.skip("no example here runs (each is marked not to)")
    server = Server(data_dir=str(tmp_path / "server-data")).start()
    try:
        terminal = Terminal(tmp_path / "terminal", port=server.port, path_first=os.path.dirname(os.path.abspath(binary_path())))
        for block in blocks:
            terminal.run(block)
    finally:
        server.stop()


def test_every_runnable_language_is_known():
    """A typo in a fence's language (```bahs) would silently leave an example out of the test."""
    suspicious = [
        f"{block.where()} ```{block.language}"
        for document in DOCUMENTS for block in fenced_blocks(document)
        if block.language and block.kind is None and block.language not in {"yaml", "yml", "nginx", "json", "text", "csv", "swift", "ini", "toml"}
    ]
    assert not suspicious, f"fences in a language the doc test does not know: {suspicious}"


# The machinery itself: a failing block fails the test, state carries over, markers skip.

def test_a_failing_shell_block_fails_with_its_text(tmp_path):
    terminal = Terminal(tmp_path)
    block = Block(tmp_path / "x.md", 3, "bash", "echo before\nfalse\necho after\n")
    with pytest.raises(pytest.fail.Exception) as failed:
        terminal.run(block)
    assert "x.md:3" in str(failed.value) and "    false" in str(failed.value) and "exited with 1" in str(failed.value)


def test_a_failing_pipeline_and_an_unset_variable_fail(tmp_path):
    terminal = Terminal(tmp_path)
    for text in ("false | cat\n", "echo \"$NOT_SET_ANYWHERE\"\n"):
        with pytest.raises(pytest.fail.Exception):
            terminal.run(Block(tmp_path / "x.md", 1, "sh", text))


def test_a_raising_python_block_fails_with_its_text(tmp_path):
    terminal = Terminal(tmp_path)
    with pytest.raises(pytest.fail.Exception) as failed:
        terminal.run(Block(tmp_path / "x.md", 7, "python", "x = 1\nassert x == 2, 'x is not 2'\n"))
    assert "x.md:7" in str(failed.value) and "x is not 2" in str(failed.value) and "    assert x == 2" in str(failed.value)


def test_variables_and_the_folder_carry_over_between_blocks(tmp_path):
    terminal = Terminal(tmp_path, port=1234)
    terminal.run(Block(tmp_path / "x.md", 1, "bash", "mkdir sub && cd sub\nAPP=abc\nexport URL=http://localhost:4566/\nLIST=(a b)\n"))
    terminal.run(Block(tmp_path / "x.md", 5, "bash", "test \"$APP\" = abc\ntest \"$URL\" = http://localhost:1234/\ntest \"${LIST[1]}\" = b\ntest \"$(basename \"$PWD\")\" = sub\ntouch here\n"))
    assert (terminal.work / "sub" / "here").exists()
    terminal.run(Block(tmp_path / "x.md", 9, "python", "import os\nname = os.path.basename(os.getcwd())\n"))
    terminal.run(Block(tmp_path / "x.md", 12, "python", "assert name == 'sub'\nassert 'AWS_ACCESS_KEY_ID' not in os.environ\n"))


def test_console_blocks_run_their_commands_only(tmp_path):
    assert console_commands("$ echo a \\\n    b\na b\n$ true\n") == "echo a \\\n    b\ntrue\n"
    terminal = Terminal(tmp_path)
    terminal.run(Block(tmp_path / "x.md", 1, "console", "$ echo hello > out\nthis line is output\n"))
    assert (terminal.work / "out").read_text() == "hello\n"


def test_markers_and_fences_are_read_as_written(tmp_path):
    document = tmp_path / "x.md"
    document.write_text(
        "# Title\n\n```bash\n# (not run by the doc test: starts a server)\namplify-local\n```\n\n"
        "- a list item:\n\n  ```python\n  print('indented')\n  ```\n\n```yaml\nversion: 1\n```\n\n````sh\n```\n````\n"
    )
    blocks = fenced_blocks(document)
    assert [(block.line, block.language, block.runnable) for block in blocks] == [
        (3, "bash", False), (10, "python", True), (14, "yaml", False), (18, "sh", True),
    ]
    assert blocks[1].text == "print('indented')\n" and blocks[3].text == "```\n"
