/**
 * A stand-in for the `vscode` module, so unit tests (plain Node, no extension host) can load extension modules whose
 * pure parts they test. Import this before those modules. Only what those modules touch when loaded, and what the
 * tests set on purpose, is here; anything else is undefined.
 */
import Module from 'node:module';

type Get = (key: string, fallback?: unknown) => unknown;

/** vscode.Uri as far as the tests need it: file, command and remote URIs, compared by their string. */
class StubUri {
  /** `rest`: what follows `scheme:` (no percent-encoding here). */
  private constructor(readonly scheme: string, private readonly rest: string, readonly query = '') {}
  static file(path: string): StubUri { return new StubUri('file', path); }
  static parse(value: string): StubUri {
    const colon = value.indexOf(':'), question = value.indexOf('?');
    return new StubUri(value.slice(0, colon), value.slice(colon + 1, question < 0 ? undefined : question), question < 0 ? '' : value.slice(question + 1));
  }
  static joinPath(base: StubUri, ...parts: string[]): StubUri { return new StubUri(base.scheme, [base.rest, ...parts].join('/')); }
  /** `vscode-remote://wsl+ubuntu/home/u` → authority `wsl+ubuntu`, path `/home/u` (a remote window's folder). */
  get authority(): string { return this.rest.startsWith('//') ? this.rest.slice(2).split('/')[0] : ''; }
  get path(): string { return this.rest.startsWith('//') ? this.rest.slice(2 + this.authority.length) : this.rest; }
  /**
   * As VS Code computes it (src/vs/base/common/uri.ts `uriToFsPath`): a file URI's path; any other scheme's is its
   * path alone, without the authority (`/home/u` for `vscode-remote://wsl+ubuntu/home/u`).
   */
  get fsPath(): string { return this.scheme === 'file' ? this.rest : this.path; }
  toString(): string { return `${this.scheme}:${this.rest}${this.query ? `?${this.query}` : ''}`; }
}

export const vscodeStub = {
  /** Where the window runs (extension/remote/listeningPlace.ts); a test sets remoteName. */
  env: { remoteName: undefined as string | undefined, uiKind: 1 },
  UIKind: { Desktop: 1, Web: 2 },
  ExtensionKind: { UI: 1, Workspace: 2 },
  workspace: {
    workspaceFolders: undefined as { uri: { fsPath: string; scheme: string } }[] | undefined,
    /** Replace to answer settings: `get(key, fallback)` per section. */
    getConfiguration: (_section?: string): { get: Get; update?: (key: string, value: unknown, target?: unknown) => Promise<void> } => ({ get: (_key: string, fallback?: unknown) => fallback }),
    /** Settings changes (extension/memory/mcpServer.ts listens); a test replaces it to fire one. */
    onDidChangeConfiguration: (_listener: (e: { affectsConfiguration(section: string): boolean }) => void) => ({ dispose: () => undefined }),
  },
  /** Quick picks and settings writes (extension/models/languageModelPicker.ts); its test sets window and commands. */
  QuickPickItemKind: { Separator: -1, Default: 0 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  window: {} as Record<string, unknown>,
  commands: {} as Record<string, unknown>,
  /**
   * The Language Model API's message and error (extension/models/languageModel.ts); vscode.lm itself is passed in by
   * its test.
   */
  LanguageModelChatMessage: { User: (text: string) => ({ role: 'user', text }) },
  /** What a Language Model Tool answers (extension/memory/agentTools.ts). */
  LanguageModelTextPart: class LanguageModelTextPart { constructor(readonly value: string) {} },
  LanguageModelToolResult: class LanguageModelToolResult { constructor(readonly content: unknown[]) {} },
  LanguageModelError: class LanguageModelError extends Error { constructor(message = '', readonly code = 'Unknown') { super(message); } },
  /** What the meeting-memory modules build (extension/memory/): locations, Markdown, tree items, events. */
  Uri: StubUri,
  /** What extension/workspace/workspaceIndex.ts builds for findFiles and file watchers. */
  RelativePattern: class RelativePattern { constructor(readonly base: unknown, readonly pattern: string) {} },
  CancellationTokenSource: class CancellationTokenSource {
    readonly token = { isCancellationRequested: false };
    cancel(): void { this.token.isCancellationRequested = true; }
    dispose(): void {}
  },
  Position: class Position { constructor(readonly line: number, readonly character: number) {} },
  Range: class Range { constructor(readonly start: unknown, readonly end: unknown) {} },
  Location: class Location { constructor(readonly uri: StubUri, readonly range: { line: number; character: number }) {} },
  MarkdownString: class MarkdownString { isTrusted: unknown; supportHtml?: boolean; constructor(readonly value = '') {} },
  /** What the meetings' CodeLens and hover build (extension/code/). */
  CodeLens: class CodeLens { constructor(readonly range: { start: { line: number } }, readonly command?: { title: string; command: string; arguments?: unknown[] }) {} },
  Hover: class Hover { constructor(readonly contents: { value: string; isTrusted: unknown }, readonly range?: unknown) {} },
  ThemeIcon: class ThemeIcon { constructor(readonly id: string) {} },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  TreeItem: class TreeItem {
    description?: string; tooltip?: string; iconPath?: unknown; contextValue?: string; id?: string; command?: unknown;
    constructor(readonly label: string, readonly collapsibleState: number) {}
  },
  EventEmitter: class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    readonly event = (listener: (e: T) => void) => {
      this.listeners.push(listener);
      return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
    };
    fire(e: T): void { for (const l of [...this.listeners]) l(e); }
    dispose(): void { this.listeners = []; }
  },
  SymbolKind: Object.fromEntries([
    'File', 'Module', 'Namespace', 'Package', 'Class', 'Method', 'Property', 'Field', 'Constructor', 'Enum', 'Interface', 'Function',
    'Variable', 'Constant', 'String', 'Number', 'Boolean', 'Array', 'Object', 'Key', 'Null', 'EnumMember', 'Struct', 'Event', 'Operator',
    'TypeParameter',
  ].flatMap((name, i) => [[name, i], [i, name]])) as Record<string | number, string | number>,
};

const moduleWithLoad = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = moduleWithLoad._load;
moduleWithLoad._load = function (request: string, parent: unknown, isMain: boolean) {
  if (request === 'vscode') return vscodeStub;
  return load.call(this, request, parent, isMain);
};
