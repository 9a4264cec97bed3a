/**
 * Entry point the extension host calls (`extensionTestsPath`), under @vscode/test-electron or
 * code-server alike: runs every *.test.js beside this file with mocha.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Runs every *.test.js in `dir` with mocha; rejects when one fails. */
export function runMochaIn(dir: string): Promise<void> {
  // EARSHOT_EDITOR_GREP runs only the tests whose titles match (while working on one).
  const grep = process.env.EARSHOT_EDITOR_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180_000, ...(grep ? { grep } : {}) });
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.test.js'))) mocha.addFile(path.join(dir, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} editor test(s) failed`)) : resolve()));
  });
}

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
