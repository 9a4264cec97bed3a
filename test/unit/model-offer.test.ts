/**
 * The first-meeting offer (extension/panel/panelNotes.ts decides when it shows, extension/models/modelOffer.ts what it
 * offers and what each choice does): after the first meeting that ended with no language model, the panel offers the
 * local notes model (its size shown), a VS Code model (Copilot: the cloud), or the rules alone; a download sets the
 * settings only once the model is there.
 */
import * as assert from 'node:assert/strict';
import { chooseOffer, downloadLabel, LOCAL_PROVIDER, offerFrom, OfferActions, withProgress } from '../../extension/models/modelOffer';
import { NOTE_DONE_KEYS, NoteContext, notesToShow } from '../../extension/panel/panelNotes';
import type { ModelListResult, NotesCatalogEntry } from '../../protocol/protocol';
import type { PanelModelOffer, PanelNote } from '../../protocol/panel';

const linux: NoteContext = { platform: 'linux', release: '6.1.0', enhancementProvider: 'off', systemAudio: true, systemDevice: '' };
const none = () => false;

function entry(id: string, bytes: number, recommended: boolean): NotesCatalogEntry {
  return {
    id, name: `Model ${id}`, file: `${id}.gguf`, bytes, sha256: '0'.repeat(64), licence: 'Apache-2.0', licenceUrl: 'https://example.org/LICENSE', parameters: '1.5B',
    quantization: 'Q4_K_M', contextTokens: 32_768, ramMiB: 1700, note: 'a model', state: 'missing', recommended,
  };
}
const LIST: Pick<ModelListResult, 'notes'> = {
  notes: { path: null, cacheDir: '/c/notes', recommendedId: 'qwen2.5-1.5b', reason: 'qwen2.5-1.5b: 4 GB of memory', models: [entry('qwen2.5-1.5b', 1_117_320_736, true), entry('qwen3-4b', 2_497_280_736, false)] },
};

/** Fake actions that record what was done, in order; `failDownload` makes the download reject. */
function recorder(failDownload?: Error): OfferActions & { done: string[] } {
  const done: string[] = [];
  return {
    done,
    download: async (id) => {
      done.push(`download ${id}`);
      if (failDownload) throw failDownload;
    },
    setSetting: async (key, value) => { done.push(`${key}=${value}`); },
    markDone: async () => { done.push('done'); },
  };
}

describe('first-meeting model offer', () => {
  describe('when it shows (notesToShow)', () => {
    it('after the first meeting ended with no model: in place of the rules note', () => {
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true }, none), ['modelOffer']);
      assert.deepEqual(notesToShow(linux, none), ['rules'], 'before any meeting ended: the rules note as before');
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: false }, none), ['rules']);
    });

    it('not with a model chosen: a provider, or a local model file', () => {
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true, enhancementProvider: 'vscode-lm' }, none), []);
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true, enhancementProvider: LOCAL_PROVIDER }, none), []);
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true, notesModelPath: '/models/mine.gguf' }, none), ['rules']);
    });

    it('once chosen or kept to rules it shows no more; the rules note comes back unless dismissed too', () => {
      const done = (...notes: PanelNote[]) => (note: PanelNote) => notes.includes(note);
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true }, done('modelOffer')), ['rules']);
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true }, done('modelOffer', 'rules')), []);
      assert.deepEqual(notesToShow({ ...linux, meetingEnded: true }, done('rules')), ['modelOffer'], 'a dismissed rules note does not hide the offer');
      assert.equal(NOTE_DONE_KEYS.modelOffer, 'earshot.modelOfferDone');
    });

    it('beside the macOS note, which is about something else', () => {
      assert.deepEqual(notesToShow({ ...linux, platform: 'darwin', release: '24.1.0', meetingEnded: true }, none), ['macosAudio', 'modelOffer']);
    });
  });

  describe('what it offers', () => {
    it('the recommended notes model with its size on the button', () => {
      assert.deepEqual(offerFrom(LIST), {
        modelId: 'qwen2.5-1.5b', name: 'Model qwen2.5-1.5b', bytes: 1_117_320_736, licence: 'Apache-2.0', label: 'Download the local model (1.1 GB)', download: null,
      });
      assert.equal(downloadLabel({ bytes: 2_497_280_736 }), 'Download the local model (2.5 GB)');
      assert.equal(downloadLabel({ bytes: 300_000_000 }), 'Download the local model (300 MB)');
      assert.equal(offerFrom({ notes: { ...LIST.notes, recommendedId: 'gone' } }), null);
    });

    it('follows its own download\'s progress only', () => {
      const offer = offerFrom(LIST)!;
      const at = (p: Parameters<typeof withProgress>[1]) => withProgress(offer, p).download;
      assert.deepEqual(at({ model: 'qwen2.5-1.5b', kind: 'notes', phase: 'download', fraction: 0.42 }), { fraction: 0.42 });
      assert.deepEqual(at({ model: 'qwen2.5-1.5b', kind: 'notes', phase: 'verify', fraction: null }), { fraction: null });
      assert.equal(at({ model: 'qwen2.5-1.5b', kind: 'notes', phase: 'done', fraction: 1 }), null);
      assert.equal(at({ model: 'qwen2.5-1.5b', kind: 'notes', phase: 'failed', fraction: null }), null);
      assert.equal(withProgress(offer, { model: 'base.en', phase: 'download', fraction: 0.5 }), offer, 'a whisper download');
      assert.equal(withProgress(offer, { model: 'qwen3-4b', kind: 'notes', phase: 'download', fraction: 0.5 }), offer, 'another notes model');
    });
  });

  describe('what each choice does (chooseOffer)', () => {
    const offer: PanelModelOffer = offerFrom(LIST)!;

    it('download: the model first, then the settings that use it (user configuration), then done', async () => {
      const actions = recorder();
      const message = await chooseOffer('download', offer, actions);
      assert.deepEqual(actions.done, ['download qwen2.5-1.5b', 'enhancement.model=qwen2.5-1.5b', `enhancement.provider=${LOCAL_PROVIDER}`, 'done']);
      assert.match(message, /on this machine/);
    });

    it('a failed download changes no setting and keeps the offer (a second try resumes)', async () => {
      const actions = recorder(new Error('The download of notes model qwen2.5-1.5b was interrupted after 300 MiB'));
      await assert.rejects(chooseOffer('download', offer, actions), /interrupted after 300 MiB/);
      assert.deepEqual(actions.done, ['download qwen2.5-1.5b']);
    });

    it('a VS Code model: the provider that says the cloud, nothing downloaded', async () => {
      const actions = recorder();
      const message = await chooseOffer('vscodeLm', offer, actions);
      assert.deepEqual(actions.done, ['enhancement.provider=vscode-lm', 'done']);
      assert.match(message, /cloud/);
    });

    it('download with no model known yet says so and does nothing', async () => {
      const actions = recorder();
      await assert.rejects(chooseOffer('download', null, actions), /No local notes model is known/);
      assert.deepEqual(actions.done, []);
    });
  });
});
