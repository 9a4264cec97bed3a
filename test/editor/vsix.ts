/**
 * `npm run test:vsix` (part of `npm test`): what a user installs must work, not only the development
 * tree. Packages this machine's VSIX exactly as `npm run package` does (scripts/package-vsix.js, which
 * checks its contents with scripts/vsix-contents.js and fails on a foreign binary, a missing model or a
 * shipped test), unpacks it and runs test/package/ against the unpacked extension's own CLI (its whisper
 * addon on emulated older CPUs and on a software Vulkan device), then installs it into code-server (the
 * real VS Code of the editor tests) and runs the smoke suite test/editor/installed/ against the installed
 * copy, with no development extension loaded.
 * Set EARSHOT_VSIX=<file> to test a VSIX built elsewhere instead of packaging one; `--package-only` stops after
 * test/package (the release workflow's check on runners without code-server).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { miniModel, REPO_ROOT } from '../setup';
import { unpackVsix } from '../support/vsix';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env }).on('error', reject).on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vsix-'));
  try {
    let vsix = process.env.EARSHOT_VSIX;
    if (!vsix) {
      vsix = path.join(work, 'earshot.vsix');
      const started = Date.now();
      const code = await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package-vsix.js'), '--out', vsix]);
      if (code !== 0) {
        console.error(`test:vsix: packaging failed (exit ${code})`);
        return code;
      }
      console.log(`test:vsix: packaged and checked in ${((Date.now() - started) / 1000).toFixed(1)} s (${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB)`);
    } else {
      const { checkVsix } = await import(path.join(REPO_ROOT, 'scripts', 'vsix-contents.js'));
      console.log(`test:vsix: ${vsix}: ${(await checkVsix(vsix)).summary}`);
    }
    const unpacked = path.join(work, 'unpacked');
    await unpackVsix(vsix, unpacked);
    const packageCode = await run(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', path.join(REPO_ROOT, '.mocharc.json'),
      path.join(REPO_ROOT, 'out', 'test', 'package', '*.test.js')], { ...process.env, EARSHOT_PACKAGE_DIR: path.join(unpacked, 'extension') });
    if (packageCode !== 0) {
      console.error(`test:vsix: the packaged addon failed its tests (exit ${packageCode})`);
      return packageCode;
    }
    if (process.argv.includes('--package-only')) return 0;
    const workspace = path.join(work, 'workspace');
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
      'earshot.model.path': miniModel(),
      'earshot.threads': 1,
    }, null, 2));
    return await run(process.execPath, [
      path.join(REPO_ROOT, 'test', 'editor', 'runner', 'run-in-code-server.js'),
      '--install-vsix', vsix,
      '--tests', path.join(REPO_ROOT, 'out', 'test', 'editor', 'installed', 'index.js'),
      '--workspace', workspace,
      '--shots', path.join(REPO_ROOT, 'test-results', 'screenshots-vsix'),
      '--timeout', '300',
    ]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
