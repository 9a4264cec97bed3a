// extension/remote/: remote windows (WSL, SSH, containers, Codespaces), where Earshot runs on the user's side: which
// machine listens (listeningPlace.ts) and the notes mirrored into the remote workspace (remoteNotes.ts). Imports
// nothing else of extension/.
/**
 * The notes of a remote window (WSL, SSH, a container, a Codespace opened in VS Code desktop). Earshot runs on the
 * user's side (package.json `extensionKind`, ui first), with its daemon, the models and the microphone; the workspace
 * is on another machine, which the daemon cannot write to. So the daemon writes a local copy of each notes file (in
 * global storage, a folder per remote workspace folder: {@link remoteNotesTarget}) and {@link NotesMirror} copies it
 * into the remote workspace through VS Code's file system. Links and commands open the remote copy ({@link notesUri}).
 *
 * Why the user's text cannot be lost: the local copy is the daemon's (it renders over it, keeping My notes and the
 * ticks, as it does for a local file); the remote copy is the user's. The mirror remembers the text both copies last
 * agreed on (`synced`) and
 * - copies the local copy over the remote one only while the remote one still holds that text (or is missing): the
 *   user has saved nothing there that the daemon has not seen;
 * - when the user saved the remote copy (on save, by the watcher, or found changed before a copy), puts the user's text
 *   in the local copy first, and when the daemon rendered over an older text meanwhile asks it to render again
 *   (earshot/notes/rewrite): that render keeps the user's My notes and ticks, and only it goes to the remote copy;
 * - leaves both copies alone when the remote side cannot be read or written, says where the notes are kept, and tries
 *   again at the daemon's next write.
 * What is left: a save on the remote side in the milliseconds between the mirror's read and its write (VS Code's file
 * system has no compare-and-swap); an editor with unsaved changes keeps them either way (VS Code asks on save).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../protocol/atomicWrite';
import { NotesWrittenParams } from '../../protocol/protocol';

/** Where the notes of a remote workspace folder go: written locally by the daemon, copied to `remoteDir`. */
export interface RemoteNotesTarget {
  /** The local folder the daemon writes to. */
  localDir: string;
  /**
   * The local folder that stands for the workspace folder: `localDir` is `notesFolder` under it, as the remote notes
   * folder is under the workspace folder. Paths relative to it from the local copy (the notes' code links) therefore
   * lead to the same workspace files from the remote copy.
   */
  localFolder: string;
  /** The notes folder in the remote workspace (a `vscode-remote://…` URI, or another scheme that is not `file`). */
  remoteDir: vscode.Uri;
}

/**
 * The local and remote notes folders of a workspace folder that is not on this machine: `notesFolder` (relative, with
 * `/` or `\`) under the workspace folder, and under `<globalStorage>/remote-notes/<folder's key>` here.
 */
