// extension/workspace/: what Earshot reads of the code the user has open, for the daemon: the index of files and
// symbols (workspaceIndex.ts), identifiers from the visible editors as vocabulary (vocabulary.ts, identifiers.ts), and
// the editor location while a session runs (activity.ts). Only paths, names and words go to the daemon. Imports
// client/.
/**
 * The workspace index the daemon matches transcript mentions against ("auth dot ts", "the parseConfig function"): the
 * first workspace folder's files and the symbols VS Code's language features know. Sent at activation once the
 * daemon runs, again after the daemon restarts (it keeps the index in memory only), and when files are created,
 * deleted or renamed, or documents are opened or saved (debounced). Only paths and names go to the daemon, which runs
 * on this machine.
 *
 * Any folder scheme: in a remote window (WSL, SSH, a container) Earshot runs on the user's side (package.json
 * `extensionKind`) and the folder is a `vscode-remote://` URI. findFiles, the symbol-provider commands and file
 * watchers reach across: "The VS Code APIs are designed to automatically run on the correct machine (either local or
 * remote) when called from both UI or Workspace Extensions", and "UI Extensions cannot directly access files in the
 * remote workspace" (code.visualstudio.com/api/advanced-topics/remote-extensions, "Architecture and extension
 * kinds"), so files are only ever named by URI here, never read with Node's fs.
 *
 * The functions above the class are pure (no VS Code API at run time): test/unit/workspace-index.test.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MAX_INDEX_FILES, MAX_INDEX_SYMBOLS, WorkspaceIndexParams, WorkspaceSymbolInfo } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';

/** Always left out of the index, whatever files.exclude says: dependencies, VCS data, build output. */
export const DEFAULT_EXCLUDES = ['**/node_modules', '**/.git', '**/out', '**/dist'] as const;
const DEFAULT_EXCLUDED_SEGMENTS = new Set(['node_modules', '.git', 'out', 'dist']);

/**
 * `file` relative to `root`, with `/` separators; null when it is not inside root (or is root itself). Both are
 * file-system paths of the platform (`pathApi` is for tests of the other platform's paths).
 */
export function relativePath(root: string, file: string, pathApi: typeof path.posix = path): string | null {
  if (!root || !file) return null;
  const rel = pathApi.relative(root, file);
  if (!rel || rel === '..' || rel.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(rel)) return null;
  return rel.split(pathApi.sep).join('/');
}

/** The parts of a vscode.Uri that place a file (plain objects in tests). */
export interface UriLike {
  /** Undefined: `file`. */
  scheme?: string;
  authority?: string;
  /** The URI's decoded path, with `/`: `/home/me/shop/src/auth.ts`. */
  path?: string;
  fsPath: string;
}

/**
 * `uri` relative to the workspace folder `folder`, with `/`; null when it is not inside it (another scheme or machine).
 * A `file` folder compares file-system paths ({@link relativePath}: Windows paths ignore case), as before remote
 * windows were indexed. Any other scheme compares the URIs' paths (POSIX, case kept) on the same authority, compared
 * without case as VS Code does (src/vs/base/common/resources.ts `isEqualAuthority`): a `vscode-remote` URI's fsPath
 * has lost its authority (src/vs/base/common/uri.ts `uriToFsPath`: "other path", `value = uri.path`, with `\` on
 * Windows), so two machines' files could not be told apart by it.
 */
export function folderRelativePath(folder: UriLike, uri: UriLike, pathApi: typeof path.posix = path): string | null {
  const scheme = folder.scheme || 'file';
  if ((uri.scheme || 'file') !== scheme) return null;
  if (scheme === 'file') return relativePath(folder.fsPath, uri.fsPath, pathApi);
  if ((uri.authority ?? '').toLowerCase() !== (folder.authority ?? '').toLowerCase()) return null;
  return relativePath(folder.path ?? '', uri.path ?? '', path.posix);
}

/**
 * The `root` sent with the index: the daemon journals it, and the notes link to files by their path relative to the
 * notes file from it (daemon/documents/markdown.ts `workspaceLinks`). A `file` folder: its path. A remote folder: the
 * local folder that stands for it (`mirroredAt`, remote/remoteNotes.ts `localFolder`), where the daemon writes the
 * notes that are copied into the workspace, so `../../src/auth.ts` written there leads to the workspace file from the
 * remote copy too. A remote folder whose notes stay on this computer (untrusted, an absolute notes folder): its URI,
 * which is no file-system path, so the notes give the paths as text (no relative link reaches another machine).
 */
