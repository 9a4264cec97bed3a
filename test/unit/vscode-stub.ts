/**
 * A stand-in for the `vscode` module, so unit tests (plain Node, no extension host) can load extension modules whose
 * pure parts they test. Import this before those modules. Only what those modules touch when loaded, and what the
 * tests set on purpose, is here; anything else is undefined.
 */
import Module from 'node:module';

type Get = (key: string, fallback?: unknown) => unknown;

export const vscodeStub = {
  workspace: {
    workspaceFolders: undefined as { uri: { fsPath: string; scheme: string } }[] | undefined,
    /** Replace to answer settings: `get(key, fallback)` per section. */
    getConfiguration: (_section?: string): { get: Get; update?: (key: string, value: unknown, target?: unknown) => Promise<void> } => ({ get: (_key: string, fallback?: unknown) => fallback }),
  },
  /** Quick picks and settings writes (extension/languageModelPicker.ts); its test sets window and commands. */
  QuickPickItemKind: { Separator: -1, Default: 0 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  window: {} as Record<string, unknown>,
  commands: {} as Record<string, unknown>,
  /** The Language Model API's message and error (extension/languageModel.ts); vscode.lm itself is passed in by its test. */
  LanguageModelChatMessage: { User: (text: string) => ({ role: 'user', text }) },
  LanguageModelError: class LanguageModelError extends Error { constructor(message = '', readonly code = 'Unknown') { super(message); } },
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
