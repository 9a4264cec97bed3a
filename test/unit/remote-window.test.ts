/**
 * Remote windows (WSL, SSH, containers, Codespaces) with the vscode stub: Earshot runs on the user's side
 * (package.json extensionKind: manifest.test.ts), the daemon writes the notes locally and the mirror copies them into the remote
 * workspace through a fake of vscode.workspace.fs, keeping what the user writes there; the panel says which machine
 * listens. The daemon's writes are the real ones (writeNotesFile over renderNotes), so My notes round-trip as they do.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vscodeStub } from './vscode-stub';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { writeNotesFile } from '../../daemon/documents/notesFile';
import { MY_NOTES_END, MY_NOTES_START, parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { EarshotSettings } from '../../extension/settings/settings';
import { MirrorFileSystem, NotesMirror, notesUri, setActiveMirror } from '../../extension/remote/remoteNotes';
import { listeningPlace, placeFacts } from '../../extension/remote/listeningPlace';

type Uri = { scheme: string; fsPath: string; toString(): string };
const Uri = vscodeStub.Uri as unknown as { file(p: string): Uri; parse(s: string): Uri };
const stub = vscodeStub as unknown as { workspace: Record<string, unknown>; env: { remoteName: string | undefined; uiKind: number } };

/** vscode.workspace.fs on the remote side: files by URI; `failWrites` makes writes throw as a lost connection does. */
class FakeRemoteFs {
  readonly files = new Map<string, string>();
  writes = 0;
  failWrites: Error | undefined;
  async readFile(uri: Uri): Promise<Uint8Array> {
    const text = this.files.get(uri.toString());
    if (text === undefined) throw Object.assign(new Error(`${uri.toString()} not found`), { code: 'FileNotFound' });
    return new TextEncoder().encode(text);
  }
  async writeFile(uri: Uri, content: Uint8Array): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.writes++;
    this.files.set(uri.toString(), new TextDecoder().decode(content));
  }
}

const header = {
  type: 'session' as const, version: 1, sessionId: 's-r1', title: 'Review', startedAt: '2025-03-05T09:00:00.000Z',
  sources: ['mic' as const], language: 'en', notesPath: '',
};
/** The session's journal after `n` lines. */
function journal(n: number): JournalContents {
  const lines: JournalRecord[] = Array.from({ length: n }, (_, i) => ({
    type: 'segment', segmentId: `m-${i + 1}`, source: 'mic', speaker: 'You', t0: i * 5, t1: i * 5 + 2, text: `Line number ${i + 1} of the review.`,
  }));
  return { header, records: [header, ...lines], tornTail: false };
}

/** What a user does in their editor on the remote side: writes into My notes. */
function typeIntoMyNotes(file: string, text: string): string {
  const from = file.indexOf('\n', file.indexOf(MY_NOTES_START)) + 1;
  return file.slice(0, from) + text + file.slice(file.indexOf(MY_NOTES_END));
}

const USER_TEXT = 'Ask Ana about the rollout — café ☕\n';
const REMOTE_FOLDER = 'vscode-remote://wsl+ubuntu/home/me/shop';

