/**
 * The extension's privacy parts with the vscode stub: notes in untrusted workspaces (Workspace Trust), what happens
 * when trust is granted, Earshot: Delete All Data's dialog and refusal, and the manifest's untrustedWorkspaces and
 * debug-audio declarations.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { vscodeStub } from './vscode-stub';
import type { DataDeleteResult, SessionStateParams } from '../../protocol/protocol';
import { REPO_ROOT } from '../setup';
import { EarshotSettings, RESTRICTED_SETTINGS, SETTING_KEYS } from '../../extension/settings/settings';
import { validateDataDelete, validateInitializationOptions, validateSessionStart } from '../../protocol/validate';

type Stub = Record<string, unknown> & { workspace: Record<string, unknown>; window?: Record<string, unknown>; commands?: Record<string, unknown> };
const stub = vscodeStub as unknown as Stub;
stub.Uri ??= { file: (fsPath: string) => ({ fsPath, scheme: 'file' }) };
// A module compiled with `import * as vscode` sees only the keys the stub had when it was loaded (each test fills them).
stub.window ??= {};
stub.commands ??= {};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deleteAllData, DELETE_EVERYTHING, summary, watchWorkspaceTrust } = require('../../extension/settings/privacy') as typeof import('../../extension/settings/privacy');

const WORKSPACE = '/home/me/project';
const context = { globalStorageUri: { fsPath: '/home/me/.config/Code/User/globalStorage/earshot.earshot' } } as never;
const GLOBAL_NOTES = '/home/me/.config/Code/User/globalStorage/earshot.earshot/notes';

/** Sets the workspace (folder, trust, `earshot.*` values) for one test; `after` restores the stub. */
function workspace(options: { trusted?: boolean; settings?: Record<string, unknown>; workspaceValues?: Record<string, unknown> }): void {
  stub.workspace.workspaceFolders = [{ uri: { fsPath: WORKSPACE, scheme: 'file' } }];
  stub.workspace.isTrusted = options.trusted;
  stub.workspace.getConfiguration = (section?: string) => ({
    get: (key: string, fallback?: unknown) => (options.settings && `${section}.${key}` in options.settings ? options.settings[`${section}.${key}`] : fallback),
    inspect: (key: string) => ({ key, workspaceValue: options.workspaceValues?.[key] }),
  });
}

const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

