/**
 * The notes-model picker (extension/models/languageModelPicker.ts) with a stand-in for VS Code's quick pick: its items
 * for the servers the real discovery finds (real HTTP stand-ins for Ollama, LM Studio and llama.cpp on 127.0.0.1), the
 * settings a choice writes (and in which order), the servers arriving while the pick is open, and a discovery that
 * fails leaving the other choices usable.
 */
import { vscodeStub } from './vscode-stub';
import * as assert from 'node:assert/strict';
import { discoverLocalServers } from '../../daemon/understanding/localServers';
import { EnhancementSettings, LanguageModelDiscoverResult, LocalServer, NotesCatalogEntry, NotesModelList } from '../../protocol/protocol';
import { chooseLanguageModel, chooseLocalModel, languageModelPickItems, ModelPickItem, settingUpdates } from '../../extension/models/languageModelPicker';
import * as os from 'node:os';
import * as path from 'node:path';
import { listNotesModels } from '../../daemon/models/notesModels';
import { NOTES_CATALOG } from '../../daemon/models/notesCatalog';
import { FakeServer, llamaCppHandler, lmStudioHandler, ollamaHandler } from '../support/local-llm-servers';

const OFF: EnhancementSettings = { provider: 'off', endpoint: 'http://127.0.0.1:11434' };

/** A quick pick that a test drives: items as the picker sets them, accept and hide as a user would. */
class FakeQuickPick {
  private list: ModelPickItem[] = [];
  activeItems: ModelPickItem[] = [];
  /** As VS Code does: new items put the cursor back on the first one that can be picked. */
  get items(): ModelPickItem[] { return this.list; }
  set items(items: ModelPickItem[]) {
    this.list = items;
    this.activeItems = items.filter((i) => i.kind !== vscodeStub.QuickPickItemKind.Separator).slice(0, 1);
  }
  selectedItems: ModelPickItem[] = [];
  busy = false;
  title = '';
  placeholder = '';
  matchOnDetail = false;
  shown = false;
  disposed = false;
  private acceptListeners: (() => void)[] = [];
  private hideListeners: (() => void)[] = [];
  onDidAccept(l: () => void) { this.acceptListeners.push(l); }
  onDidHide(l: () => void) { this.hideListeners.push(l); }
  show() { this.shown = true; }
  hide() { this.hideListeners.forEach((l) => l()); }
  dispose() { this.disposed = true; }
  accept(label: string) {
    const item = this.items.find((i) => i.label === label);
    assert.ok(item, `no item ${label} in ${this.items.map((i) => i.label).join(' | ')}`);
    this.selectedItems = [item];
    this.acceptListeners.forEach((l) => l());
  }
}