export function indexRoot(folder: UriLike & { toString(): string }, mirroredAt: string | undefined): string {
  if ((folder.scheme || 'file') === 'file') return folder.fsPath;
  return mirroredAt ?? folder.toString();
}

/** Whether a workspace-relative path lies in a folder that is always excluded (node_modules, .git, out, dist). */
export function isDefaultExcluded(rel: string): boolean {
  return rel.split('/').some((segment) => DEFAULT_EXCLUDED_SEGMENTS.has(segment));
}

/**
 * One glob for `findFiles`'s exclude argument: {@link DEFAULT_EXCLUDES} and the patterns set to `true` in the given
 * `files.exclude` / `search.exclude` objects. (Passing an exclude to findFiles replaces its default of files.exclude,
 * so that one is included here.) Left out: patterns with a `when` clause (sibling conditions cannot be expressed in
 * one glob) and patterns holding `{`, `}` or `,`, which would break the `{a,b}` group.
 */
export function excludeGlob(...settings: (Record<string, unknown> | undefined)[]): string {
  const patterns = new Set<string>(DEFAULT_EXCLUDES);
  for (const setting of settings) {
    for (const [pattern, value] of Object.entries(setting ?? {})) {
      if (value === true && pattern && !/[{},]/.test(pattern)) patterns.add(pattern);
    }
  }
  return `{${[...patterns].join(',')}}`;
}

/** The shape of vscode.DocumentSymbol and vscode.SymbolInformation that the index reads (executeDocumentSymbolProvider gives either). */
export interface SymbolLike {
  name: string;
  kind: number;
  range?: { start: { line: number } };
  selectionRange?: { start: { line: number } };
  location?: { uri: UriLike; range: { start: { line: number } } };
  children?: SymbolLike[];
}

/**
 * Kinds that name no code: keys of JSON/YAML files, Markdown headings (String), literals. Indexing them would link
 * ordinary words ("name", "version", "introduction") to config keys and headings.
 */
const SKIPPED_KINDS = new Set(['file', 'string', 'number', 'boolean', 'array', 'object', 'key', 'null', 'typeparameter']);

/** Which symbols are kept first when there are more than {@link MAX_INDEX_SYMBOLS}: types and functions before fields and variables. */
const KIND_PRIORITY: Record<string, number> = {
  class: 0, interface: 0, struct: 0, enum: 0, namespace: 1, module: 1, package: 1,
  function: 1, method: 2, constructor: 2, constant: 3, enummember: 4, property: 4, field: 4, event: 4, variable: 5, operator: 5,
};

/**
 * Document symbols (with their children, depth first) of the file at `relPath`, as index entries: `kind` is
 * `kindName(kind)` lower-cased (VS Code's SymbolKind name), `line` 1-based (the symbol's name, else its range).
 */
export function flattenSymbols(symbols: readonly SymbolLike[] | undefined, relPath: string, kindName: (kind: number) => string | undefined): WorkspaceSymbolInfo[] {
  const out: WorkspaceSymbolInfo[] = [];
  const visit = (list: readonly SymbolLike[] | undefined, depth: number) => {
    if (!list || depth > 32) return;
    for (const symbol of list) {
      const entry = toSymbolInfo(symbol, relPath, kindName);
      if (entry) out.push(entry);
      visit(symbol.children, depth + 1);
    }
  };
  visit(symbols, 0);
  return out;
}

/** One symbol as an index entry, or undefined (no name, a skipped kind, no position). */
export function toSymbolInfo(symbol: SymbolLike, relPath: string, kindName: (kind: number) => string | undefined): WorkspaceSymbolInfo | undefined {
  // Some providers name functions and methods with their parentheses ("login()"): the index wants the name.
  const name = typeof symbol.name === 'string' ? symbol.name.trim().replace(/\(\)$/, '') : '';
  const kind = (kindName(symbol.kind) ?? '').toLowerCase();
  const line = (symbol.selectionRange ?? symbol.range ?? symbol.location?.range)?.start.line;
  if (!name || !kind || SKIPPED_KINDS.has(kind) || typeof line !== 'number' || line < 0) return undefined;
  return { name, kind, path: relPath, line: line + 1 };
}