describe('privacy in the extension (Workspace Trust, Delete All Data, manifest)', () => {
  const saved = { ...stub.workspace };
  const savedWindow = stub.window, savedCommands = stub.commands;
  afterEach(() => {
    for (const key of Object.keys(stub.workspace)) delete stub.workspace[key];
    Object.assign(stub.workspace, saved);
    stub.window = savedWindow;
    stub.commands = savedCommands;
  });

  describe('notes folder and Workspace Trust', () => {
    it('trusted (or a VS Code without trust): notes in the workspace\'s .earshot/notes', () => {
      workspace({ trusted: true });
      assert.equal(EarshotSettings.read().notesDir(context), path.join(WORKSPACE, '.earshot', 'notes'));
      workspace({ trusted: undefined });
      assert.equal(EarshotSettings.read().notesDir(context), path.join(WORKSPACE, '.earshot', 'notes'));
    });

    it('untrusted: notes in global storage, never in the workspace', () => {
      workspace({ trusted: false });
      assert.equal(EarshotSettings.read().notesDir(context), GLOBAL_NOTES);
      workspace({ trusted: false, settings: { 'earshot.notes.folder': 'docs/meetings' } });
      assert.equal(EarshotSettings.read().notesDir(context), GLOBAL_NOTES);
      workspace({ trusted: false, settings: { 'earshot.notes.folder': path.join(WORKSPACE, 'notes') } });
      assert.equal(EarshotSettings.read().notesDir(context), GLOBAL_NOTES, 'an absolute folder inside the workspace is still the workspace');
      // An absolute folder outside the workspace can only be the user's own setting (the workspace's is ignored).
      workspace({ trusted: false, settings: { 'earshot.notes.folder': '/home/me/meeting-notes' } });
      assert.equal(EarshotSettings.read().notesDir(context), '/home/me/meeting-notes');
    });

    it('trust granted later: the next session\'s notes go to the workspace; the daemon restarts only for workspace values of restricted settings, and not while recording', async () => {
      let listener: (() => Promise<void>) | undefined;
      stub.workspace.onDidGrantWorkspaceTrust = (l: () => Promise<void>) => { listener = l; return { dispose: () => { listener = undefined; } }; };
      const restarts: number[] = [];
      let session: SessionStateParams | undefined;
      const info: string[] = [];
      stub.window = { showInformationMessage: (m: string) => { info.push(m); return Promise.resolve(undefined); } };
      const client = { deleteAllData: async () => { throw new Error('not here'); }, restart: async () => { restarts.push(1); } };
      const watcher = watchWorkspaceTrust({ client, context, session: () => session, output: log });
      try {
        workspace({ trusted: false });
        assert.equal(EarshotSettings.read().notesDir(context), GLOBAL_NOTES);
        stub.workspace.onDidGrantWorkspaceTrust = saved.onDidGrantWorkspaceTrust;

        workspace({ trusted: true });
        await listener!();
        assert.equal(EarshotSettings.read().notesDir(context), path.join(WORKSPACE, '.earshot', 'notes'), 'notes (passed with each session start) follow trust');
        assert.equal(restarts.length, 0, 'no workspace values of restricted settings: no restart');

        workspace({ trusted: true, workspaceValues: { 'earshot.model.path': '/w/model.bin' } });
        session = { sessionId: 's', state: 'streaming', title: '', startedAt: '', notesPath: '', mode: 'meeting', paused: [] };
        await listener!();
        assert.equal(restarts.length, 0, 'not while a session records');
        assert.match(info[0], /apply once the session ends/);
        session = { ...session, state: 'done' };
        await listener!();
        assert.equal(restarts.length, 1, 'restarted to apply the workspace\'s model path');
      } finally {
        watcher.dispose();
      }
    });
  });

  describe('Earshot: Delete All Data', () => {
    const result: DataDeleteResult = {
      storageDir: '/s', journals: { files: 3, bytes: 3000 }, sessionCaches: { files: 0, bytes: 0 }, debugAudio: { files: 1, bytes: 960_044 },
      models: { files: 0, bytes: 0 }, bytes: 963_044, linksNotFollowed: [], kept: [],
    };

    function ui(answer: string | undefined) {
      const shown: { kind: string; message: string; options?: unknown; items: unknown[] }[] = [];
      stub.window = {
        showWarningMessage: (message: string, ...rest: unknown[]) => {
          const options = typeof rest[0] === 'object' && rest[0] !== null ? rest.shift() : undefined;
          shown.push({ kind: 'warning', message, options, items: rest });
          return Promise.resolve(options ? answer : undefined);
        },
        showInformationMessage: (message: string, ...items: unknown[]) => { shown.push({ kind: 'info', message, items }); return Promise.resolve(undefined); },
      };
      stub.commands = { executeCommand: async () => undefined };
      return shown;
    }

    function deps(session?: SessionStateParams) {
      const calls: { includeModels: boolean }[] = [];
      return { calls, deps: { client: { deleteAllData: async (p: { includeModels: boolean }) => { calls.push(p); return result; }, restart: async () => undefined }, context, session: () => session, output: log } };
    }

    it('{ confirm: true } skips the dialog and keeps models unless asked', async () => {
      workspace({ trusted: true });
      const shown = ui(undefined);
      const { calls, deps: d } = deps();
      assert.equal(await deleteAllData(d, { confirm: true }), result);
      assert.deepEqual(calls, [{ includeModels: false }]);
      assert.equal(shown.filter((s) => s.kind === 'warning').length, 0, 'no dialog');
      assert.match(shown[0].message, /Earshot deleted 3 session journals and 1 debug recording \(1\.0 MB\)\. Your notes files were kept\./);
      await deleteAllData(d, { confirm: true, includeModels: true });
      assert.deepEqual(calls[1], { includeModels: true });
    });

    it('asks in a modal dialog that says notes are kept and where; Delete everything includes models; Cancel deletes nothing', async () => {
      workspace({ trusted: true });
      let shown = ui(DELETE_EVERYTHING);
      const { calls, deps: d } = deps();
      await deleteAllData(d);
      assert.deepEqual(calls, [{ includeModels: true }]);
      const dialog = shown[0];
      assert.deepEqual(dialog.items, ['Delete, keep models', 'Delete everything']);
      const options = dialog.options as { modal: boolean; detail: string };
      assert.equal(options.modal, true);
      assert.ok(options.detail.includes(path.join(WORKSPACE, '.earshot', 'notes')) && options.detail.includes(GLOBAL_NOTES), options.detail);
      assert.match(options.detail, /notes files are not deleted/);

      shown = ui(undefined);
      assert.equal(await deleteAllData(d), undefined);
      assert.equal(calls.length, 1, 'cancelled: nothing deleted');
      assert.equal(shown.length, 1);
    });

    it('is refused while a session records, with Stop Recording offered', async () => {
      workspace({ trusted: true });
      const shown = ui(DELETE_EVERYTHING);
      const { calls, deps: d } = deps({ sessionId: 's', state: 'streaming', title: '', startedAt: '', notesPath: '', mode: 'meeting', paused: [] });
      assert.equal(await deleteAllData(d, { confirm: true }), undefined);
      assert.equal(calls.length, 0);
      assert.match(shown[0].message, /Stop the session before deleting/);
      assert.deepEqual(shown[0].items, ['Stop Recording']);
    });

    it('summarises counts and size', () => {
      assert.equal(summary({ ...result, models: { files: 2, bytes: 1 }, sessionCaches: { files: 1, bytes: 1 } }), '3 session journals, 1 cache file, 1 debug recording and 2 model files (1.0 MB)');
    });
  });

  describe('protocol checks', () => {
    it('data/delete takes an optional boolean includeModels; initialize an optional boolean debugSaveAudio; session/start an absolute notesDir', () => {
      assert.deepEqual(validateDataDelete({}), {});
      assert.deepEqual(validateDataDelete(undefined), {});
      assert.deepEqual(validateDataDelete({ includeModels: true }), { includeModels: true });
      assert.throws(() => validateDataDelete({ includeModels: 'yes' }), /includeModels must be a boolean/);
      assert.equal(validateInitializationOptions({ protocolVersion: 1, debugSaveAudio: true }).debugSaveAudio, true);
      assert.equal('debugSaveAudio' in validateInitializationOptions({ protocolVersion: 1 }), false, 'absent stays absent');
      assert.throws(() => validateInitializationOptions({ protocolVersion: 1, debugSaveAudio: 'on' }), /debugSaveAudio must be a boolean/);
      assert.equal(validateSessionStart({ sources: ['mic'], notesDir: '/w/.earshot/notes' }).notesDir, '/w/.earshot/notes');
      assert.throws(() => validateSessionStart({ sources: ['mic'], notesDir: '.earshot/notes' }), /notesDir must be an absolute path/);
    });
  });

  describe('manifest', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

    it('declares limited support for untrusted workspaces, restricting exactly RESTRICTED_SETTINGS', () => {
      const untrusted = pkg.capabilities.untrustedWorkspaces;
      assert.equal(untrusted.supported, 'limited');
      assert.match(untrusted.description, /notes/);
      assert.deepEqual([...untrusted.restrictedConfigurations].sort(), [...RESTRICTED_SETTINGS].sort());
      for (const key of RESTRICTED_SETTINGS) assert.ok((SETTING_KEYS as readonly string[]).includes(key), key);
      for (const key of ['earshot.model.path', 'earshot.model.cacheDir', 'earshot.notes.folder', 'earshot.enhancement.endpoint']) assert.ok(RESTRICTED_SETTINGS.includes(key as never), key);
    });

    it('earshot.debug.saveAudio is off by default and says where the audio goes and what for', () => {
      const setting = pkg.contributes.configuration.flatMap((s: { properties: Record<string, unknown> }) => Object.entries(s.properties))
        .find(([key]: [string]) => key === 'earshot.debug.saveAudio')?.[1] as { default: boolean; markdownDescription: string };
      assert.equal(setting.default, false);
      assert.match(setting.markdownDescription, /debug-audio\/<session id>-<source>\.wav/);
      assert.match(setting.markdownDescription, /bug report/);
      workspace({ trusted: true });
      assert.equal(EarshotSettings.read().debugSaveAudio, false);
      workspace({ trusted: true, settings: { 'earshot.debug.saveAudio': true } });
      assert.equal(EarshotSettings.read().debugSaveAudio, true);
    });
  });
});
