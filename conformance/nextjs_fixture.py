"""A Next.js 15 app as a git repository, for the tests and benchmarks of Next.js SSR (issue 27), built without the npm
registry: its `next` is a package of the repository (`vendor/next`, installed by `npm ci` from `file:`) written with
Node's built-in modules only, whose `next build` writes the `.next` layout of a real `next build` 15.x:

- `.next/BUILD_ID`, `package.json`, `required-server-files.json` (the real shape: the whole resolved config,
  `appDir`, `relativeAppDir`, `files`, `ignore`), `routes-manifest.json`, `prerender-manifest.json`,
  `build-manifest.json`, `app-build-manifest.json`, `app-path-routes-manifest.json`, `images-manifest.json`, …;
- `.next/static/<buildId>/_buildManifest.js`, `_ssgManifest.js`, `static/chunks/…`, `static/css/…` (content-hashed);
- `.next/server/app/…` (each page's module, prerendered `.html`/`.rsc`/`.meta`), `server/pages/404.html`, the
  server manifests;
- only when `output` resolves to `'standalone'` (`NEXT_PRIVATE_STANDALONE` set, as Next's defaultConfig reads it, or
  `output: 'standalone'` in next.config.js): `.next/standalone/` with `server.js` (Next's template, the config
  inlined), `package.json`, `.next/…` and the traced `node_modules/next` (a link kept as a link, as Next copies
  them), under `standalone/<relativeAppDir>` in a monorepo (the tracing root inferred from the top lockfile);
- with `output: 'export'`: `out/` (the pages as `.html` and `.txt`, `_next/static`, `public/`) and no standalone.

Its server (`next/dist/server/lib/start-server`, which `server.js` starts) listens on `PORT`/`HOSTNAME` and answers
as Next does for what the tests ask: prerendered pages (`x-nextjs-cache: HIT`), an ISR page (`revalidate = 1`) that
is written again to `.next/server/app` and `.next/cache/fetch-cache` once stale (the writes prove the folders are
writable; a failed write is logged as Next logs it), a dynamic route, a route handler answering JSON, `public/`
files, the not-found page (404).

Run as a program it makes a repository: `python3 conformance/nextjs_fixture.py DEST [--monorepo] [--export]`.
"""
import argparse
import json
import os
import struct
import subprocess
import zlib

NEXT_VERSION = "15.5.4"

NEXT_PACKAGE = {
    "name": "next",
    "version": NEXT_VERSION,
    "description": "The React Framework (a stand-in for the amplify-local fixtures: Node's built-in modules only)",
    "main": "./index.js",
    "license": "MIT",
    "bin": {"next": "./dist/bin/next"},
}

NEXT_INDEX_JS = r"""'use strict'
// require('next') in server.js loads the package; the server is started through next/dist/server/lib/start-server.
module.exports = { startServer: require('./dist/server/lib/start-server').startServer, version: require('./package.json').version }
"""

NEXT_BIN = r"""#!/usr/bin/env node
'use strict'
const command = process.argv[2]
if (command === 'build') {
  require('../build/index.js').build(process.cwd()).catch((err) => { console.error(err && err.stack || err); process.exit(1) })
} else if (command === 'start') {
  const config = require('../server/config').loadConfig(process.cwd())
  require('../server/lib/start-server').startServer({ dir: process.cwd(), isDev: false, config, hostname: process.env.HOSTNAME || '0.0.0.0',
    port: parseInt(process.env.PORT, 10) || 3000, allowRetry: false })
} else {
  console.error(`next ${command || ''}: this fixture's next knows "build" and "start"`)
  process.exit(1)
}
"""

# The resolved configuration: Next's defaultConfig (15.x) with the user's next.config.js merged over it.
NEXT_CONFIG_JS = r"""'use strict'
const fs = require('fs')
const path = require('path')

function defaultConfig() {
  return {
    env: {}, webpack: null, eslint: { ignoreDuringBuilds: false },
    typescript: { ignoreBuildErrors: false, tsconfigPath: 'tsconfig.json' },
    distDir: '.next', cleanDistDir: true, assetPrefix: '', cacheMaxMemorySize: 52428800, configOrigin: 'default',
    useFileSystemPublicRoutes: true, generateEtags: true, pageExtensions: ['tsx', 'ts', 'jsx', 'js'], poweredByHeader: true,
    compress: true,
    images: {
      deviceSizes: [640, 750, 828, 1080, 1200, 1920, 2048, 3840], imageSizes: [16, 32, 48, 64, 96, 128, 256, 384],
      path: '/_next/image', loader: 'default', loaderFile: '', domains: [], disableStaticImages: false, minimumCacheTTL: 60,
      formats: ['image/webp'], dangerouslyAllowSVG: false, contentSecurityPolicy: "script-src 'none'; frame-src 'none'; sandbox;",
      contentDispositionType: 'attachment', remotePatterns: [], unoptimized: false,
    },
    devIndicators: { position: 'bottom-left' }, onDemandEntries: { maxInactiveAge: 60000, pagesBufferLength: 5 },
    amp: { canonicalBase: '' }, basePath: '', sassOptions: {}, trailingSlash: false, i18n: null, productionBrowserSourceMaps: false,
    excludeDefaultMomentLocales: true, serverRuntimeConfig: {}, publicRuntimeConfig: {}, reactProductionProfiling: false,
    reactStrictMode: null, reactMaxHeadersLength: 6000, httpAgentOptions: { keepAlive: true }, logging: {}, expireTime: 31536000,
    staticPageGenerationTimeout: 60,
    output: !!process.env.NEXT_PRIVATE_STANDALONE ? 'standalone' : undefined,
    modularizeImports: { '@mui/icons-material': { transform: '@mui/icons-material/{{member}}' }, lodash: { transform: 'lodash/{{member}}' } },
    outputFileTracingRoot: process.env.NEXT_PRIVATE_OUTPUT_TRACE_ROOT || '',
    experimental: {
      cacheLife: { default: { stale: 300, revalidate: 900, expire: 4294967294 } }, cacheHandlers: {}, multiZoneDraftMode: false,
      appNavFailHandling: false, prerenderEarlyExit: true, serverMinification: true, serverSourceMaps: false, linkNoTouchStart: false,
      caseSensitiveRoutes: false, clientSegmentCache: false, preloadEntriesOnStart: true, clientRouterFilter: true,
      clientRouterFilterRedirects: false, fetchCacheKeyPrefix: '', middlewarePrefetch: 'flexible', optimisticClientCache: true,
      manualClientBasePath: false, cpus: 1, memoryBasedWorkersCount: false, imgOptConcurrency: null, imgOptTimeoutInSeconds: 7,
      imgOptMaxInputPixels: 268402689, imgOptSequentialRead: null, isrFlushToDisk: true, workerThreads: false,
      optimizeCss: false, nextScriptWorkers: false, scrollRestoration: false, externalDir: false, disableOptimizedLoading: false,
      gzipSize: true, craCompat: false, esmExternals: true, fullySpecified: false, swcTraceProfiling: false, forceSwcTransforms: false,
      largePageDataBytes: 128000, typedRoutes: false, typedEnv: false, parallelServerCompiles: false, parallelServerBuildTraces: false,
      ppr: false, authInterrupts: false, webpackMemoryOptimizations: false, optimizeServerReact: true, useEarlyImport: false,
      viewTransition: false, routerBFCache: false, staleTimes: { dynamic: 0, static: 300 }, serverComponentsHmrCache: true,
      staticGenerationMaxConcurrency: 8, staticGenerationMinPagesPerWorker: 25, dynamicIO: false, inlineCss: false,
      useCache: false, optimizePackageImports: ['lucide-react', 'date-fns', 'lodash-es', 'rxjs'], trustHostHeader: false,
      isExperimentalCompile: false,
    },
    htmlLimitedBots: 'Mediapartners-Google|Slurp|DuckDuckBot|baiduspider|yandex|sogou|bitlybot|tumblr|vkShare|quora link preview|redditbot|ia_archiver|Bingbot|BingPreview|applebot|facebookexternalhit|facebookcatalog|Twitterbot|LinkedInBot|Slackbot|Discordbot|WhatsApp|SkypeUriPreview',
    bundlePagesRouterDependencies: false,
  }
}

function loadConfig(dir) {
  const config = defaultConfig()
  const file = ['next.config.js', 'next.config.cjs'].map((name) => path.join(dir, name)).find((name) => fs.existsSync(name))
  if (file) {
    let user = require(file)
    if (typeof user === 'function') user = user('phase-production-build', { defaultConfig: config })
    for (const [key, value] of Object.entries(user || {})) {
      if (key === 'images' || key === 'experimental') config[key] = { ...config[key], ...value }
      else config[key] = value
    }
    config.configOrigin = path.basename(file)
    config.configFileName = path.basename(file)
  } else {
    config.configFileName = 'next.config.js'
  }
  if (config.basePath && config.images.path === '/_next/image') config.images.path = config.basePath + '/_next/image'
  return config
}

module.exports = { defaultConfig, loadConfig }
"""

