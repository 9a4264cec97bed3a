#!/usr/bin/env node
// Runs an extension's mocha suite (the module whose run() @vscode/test-electron would call) inside
// the real extension host of code-server (VS Code 1.139 as a server), with its workbench open in
// headless Debian chromium, and exits with the extension host's exit code (0 = all tests passed).
//
// Setup once: scripts/e2e-setup.sh (installs into $E2E_DIR, default <repo>/.e2e).
// Usage:
//   node test/editor/runner/run-in-code-server.js --extension <devPath> --tests <suite index>
//        [--workspace <folder>] [--shots <dir>] [--env KEY=VAL]... [--install-vsix <file>]
//        [--with-extension <folder>]... [--timeout <s>]
//   --workspace     folder opened in the workbench (default: an empty folder in the run dir)
//   --shots         where screenshots go (default: <run dir>/shots)
//   --env           extra environment for the extension host (repeatable)
//   --install-vsix  install a packaged extension first; leave --extension out to test that build
//                   (an --extension with the same id would take its place)
//   --with-extension  an unpacked extension folder installed beside the one under test (repeatable),
//                   e.g. test/editor/language-model, a chat model for the Language Model API; also
//                   from $E2E_WITH_EXTENSIONS (folders joined by ':'), which reaches here through the shim
//   --timeout       overall limit in seconds (default 600); on expiry: shots/timeout.png, exit 124
// Exit codes: the extension host's code; 124 timeout; 2 the harness itself failed.
//
// Each run gets a fresh folder $E2E_DIR/runs/run-XXXXXX (the newest 5 are kept) with an isolated
// HOME/XDG/TMPDIR, code-server's user data (logs/ holds the extension host logs), code-server.log.
//
// The extension host sees these variables, which tests fetch from inside it:
//   E2E_SHOT_URL          GET ?name=x[&selector=.part.sidebar]: saves x.png (whole page, or the first
//                         element matching the CSS selector) in the shots dir; answers its path.
//   E2E_WEBVIEW_TEXT_URL  GET [?contains=text][&matches=regexp[&flags=f]][&timeout=ms]: the innerText of every
//                         webview (views and panels), joined by newlines. With contains (and/or matches, a
//                         JavaScript regular expression) it waits (default 10000 ms) until the text includes
//                         it (and matches): 200 when it does, 404 (body = text) if not.
//   E2E_WEBVIEW_URL       the base of hooks into one webview, picked by ?marker=<CSS selector> that only
//                         its document matches (e.g. #transcript):
//                         /eval?marker=…&expr=<JS expression>: its JSON value in that webview's frame;
//                         /press?marker=…&selector=…&key=Enter: focuses the element and presses a key
//                         (a real keyboard event from the browser, for keyboard-only tests).
// A shot answers JSON {path, width, height, colors, stddev}: distinct colours (capped) and the luminance
// standard deviation, measured by the browser from the PNG, so a test can prove it is not blank.
// Shots go to --shots, else $E2E_SHOTS_DIR, else <run dir>/shots.
// e.g. await fetch(`${process.env.E2E_SHOT_URL}?name=panel&selector=${encodeURIComponent('.part.sidebar')}`)
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const util = require('util');

const E2E_DIR = path.resolve(process.env.E2E_DIR || path.join(__dirname, '../../../.e2e'));
const NODE24 = path.join(E2E_DIR, 'node24/node_modules/node/node_modules',
  `node-${process.platform}-${process.arch}`, 'bin/node');
const CODE_SERVER = path.join(E2E_DIR, 'code-server/node_modules/code-server/out/node/entry.js');
const PLAYWRIGHT = path.join(E2E_DIR, 'driver/node_modules/playwright-core');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RUNS_KEPT = 5;