describe('remote windows: Earshot on the user\'s side, notes in the remote workspace', () => {
  let storage: string;
  let context: { globalStorageUri: { fsPath: string } };
  const saved = { folders: stub.workspace.workspaceFolders, trusted: stub.workspace.isTrusted, config: stub.workspace.getConfiguration, remoteName: stub.env.remoteName };

  beforeEach(() => {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-remote-'));
    context = { globalStorageUri: { fsPath: storage } };
    stub.workspace.isTrusted = true;
    stub.workspace.getConfiguration = () => ({ get: (_key: string, fallback?: unknown) => fallback });
  });
  afterEach(() => {
    Object.assign(stub.workspace, { workspaceFolders: saved.folders, isTrusted: saved.trusted, getConfiguration: saved.config });
    stub.env.remoteName = saved.remoteName;
    setActiveMirror(undefined);
    fs.rmSync(storage, { recursive: true, force: true });
  });

  /** A mirror as the extension wires it, over the fake remote file system; the daemon's rewrite renders `lines()` lines. */
  function setUp(lines: () => number) {
    const remoteFs = new FakeRemoteFs();
    const problems: string[] = [];
    const rewrites: string[] = [];
    const settings = () => EarshotSettings.read();
    const notesPath = path.join(settings().notesDir(context as never), '2025-03-05-0900-review.md');
    /** The daemon's write: rendered over the local file as it is now, then earshot/notesWritten. */
    const daemonWrite = async (n = lines()) => {
      await writeNotesFile(notesPath, (previous) => renderNotes({ ...journal(n), header: { ...header, notesPath } }, previous));
      return mirror.written({ sessionId: 's-r1', notesPath });
    };
    const mirror: NotesMirror = new NotesMirror({
      target: () => settings().remoteNotes(context as never),
      fs: remoteFs as unknown as MirrorFileSystem,
      rewrite: async (sessionId) => {
        rewrites.push(sessionId);
        // earshot/notes/rewrite: the daemon renders over the local copy and says so (the notification is not awaited).
        await writeNotesFile(notesPath, (previous) => renderNotes({ ...journal(lines()), header: { ...header, notesPath } }, previous));
        void mirror.written({ sessionId, notesPath });
      },
      problem: (message) => problems.push(message),
      log: { info: () => undefined, warn: () => undefined },
    });
    setActiveMirror(mirror);
    return { remoteFs, problems, rewrites, notesPath, daemonWrite, mirror };
  }

  describe('a remote workspace folder (vscode-remote://…)', () => {
    beforeEach(() => {
      stub.workspace.workspaceFolders = [{ uri: Uri.parse(REMOTE_FOLDER) }];
      stub.env.remoteName = 'wsl';
    });
    const REMOTE_NOTES = `${REMOTE_FOLDER}/.earshot/notes/2025-03-05-0900-review.md`;

    it('the daemon writes a local copy in global storage, and the remote copy follows each write', async () => {
      let n = 1;
      const { remoteFs, notesPath, daemonWrite } = setUp(() => n);
      assert.ok(notesPath.startsWith(path.join(storage, 'remote-notes') + path.sep), notesPath);
      assert.match(notesPath, /wsl_ubuntu-shop-[0-9a-f]{12}/, 'the folder is named after the remote and the workspace');
      for (n = 1; n <= 3; n++) {
        await daemonWrite();
        assert.equal(remoteFs.files.get(REMOTE_NOTES), fs.readFileSync(notesPath, 'utf8'), `after write ${n}`);
        assert.ok(remoteFs.files.get(REMOTE_NOTES)!.includes(`Line number ${n} of`));
      }
      assert.equal((await notesUri(notesPath)).toString(), REMOTE_NOTES, 'links and commands open the remote copy');
    });

    it('My notes written and saved on the remote side come back, and the next write keeps them', async () => {
      let n = 1;
      const { remoteFs, notesPath, daemonWrite, mirror, rewrites } = setUp(() => n);
      await daemonWrite();
      remoteFs.files.set(REMOTE_NOTES, typeIntoMyNotes(remoteFs.files.get(REMOTE_NOTES)!, USER_TEXT));
      await mirror.remoteChanged(Uri.parse(REMOTE_NOTES) as never); // the save (or the watcher)
      assert.equal(parsePreviousNotes(fs.readFileSync(notesPath, 'utf8')).myNotes, USER_TEXT, 'the local copy has the user\'s text');
      n = 2;
      await daemonWrite();
      const remote = remoteFs.files.get(REMOTE_NOTES)!;
      assert.equal(parsePreviousNotes(remote).myNotes, USER_TEXT);
      assert.ok(remote.includes('Line number 2 of'), 'and the new line');
      assert.deepEqual(rewrites, [], 'nothing to render again: the daemon saw the user\'s text');
    });

    it('a remote save the daemon had not seen is rendered over again, never overwritten', async () => {
      let n = 1;
      const { remoteFs, notesPath, daemonWrite, mirror, rewrites } = setUp(() => n);
      await daemonWrite();
      // Saved on the remote side, and the daemon writes before any save event arrives.
      remoteFs.files.set(REMOTE_NOTES, typeIntoMyNotes(remoteFs.files.get(REMOTE_NOTES)!, USER_TEXT));
      n = 2;
      await daemonWrite();
      await mirror.settled(notesPath);
      assert.deepEqual(rewrites, ['s-r1'], 'the daemon was asked to render over the user\'s text');
      const remote = remoteFs.files.get(REMOTE_NOTES)!;
      assert.equal(parsePreviousNotes(remote).myNotes, USER_TEXT, 'the user\'s text is kept');
      assert.ok(remote.includes('Line number 2 of'), 'and the line the first render had');
      assert.equal(remote, fs.readFileSync(notesPath, 'utf8'), 'both copies agree again');
    });

    it('a remote copy that cannot be written: said once, with where the notes are kept; copied at the next write', async () => {
      let n = 1;
      const { remoteFs, notesPath, daemonWrite, problems } = setUp(() => n);
      await daemonWrite();
      remoteFs.failWrites = new Error('the connection to the remote is lost');
      n = 2;
      await daemonWrite();
      n = 3;
      await daemonWrite();
      assert.equal(problems.length, 1, 'one message per failure, not one per write');
      assert.ok(problems[0].includes(REMOTE_NOTES) && problems[0].includes(notesPath) && problems[0].includes('connection to the remote is lost'), problems[0]);
      assert.ok(fs.readFileSync(notesPath, 'utf8').includes('Line number 3 of'), 'the local copy has everything');
      assert.ok(!remoteFs.files.get(REMOTE_NOTES)!.includes('Line number 2 of'));
      assert.equal((await notesUri(notesPath)).scheme, 'file', 'meanwhile the local copy is the one opened');
      remoteFs.failWrites = undefined;
      n = 4;
      await daemonWrite();
      assert.equal(remoteFs.files.get(REMOTE_NOTES), fs.readFileSync(notesPath, 'utf8'));
      assert.equal((await notesUri(notesPath)).toString(), REMOTE_NOTES);
    });

    it('a remote name that is not one plain file name here maps to no local file (Windows path rules: review 2, S3)', () => {
      // A Windows client's extension host joins with path.win32, which splits on `\` too: a Linux name such as
      // `..\..\settings.json` (one legal file name there, %5C in its URI) would climb out of the local copy.
      const localDir = 'C:\\Users\\dana\\AppData\\Roaming\\Code\\User\\globalStorage\\earshot\\remote-notes\\wsl-repo\\notes';
      const remoteDir = 'vscode-remote://wsl+ubuntu/home/dana/repo/notes';
      const mirror = new NotesMirror({
        target: () => ({ localDir, localFolder: path.win32.dirname(localDir), remoteDir: Uri.parse(remoteDir) as never }), fs: new FakeRemoteFs() as unknown as MirrorFileSystem,
        rewrite: async () => undefined, problem: () => undefined, log: { info: () => undefined, warn: () => undefined }, paths: path.win32,
      });
      const local = (name: string) => mirror.localPath(Uri.parse(`${remoteDir}/${name}`) as never);
      assert.equal(local('2025-03-05-0900-review.md'), `${localDir}\\2025-03-05-0900-review.md`, 'a notes file maps into the local copy');
      for (const name of ['..%5C..%5C..%5C..%5C..%5Csettings.json', 'sub%5C..%5C..%5Cx.md', 'C%3A%5CUsers%5Cdana%5Cx.md', 'C%3Ax.md',
        'review.md%3Astream', 'a%00.md', 'a%2F..%2F..%2Fx.md', 'x.md.', 'x.md%20', '..', '.', 'a//b.md', '%E0%A4%A']) {
        assert.equal(local(name), undefined, `${name} is refused`);
      }
      // The same mapping back: remoteUri refuses a local path above the copy.
      assert.equal(mirror.remoteUri(`${localDir}\\..\\..\\settings.json`), undefined);
      assert.equal(mirror.remoteUri(`${localDir}\\2025-03-05-0900-review.md`)?.toString(), `${remoteDir}/2025-03-05-0900-review.md`);
    });

    it('a remote save reaches only a notes file the mirror knows, never another local file of that name', async () => {
      const { remoteFs, notesPath, mirror, rewrites } = setUp(() => 1);
      // A file in the local copy's folder that the daemon did not write in this window (left by someone, or a name
      // the remote side chose): the remote text must not replace it.
      const other = path.join(path.dirname(notesPath), 'someone-else.md');
      fs.mkdirSync(path.dirname(other), { recursive: true });
      fs.writeFileSync(other, 'local text\n');
      const otherRemote = `${REMOTE_FOLDER}/.earshot/notes/someone-else.md`;
      remoteFs.files.set(otherRemote, 'remote text\n');
      assert.equal(mirror.localPath(Uri.parse(otherRemote) as never), other, 'the name itself maps inside the local copy');
      await mirror.remoteChanged(Uri.parse(otherRemote) as never);
      assert.equal(fs.readFileSync(other, 'utf8'), 'local text\n', 'the local file is untouched');
      assert.deepEqual(rewrites, []);
    });

    it('an untrusted remote workspace or an absolute notes folder: notes stay on this computer, nothing is copied', () => {
      stub.workspace.isTrusted = false;
      assert.equal(EarshotSettings.read().remoteNotes(context as never), undefined);
      assert.equal(EarshotSettings.read().notesDir(context as never), path.join(storage, 'notes'));
      stub.workspace.isTrusted = true;
      stub.workspace.getConfiguration = () => ({ get: (key: string, fallback?: unknown) => (key === 'notes.folder' ? '/home/me/meeting-notes' : fallback) });
      assert.equal(EarshotSettings.read().remoteNotes(context as never), undefined);
      assert.equal(EarshotSettings.read().notesDir(context as never), '/home/me/meeting-notes');
    });
  });

  it('a file: workspace behaves as before: notes in the workspace, written by the daemon, nothing copied', async () => {
    stub.workspace.workspaceFolders = [{ uri: Uri.file('/home/me/shop') }];
    const { remoteFs, notesPath, mirror } = setUp(() => 1);
    assert.equal(path.dirname(notesPath), path.join('/home/me/shop', '.earshot', 'notes'));
    assert.equal(EarshotSettings.read().remoteNotes(context as never), undefined);
    await mirror.written({ sessionId: 's-r1', notesPath });
    assert.equal(remoteFs.writes, 0);
    assert.equal((await notesUri(notesPath)).toString(), Uri.file(notesPath).toString());
  });

  describe('which machine listens (the panel\'s #place)', () => {
    it('this computer, with its name; in a remote window, where the notes go', () => {
      assert.deepEqual(listeningPlace({ remoteName: undefined, kind: 'ui', web: false, hostname: 'ana-laptop' }), { text: 'Listening on this computer (ana-laptop)', warning: null });
      assert.deepEqual(listeningPlace({ remoteName: 'ssh-remote', kind: 'ui', web: false, hostname: 'ana-laptop' }),
        { text: 'Listening on this computer (ana-laptop); notes go to the SSH workspace', warning: null });
    });

    it('on the remote side (forced, or a Codespace in the browser): says plainly it is not the user\'s microphone', () => {
      const forced = listeningPlace({ remoteName: 'wsl', kind: 'workspace', web: false, hostname: 'buildbox' });
      assert.equal(forced.text, 'Listening on the WSL machine (buildbox)');
      assert.match(forced.warning ?? '', /not your microphone or your calls[\s\S]*remote\.extensionKind/);
      const browser = listeningPlace({ remoteName: 'codespaces', kind: 'workspace', web: true, hostname: 'codespaces-1a2b' });
      assert.match(browser.warning ?? '', /Codespace machine[\s\S]*not your microphone[\s\S]*VS Code desktop/);
    });

    it('a browser window on a server this computer runs (code-server on loopback) listens on this computer', () => {
      assert.deepEqual(listeningPlace({ remoteName: '127.0.0.1:33967', kind: 'workspace', web: true, hostname: 'ana-laptop' }), { text: 'Listening on this computer (ana-laptop)', warning: null });
      assert.deepEqual(listeningPlace({ remoteName: 'localhost:8080', kind: 'workspace', web: true, hostname: 'ana-laptop' }).warning, null);
      assert.match(listeningPlace({ remoteName: 'build.example.com:8080', kind: 'workspace', web: true, hostname: 'buildbox' }).warning ?? '', /not your microphone/);
    });

    it('reads vscode.env.remoteName and where the extension host runs', () => {
      stub.env.remoteName = 'dev-container';
      const facts = placeFacts({ extension: { extensionKind: 2 } } as never);
      assert.deepEqual([facts.remoteName, facts.kind, facts.web, facts.hostname], ['dev-container', 'workspace', false, os.hostname()]);
      assert.equal(placeFacts({ extension: { extensionKind: 1 } } as never).kind, 'ui');
    });
  });
});