# What build and server share: the routes of app/, and a page's HTML.
NEXT_RENDER_JS = r"""'use strict'
const fs = require('fs')
const path = require('path')

function escape(text) {
  return text.replace(/[|\\{}()[\]^$+*?.-]/g, '\\$&')
}

// A route of app/ ("/blog/[slug]") as routes-manifest.json has it.
function routeEntry(route) {
  const parts = route.split('/').filter(Boolean)
  if (!parts.some((part) => /^\[.+\]$/.test(part))) {
    const source = route === '/' ? '^/(?:/)?$' : '^' + escape(route) + '(?:/)?$'
    return { page: route, regex: source, routeKeys: {}, namedRegex: source }
  }
  const keys = {}
  const regex = parts.map((part) => /^\[.+\]$/.test(part) ? '/([^/]+?)' : '/' + escape(part)).join('')
  const named = parts.map((part) => {
    if (!/^\[.+\]$/.test(part)) return '/' + escape(part)
    const key = 'nxtP' + part.slice(1, -1)
    keys[key] = key
    return `/(?<${key}>[^/]+?)`
  }).join('')
  return { page: route, regex: '^' + regex + '(?:/)?$', routeKeys: keys, namedRegex: '^' + named + '(?:/)?$' }
}

// The chunks a page loads (app-build-manifest.json), as tags.
function assets(distDir, pageKey, config) {
  const manifest = JSON.parse(fs.readFileSync(path.join(distDir, 'app-build-manifest.json'), 'utf8')).pages
  const files = [...new Set([...(manifest['/layout'] || []), ...(manifest[pageKey] || [])])]
  const prefix = (config.assetPrefix || config.basePath || '') + '/_next/'
  const css = files.filter((file) => file.endsWith('.css')).map((file) => `<link rel="stylesheet" href="${prefix}${file}" data-precedence="next"/>`)
  const js = files.filter((file) => file.endsWith('.js')).map((file) => `<script src="${prefix}${file}" async=""></script>`)
  return css.join('') + js.join('')
}

async function renderPage(distDir, pageKey, mod, params, config) {
  const body = await mod.default({ params: Promise.resolve(params || {}), searchParams: Promise.resolve({}) })
  const title = mod.metadata && mod.metadata.title || 'Create Next App'
  return '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>' +
    assets(distDir, pageKey, config) + `<title>${title}</title></head><body>${body}` +
    '<script>(self.__next_f=self.__next_f||[]).push([0])</script>' +
    `<script>self.__next_f.push([1,${JSON.stringify('0:{"P":null,"b":"' + fs.readFileSync(path.join(distDir, 'BUILD_ID'), 'utf8') + '"}\n')}])</script></body></html>`
}

function renderFlight(html) {
  return '1:"$Sreact.fragment"\n0:{"P":null,"c":["",""],"i":false,"f":[[["",{"children":["__PAGE__",{}]},"$undefined","$undefined",true],' +
    JSON.stringify(html.length) + ']]}\n'
}

module.exports = { routeEntry, renderPage, renderFlight }
"""

