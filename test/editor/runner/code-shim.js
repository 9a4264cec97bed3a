#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
// It takes the desktop command line test-electron builds (--extensionDevelopmentPath=…,
// --extensionTestsPath=…, an optional folder, flags it ignores) and runs the suite with
// run-in-code-server.js instead, exiting with its code. Environment passes through: runTests'
// extensionTestsEnv reaches the extension host. Used by run-test-electron.js; keep it executable.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const args = process.argv.slice(2);
const value = name => args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const folder = args.find(a => !a.startsWith('-'));

const runnerArgs = [path.join(__dirname, 'run-in-code-server.js'),
  '--extension', value('extensionDevelopmentPath'), '--tests', value('extensionTestsPath'),
  ...(folder ? ['--workspace', folder] : [])];
const runner = spawn(process.execPath, runnerArgs, { stdio: 'inherit' })
  .on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
// test-electron stops "VS Code" with SIGINT: pass it on so the runner can stop code-server.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => runner.kill(signal));
