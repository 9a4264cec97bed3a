/**
 * `npm run test:editor`: prepares a workspace whose settings point Earshot at a generated whisper
 * model, starts a private headless PulseAudio server (a virtual microphone and speaker: the meeting
 * test plays speech into them), then runs the editor suite through @vscode/test-electron's runTests.
 * Here that drives code-server in headless chromium (test/editor/runner/); with VSCODE_EXECUTABLE set,
 * a desktop VS Code.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { miniModel, REPO_ROOT } from '../setup';
import { startPulse } from '../support/pulse';

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ws-'));
fs.mkdirSync(path.join(workspace, '.vscode'));
fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
  'earshot.model.path': miniModel(),
  'earshot.threads': 1,
}, null, 2));
fs.writeFileSync(path.join(workspace, 'README.md'), '# A workspace for Earshot editor tests\n');

async function main(): Promise<number> {
  const pulse = await startPulse();
  try {
    // The extension host, and the daemon it starts, record from this server; the suite plays into it.
    const env = { ...process.env, PULSE_SERVER: pulse.env.PULSE_SERVER, EARSHOT_TEST_PULSE_SERVER: pulse.env.PULSE_SERVER };
    const runner = spawn(process.execPath, [
      path.join(REPO_ROOT, 'test', 'editor', 'runner', 'run-test-electron.js'),
      '--extension', REPO_ROOT,
      '--tests', path.join(REPO_ROOT, 'out', 'test', 'editor', 'suite', 'index.js'),
      '--workspace', workspace,
    ], { stdio: 'inherit', env });
    const code = await new Promise<number | null>((resolve) => runner.on('close', resolve));
    const notes = path.join(workspace, '.earshot', 'notes');
    if (fs.existsSync(notes)) console.log(`notes written in the test workspace: ${fs.readdirSync(notes).join(', ')}`);
    return code ?? 1;
  } finally {
    await pulse.stop();
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