NEXT_BUILD_JS = r"""'use strict'
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const { loadConfig } = require('../server/config')
const { routeEntry, renderPage, renderFlight } = require('../server/render')
const VERSION = require('../../package.json').version
const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb']

const hash = (text, length = 16) => crypto.createHash('sha256').update(text).digest('hex').slice(0, length)
const write = (file, text) => { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, text) }
const writeJSON = (file, value, pretty) => write(file, pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value))

// The routes of app/: each page.js and route.js, its route, its key in app-paths-manifest.json, and how it renders.
function collectRoutes(dir) {
  const appDir = path.join(dir, 'app')
  const found = []
  const walk = (folder, segments) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(path.join(folder, entry.name), [...segments, entry.name])
      else if (entry.name === 'page.js' || entry.name === 'route.js') {
        const file = path.join(folder, entry.name)
        const visible = segments.filter((part) => !(part.startsWith('(') && part.endsWith(')')))
        const route = '/' + visible.join('/')
        const mod = require(file)
        const dynamic = visible.some((part) => /^\[.+\]$/.test(part))
        let kind
        if (entry.name === 'route.js') kind = mod.dynamic === 'force-static' ? 'static-route' : 'dynamic'
        else if (dynamic || mod.dynamic === 'force-dynamic') kind = 'dynamic'
        else if (typeof mod.revalidate === 'number' && mod.revalidate > 0) kind = 'isr'
        else kind = 'static'
        found.push({ file, route, key: '/' + [...segments, entry.name.replace(/\.js$/, '')].join('/'), kind, mod, handler: entry.name === 'route.js' })
      }
    }
  }
  if (fs.existsSync(appDir)) walk(appDir, [])
  return found
}

// The folder traced files are kept relative to: next.config's outputFileTracingRoot, NEXT_PRIVATE_OUTPUT_TRACE_ROOT,
// else (as Next 15 infers it) the folder of the top lockfile between the app and the repository's root.
function tracingRoot(dir, config) {
  if (config.outputFileTracingRoot) return config.outputFileTracingRoot
  const found = []
  for (let folder = dir; ; folder = path.dirname(folder)) {
    if (LOCKFILES.some((name) => fs.existsSync(path.join(folder, name)))) found.push(folder)
    if (fs.existsSync(path.join(folder, '.git')) || path.dirname(folder) === folder) break
  }
  const root = found.length ? found[found.length - 1] : dir
  if (found.length > 1) {
    console.warn(' \u26a0 Warning: Next.js inferred your workspace root, but it may not be correct.\n We detected multiple lockfiles and selected the directory of ' +
      path.join(root, LOCKFILES.find((name) => fs.existsSync(path.join(root, name)))) + ' as the root directory.\n' +
      " To silence this warning, set `outputFileTracingRoot` in your Next.js config, or consider removing one of the lockfiles if it's not needed.")
  }
  return root
}

function copyTree(from, to, skip = () => false) {
  if (!fs.existsSync(from)) return
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    if (skip(source)) continue
    if (entry.isSymbolicLink()) { fs.mkdirSync(to, { recursive: true }); fs.symlinkSync(fs.readlinkSync(source), target) }
    else if (entry.isDirectory()) copyTree(source, target, skip)
    else { fs.mkdirSync(to, { recursive: true }); fs.copyFileSync(source, target) }
  }
}

// .next/standalone, as writeStandaloneDirectory makes it: traced node_modules (links kept as links, their targets
// copied), server.js from Next's template, package.json, the required server files and server/ of the app.
function writeStandalone(dir, distDir, config, requiredServerFiles) {
  const root = requiredServerFiles.config.outputFileTracingRoot
  const out = path.join(distDir, 'standalone')
  fs.rmSync(out, { recursive: true, force: true })
  const appOut = path.join(out, path.relative(root, dir))
  // next, as `require('next')` finds it from the app.
  let folder = dir
  let nextPath
  for (; ; folder = path.dirname(folder)) {
    if (fs.existsSync(path.join(folder, 'node_modules', 'next', 'package.json'))) { nextPath = path.join(folder, 'node_modules', 'next'); break }
    if (folder === root || path.dirname(folder) === folder) break
  }
  if (!nextPath) throw new Error('next is not installed in ' + dir)
  const traced = (from, to) => copyTree(from, to, (source) => /[/\\]dist[/\\](build|bin)$/.test(source))
  if (fs.lstatSync(nextPath).isSymbolicLink()) {
    const link = path.join(out, path.relative(root, nextPath))
    fs.mkdirSync(path.dirname(link), { recursive: true })
    fs.symlinkSync(fs.readlinkSync(nextPath), link)
    const real = fs.realpathSync(nextPath)
    traced(real, path.relative(root, real).startsWith('..') ? link : path.join(out, path.relative(root, real)))
  } else {
    traced(nextPath, path.join(out, path.relative(root, nextPath)))
  }
  const nextConfig = { ...requiredServerFiles.config, distDir: './' + path.relative(dir, distDir) }
  write(path.join(appOut, 'server.js'), `const path = require('path')

const dir = path.join(__dirname)

process.env.NODE_ENV = 'production'
process.chdir(__dirname)

const currentPort = parseInt(process.env.PORT, 10) || 3000
const hostname = process.env.HOSTNAME || '0.0.0.0'

let keepAliveTimeout = parseInt(process.env.KEEP_ALIVE_TIMEOUT, 10)
const nextConfig = ${JSON.stringify(nextConfig)}

process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(nextConfig)

require('next')
const { startServer } = require('next/dist/server/lib/start-server')

if (
  Number.isNaN(keepAliveTimeout) ||
  !Number.isFinite(keepAliveTimeout) ||
  keepAliveTimeout < 0
) {
  keepAliveTimeout = undefined
}

startServer({
  dir,
  isDev: false,
  config: nextConfig,
  hostname,
  port: currentPort,
  allowRetry: false,
  keepAliveTimeout,
}).catch((err) => {
  console.error(err);
  process.exit(1);
});`)
  fs.copyFileSync(path.join(dir, 'package.json'), path.join(appOut, 'package.json'))
  for (const file of [...requiredServerFiles.files, path.join(config.distDir, 'required-server-files.json'), path.join(config.distDir, 'package.json')]) {
    write(path.join(appOut, file), fs.readFileSync(path.join(dir, file)))
  }
  for (const env of ['.env', '.env.production']) {
    if (fs.existsSync(path.join(dir, env))) fs.copyFileSync(path.join(dir, env), path.join(appOut, env))
  }
  copyTree(path.join(distDir, 'server'), path.join(appOut, config.distDir, 'server'))
}

function writeExport(dir, distDir, routes) {
  const out = path.join(dir, 'out')
  fs.rmSync(out, { recursive: true, force: true })
  for (const route of routes) {
    if (route.kind === 'dynamic') {
      throw new Error(`Page "${route.route}" is missing "generateStaticParams()" so it cannot be used with "output: export" config.`)
    }
    if (route.handler) continue
    const name = route.route === '/' ? 'index' : route.route.slice(1)
    write(path.join(out, name + '.html'), fs.readFileSync(path.join(distDir, 'server', 'app', name + '.html')))
    write(path.join(out, name + '.txt'), fs.readFileSync(path.join(distDir, 'server', 'app', name + '.rsc')))
  }
  write(path.join(out, '404.html'), fs.readFileSync(path.join(distDir, 'server', 'app', '_not-found.html')))
  copyTree(path.join(distDir, 'static'), path.join(out, '_next', 'static'))
  copyTree(path.join(dir, 'public'), out)
}

async function build(dir) {
  const started = Date.now()
  console.log(`   \u25b2 Next.js ${VERSION}\n`)
  const config = loadConfig(dir)
  if (config.output === 'standalone') config.outputFileTracingRoot = tracingRoot(dir, config)
  else config.outputFileTracingRoot = config.outputFileTracingRoot || dir
  console.log('   Creating an optimized production build ...')
  const distDir = path.join(dir, config.distDir)
  if (fs.existsSync(distDir)) {
    for (const name of fs.readdirSync(distDir)) if (name !== 'cache') fs.rmSync(path.join(distDir, name), { recursive: true, force: true })
  }
  fs.mkdirSync(path.join(distDir, 'cache'), { recursive: true })
  const buildId = crypto.randomBytes(16).toString('base64url').slice(0, 21)
  write(path.join(distDir, 'BUILD_ID'), buildId)
  writeJSON(path.join(distDir, 'package.json'), { type: 'commonjs' })
  const routes = collectRoutes(dir)
  const pages = routes.filter((route) => !route.handler)

  // The client: content-hashed chunks and CSS under static/.
  const chunk = (name, text) => { const file = `static/chunks/${name}-${hash(text)}.js`; write(path.join(distDir, file), text); return file }
  const webpack = chunk('webpack', '(()=>{"use strict";var e={},r={};function t(o){var n=r[o];if(void 0!==n)return n.exports;var a=r[o]={exports:{}};return e[o](a,a.exports,t),a.exports}t.m=e})();')
  const reactDom = chunk('4bd1b696', '"use strict";(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[441],{}]);')
  const mainApp = chunk('main-app', '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[358],{}]);/* ' + buildId + ' */')
  const polyfills = chunk('polyfills', '/* polyfills */')
  const framework = chunk('framework', '"use strict";(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[593],{}]);')
  const main = chunk('main', '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[792],{}]);')
  const appChunk = chunk('pages/_app', '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[636],{}]);')
  const errorChunk = chunk('pages/_error', '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[731],{}]);')
  const layout = chunk('app/layout', '(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[177],{}]);')
  const cssText = fs.existsSync(path.join(dir, 'app', 'globals.css')) ? fs.readFileSync(path.join(dir, 'app', 'globals.css'), 'utf8') : 'body{margin:0}'
  const css = `static/css/${hash(cssText)}.css`
  write(path.join(distDir, css), cssText)
  const rootMain = [webpack, reactDom, mainApp]
  const appBuild = { pages: { '/layout': [...rootMain, css, layout] } }
  for (const page of routes) {
    appBuild.pages[page.key] = [...rootMain, chunk('app' + (page.route === '/' ? '' : page.route) + '/' + (page.handler ? 'route' : 'page'), `/* ${page.key} */`)]
  }
  writeJSON(path.join(distDir, 'app-build-manifest.json'), appBuild, true)
  writeJSON(path.join(distDir, 'build-manifest.json'), {
    polyfillFiles: [polyfills], devFiles: [], ampDevFiles: [],
    lowPriorityFiles: [`static/${buildId}/_buildManifest.js`, `static/${buildId}/_ssgManifest.js`],
    rootMainFiles: rootMain, rootMainFilesTree: {},
    pages: { '/_app': [webpack, framework, main, appChunk], '/_error': [webpack, framework, main, errorChunk] }, ampFirstPages: [],
  }, true)
  write(path.join(distDir, 'static', buildId, '_buildManifest.js'),
    `self.__BUILD_MANIFEST=function(e,r,t){return{__rewrites:{afterFiles:[],beforeFiles:[],fallback:[]},__routerFilterStatic:{numItems:${pages.length},errorRate:1e-4,numBits:77,numHashes:14,bitArray:[1,0,0,1]},__routerFilterDynamic:{numItems:e,errorRate:1e-4,numBits:e,numHashes:null,bitArray:[]},"/_error":["${errorChunk}"],sortedPages:["/_app","/_error"]}}(0,1,0),self.__BUILD_MANIFEST_CB&&self.__BUILD_MANIFEST_CB();`)
  write(path.join(distDir, 'static', buildId, '_ssgManifest.js'), 'self.__SSG_MANIFEST=new Set([]);self.__SSG_MANIFEST_CB&&self.__SSG_MANIFEST_CB()')
  console.log(` \u2713 Compiled successfully in ${Date.now() - started}ms`)
  console.log('   Linting and checking validity of types ...')
  console.log('   Collecting page data ...')

  // The server: each module under server/app, the prerendered pages beside them, the manifests.
  const serverDir = path.join(distDir, 'server')
  const appPaths = {}
  for (const route of routes) {
    write(path.join(serverDir, 'app', route.key + '.js'), fs.readFileSync(route.file))
    writeJSON(path.join(serverDir, 'app', route.key + '.js.nft.json'), { version: 1, files: ['../webpack-runtime.js', '../chunks/447.js'] })
    appPaths[route.key] = 'app' + route.key + '.js'
  }
  appPaths['/_not-found/page'] = 'app/_not-found/page.js'
  write(path.join(serverDir, 'app', '_not-found', 'page.js'), "exports.default = () => '<h1>404</h1><h2>This page could not be found.</h2>'\n")
  writeJSON(path.join(serverDir, 'app-paths-manifest.json'), appPaths, true)
  writeJSON(path.join(distDir, 'app-path-routes-manifest.json'), Object.fromEntries(Object.keys(appPaths).map((key) => [key, key.replace(/\/(page|route)$/, '') || '/'])), true)
  writeJSON(path.join(serverDir, 'pages-manifest.json'), { '/_app': 'pages/_app.js', '/_error': 'pages/_error.js', '/_document': 'pages/_document.js', '/404': 'pages/404.html', '/500': 'pages/500.html' }, true)
  for (const name of ['_app', '_error', '_document']) write(path.join(serverDir, 'pages', name + '.js'), `"use strict";/* pages/${name} */`)
  writeJSON(path.join(serverDir, 'middleware-manifest.json'), { version: 3, middleware: {}, functions: {}, sortedMiddleware: [] }, true)
  write(path.join(serverDir, 'middleware-build-manifest.js'), 'globalThis.__BUILD_MANIFEST=' + fs.readFileSync(path.join(distDir, 'build-manifest.json'), 'utf8'))
  write(path.join(serverDir, 'middleware-react-loadable-manifest.js'), 'self.__REACT_LOADABLE_MANIFEST="{}"')
  writeJSON(path.join(serverDir, 'functions-config-manifest.json'), { version: 1, functions: {} })
  writeJSON(path.join(serverDir, 'server-reference-manifest.json'), { node: {}, edge: {}, encryptionKey: crypto.randomBytes(32).toString('base64') })
  write(path.join(serverDir, 'server-reference-manifest.js'), 'self.__RSC_SERVER_MANIFEST="{\\"node\\":{},\\"edge\\":{}}"')
  writeJSON(path.join(serverDir, 'next-font-manifest.json'), { pages: {}, app: {}, appUsingSizeAdjust: false, pagesUsingSizeAdjust: false })
  write(path.join(serverDir, 'next-font-manifest.js'), 'self.__NEXT_FONT_MANIFEST="{\\"pages\\":{},\\"app\\":{}}"')
  write(path.join(serverDir, 'interception-route-rewrite-manifest.js'), 'self.__INTERCEPTION_ROUTE_REWRITE_MANIFEST="[]";')
  write(path.join(serverDir, 'webpack-runtime.js'), '"use strict";(()=>{var e={};module.exports=e})();')
  write(path.join(serverDir, 'chunks', '447.js'), '"use strict";exports.id=447;exports.ids=[447];exports.modules={};')
  writeJSON(path.join(distDir, 'react-loadable-manifest.json'), {})

  const preview = { previewModeId: crypto.randomBytes(16).toString('hex'), previewModeSigningKey: crypto.randomBytes(32).toString('hex'), previewModeEncryptionKey: crypto.randomBytes(32).toString('hex') }
  const bypass = [{ type: 'header', key: 'Next-Action' }, { type: 'header', key: 'content-type', value: 'multipart/form-data;.*' }]
  const prerender = { version: 4, routes: {}, dynamicRoutes: {}, notFoundRoutes: [], preview }
  const prerendered = pages.filter((page) => page.kind !== 'dynamic')
  console.log(`   Generating static pages (0/${prerendered.length + 1}) ...`)
  for (const page of [...prerendered, { route: '/_not-found', key: '/_not-found/page', kind: 'static', mod: require(path.join(serverDir, 'app', '_not-found', 'page.js')) }]) {
    const name = page.route === '/' ? 'index' : page.route.slice(1)
    const html = await renderPage(distDir, page.key, page.mod, {}, config)
    write(path.join(serverDir, 'app', name + '.html'), html)
    write(path.join(serverDir, 'app', name + '.rsc'), renderFlight(html))
    const tags = ['_N_T_/layout', ...page.route.split('/').filter(Boolean).map((_, i, parts) => `_N_T_/${parts.slice(0, i + 1).join('/')}/layout`), `_N_T_${page.key}`, `_N_T_${page.route}`]
    writeJSON(path.join(serverDir, 'app', name + '.meta'), { headers: { 'x-nextjs-stale-time': '4294967294', 'x-nextjs-prerender': '1', 'x-next-cache-tags': tags.join(',') } }, true)
    if (page.route !== '/_not-found') {
      prerender.routes[page.route] = { experimentalBypassFor: bypass, initialRevalidateSeconds: page.kind === 'isr' ? page.mod.revalidate : false, srcRoute: page.route, dataRoute: `/${name}.rsc`, allowHeader: ['host', 'x-matched-path', 'x-prerender-revalidate', 'x-prerender-revalidate-if-generated', 'x-next-revalidated-tags', 'x-next-revalidate-tag-token'] }
    }
  }
  write(path.join(serverDir, 'pages', '404.html'), fs.readFileSync(path.join(serverDir, 'app', '_not-found.html')))
  write(path.join(serverDir, 'pages', '500.html'), '<!DOCTYPE html><html><head><title>500: Internal Server Error</title></head><body><h1>500</h1><h2>Internal Server Error.</h2></body></html>')
  console.log(` \u2713 Generating static pages (${prerendered.length + 1}/${prerendered.length + 1})`)
  writeJSON(path.join(distDir, 'prerender-manifest.json'), prerender)

  const all = [...routes.map((route) => route.route), '/_not-found']
  const entries = [...new Set(all)].map(routeEntry)
  writeJSON(path.join(distDir, 'routes-manifest.json'), {
    version: 3, pages404: true, caseSensitive: false, basePath: config.basePath,
    redirects: [{ source: '/:path+/', destination: '/:path+', internal: true, statusCode: 308, regex: '^(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))/$' }],
    headers: [], dynamicRoutes: entries.filter((entry) => Object.keys(entry.routeKeys).length), staticRoutes: entries.filter((entry) => !Object.keys(entry.routeKeys).length),
    dataRoutes: [],
    rsc: { header: 'RSC', varyHeader: 'RSC, Next-Router-State-Tree, Next-Router-Prefetch, Next-Router-Segment-Prefetch', prefetchHeader: 'Next-Router-Prefetch', didPostponeHeader: 'x-nextjs-postponed', contentTypeHeader: 'text/x-component', suffix: '.rsc', prefetchSuffix: '.prefetch.rsc', prefetchSegmentHeader: 'Next-Router-Segment-Prefetch', prefetchSegmentSuffix: '.segment.rsc', prefetchSegmentDirSuffix: '.segments' },
    rewriteHeaders: { pathHeader: 'x-nextjs-rewritten-path', queryHeader: 'x-nextjs-rewritten-query' },
    rewrites: [],
  })
  const images = config.images
  writeJSON(path.join(distDir, 'images-manifest.json'), { version: 1, images: { ...images, sizes: [...images.deviceSizes, ...images.imageSizes], remotePatterns: (images.remotePatterns || []).map((pattern) => ({ ...pattern, protocol: pattern.protocol && pattern.protocol.replace(/:$/, '') })) } })
  writeJSON(path.join(distDir, 'export-marker.json'), { version: 1, hasExportPathMap: false, exportTrailingSlash: false, isNextImageImported: true })
  writeJSON(path.join(distDir, 'next-server.js.nft.json'), { version: 1, files: ['../node_modules/next/package.json', '../node_modules/next/index.js', '../node_modules/next/dist/server/lib/start-server.js'] })
  writeJSON(path.join(distDir, 'next-minimal-server.js.nft.json'), { version: 1, files: ['../node_modules/next/package.json'] })
  write(path.join(distDir, 'trace'), JSON.stringify([{ name: 'next-build', duration: (Date.now() - started) * 1000, timestamp: started, id: 1, tags: { buildMode: 'default', version: VERSION } }]) + '\n')

  console.log('   Finalizing page optimization ...')
  const requiredServerFiles = {
    version: 1,
    config: { ...config, configFile: undefined, experimental: { ...config.experimental, trustHostHeader: false, isExperimentalCompile: false } },
    appDir: dir,
    relativeAppDir: path.relative(config.outputFileTracingRoot, dir),
    files: ['routes-manifest.json', 'server/pages-manifest.json', 'build-manifest.json', 'prerender-manifest.json', 'server/functions-config-manifest.json',
      'server/middleware-manifest.json', 'server/middleware-build-manifest.js', 'server/middleware-react-loadable-manifest.js', 'react-loadable-manifest.json',
      'server/app-paths-manifest.json', 'app-path-routes-manifest.json', 'app-build-manifest.json', 'server/server-reference-manifest.js',
      'server/server-reference-manifest.json', 'BUILD_ID', 'server/next-font-manifest.js', 'server/next-font-manifest.json'].map((file) => path.join(config.distDir, file)),
    ignore: ['node_modules/next/dist/compiled/@ampproject/toolbox-optimizer/**/*'],
  }
  writeJSON(path.join(distDir, 'required-server-files.json'), requiredServerFiles)
  console.log('   Collecting build traces ...')
  if (config.output === 'standalone') writeStandalone(dir, distDir, config, requiredServerFiles)
  if (config.output === 'export') writeExport(dir, distDir, routes)

  const symbol = { static: '\u25cb', isr: '\u25cb', 'static-route': '\u25cb', dynamic: '\u0192' }
  console.log('\nRoute (app)                                 Size  First Load JS')
  const rows = [...routes.map((route) => [route.route, route.kind]), ['/_not-found', 'static']].sort((a, b) => a[0].localeCompare(b[0]))
  rows.forEach(([route, kind], index) => {
    const lead = index === 0 ? '\u250c' : index === rows.length - 1 ? '\u2514' : '\u251c'
    console.log(`${lead} ${symbol[kind]} ${route.padEnd(36)}   142 B         102 kB${kind === 'isr' ? '   1s' : ''}`)
  })
  console.log('+ First Load JS shared by all             102 kB\n')
  console.log('\u25cb  (Static)   prerendered as static content')
  console.log('\u0192  (Dynamic)  server-rendered on demand\n')
}

module.exports = { build }
"""