// Workbench console lines that say nothing about the extension under test (E2E_VERBOSE=1 shows all).
const NOISE = /^\[(ChatModelSelection|AgentHost|AccountPolicyGate|Service Worker|reconnection-grace-time)|^(Resolving|Resolved|Creating a socket|Updating additional)|ERR_NAME_NOT_RESOLVED|open-vsx|Failed to load resource|same-origin|^WARN Creation of workbench contribution/;

const sleep = ms => new Promise(r => setTimeout(r, ms));
const log = (...a) => console.log('[runner]', ...a);
const fail = (msg, code = 2) => { console.error(`[runner] ${msg}`); process.exit(code); };

function parseArgs(argv) {
  const opts = { env: {}, timeoutS: 600,
    withExtensions: (process.env.E2E_WITH_EXTENSIONS || '').split(path.delimiter).filter(Boolean).map(e => path.resolve(e)) };
  const flags = { '--extension': 'extension', '--tests': 'tests', '--workspace': 'workspace',
    '--shots': 'shots', '--install-vsix': 'vsix' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--with-extension') opts.withExtensions.push(path.resolve(value));
    else if (flags[flag]) opts[flags[flag]] = path.resolve(value);
    else if (flag === '--timeout') opts.timeoutS = Number(value);
    else if (flag === '--env' && value.indexOf('=') > 0) {
      opts.env[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
    } else fail(`unknown or malformed option ${flag} ${value}`);
  }
  if (!(opts.timeoutS > 0)) fail('--timeout needs a number of seconds');
  if (!opts.tests || !(opts.extension || opts.vsix)) {
    fail('usage: run-in-code-server.js --extension <devPath> --tests <suite index> [--workspace <dir>] ' +
      '[--shots <dir>] [--env KEY=VAL]... [--install-vsix <file>] [--with-extension <folder>]... [--timeout <s>]');
  }
  return opts;
}

// A fresh run folder; older ones beyond RUNS_KEPT are deleted.
function makeRunDir() {
  const runs = path.join(E2E_DIR, 'runs');
  fs.mkdirSync(runs, { recursive: true });
  const old = fs.readdirSync(runs).map(n => path.join(runs, n))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  for (const dir of old.slice(0, Math.max(0, old.length - RUNS_KEPT + 1))) fs.rmSync(dir, { recursive: true, force: true });
  return fs.mkdtempSync(path.join(runs, 'run-'));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Environment for code-server, the extension host it forks and chromium: own HOME/XDG/TMPDIR, Node 24
// first on PATH. VSCODE_* variables are dropped: inside a VS Code terminal VSCODE_IPC_HOOK_CLI would
// make code-server hand the folder to that editor instead of starting a server.
function isolatedEnv(runDir, extra) {
  const home = path.join(runDir, 'home');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VSCODE_')));
  Object.assign(env, extra, {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(runDir, 'tmp'),
    PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
  });
  for (const dir of [env.XDG_CONFIG_HOME, env.XDG_DATA_HOME, env.XDG_CACHE_HOME, env.TMPDIR]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  return env;
}

// User settings that keep the workbench quiet and screenshots uncluttered.
function writeSettings(userDataDir) {
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
  }, null, 2));
}

// Tests only run in an extension development host. With a VSIX and no --extension, an empty stub
// extension takes that role, so the suite exercises the installed build rather than the sources.
function stubExtension(runDir) {
  const dir = path.join(runDir, 'test-host');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'e2e-test-host', publisher: 'e2e', version: '0.0.0', engines: { vscode: '*' } }));
  return dir;
}

// An unpacked extension copied into the extensions folder as <publisher>.<name>-<version>: the scan at start finds it.
function installFolder(extensionsDir, folder) {
  const { publisher, name, version } = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
  fs.cpSync(folder, path.join(extensionsDir, `${publisher}.${name}-${version}`), { recursive: true });
  log(`installed ${folder}`);
}

async function startCodeServer(runDir, env, vsix, withExtensions) {
  const common = ['--config', path.join(runDir, 'config.yaml'), '--user-data-dir', path.join(runDir, 'user-data'),
    '--extensions-dir', path.join(runDir, 'extensions')];
  writeSettings(path.join(runDir, 'user-data'));
  for (const folder of withExtensions) installFolder(path.join(runDir, 'extensions'), folder);
  const logFile = path.join(runDir, 'code-server.log');
  const out = fs.openSync(logFile, 'w');
  if (vsix) {
    try {
      execFileSync(NODE24, [CODE_SERVER, ...common, '--install-extension', vsix], { env, stdio: ['ignore', out, out] });
    } catch {
      fail(`installing ${vsix} failed, see ${logFile}`);
    }
    log(`installed ${vsix}`);
  }
  const port = await freePort();
  const server = spawn(NODE24, [CODE_SERVER, ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--vscode-option', 'enable-smoke-test-driver'],
  { env, detached: true, stdio: ['ignore', out, out] }); // detached = setsid: own process group
  process.on('exit', () => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ } });
  server.on('exit', (code, signal) => fail(`code-server exited (${code ?? signal}), see ${logFile}`));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (await fetch(`${base}/healthz`).then(r => r.ok, () => false)) return base;
    await sleep(200);
  }
  fail(`code-server did not come up, see ${logFile}`);
}