export function remoteNotesTarget(folder: vscode.Uri, notesFolder: string, globalStorage: string): RemoteNotesTarget {
  const parts = notesFolder.split(/[\\/]+/).filter((p) => p && p !== '.');
  const id = folder.toString();
  // Readable (the remote's name and the folder's) and unique (the hash of the whole URI).
  const slug = `${folder.authority ?? ''}-${path.posix.basename(folder.path ?? '')}`.replace(/[^\w.-]+/g, '_').slice(0, 60);
  const key = `${slug}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
  const localFolder = path.join(globalStorage, 'remote-notes', key);
  return { localDir: path.join(localFolder, ...parts), localFolder, remoteDir: vscode.Uri.joinPath(folder, ...parts) };
}

/** The part of vscode.workspace.fs the mirror uses (a fake in tests). */
export type MirrorFileSystem = Pick<vscode.FileSystem, 'readFile' | 'writeFile'>;

export interface NotesMirrorDeps {
  /** The remote window's notes folders now; undefined: a local workspace (nothing is mirrored). */
  target(): RemoteNotesTarget | undefined;
  fs: MirrorFileSystem;
  /** earshot/notes/rewrite: the daemon renders the session's notes over the local copy as it is now. */
  rewrite(sessionId: string): Promise<void>;
  /** A copy failed: what failed and where the notes are kept (once per file until a copy works again). */
  problem(message: string): void;
  log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>;
  /** This computer's path rules (path.win32 in the tests of a Windows client); default: node:path. */
  paths?: path.PlatformPath;
}

const encoder = new TextEncoder();
/** A remote read or write that failed (and was told). */
const FAILED = Symbol('failed');
const decoder = new TextDecoder();

export class NotesMirror {
  /** By local path: the text both copies last agreed on. */
  private readonly synced = new Map<string, string>();
  /** By local path: the session whose notes it holds (for earshot/notes/rewrite). */
  private readonly sessions = new Map<string, string>();
  /** By local path: the work in progress; one at a time per file, so a copy never races a read-back. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Local paths whose last copy failed. */
  private readonly failing = new Set<string>();

  constructor(private readonly deps: NotesMirrorDeps) {}

  /** The remote copy of a local notes file; undefined when it is not a remote window's notes. */
  remoteUri(localPath: string): vscode.Uri | undefined {
    const target = this.deps.target();
    const relative = target && this.inside(target.localDir, localPath);
    return relative ? vscode.Uri.joinPath(target.remoteDir, ...relative.split(this.paths.sep)) : undefined;
  }

  /**
   * The local copy of a remote notes file; undefined when the URI is not in the remote notes folder, or a part of its
   * name would mean something else here: the remote side may be Linux, where `..\..\settings.json` is one legal name
   * that Windows' path.join splits into parents (security review 2, S3), `a.md:x` is an NTFS stream, and Windows drops
   * a trailing dot or space (so `x.md.` would be `x.md`).
   */
  localPath(remote: vscode.Uri): string | undefined {
    const target = this.deps.target();
    const dir = target?.remoteDir.toString();
    const uri = remote.toString();
    if (!target || !dir || !uri.startsWith(`${dir}/`)) return undefined;
    let parts: string[];
    try {
      parts = uri.slice(dir.length + 1).split('/').map(decodeURIComponent);
    } catch {
      return undefined; // a malformed escape: not a name the daemon wrote
    }
    const plain = (p: string) => p && !/[\\/:\0]|[. ]$/.test(p) && this.paths.basename(p) === p; // `.`, `..` end in a dot
    if (!parts.every(plain)) return undefined;
    const local = this.paths.join(target.localDir, ...parts);
    return this.inside(target.localDir, local) ? local : undefined;
  }

  private get paths(): path.PlatformPath {
    return this.deps.paths ?? path;
  }

  /** `file` relative to `dir` when it is inside it (not `dir` itself, not above it, not on another drive). */
  private inside(dir: string, file: string): string | undefined {
    const relative = this.paths.relative(dir, file);
    const up = relative === '..' || relative.startsWith(`..${this.paths.sep}`);
    return relative && !up && !this.paths.isAbsolute(relative) ? relative : undefined;
  }

  /** Whether the last copy of this file failed (then the local copy is the one to open). */
  failed(localPath: string): boolean {
    return this.failing.has(localPath);
  }

  /** The daemon wrote a notes file (earshot/notesWritten): copy it, unless the user changed the remote copy. */
  written(p: NotesWrittenParams): Promise<void> {
    if (!this.remoteUri(p.notesPath)) return Promise.resolve();
    this.sessions.set(p.notesPath, p.sessionId);
    return this.queue(p.notesPath, () => this.push(p.notesPath));
  }

  /** The remote copy was saved or changed on disk: its text goes to the local copy (the daemon renders over it). */
  remoteChanged(remote: vscode.Uri): Promise<void> {
    const local = this.localPath(remote);
    return local ? this.queue(local, () => this.pull(local, remote)) : Promise.resolve();
  }

  /** Resolves once the work queued for this file is done (e.g. before opening it). */
  settled(localPath: string): Promise<void> {
    return this.queues.get(localPath) ?? Promise.resolve();
  }

  private queue(local: string, work: () => Promise<void>): Promise<void> {
    const run = this.settled(local).then(work).catch((e: unknown) => this.deps.log.warn(`notes mirror: ${(e as Error).message}`));
    this.queues.set(local, run);
    void run.finally(() => { if (this.queues.get(local) === run) this.queues.delete(local); });
    return run;
  }

  private async push(local: string): Promise<void> {
    const remote = this.remoteUri(local)!;
    const text = await readLocal(local);
    if (text === undefined) return;
    const there = await this.onRemote(local, remote, () => this.readRemote(remote));
    if (there === FAILED) return;
    const synced = this.synced.get(local);
    if (there !== undefined && there !== synced && there !== text) {
      // The user saved the remote copy since the last copy, and this render did not see it.
      return this.adopt(local, there, true);
    }
    if (there !== text && (await this.onRemote(local, remote, () => this.deps.fs.writeFile(remote, encoder.encode(text)))) === FAILED) return;
    this.synced.set(local, text);
    this.recovered(local, remote);
  }

  private async pull(local: string, remote: vscode.Uri): Promise<void> {
    const there = await this.onRemote(local, remote, () => this.readRemote(remote));
    const synced = this.synced.get(local);
    if (there === FAILED || there === undefined || there === synced) return; // the mirror's own write, or a file deleted (rewritten at the next write)
    // Only a notes file the daemon wrote in this window: never any other file that happens to exist here. A remote
    // save of one not written since the window opened is taken at the daemon's next write (push adopts it).
    if (!this.sessions.has(local) && !this.synced.has(local)) return;
    const text = await readLocal(local);
    // A render not copied yet was made over the older text: the daemon renders again over the user's.
    await this.adopt(local, there, text !== undefined && text !== there && text !== synced);
  }

  /** A read or write on the remote side; a failure is told (fail) and answers FAILED. */
  private async onRemote<T>(local: string, remote: vscode.Uri, op: () => Thenable<T>): Promise<T | typeof FAILED> {
    try {
      return await op();
    } catch (e) {
      this.fail(local, remote, e);
      return FAILED;
    }
  }

  /** The user's remote text becomes the local copy; `render`: the daemon renders over it (its write is then copied). */
  private async adopt(local: string, userText: string, render: boolean): Promise<void> {
    await writeFileAtomic(local, userText);
    this.synced.set(local, userText);
    const sessionId = this.sessions.get(local);
    if (!render || !sessionId) return;
    this.deps.log.info(`notes mirror: the remote notes were edited; session ${sessionId}'s notes are rendered over them again`);
    await this.deps.rewrite(sessionId).catch((e: unknown) => this.deps.log.warn(`notes mirror: could not render ${local} again: ${(e as Error).message}`));
  }

  private async readRemote(remote: vscode.Uri): Promise<string | undefined> {
    try {
      return decoder.decode(await this.deps.fs.readFile(remote));
    } catch (e) {
      if ((e as { code?: string }).code === 'FileNotFound' || (e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private fail(local: string, remote: vscode.Uri, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    this.deps.log.warn(`notes mirror: ${remote.toString()} not written: ${why}`);
    if (this.failing.has(local)) return;
    this.failing.add(local);
    this.deps.problem(`Earshot could not copy the meeting notes to the remote workspace (${remote.toString()}: ${why}). `
      + `Nothing is lost: they are kept on this computer in ${local}, and copied again with the next update.`);
  }

  private recovered(local: string, remote: vscode.Uri): void {
    if (this.failing.delete(local)) this.deps.log.info(`notes mirror: ${remote.toString()} written again`);
  }
}

async function readLocal(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The window's mirror (set by activate), so every place that opens a notes file opens the remote copy. */
let active: NotesMirror | undefined;

export function setActiveMirror(mirror: NotesMirror | undefined): void {
  active = mirror;
}

/** Where a notes file is opened now: its remote copy in a remote window (once the copy in progress is done). */
export async function notesUri(notesPath: string): Promise<vscode.Uri> {
  const remote = active?.remoteUri(notesPath);
  if (!active || !remote) return vscode.Uri.file(notesPath);
  await active.settled(notesPath);
  return active.failed(notesPath) ? vscode.Uri.file(notesPath) : remote;
}

/** The same without waiting (a link built now, e.g. the chat's): the remote copy in a remote window. */
export function notesUriNow(notesPath: string): vscode.Uri {
  return active?.remoteUri(notesPath) ?? vscode.Uri.file(notesPath);
}

export interface NotesMirrorWiring {
  client: { onNotesWritten: vscode.Event<NotesWrittenParams>; rewriteNotes(sessionId: string): Promise<void> };
  output: vscode.LogOutputChannel;
  /** The remote window's notes folders now (EarshotSettings.remoteNotes); undefined: a local workspace. */
  target(): RemoteNotesTarget | undefined;
}

/**
 * Starts the window's mirror: each daemon write is copied, and the remote copy's saves (in this window, or on the
 * remote machine: a file watcher) come back to the local one. Nothing happens in a local workspace.
 */
export function wireNotesMirror({ client, output, target }: NotesMirrorWiring): vscode.Disposable[] {
  const mirror = new NotesMirror({
    target, fs: vscode.workspace.fs, log: output,
    rewrite: (sessionId) => client.rewriteNotes(sessionId),
    problem: (message) => void vscode.window.showWarningMessage(message),
  });
  setActiveMirror(mirror);
  let watcher: vscode.FileSystemWatcher | undefined;
  let watched: string | undefined;
  // The notes folder can change with the settings: the watcher follows it.
  const watch = () => {
    const dir = target()?.remoteDir;
    if (dir?.toString() === watched) return;
    watcher?.dispose();
    watched = dir?.toString();
    watcher = dir ? vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, '*.md')) : undefined;
    watcher?.onDidChange((uri) => void mirror.remoteChanged(uri));
    watcher?.onDidCreate((uri) => void mirror.remoteChanged(uri));
  };
  watch();
  return [
    client.onNotesWritten((p) => {
      watch();
      void mirror.written(p);
    }),
    vscode.workspace.onDidSaveTextDocument((document) => void mirror.remoteChanged(document.uri)),
    { dispose: () => { watcher?.dispose(); setActiveMirror(undefined); } },
  ];
}