describe('the notes-model picker', () => {
  let servers: LocalServer[];
  const fakes: FakeServer[] = [];
  let pick: FakeQuickPick;
  let writes: [string, unknown, unknown][];
  let commands: unknown[][];

  before(async () => {
    const llamaState = { loading: true };
    for (const h of [ollamaHandler(), lmStudioHandler(), llamaCppHandler(llamaState)]) fakes.push(await FakeServer.start(h));
    servers = await discoverLocalServers({ ports: fakes.map((f) => f.port), timeoutMs: 2000 });
    assert.deepEqual(servers.map((s) => `${s.kind}:${s.state}`), ['ollama:ready', 'lmstudio:ready', 'llama.cpp:loading']);
  });
  after(async () => { await Promise.all(fakes.map((f) => f.close())); });
  beforeEach(() => {
    pick = new FakeQuickPick();
    writes = [];
    commands = [];
    vscodeStub.window.createQuickPick = () => pick;
    vscodeStub.commands.executeCommand = async (...args: unknown[]) => { commands.push(args); };
    vscodeStub.workspace.getConfiguration = () => ({
      get: (_key: string, fallback?: unknown) => fallback,
      update: async (key: string, value: unknown, target?: unknown) => { writes.push([key, value, target]); },
    });
  });

  it('offers each local model as "Server: model (this machine)", then rules only, a VS Code model, and the settings', () => {
    const items = languageModelPickItems(servers, OFF);
    const ollama = servers[0].endpoint, lms = servers[1].endpoint;
    assert.deepEqual(items.map((i) => [i.label, i.description ?? '', i.choice ?? null]), [
      ['On this machine: nothing leaves it', '', null],
      ['Ollama: llama3.2:3b (this machine)', '2.0 GB', { provider: 'openai-compatible', endpoint: ollama, model: 'llama3.2:3b' }],
      ['Ollama: qwen2.5:1.5b (this machine)', '1.0 GB', { provider: 'openai-compatible', endpoint: ollama, model: 'qwen2.5:1.5b' }],
      ['LM Studio: qwen/qwen3-4b (this machine)', 'Qwen3 4B · 2.5 GB · loaded', { provider: 'openai-compatible', endpoint: lms, model: 'qwen/qwen3-4b' }],
      ['LM Studio: meta-llama-3.1-8b-instruct (this machine)', 'Llama 3.1 8B Instruct · 5.3 GB', { provider: 'openai-compatible', endpoint: lms, model: 'meta-llama-3.1-8b-instruct' }],
      // Still loading: a line that sets nothing.
      ['llama.cpp (this machine)', 'still loading its model: choose again in a moment', null],
      ['Elsewhere, or none', '', null],
      ['Rules only', 'in use', { provider: 'off' }],
      ['A VS Code language model', '', { provider: 'vscode-lm' }],
      ['Another OpenAI-compatible server…', '', { openSettings: true }],
    ]);
    assert.equal(items[0].kind, vscodeStub.QuickPickItemKind.Separator);
  });

  it('marks the model in use, and an endpoint that is none of these as another server', () => {
    const inUse = languageModelPickItems(servers, { provider: 'openai-compatible', endpoint: `${servers[0].endpoint}/v1`, model: 'qwen2.5:1.5b' });
    assert.deepEqual(inUse.filter((i) => i.description?.includes('in use')).map((i) => i.label), ['Ollama: qwen2.5:1.5b (this machine)']);
    const other = languageModelPickItems(servers, { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:9999', model: 'x' });
    assert.deepEqual(other.filter((i) => i.description?.includes('in use')).map((i) => [i.label, i.description]),
      [['Another OpenAI-compatible server…', 'in use: http://127.0.0.1:9999']]);
  });

  it('writes only what changes, the provider last', () => {
    const choice = { provider: 'openai-compatible' as const, endpoint: 'http://127.0.0.1:1234', model: 'qwen/qwen3-4b' };
    assert.deepEqual(settingUpdates(choice, OFF), [['enhancement.endpoint', 'http://127.0.0.1:1234'], ['enhancement.model', 'qwen/qwen3-4b'], ['enhancement.provider', 'openai-compatible']]);
    assert.deepEqual(settingUpdates(choice, { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1234', model: 'other' }), [['enhancement.model', 'qwen/qwen3-4b']]);
    assert.deepEqual(settingUpdates({ provider: 'off' }, OFF), []);
    assert.deepEqual(settingUpdates({ provider: 'vscode-lm' }, OFF), [['enhancement.provider', 'vscode-lm']]);
    assert.deepEqual(settingUpdates({ openSettings: true }, OFF), []);
  });

  it('shows the other choices at once, adds the servers when they are found, and sets the one picked', async () => {
    let answer!: (r: LanguageModelDiscoverResult) => void;
    const chosen = chooseLanguageModel(() => new Promise((resolve) => { answer = resolve; }), OFF);
    assert.ok(pick.shown && pick.busy);
    assert.ok(!pick.items.some((i) => i.choice && 'endpoint' in i.choice), 'no server before the discovery answers');
    pick.activeItems = [pick.items.find((i) => i.label === 'A VS Code language model')!];
    answer({ servers });
    await new Promise((r) => setImmediate(r));
    assert.equal(pick.busy, false);
    assert.equal(pick.activeItems[0]?.label, 'A VS Code language model', 'the cursor stays where it was');
    // The loading server's line keeps the pick open.
    pick.accept('llama.cpp (this machine)');
    assert.equal(pick.disposed, false);
    pick.accept('LM Studio: qwen/qwen3-4b (this machine)');
    assert.deepEqual(await chosen, { provider: 'openai-compatible', endpoint: servers[1].endpoint, model: 'qwen/qwen3-4b' });
    assert.deepEqual(writes, [
      ['enhancement.endpoint', servers[1].endpoint, vscodeStub.ConfigurationTarget.Global],
      ['enhancement.model', 'qwen/qwen3-4b', vscodeStub.ConfigurationTarget.Global],
      ['enhancement.provider', 'openai-compatible', vscodeStub.ConfigurationTarget.Global],
    ]);
    assert.ok(pick.disposed);
  });

  it('keeps rules only, a VS Code model and the settings when the discovery fails; dismissing writes nothing', async () => {
    const failures: unknown[] = [];
    const chosen = chooseLanguageModel(() => Promise.reject(new Error('daemon gone')), OFF, (e) => failures.push(e));
    await new Promise((r) => setImmediate(r));
    assert.equal(failures.length, 1);
    assert.equal(pick.busy, false);
    pick.accept('Another OpenAI-compatible server…');
    assert.deepEqual(await chosen, { openSettings: true });
    assert.deepEqual(commands, [['workbench.action.openSettings', 'earshot.enhancement']]);
    assert.deepEqual(writes, []);

    pick = new FakeQuickPick();
    const dismissed = chooseLanguageModel(async () => ({ servers: [] }), OFF);
    await new Promise((r) => setImmediate(r));
    assert.match(pick.placeholder, /No Ollama, LM Studio or llama\.cpp server runs on this machine/);
    pick.hide();
    assert.equal(await dismissed, undefined);
    assert.deepEqual(writes, []);
  });
  /** The daemon's notes catalog as ModelList answers it (a 4 GB machine: the 1.5B recommended), `ready` as if downloaded. */
  async function notesList(ready: string[] = [], modelPath?: string): Promise<NotesModelList> {
    const machine = { platform: 'linux', arch: 'x64', totalMemoryBytes: 4 * 1024 ** 3, cores: 2, avx2: true, whisperBuild: 'x86-64-v3', appleSilicon: false, metal: false, whisperGpu: false, whisperGpuDevice: null, nvidiaGpus: [] as string[] } as const;
    const list = await listNotesModels({ modelCacheDir: path.join(os.tmpdir(), 'earshot-picker-none'), machine, ...(modelPath ? { modelPath } : {}) });
    return { ...list, models: list.models.map((m) => (ready.includes(m.id) ? { ...m, state: 'ready' as const } : m)) };
  }

  it("offers Earshot's own models first, the recommended one on top, each with its size or 'downloaded', and the model file set", async () => {
    const items = languageModelPickItems([], OFF, false, await notesList(['llama-3.2-3b'], '/models/mine.gguf'));
    const local = items.filter((i) => i.choice && 'provider' in i.choice && i.choice.provider === 'local');
    assert.equal(items[0].label, 'On this machine: nothing leaves it');
    assert.deepEqual(local.map((i) => i.label), ['Earshot: mine.gguf (this machine)', ...['qwen2.5-1.5b', 'llama-3.2-3b', 'qwen3-4b'].map((id) => `Earshot: ${NOTES_CATALOG.find((m) => m.id === id)!.name} (this machine)`)]);
    assert.match(local[1].description!, /^download 1\.\d GB · recommended for this machine$/);
    assert.equal(local[2].description, 'downloaded');
    assert.deepEqual(local[2].choice, { provider: 'local', model: 'llama-3.2-3b' });
    assert.equal((local[1].choice as { download?: NotesCatalogEntry }).download?.id, 'qwen2.5-1.5b', 'a missing model is downloaded first');
    assert.deepEqual(local[0].choice, { provider: 'local', model: '/models/mine.gguf' });
    const inUse = languageModelPickItems([], { provider: 'local', model: 'llama-3.2-3b' }, false, await notesList(['llama-3.2-3b']));
    assert.deepEqual(inUse.filter((i) => i.description?.includes('in use')).map((i) => i.label), [local[2].label]);
    assert.deepEqual(settingUpdates({ provider: 'local', model: 'llama-3.2-3b' }, OFF), [['enhancement.model', 'llama-3.2-3b'], ['enhancement.provider', 'local']]);
  });

  it('downloads a local model before it writes the settings; a failed download writes nothing', async () => {
    const downloads: string[] = [];
    let fail = true;
    const local = {
      list: () => notesList(),
      download: async (m: NotesCatalogEntry) => { downloads.push(m.id); if (fail) throw new Error('the download failed: offline'); },
    };
    const label = `Earshot: ${NOTES_CATALOG.find((m) => m.id === 'qwen2.5-1.5b')!.name} (this machine)`;
    const listed = async () => { while (!pick.items.some((i) => i.label === label)) await new Promise((r) => setTimeout(r, 5)); };
    const failing = chooseLanguageModel(async () => ({ servers: [] }), OFF, undefined, local);
    await listed();
    assert.equal(pick.activeItems[0]?.label, label, 'a cursor the user did not move goes to the recommended model on top');
    pick.accept(label);
    await assert.rejects(failing, /offline/);
    assert.deepEqual(writes, [], 'no setting for a model that is not there');
    pick = new FakeQuickPick();
    fail = false;
    const chosen = chooseLanguageModel(async () => ({ servers: [] }), OFF, undefined, local);
    await listed();
    pick.accept(label);
    await chosen;
    assert.deepEqual(downloads, ['qwen2.5-1.5b', 'qwen2.5-1.5b']);
    assert.deepEqual((writes as [string, unknown, unknown][]).map(([k, v]) => [k, v]), [['enhancement.model', 'qwen2.5-1.5b'], ['enhancement.provider', 'local']]);
  });
  it('{ localModel: id }: that model without the pick, downloaded when missing, not when it is there; an unknown id is refused', async () => {
    const downloads: string[] = [];
    const local = { list: () => notesList(['qwen3-4b']), download: async (m: NotesCatalogEntry) => { downloads.push(m.id); } };
    assert.deepEqual(await chooseLocalModel('qwen2.5-1.5b', OFF, local), { provider: 'local', model: 'qwen2.5-1.5b' });
    assert.deepEqual(await chooseLocalModel('qwen3-4b', OFF, local), { provider: 'local', model: 'qwen3-4b' });
    assert.deepEqual(downloads, ['qwen2.5-1.5b']);
    assert.equal(pick.shown, false, 'no pick shown');
    await assert.rejects(chooseLocalModel('gpt-9', OFF, local), /no local notes model "gpt-9" \(there are qwen2\.5-1\.5b, /);
    assert.deepEqual(writes.map(([k, v]) => [k, v]), [['enhancement.model', 'qwen2.5-1.5b'], ['enhancement.provider', 'local'], ['enhancement.model', 'qwen3-4b'], ['enhancement.provider', 'local']]);
  });
});