// Text of every webview: each is an iframe.webview whose #active-frame holds the extension's HTML.
// The document frame inside a webview's outer iframe (VS Code nests it as #active-frame).
async function activeFrame(outer) {
  const inner = await (await outer.contentFrame())?.$('#active-frame');
  return inner && await inner.contentFrame();
}

async function webviewText(page) {
  const texts = [];
  for (const outer of await page.$$('iframe.webview.ready')) {
    // A webview being replaced (shown for the first time, reloaded) detaches its frames under us: it has no text yet.
    const frame = await activeFrame(outer).catch(() => null);
    if (frame) texts.push(await frame.evaluate(() => document.body.innerText).catch(() => ''));
  }
  return texts.join('\n');
}

// The frame of the first webview whose document has an element matching `marker`; waits up to timeoutMs.
async function webviewFrame(page, marker, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  do {
    for (const outer of await page.$$('iframe.webview.ready')) {
      const frame = await activeFrame(outer).catch(() => null);
      if (frame && await frame.$(marker).catch(() => null)) return frame;
    }
    await sleep(250);
  } while (Date.now() < deadline);
  return null;
}

// Distinct colours (sampled, capped at 4096) and luminance spread of a PNG, decoded by the browser.
async function imageStats(page, png) {
  return page.evaluate(async (dataUrl) => {
    const image = new Image();
    image.src = dataUrl;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    const colors = new Set();
    let sum = 0, sumSq = 0, n = 0;
    for (let i = 0; i < data.length; i += 4 * 7) { // every 7th pixel is plenty
      const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      sum += y; sumSq += y * y; n++;
      if (colors.size < 4096) colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    const mean = sum / n;
    return { width: image.width, height: image.height, colors: colors.size, stddev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
  }, `data:image/png;base64,${png.toString('base64')}`);
}

// The endpoints behind E2E_SHOT_URL, E2E_WEBVIEW_TEXT_URL and E2E_WEBVIEW_URL.
function serveHooks(page, shotsDir) {
  const routes = {
    async '/shot'(q) {
      const file = path.join(shotsDir, `${(q.get('name') || 'shot').replace(/[^\w.-]/g, '_')}.png`);
      const selector = q.get('selector');
      const png = await (selector ? page.locator(selector).first() : page).screenshot({ path: file });
      log(`screenshot ${file}`);
      return [200, JSON.stringify({ path: file, ...await imageStats(page, png) })];
    },
    async '/eval'(q) {
      const frame = await webviewFrame(page, q.get('marker'), Number(q.get('timeout') || 10000));
      if (!frame) return [404, `no webview matches ${q.get('marker')}`];
      const value = await frame.evaluate(q.get('expr'));
      return [200, JSON.stringify(value === undefined ? null : value)];
    },
    async '/press'(q) {
      const frame = await webviewFrame(page, q.get('marker'), Number(q.get('timeout') || 10000));
      if (!frame) return [404, `no webview matches ${q.get('marker')}`];
      await frame.locator(q.get('selector')).first().press(q.get('key'));
      return [200, 'ok'];
    },
    async '/webview-text'(q) {
      const want = q.get('contains');
      const pattern = q.get('matches') === null ? undefined : new RegExp(q.get('matches'), q.get('flags') ?? '');
      const shows = (text) => (!want || text.includes(want)) && (!pattern || pattern.test(text));
      const deadline = Date.now() + Number(q.get('timeout') || 10000);
      let text = await webviewText(page);
      while (!shows(text) && Date.now() < deadline) {
        await sleep(250);
        text = await webviewText(page);
      }
      return [shows(text) ? 200 : 404, text];
    },
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    try {
      const [status, body] = routes[url.pathname] ? await routes[url.pathname](url.searchParams) : [404, 'no such hook'];
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    } catch (e) {
      res.writeHead(500).end(String(e && e.message || e));
    }
  });
  return new Promise(r => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${server.address().port}`)));
}

// One console message as one line. VS Code's logger writes console.log('%c INFO', css, message, ...args),
// and the message may itself be a format (mocha's '%s%s'): drop the styling and the INFO label.
function consoleLine(args) {
  if (typeof args[0] !== 'string' || !args[0].includes('%c')) return util.format(...args);
  let next = 1;
  const kept = [];
  const format = args[0].replace(/%[sdifoOjc%]/g, d => {
    if (d === '%c') { next++; return ''; }
    if (d !== '%%') kept.push(args[next++]);
    return d;
  });
  const label = util.format(format, ...kept).trim();
  const rest = args.slice(next);
  return (label === 'INFO' ? '' : `${label} `) + (rest.length ? util.format(...rest) : '');
}

// Prints the workbench console (which carries the extension host's) in order; returns a function
// whose promise settles once everything received so far is printed.
function forwardConsole(page) {
  let printed = Promise.resolve();
  page.on('console', msg => {
    // Error objects serialise to {}: take their stack instead.
    const args = Promise.all(msg.args().map(a => a.evaluate(v => (v instanceof Error ? v.stack : v))
      .catch(() => a.toString())));
    printed = printed.then(() => args).then(values => {
      const line = consoleLine(values.length ? values : [msg.text()]);
      if (process.env.E2E_VERBOSE || !NOISE.test(line)) console.log(line);
    }, () => {});
  });
  page.on('pageerror', e => console.log('[workbench error]', e.message));
  return () => printed;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const need of [NODE24, CODE_SERVER, PLAYWRIGHT]) {
    if (!fs.existsSync(need)) fail(`missing ${need}: run scripts/e2e-setup.sh first`);
  }
  const t0 = Date.now();
  const runDir = makeRunDir();
  const shotsDir = opts.shots || process.env.E2E_SHOTS_DIR || path.join(runDir, 'shots');
  const workspace = opts.workspace || path.join(runDir, 'workspace');
  fs.mkdirSync(shotsDir, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  const env = isolatedEnv(runDir, opts.env);
  process.env.TMPDIR = env.TMPDIR; // chromium's profile goes to os.tmpdir()
  log(`run dir ${runDir}`);
  let page;
  setTimeout(async () => {
    const shot = path.join(shotsDir, 'timeout.png');
    if (page && await page.screenshot({ path: shot }).then(() => true, () => false)) log(`screenshot ${shot}`);
    fail(`no result from the extension host after ${opts.timeoutS} s`, 124);
  }, opts.timeoutS * 1000);

  const base = await startCodeServer(runDir, env, opts.vsix, opts.withExtensions);
  const { chromium } = require(PLAYWRIGHT);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, env,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('crash', () => fail('the workbench page crashed'));
  const consoleFlushed = forwardConsole(page);
  // The workbench calls window.codeAutomationExit(code) when the extension host's tests finish.
  let exited;
  const exitCode = new Promise(resolve => { exited = resolve; });
  await page.exposeFunction('codeAutomationExit', code => exited(code));
  const hooks = await serveHooks(page, shotsDir);

  const remote = p => `vscode-remote://${new URL(base).host}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(opts.extension || stubExtension(runDir))],
    ['extensionTestsPath', remote(opts.tests)],
    ['extensionEnvironment', JSON.stringify({ ...opts.env,
      E2E_SHOT_URL: `${hooks}/shot`, E2E_WEBVIEW_TEXT_URL: `${hooks}/webview-text`, E2E_WEBVIEW_URL: hooks })],
    ['skipWelcome', 'true'],
  ];
  await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);

  const code = await exitCode;
  await consoleFlushed();
  log(`extension host exited with code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s; run dir ${runDir}`);
  await browser.close();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));
main().catch(e => fail(`failed: ${e && e.stack || e}`));
