import Mustache

/// The console's pages as Mustache templates (swift-mustache), kept in the binary: a page's template renders its
/// view (a dictionary), and `layout` puts it in the frame every page shares. Values are HTML-escaped (`{{x}}`);
/// only a rendered page body goes in unescaped (`{{{body}}}`).
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in Self.sources {
            // The templates are ours and fixed: one that does not parse is a bug caught by the first page a test opens.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ view: [String: Any], _ template: String) -> String {
        self.library.render(view, withTemplate: template) ?? "template \(template) is missing"
    }

    private static let sources: [String: String] = [
        "layout": """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · amplify-local</title><link rel="stylesheet" href="{{root}}/console.css"></head>
            <body data-live-page="{{live}}">
            <header>
              <a class="brand" href="{{root}}/">amplify-local</a>
              <nav aria-label="Breadcrumb">{{#crumbs}}<a href="{{href}}">{{label}}</a> <span aria-hidden="true">›</span> {{/crumbs}}<span aria-current="page">{{title}}</span></nav>
              {{#visitor}}
              <form class="scope" method="post" action="{{root}}/scope">
                <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="back" value="{{path}}">
                {{#open}}<label>Account <input name="account" value="{{account}}" size="12" pattern="[0-9]{12}" inputmode="numeric"></label>{{/open}}
                {{^open}}<span class="account">Account {{account}}</span>{{/open}}
                <label>Region <input name="region" value="{{region}}" size="12"></label>
                <button>Switch</button>
              </form>
              {{^open}}<form method="post" action="{{root}}/signout"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form>{{/open}}
              {{/visitor}}
            </header>
            <main>
            {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}{{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
            {{{body}}}
            </main>
            <script src="{{root}}/console.js" defer></script>
            </body></html>
            """,
        "apps": """
            <section aria-labelledby="apps-title"><h1 id="apps-title">Apps</h1>
            {{^apps}}<p>No apps in {{account}} / {{region}} yet.</p>{{/apps}}
            {{#hasApps}}
            <table class="cards"><thead><tr><th scope="col">Name</th><th scope="col">App id</th><th scope="col">Platform</th><th scope="col">Branches</th><th scope="col">Actions</th></tr></thead><tbody>
            {{#apps}}<tr><td><a href="{{href}}">{{name}}</a></td><td data-label="App id"><code>{{appId}}</code></td><td data-label="Platform">{{platform}}</td>
              <td id="app-{{appId}}-branches" data-label="Branches" data-live>{{#branches}}<a class="branch" href="{{href}}">{{name}} <span class="status status-{{status}}">{{statusLabel}}</span></a> {{/branches}}{{^branches}}none{{/branches}}</td>
              <td><form method="get" action="{{href}}/delete" class="inline"><button>Delete…</button></form></td></tr>{{/apps}}
            </tbody></table>{{/hasApps}}
            {{#next}}<p><a href="?next={{next}}">More apps</a></p>{{/next}}
            </section>
            <section aria-labelledby="create-title"><h2 id="create-title">Create an app</h2>
            <form method="post" action="{{root}}/apps" class="stack">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label>Name <input name="name" required></label>
              <label>Repository <input name="repository" placeholder="a folder with a git repository, or an https:// URL (empty: deploy zips)"></label>
              <label>Platform <select name="platform"><option>WEB</option><option>WEB_COMPUTE</option><option>WEB_DYNAMIC</option></select></label>
              <label>Environment variables <textarea name="environmentVariables" rows="3" placeholder="KEY=value, one a line"></textarea></label>
              <button>Create app</button>
            </form></section>
            """,
        "app": """
            <section aria-labelledby="app-title"><h1 id="app-title">{{app.name}} <code>{{app.appId}}</code></h1>
            <p>{{app.platform}}{{#repository}} · repository <code>{{repository}}</code>{{/repository}}{{#production}} · production branch <a href="{{href}}">{{name}}</a> (<a href="{{site}}">{{site}}</a>){{/production}}</p>
            <h2>Branches</h2>
            <table><thead><tr><th scope="col">Branch</th><th scope="col">Stage</th><th scope="col">Latest job</th><th scope="col">Site</th></tr></thead><tbody id="branches" data-live>
            {{#branches}}<tr><td><a href="{{href}}">{{name}}</a></td><td>{{stage}}</td><td><span class="status status-{{status}}">{{statusLabel}}</span></td><td>{{#site}}<a href="{{site}}">{{site}}</a>{{/site}}</td></tr>{{/branches}}
            {{^branches}}<tr><td colspan="4">No branches yet.</td></tr>{{/branches}}
            </tbody></table>
            <form method="post" action="{{href}}/branches" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>New branch <input name="branchName" required></label><button>Create branch</button></form>
            </section>
            <section aria-labelledby="tester-title"><h2 id="tester-title">Rule tester</h2>
            <form method="get" action="{{href}}/explain" class="stack" id="rule-tester">
              <label>Branch <select name="branch">{{#branches}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/branches}}</select></label>
              <label>Path <input name="path" value="{{explainPath}}" placeholder="/docs/intro?x=1" required></label>
              <label>Headers <textarea name="headers" rows="2" placeholder="Authorization: Basic …">{{explainHeaders}}</textarea></label>
              <button>Explain</button>
            </form>
            {{#explanation}}<div class="explanation" id="explanation" role="region" aria-label="Explanation">
              <p>{{#rule}}Rule {{number}} matches: <code>{{source}}</code> → <code>{{target}}</code> ({{status}}){{/rule}}{{^rule}}No custom rule matches.{{/rule}}</p>
              <dl><dt>Status</dt><dd id="explain-status">{{status}}</dd><dt>Target</dt><dd><code>{{target}}</code></dd>
              <dt>File served</dt><dd>{{#file}}<code>{{file}}</code>{{/file}}{{^file}}none{{/file}}</dd>
              {{#route}}<dt>Route</dt><dd><code>{{path}}</code> → {{kind}}</dd>{{/route}}
              <dt>Headers added</dt><dd>{{#headers}}<code>{{name}}: {{value}}</code><br>{{/headers}}{{^headers}}none{{/headers}}</dd></dl>
              {{#note}}<p>{{note}}</p>{{/note}}</div>{{/explanation}}
            </section>
            <section aria-labelledby="settings-title"><h2 id="settings-title">Settings</h2>
            <form method="post" action="{{href}}" class="stack"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>Description <input name="description" value="{{app.description}}"></label>
              <label>Environment variables <textarea name="environmentVariables" rows="4" placeholder="KEY=value, one a line">{{environment}}</textarea></label>
              <label>Custom rules (JSON, as UpdateApp's customRules) <textarea name="customRules" rows="6">{{rules}}</textarea></label>
              <label>Custom headers (YAML) <textarea name="customHeaders" rows="4">{{app.customHeaders}}</textarea></label>
              <label><input type="checkbox" name="enableBasicAuth"{{#app.enableBasicAuth}} checked{{/app.enableBasicAuth}}> Basic auth</label>
              <label>Basic auth user:password (empty keeps it) <input name="basicAuth" autocomplete="off"></label>
              <button>Save settings</button>
            </form></section>
            <section aria-labelledby="more-title"><h2 id="more-title">Domains, webhooks, backend environments</h2>
            <h3>Domains</h3><ul>{{#domains}}<li><code>{{domainName}}</code> <span class="status status-{{domainStatus}}">{{domainStatus}}</span> {{#subDomains}}<code>{{prefix}}</code>→{{branchName}} {{/subDomains}}
              <form method="post" action="{{href}}/domains/{{segment}}/delete" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Remove</button></form></li>{{/domains}}{{^domains}}<li>none</li>{{/domains}}</ul>
            <form method="post" action="{{href}}/domains" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>Domain <input name="domainName" placeholder="example.com" required></label>
              <label>Subdomains <input name="subDomains" placeholder="www=main, =main" required></label><button>Add domain</button></form>
            <h3>Webhooks</h3><ul>{{#webhooks}}<li>{{branchName}}: <code>{{webhookUrl}}</code> <button type="button" data-copy="{{webhookUrl}}">Copy URL</button>
              <form method="post" action="{{href}}/webhooks/{{webhookId}}/delete" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Delete</button></form></li>{{/webhooks}}{{^webhooks}}<li>none</li>{{/webhooks}}</ul>
            <form method="post" action="{{href}}/webhooks" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>Webhook for branch <select name="branchName">{{#branches}}<option>{{name}}</option>{{/branches}}</select></label><button>Create webhook</button></form>
            <h3>Backend environments</h3><ul>{{#backends}}<li>{{environmentName}}{{#stackName}} (<code>{{stackName}}</code>){{/stackName}}
              <form method="post" action="{{href}}/backends/{{environmentName}}/delete" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Delete</button></form></li>{{/backends}}{{^backends}}<li>none</li>{{/backends}}</ul>
            <form method="post" action="{{href}}/backends" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>Environment <input name="environmentName" required></label><label>Stack <input name="stackName"></label><button>Add environment</button></form>
            <form method="get" action="{{href}}/delete" class="inline"><button>Delete this app…</button></form>
            </section>
            """,
        "confirm": """
            <section aria-labelledby="confirm-title"><h1 id="confirm-title">{{question}}</h1><p>{{detail}}</p>
            <form method="post" action="{{action}}" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
              <button class="danger">{{verb}}</button> <a href="{{cancel}}">Cancel</a></form></section>
            """,
        "branch": """
            <section aria-labelledby="branch-title"><h1 id="branch-title">{{branch.branchName}}</h1>
            <p>{{#site}}Site: <a id="site-link" href="{{site}}">{{site}}</a>{{/site}}{{^site}}Nothing deployed yet.{{/site}} · stage {{branch.stage}}{{#framework}} · {{framework}}{{/framework}}</p>
            {{#thumbnail}}<img class="thumbnail" src="{{thumbnail}}" alt="A picture of the site" width="320">{{/thumbnail}}
            <div class="actions">
            {{#repository}}<form method="post" action="{{href}}/jobs" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button id="start-build">Start a build</button></form>{{/repository}}
            {{^repository}}<form method="post" action="{{href}}/deploy" class="drop" id="deploy" enctype="application/zip" data-csrf="{{csrf}}">
              <label>Deploy a zip <input type="file" name="zip" accept=".zip,application/zip" id="deploy-file"></label>
              <label>or a folder <input type="file" name="folder" id="deploy-folder" webkitdirectory multiple></label>
              <p>or drop a zip or a folder here</p><output id="deploy-result" aria-live="polite"></output></form>{{/repository}}
            <form method="get" action="{{href}}/delete" class="inline"><button>Delete branch…</button></form>
            </div>
            <h2>Jobs</h2>
            <table><thead><tr><th scope="col">Job</th><th scope="col">Type</th><th scope="col">Commit</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
            <tbody id="jobs" data-live>
            {{#jobs}}<tr><td><a href="{{href}}">#{{jobId}}</a></td><td>{{jobType}}</td><td><code title="{{commitMessage}}">{{commit}}</code></td><td>{{started}}</td><td>{{duration}}</td>
              <td><span class="status status-{{status}}">{{status}}</span></td><td>
              {{#stoppable}}<form method="post" action="{{href}}/stop" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Stop</button></form>{{/stoppable}}
              {{#retryable}}<form method="post" action="{{href}}/retry" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Retry</button></form>{{/retryable}}
              {{#deletable}}<form method="post" action="{{href}}/delete" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Delete</button></form>{{/deletable}}
              </td></tr>{{/jobs}}
            {{^jobs}}<tr><td colspan="7">No jobs yet.</td></tr>{{/jobs}}
            </tbody></table>
            {{#next}}<p><a href="?next={{next}}">Older jobs</a></p>{{/next}}
            </section>
            """,
        "job": """
            <section aria-labelledby="job-title" id="job" data-progress="{{progressHref}}" data-done="{{done}}">
            <h1 id="job-title">Job #{{job.jobId}} <span id="job-status" class="status status-{{job.status}}" role="status">{{job.status}}</span></h1>
            <p id="job-meta">{{> jobMeta}}</p>
            {{#steps}}{{> step}}{{/steps}}
            {{^steps}}<p id="no-steps">No step has started yet.</p>{{/steps}}
            </section>
            """,
        // The parts of a job's page that its script replaces as the job goes on (`ConsoleRoutes.jobProgress`).
        "jobMeta": """
            {{job.jobType}}{{#commit}} · <code>{{commit}}</code> {{job.commitMessage}}{{/commit}} · started {{started}}{{#ended}} · ended {{ended}} ({{duration}}){{/ended}}
            """,
        "step": """
            <section class="step" aria-labelledby="step-{{stepName}}">
              <div id="step-{{stepName}}-head">{{> stepHead}}</div>
              {{#earlier}}<p><a href="{{earlier}}">The whole log</a> (the page shows its end).</p>{{/earlier}}
              <pre class="log" id="log-{{stepName}}" tabindex="0" aria-label="{{stepName}} log" data-log="{{logHref}}" data-offset="{{offset}}" data-done="{{done}}">{{log}}</pre>
              <div id="step-{{stepName}}-files">{{> stepFiles}}</div>
            </section>
            """,
        "stepHead": """
            <h2 id="step-{{stepName}}">{{stepName}} <span class="status status-{{status}}" id="step-{{stepName}}-status">{{status}}</span> <small>{{duration}}</small></h2>
            {{#statusReason}}<p class="error" role="alert">{{statusReason}}</p>{{/statusReason}}
            """,
        "stepFiles": """
            {{#hasArtifacts}}<h3>Test artifacts</h3><ul>{{#artifacts}}<li><a href="{{url}}">{{name}}</a></li>{{/artifacts}}</ul>{{/hasArtifacts}}
            """,
        "error": """
            <section aria-labelledby="error-title"><h1 id="error-title">That did not work</h1>
            <p class="error" role="alert">{{message}}</p><p><a href="{{root}}/">Back to the apps</a></p></section>
            """,
        "signin": """
            <section aria-labelledby="signin-title"><h1 id="signin-title">Sign in</h1>
            <p>With an access key id and secret from the server's credentials file.</p>
            <form method="post" action="{{root}}/signin" class="stack"><input type="hidden" name="csrf" value="{{csrf}}">
              <label>Access key id <input name="accessKeyId" required autocomplete="username"></label>
              <label>Secret access key <input name="secret" type="password" required autocomplete="current-password"></label>
              <button>Sign in</button></form></section>
            """,
    ]
}
