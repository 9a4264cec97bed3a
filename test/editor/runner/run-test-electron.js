#!/usr/bin/env node
// Runs an extension's mocha suite through @vscode/test-electron's runTests(), the entry extension
// projects usually use. With VSCODE_EXECUTABLE=/path/to/code it drives that desktop VS Code;
// otherwise code-shim.js, which runs the suite in code-server (see run-in-code-server.js, and run
// scripts/e2e-setup.sh once). test-electron cannot download VS Code on these machines.
// Usage: node test/editor/runner/run-test-electron.js --extension <devPath> --tests <suite index>
//        [--workspace <folder>]
// Exit code 0 when every test passed. Variables set here reach the extension host (desktop and
// code-server alike); E2E_SHOT_URL / E2E_WEBVIEW_TEXT_URL exist only under code-server.
'use strict';
const path = require('path');

const E2E_DIR = path.resolve(process.env.E2E_DIR || path.join(__dirname, '../../../.e2e'));
// Prefer the copy e2e-setup.sh installs; fall back to a project dependency.
const { runTests } = require(require.resolve('@vscode/test-electron', { paths: [path.join(E2E_DIR, 'driver')] }));

const argv = process.argv.slice(2);
const option = name => { const i = argv.indexOf(`--${name}`); return i >= 0 ? path.resolve(argv[i + 1]) : undefined; };
const [extension, tests, workspace] = ['extension', 'tests', 'workspace'].map(option);
if (!extension || !tests) {
  console.error('usage: run-test-electron.js --extension <devPath> --tests <suite index> [--workspace <folder>]');
  process.exit(2);
}

const desktop = process.env.VSCODE_EXECUTABLE;
runTests({
  vscodeExecutablePath: desktop || path.join(__dirname, 'code-shim.js'),
  // $E2E_WITH_EXTENSIONS (folders joined by ':') load beside it: code-server installs them (the shim passes the
  // variable on), a desktop VS Code loads them as more development extensions.
  extensionDevelopmentPath: desktop && process.env.E2E_WITH_EXTENSIONS
    ? [extension, ...process.env.E2E_WITH_EXTENSIONS.split(path.delimiter).filter(Boolean)] : extension,
  extensionTestsPath: tests,
  // A desktop VS Code gets its own profile under $E2E_DIR/desktop (the shim ignores these flags and
  // isolates every run by itself).
  launchArgs: [...(workspace ? [workspace] : []), '--disable-extensions',
    `--user-data-dir=${path.join(E2E_DIR, 'desktop/user-data')}`, `--extensions-dir=${path.join(E2E_DIR, 'desktop/extensions')}`],
}).then(() => process.exit(0), err => {
  console.error(`run-test-electron: ${err && err.message || err}`);
  process.exit(err && typeof err.code === 'number' ? err.code : 1);
});