NEXT_START_SERVER_JS = r"""'use strict'
const fs = require('fs')
const http = require('http')
const path = require('path')
const crypto = require('crypto')
const { renderPage, renderFlight } = require('../render')
const VERSION = require('../../../package.json').version

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'application/javascript; charset=utf-8',
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon', '.webp': 'image/webp', '.woff2': 'font/woff2' }
const NO_STORE = 'private, no-cache, no-store, max-age=0, must-revalidate'

async function startServer({ dir, hostname, port, config, keepAliveTimeout }) {
  const started = Date.now()
  const distDir = path.join(dir, config.distDir || '.next')
  const serverDir = path.join(distDir, 'server')
  const routes = JSON.parse(fs.readFileSync(path.join(distDir, 'routes-manifest.json'), 'utf8'))
  const prerender = JSON.parse(fs.readFileSync(path.join(distDir, 'prerender-manifest.json'), 'utf8'))
  const appPaths = JSON.parse(fs.readFileSync(path.join(serverDir, 'app-paths-manifest.json'), 'utf8'))
  const matchers = [...routes.staticRoutes, ...routes.dynamicRoutes].map((entry) => ({ ...entry, matcher: new RegExp(entry.namedRegex) }))
  const regenerating = new Set()
  const vary = routes.rsc.varyHeader + ', Accept-Encoding'

  function send(res, req, status, headers, body) {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body)
    if (config.poweredByHeader) headers['X-Powered-By'] = 'Next.js'
    res.writeHead(status, { ...headers, 'Content-Length': data.length })
    res.end(req.method === 'HEAD' ? undefined : data)
  }

  function file(res, req, location, cacheControl) {
    const body = fs.readFileSync(location)
    send(res, req, 200, { 'Content-Type': TYPES[path.extname(location)] || 'application/octet-stream', 'Cache-Control': cacheControl,
      ETag: '"' + crypto.createHash('sha1').update(body).digest('base64url') + '"' }, body)
  }

  function page(route) {
    const key = Object.keys(appPaths).find((candidate) => (candidate.replace(/\/(page|route)$/, '') || '/') === route.page)
    return key && { key, mod: require(path.join(serverDir, appPaths[key])), handler: key.endsWith('/route') }
  }

  // An ISR page past its revalidate time is made again in the background and written where it was read from (as
  // Next's file-system cache does, with isrFlushToDisk), its fetch data to .next/cache/fetch-cache.
  async function regenerate(pathname, name, target) {
    if (regenerating.has(pathname)) return
    regenerating.add(pathname)
    try {
      const html = await renderPage(distDir, target.key, target.mod, {}, config)
      const fetchCache = path.join(distDir, 'cache', 'fetch-cache')
      fs.mkdirSync(fetchCache, { recursive: true })
      fs.writeFileSync(path.join(fetchCache, crypto.createHash('sha256').update(pathname).digest('hex')),
        JSON.stringify({ kind: 'FETCH', data: { headers: {}, body: Buffer.from(html).toString('base64'), status: 200, url: pathname }, revalidate: target.mod.revalidate, tags: [] }))
      fs.writeFileSync(path.join(serverDir, 'app', name + '.html'), html)
      fs.writeFileSync(path.join(serverDir, 'app', name + '.rsc'), renderFlight(html))
    } catch (err) {
      console.error(` \u2a2f Failed to update prerender cache for ${pathname}`, err)
    } finally {
      regenerating.delete(pathname)
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://' + (req.headers.host || 'localhost'))
    let pathname = decodeURIComponent(url.pathname)
    if (config.basePath) {
      if (pathname !== config.basePath && !pathname.startsWith(config.basePath + '/')) return notFound(req, res)
      pathname = pathname.slice(config.basePath.length) || '/'
    }
    if (pathname.split('/').includes('..')) return notFound(req, res)
    if (pathname.length > 1 && pathname.endsWith('/')) {
      return send(res, req, 308, { Location: (config.basePath || '') + pathname.replace(/\/+$/, '') + url.search, Refresh: '0;url=' + pathname.replace(/\/+$/, '') }, pathname.replace(/\/+$/, ''))
    }
    if (pathname.startsWith('/_next/static/')) {
      const location = path.join(distDir, 'static', pathname.slice('/_next/static/'.length))
      return fs.existsSync(location) && fs.statSync(location).isFile() ? file(res, req, location, 'public, max-age=31536000, immutable') : notFound(req, res)
    }
    if (pathname === '/_next/image') {
      return send(res, req, 501, { 'Content-Type': 'text/plain' }, "This server does not optimize images (the fixture's next).")
    }
    const publicFile = path.join(dir, 'public', pathname)
    if (fs.existsSync(publicFile) && fs.statSync(publicFile).isFile()) return file(res, req, publicFile, 'public, max-age=0')
    const route = matchers.find((candidate) => candidate.matcher.test(pathname))
    const target = route && page(route)
    if (!target || route.page === '/_not-found') return notFound(req, res)
    if (target.handler) {
      const handler = target.mod[req.method]
      if (!handler) return send(res, req, 405, { Allow: Object.keys(target.mod).filter((name) => /^[A-Z]+$/.test(name)).join(', ') }, '')
      const chunks = []
      for await (const chunk of req) chunks.push(chunk)
      const request = new Request(url, { method: req.method, headers: req.headers, body: ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks) })
      const response = await handler(request, { params: Promise.resolve(route.matcher.exec(pathname).groups || {}) })
      const headers = Object.fromEntries(response.headers)
      headers['Cache-Control'] = headers['cache-control'] || NO_STORE
      delete headers['cache-control']
      return send(res, req, response.status, headers, Buffer.from(await response.arrayBuffer()))
    }
    const name = pathname === '/' ? 'index' : pathname.slice(1)
    const entry = prerender.routes[pathname]
    const rsc = req.headers['rsc'] === '1'
    const type = rsc ? 'text/x-component' : 'text/html; charset=utf-8'
    if (entry) {
      const location = path.join(serverDir, 'app', name + (rsc ? '.rsc' : '.html'))
      let cache = 'HIT'
      let cacheControl = 's-maxage=31536000'
      if (typeof entry.initialRevalidateSeconds === 'number') {
        cacheControl = `s-maxage=${entry.initialRevalidateSeconds}, stale-while-revalidate=${31536000 - entry.initialRevalidateSeconds}`
        if (Date.now() - fs.statSync(location).mtimeMs > entry.initialRevalidateSeconds * 1000) {
          cache = 'STALE'
          regenerate(pathname, name, target)
        }
      }
      return send(res, req, 200, { 'Content-Type': type, 'Cache-Control': cacheControl, 'x-nextjs-cache': cache, 'x-nextjs-prerender': '1',
        'x-nextjs-stale-time': '4294967294', Vary: vary }, fs.readFileSync(location))
    }
    const params = Object.fromEntries(Object.entries(route.matcher.exec(pathname).groups || {}).map(([key, value]) => [key.replace(/^nxtP/, ''), value]))
    const html = await renderPage(distDir, target.key, target.mod, params, config)
    return send(res, req, 200, { 'Content-Type': type, 'Cache-Control': NO_STORE, Vary: vary }, rsc ? renderFlight(html) : html)
  }

  function notFound(req, res) {
    send(res, req, 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': NO_STORE, Vary: vary },
      fs.readFileSync(path.join(serverDir, 'app', '_not-found.html')))
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error(err)
      if (!res.headersSent) send(res, req, 500, { 'Content-Type': 'text/html; charset=utf-8' }, fs.readFileSync(path.join(serverDir, 'pages', '500.html')))
      else res.end()
    })
  })
  if (keepAliveTimeout) server.keepAliveTimeout = keepAliveTimeout
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, resolve)
  })
  console.log(`   \u25b2 Next.js ${VERSION}\n   - Local:        http://localhost:${port}\n   - Network:      http://${hostname}:${port}\n\n \u2713 Starting...`)
  console.log(` \u2713 Ready in ${Date.now() - started}ms`)
  const stop = () => server.close(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  return server
}

module.exports = { startServer }
"""