/** Workspace symbols (SymbolInformation, each with its own file) relative to the folder; those outside it are left out. */
export function workspaceSymbols(symbols: readonly SymbolLike[] | undefined, folder: UriLike, kindName: (kind: number) => string | undefined,
  pathApi: typeof path.posix = path): WorkspaceSymbolInfo[] {
  const out: WorkspaceSymbolInfo[] = [];
  for (const symbol of symbols ?? []) {
    const uri = symbol.location?.uri;
    if (!uri) continue;
    const rel = folderRelativePath(folder, uri, pathApi);
    if (rel === null || isDefaultExcluded(rel)) continue;
    const entry = toSymbolInfo(symbol, rel, kindName);
    if (entry) out.push(entry);
  }
  return out;
}

/**
 * The index as sent: files deduplicated and sorted, at most `maxFiles`; symbols deduplicated (same name, file and
 * line), at most `maxSymbols`, keeping types and functions before members and variables when some must go, and
 * otherwise in the order given (the caller puts open documents' symbols first).
 */
export function boundIndex(root: string, files: readonly string[], symbols: readonly WorkspaceSymbolInfo[],
  maxFiles: number = MAX_INDEX_FILES, maxSymbols: number = MAX_INDEX_SYMBOLS): WorkspaceIndexParams {
  const uniqueFiles = [...new Set(files)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, Math.max(0, maxFiles));
  const seen = new Set<string>();
  const unique: WorkspaceSymbolInfo[] = [];
  for (const s of symbols) {
    const key = `${s.path}\0${s.line}\0${s.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(s);
  }
  const kept = unique.length <= maxSymbols ? unique
    : unique.map((s, i) => ({ s, i, p: KIND_PRIORITY[s.kind] ?? 6 }))
      .sort((a, b) => a.p - b.p || a.i - b.i)
      .slice(0, Math.max(0, maxSymbols))
      .sort((a, b) => a.i - b.i)
      .map(({ s }) => s);
  return { root, files: uniqueFiles, symbols: kept };
}

// ---------------------------------------------------------------------------------------------
// VS Code side

/** Waits for `promise` at most `ms`; undefined after that (a slow language server must not hold the index up). */
async function within<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([Promise.resolve(promise), new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

const kindName = (kind: number): string | undefined => vscode.SymbolKind[kind]?.toLowerCase();

/** Most open documents whose symbols are asked for in one refresh. */
const MAX_OPEN_DOCUMENTS = 200;

/**
 * How long the file search may take. Local folders are searched on disk, but a remote folder's search waits for the
 * remote side to register its search provider, with no limit of its own (src/vs/workbench/services/search/common/
 * searchService.ts: "No search provider registered for scheme: ${scheme}, waiting", `waitForProvider`).
 */
export const FILE_SEARCH_TIMEOUT_MS = 60_000;

export interface WorkspaceIndexerOptions {
  /** A remote folder's local stand-in for {@link indexRoot} (EarshotSettings.remoteNotes' localFolder), read at each refresh. */
  mirroredFolder?: () => string | undefined;
  /** {@link FILE_SEARCH_TIMEOUT_MS} (shorter in tests). */
  fileSearchTimeoutMs?: number;
}

export class WorkspaceIndexer implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<WorkspaceIndexParams | undefined> | undefined;
  private again = false;
  private force = false;
  private lastSent = '';
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly changed = new vscode.EventEmitter<WorkspaceIndexParams>();
  /** The index was sent (a test can await it). */
  readonly onDidSend = this.changed.event;
  /** The index last sent to the daemon. */
  last: WorkspaceIndexParams | undefined;

  constructor(private readonly client: Pick<DaemonClient, 'sendWorkspaceIndex' | 'onDaemonStart'>, private readonly output: vscode.LogOutputChannel,
    private readonly options: WorkspaceIndexerOptions = {}) {
    const files = () => this.schedule(2000);
    const documents = () => this.schedule(3000);
    this.watch();
    this.subscriptions.push(
      this.changed,
      // A new daemon knows nothing: send everything again, even when unchanged.
      client.onDaemonStart(() => { this.force = true; this.schedule(500); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.watch(); files(); }),
      // Documents of the folder's scheme (`file`, or the remote window's); not output, git or untitled ones.
      vscode.workspace.onDidOpenTextDocument((d) => { if (d.uri.scheme === (vscode.workspace.workspaceFolders?.[0]?.uri.scheme ?? 'file')) documents(); }),
      vscode.workspace.onDidSaveTextDocument(documents),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // The notes folder decides a remote folder's root (indexRoot).
        if (e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude') || e.affectsConfiguration('earshot.notes.folder')) files();
      }),
      // Trust decides where a remote folder's notes go, so its root.
      vscode.workspace.onDidGrantWorkspaceTrust(files),
    );
  }

  /** Watches the first folder for created and deleted files (a rename is both); changes to contents do not matter. */
  private watch(): void {
    this.watcher?.dispose();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/*'), false, true, false);
    const onFile = (uri: vscode.Uri) => {
      const rel = folderRelativePath(folder.uri, uri);
      if (rel !== null && !isDefaultExcluded(rel)) this.schedule(2000);
    };
    this.watcher.onDidCreate(onFile);
    this.watcher.onDidDelete(onFile);
  }

  /** Refreshes after `delayMs` of quiet. */
  schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { void this.refresh(); }, delayMs);
  }

  /** Gathers the index now and sends it when it changed (or `force`); resolves with what was sent, or undefined. */
  refresh(force = false): Promise<WorkspaceIndexParams | undefined> {
    clearTimeout(this.timer);
    if (force) this.force = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let sent: WorkspaceIndexParams | undefined;
      do {
        this.again = false;
        sent = await this.gatherAndSend().catch((e) => {
          this.output.warn(`workspace index: ${(e as Error).message}`);
          return undefined;
        });
      } while (this.again);
      this.running = undefined;
      return sent;
    })();
    return this.running;
  }

  private async gatherAndSend(): Promise<WorkspaceIndexParams | undefined> {
    const index = await gather(this.options.mirroredFolder?.(), this.options.fileSearchTimeoutMs ?? FILE_SEARCH_TIMEOUT_MS);
    if (!index) return undefined;
    const key = JSON.stringify(index);
    if (key === this.lastSent && !this.force) return undefined;
    this.force = false;
    await this.client.sendWorkspaceIndex(index);
    this.lastSent = key;
    this.last = index;
    this.output.debug(`workspace index sent: ${index.files.length} files, ${index.symbols.length} symbols`);
    this.changed.fire(index);
    return index;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** The folder's files, at most {@link MAX_INDEX_FILES}; throws when the search does not answer in `timeoutMs` (then it is cancelled). */
async function findFolderFiles(folder: vscode.WorkspaceFolder, timeoutMs: number): Promise<vscode.Uri[]> {
  const exclude = excludeGlob(
    vscode.workspace.getConfiguration('files', folder.uri).get<Record<string, unknown>>('exclude'),
    vscode.workspace.getConfiguration('search', folder.uri).get<Record<string, unknown>>('exclude'),
  );
  const search = new vscode.CancellationTokenSource();
  try {
    const uris = await within(vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*'), exclude, MAX_INDEX_FILES, search.token), timeoutMs);
    if (!uris) {
      throw new Error(`the file search of ${folder.uri.toString()} did not answer in ${timeoutMs / 1000} s `
        + '(a remote window whose remote side is not connected?); the index is not updated, and is tried again at the next change');
    }
    return uris;
  } finally {
    search.cancel();
    search.dispose();
  }
}

/** The first workspace folder's files and symbols, whatever its scheme; undefined without a folder (nothing to link to). */
async function gather(mirroredFolder: string | undefined, fileSearchTimeoutMs: number): Promise<WorkspaceIndexParams | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  const uris = await findFolderFiles(folder, fileSearchTimeoutMs);
  const files = uris.map((u) => folderRelativePath(folder.uri, u)).filter((p): p is string => p !== null);

  // Open documents first: what the user works on now. (Many workspace symbol providers answer nothing to an empty query.)
  const symbols: WorkspaceSymbolInfo[] = [];
  const documents = vscode.workspace.textDocuments
    .filter((d) => !d.isClosed)
    .map((d) => ({ d, rel: folderRelativePath(folder.uri, d.uri) }))
    .filter((x): x is { d: vscode.TextDocument; rel: string } => x.rel !== null && !isDefaultExcluded(x.rel))
    .slice(0, MAX_OPEN_DOCUMENTS);
  for (const { d, rel } of documents) {
    const found = await within(vscode.commands.executeCommand<SymbolLike[] | undefined>('vscode.executeDocumentSymbolProvider', d.uri), 3000)
      .catch(() => undefined);
    symbols.push(...flattenSymbols(found ?? [], rel, kindName));
  }
  const fromWorkspace = await within(vscode.commands.executeCommand<SymbolLike[] | undefined>('vscode.executeWorkspaceSymbolProvider', ''), 5000)
    .catch(() => undefined);
  symbols.push(...workspaceSymbols(fromWorkspace ?? [], folder.uri, kindName));
  return boundIndex(indexRoot(folder.uri, mirroredFolder), files, symbols);
}
