/**
 * `npm run test:editor`: prepares a workspace whose settings point Earshot at a generated whisper
 * model, starts a private headless PulseAudio server (a virtual microphone and speaker: the meeting
 * test plays speech into them), then runs the editor suite through @vscode/test-electron's runTests.
 * Here that drives code-server in headless chromium (test/editor/runner/); with VSCODE_EXECUTABLE set,
 * a desktop VS Code.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NOTES_CATALOG } from '../../daemon/models/notesCatalog';
import { DICTATION_SENTENCE_TOKENS, MEETING_SENTENCE_TOKENS, miniModel, notesModel, REPO_ROOT, sayingModel } from '../setup';
import { startPulse } from '../support/pulse';
import { TestHttpsServer } from '../unit/https-server';

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ws-'));
fs.mkdirSync(path.join(workspace, '.vscode'));
fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({
  'earshot.model.path': miniModel(),
  'earshot.threads': 1,
}, null, 2));
fs.writeFileSync(path.join(workspace, 'README.md'), '# A workspace for Earshot editor tests\n');
// Code the meeting talks about ("Alice will fix auth.ts by Friday"): mentions link here.
fs.mkdirSync(path.join(workspace, 'src'));
fs.writeFileSync(path.join(workspace, 'src', 'auth.ts'), [
  'export interface Config {',
  '  issuer: string;',
  '}',
  '',
  'export function parseConfig(text: string): Config {',
  '  return JSON.parse(text) as Config;',
  '}',
  '',
].join('\n'));
fs.writeFileSync(path.join(workspace, 'src', 'scratch.md'), '');

/** Screenshots of every step: kept as CI artifacts (test-results/ is not committed). */
const SHOTS_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');
fs.rmSync(SHOTS_DIR, { recursive: true, force: true });
fs.mkdirSync(SHOTS_DIR, { recursive: true });

/**
 * The notes catalog as the editor sees it: every entry served by a local HTTPS server, its file the generated GGUF
 * (test/setup.ts notesModel()), so the first-meeting offer and the picker download a model for real (size- and
 * sha256-checked) from a catalog like the published one. The daemon trusts the server's certificate through
 * NODE_EXTRA_CA_CERTS (Node's own extra-CA variable; the downloader uses the default store).
 */
async function notesModelMirror(dir: string): Promise<{ server: TestHttpsServer; env: Record<string, string> }> {
  const server = new TestHttpsServer();
  await server.start();
  const body = fs.readFileSync(notesModel('ranked'));
  const sha256 = createHash('sha256').update(body).digest('hex');
  const entries = NOTES_CATALOG.map((m) => {
    server.routes.set(`/${m.id}.gguf`, { body });
    return { id: m.id, file: `${m.id}-generated.gguf`, bytes: body.length, sha256, url: server.url(`/${m.id}.gguf`) };
  });
  fs.writeFileSync(path.join(dir, 'notes-catalog.json'), JSON.stringify(entries));
  fs.writeFileSync(path.join(dir, 'mirror-ca.pem'), server.ca);
  return { server, env: { EARSHOT_NOTES_CATALOG: path.join(dir, 'notes-catalog.json'), NODE_EXTRA_CA_CERTS: path.join(dir, 'mirror-ca.pem') } };
}

async function main(): Promise<number> {
  const pulse = await startPulse();
  const mirror = await notesModelMirror(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notes-mirror-')));
  try {
    // The extension host, and the daemon it starts, record from this server; the suite plays into it.
    const env = {
      ...process.env, PULSE_SERVER: pulse.env.PULSE_SERVER, EARSHOT_TEST_PULSE_SERVER: pulse.env.PULSE_SERVER, E2E_SHOTS_DIR: SHOTS_DIR,
      // Whisper models whose real inference says a meeting request and a dictation (test/setup.ts sayingModel).
      EARSHOT_TEST_MEETING_MODEL: sayingModel('meeting', MEETING_SENTENCE_TOKENS),
      EARSHOT_TEST_DICTATION_MODEL: sayingModel('dictation', DICTATION_SENTENCE_TOKENS),
      // Installed beside Earshot: a chat model registered through VS Code's Language Model API (language-model.test.ts).
      E2E_WITH_EXTENSIONS: path.join(REPO_ROOT, 'test', 'editor', 'language-model'),
      ...mirror.env,
    };
    const runner = spawn(process.execPath, [
      path.join(REPO_ROOT, 'test', 'editor', 'runner', 'run-test-electron.js'),
      '--extension', REPO_ROOT,
      '--tests', path.join(REPO_ROOT, 'out', 'test', 'editor', 'suite', 'index.js'),
      '--workspace', workspace,
    ], { stdio: 'inherit', env });
    const code = await new Promise<number | null>((resolve) => runner.on('close', resolve));
    const notes = path.join(workspace, '.earshot', 'notes');
    if (fs.existsSync(notes)) console.log(`notes written in the test workspace: ${fs.readdirSync(notes).join(', ')}`);
    const shots = fs.readdirSync(SHOTS_DIR);
    console.log(`${shots.length} screenshots (CI artifacts) in ${path.relative(REPO_ROOT, SHOTS_DIR)}/: ${shots.join(', ')}`);
    return code ?? 1;
  } finally {
    await mirror.server.stop();
    await pulse.stop();
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