# The app's own pages: CommonJS modules of app/, as the fixture's next takes them (a page exports `default`, a
# function of its params that returns its HTML; `revalidate` makes it ISR; a route exports its HTTP methods).
PAGES = {
    "app/globals.css": "body{font-family:system-ui,sans-serif;margin:0}main{padding:2rem}\n",
    "app/page.js": (
        "exports.metadata = { title: 'Next.js on amplify-local' }\n"
        "exports.default = function Home() {\n"
        "  return '<main><h1>Hello from Next.js</h1><p>Rendered by the App Router.</p>' +\n"
        "    '<img alt=\"A photo\" src=\"/_next/image?url=%2Fimages%2Fphoto.png&amp;w=640&amp;q=75\"/></main>'\n"
        "}\n"
    ),
    "app/about/page.js": "exports.default = () => '<main><h1>About</h1></main>'\n",
    "app/isr/page.js": (
        "exports.revalidate = 1\n"
        "exports.default = function Isr() {\n"
        "  return '<main><h1>Incremental</h1><p id=\"generated\">' + new Date().toISOString() + '</p></main>'\n"
        "}\n"
    ),
    "app/blog/[slug]/page.js": (
        "exports.default = async function Post({ params }) {\n"
        "  const { slug } = await params\n"
        "  return '<main><h1>Post ' + slug + '</h1><p>rendered at request time</p></main>'\n"
        "}\n"
    ),
    "app/api/hello/route.js": (
        "exports.dynamic = 'force-dynamic'\n"
        "exports.GET = async function GET(request) {\n"
        "  return Response.json({ hello: 'world', path: new URL(request.url).pathname, nodeEnv: process.env.NODE_ENV,\n"
        "    hostname: process.env.HOSTNAME || null, port: process.env.PORT || null, host: request.headers.get('host') })\n"
        "}\n"
        "exports.POST = async function POST(request) {\n"
        "  return Response.json({ received: await request.text() }, { status: 201 })\n"
        "}\n"
    ),
}

EXPORT_PAGES = {key: value for key, value in PAGES.items() if key in ("app/globals.css", "app/page.js", "app/about/page.js")}

NPMRC = "audit=false\nfund=false\nupdate-notifier=false\noffline=true\n"

SPEC = """version: 1
frontend:
  phases:
    preBuild:
      commands:
        - npm ci
    build:
      commands:
        - echo "NEXT_PRIVATE_STANDALONE=${{NEXT_PRIVATE_STANDALONE-unset}}"
        - npm run build
{extra}  artifacts:
    baseDirectory: {base}
    files:
      - '**/*'
"""

MONOREPO_SPEC = """version: 1
applications:
  - appRoot: apps/web
    frontend:
      phases:
        preBuild:
          commands:
            - (cd ../.. && npm ci)
        build:
          commands:
            - echo "NEXT_PRIVATE_STANDALONE=${{NEXT_PRIVATE_STANDALONE-unset}}"
            - npm run build
{extra}      artifacts:
        baseDirectory: .next
        files:
          - '**/*'
"""


def png(width, height):
    """A PNG of one colour, made with zlib only."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def next_package_files(prefix="vendor/next"):
    return {
        f"{prefix}/package.json": json.dumps(NEXT_PACKAGE, indent=2) + "\n",
        f"{prefix}/index.js": NEXT_INDEX_JS,
        f"{prefix}/dist/bin/next": NEXT_BIN,
        f"{prefix}/dist/build/index.js": NEXT_BUILD_JS,
        f"{prefix}/dist/server/config.js": NEXT_CONFIG_JS,
        f"{prefix}/dist/server/render.js": NEXT_RENDER_JS,
        f"{prefix}/dist/server/lib/start-server.js": NEXT_START_SERVER_JS,
    }


def lockfile(name, dependency, workspace=None):
    """package-lock.json as npm 10 writes it for a `file:` dependency on vendor/next (checked with npm 10.8)."""
    vendor = {"version": NEXT_VERSION, "bin": {"next": "dist/bin/next"}}
    if workspace is None:
        packages = {"": {"name": name, "version": "0.1.0", "dependencies": {"next": dependency}},
                    "node_modules/next": {"resolved": "vendor/next", "link": True}, "vendor/next": vendor}
    else:
        packages = {"": {"name": name, "workspaces": ["apps/*"]},
                    workspace: {"version": "0.1.0", "dependencies": {"next": dependency}},
                    "node_modules/next": {"resolved": "vendor/next", "link": True},
                    "node_modules/web": {"resolved": workspace, "link": True}, "vendor/next": vendor}
    return json.dumps({"name": name, **({"version": "0.1.0"} if workspace is None else {}), "lockfileVersion": 3, "requires": True,
                       "packages": packages}, indent=2) + "\n"


def app_files(next_config=None, export=False, monorepo=False, spec=True, base=".next", extra_build=()):
    """{path: text or bytes} of the repository. `next_config` is next.config.js's object (JSON); `export` makes an
    `output: 'export'` app; `extra_build` are commands after the build (the failure cases remove files); `spec`
    False leaves amplify.yml out (framework detection)."""
    config = dict(next_config or {})
    if export:
        config["output"] = "export"
    app = {
        "package.json": json.dumps({"name": "web", "version": "0.1.0", "private": True, "scripts": {"build": "next build", "start": "next start"},
                                    "dependencies": {"next": "file:../../vendor/next" if monorepo else "file:vendor/next"}}, indent=2) + "\n",
        "next.config.js": "/** @type {import('next').NextConfig} */\nconst nextConfig = " + json.dumps(config, indent=2) + "\n\nmodule.exports = nextConfig\n",
        **(EXPORT_PAGES if export else PAGES),
        "public/robots.txt": "User-agent: *\nAllow: /\n",
        "public/images/photo.png": png(1200, 800),
        "public/LICENSE": "Public files without a dot are served by the Next.js server.\n",
    }
    extra = "".join(f"{'            ' if monorepo else '        '}- {command}\n" for command in extra_build)
    files = {}
    if monorepo:
        files.update({f"apps/web/{path}": text for path, text in app.items()})
        files["package.json"] = json.dumps({"name": "monorepo", "private": True, "workspaces": ["apps/*"]}, indent=2) + "\n"
        files["package-lock.json"] = lockfile("monorepo", "file:../../vendor/next", workspace="apps/web")
        if spec:
            files["amplify.yml"] = MONOREPO_SPEC.format(extra=extra)
    else:
        files.update(app)
        files["package-lock.json"] = lockfile("web", "file:vendor/next")
        if spec:
            files["amplify.yml"] = SPEC.format(extra=extra, base=base)
    files[".npmrc"] = NPMRC
    files[".gitignore"] = "node_modules\n.next\nout\n"
    files.update(next_package_files())
    return files


def write_repo(folder, files, message="Next.js app"):
    """Writes `files` into `folder` (a git repository, made when missing) and commits them; returns the folder."""
    folder = str(folder)
    os.makedirs(folder, exist_ok=True)
    if not os.path.isdir(os.path.join(folder, ".git")):
        subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
    for path, content in files.items():
        target = os.path.join(folder, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(content if isinstance(content, bytes) else content.encode())
        if "/bin/" in path:
            os.chmod(target, 0o755)
    git = ["git", "-C", folder, "-c", "user.email=test@example.com", "-c", "user.name=Test"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True)
    return folder


def make_next_repo(folder, **options):
    """A git repository of a Next.js app (`app_files`' options) in `folder`; returns its path."""
    return write_repo(folder, app_files(**options))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("destination")
    parser.add_argument("--monorepo", action="store_true", help="the app in apps/web of an npm workspace")
    parser.add_argument("--export", action="store_true", help="output: 'export'")
    arguments = parser.parse_args()
    print(make_next_repo(arguments.destination, monorepo=arguments.monorepo, export=arguments.export))
