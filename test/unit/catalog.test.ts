import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  CATALOG, catalogModelForFile, fasterModels, findCatalogModel, getCatalogModel, isCatalogModelId, MODEL_HOST, modelForTier, sameModelAs,
} from '../../daemon/models/whisperCatalog';

describe('Model catalog', () => {
  it('has the seven models the issue asks for, and the 8-bit versions of tiny, base and small', () => {
    assert.deepEqual(CATALOG.filter((m) => m.quantization !== 'q8_0').map((m) => m.id).sort(), ['base', 'base.en', 'large-v3-turbo', 'small', 'small.en', 'tiny', 'tiny.en']);
    assert.deepEqual(CATALOG.filter((m) => m.quantization === 'q8_0').map((m) => m.id).sort(),
      ['base-q8_0', 'base.en-q8_0', 'small-q8_0', 'small.en-q8_0', 'tiny-q8_0', 'tiny.en-q8_0']);
    for (const m of CATALOG.filter((x) => x.quantization === 'q8_0')) {
      const f16 = sameModelAs(m, 'f16')!;
      assert.equal(m.id, `${f16.id}-q8_0`);
      assert.equal(sameModelAs(f16, 'q8_0'), m);
      // 8 bits and a 16-bit scale per 32 weights: 34/64 of the f16 file's weight bytes, a little more for what stays f16/f32.
      assert.ok(m.bytes > 0.53 * f16.bytes && m.bytes < 0.6 * f16.bytes, `${m.id}: ${m.bytes} of ${f16.bytes}`);
      assert.ok(m.relativeSpeed > f16.relativeSpeed && m.ramMiB < f16.ramMiB, m.id);
    }
  });

  it('has unique ids and file names', () => {
    assert.equal(new Set(CATALOG.map((m) => m.id)).size, CATALOG.length);
    assert.equal(new Set(CATALOG.map((m) => m.file)).size, CATALOG.length);
  });

  it('downloads only over https, from whisper.cpp\'s Hugging Face repository', () => {
    assert.ok(MODEL_HOST.startsWith('https://'));
    for (const m of CATALOG) {
      const url = new URL(m.url);
      assert.equal(url.protocol, 'https:', m.id);
      assert.equal(url.hostname, 'huggingface.co', m.id);
      assert.equal(m.url, `${MODEL_HOST}${m.file}`, m.id);
    }
  });

  it('names whisper.cpp\'s published ggml files', () => {
    for (const m of CATALOG) {
      // The large tier's id leaves its 5-bit format out (it has no other file); every other id names it.
      const expected = m.quantization === 'f16' || m.id.endsWith(`-${m.quantization}`) ? `ggml-${m.id}.bin` : `ggml-${m.id}-${m.quantization}.bin`;
      assert.equal(m.file, expected, m.id);
      assert.equal(path.basename(m.file), m.file);
    }
    assert.equal(findCatalogModel('large-v3-turbo')?.file, 'ggml-large-v3-turbo-q5_0.bin');
  });

  it('pins exact sizes and well-formed hashes', () => {
    for (const m of CATALOG) {
      assert.match(m.sha256, /^[0-9a-f]{64}$/, `${m.id} sha256`);
      // whisper.cpp's README lists SHA-1s for its full-precision files only.
      assert.match(m.sha1, m.quantization === 'q8_0' ? /^$/ : /^[0-9a-f]{40}$/, `${m.id} sha1`);
      assert.ok(Number.isSafeInteger(m.bytes) && m.bytes > 40_000_000 && m.bytes < 1_000_000_000, `${m.id} bytes`);
    }
    assert.equal(new Set(CATALOG.map((m) => m.sha256)).size, CATALOG.length);
    const sha1s = CATALOG.map((m) => m.sha1).filter(Boolean);
    assert.equal(new Set(sha1s).size, sha1s.length);
    // English-only and multilingual files of a size differ by the vocabulary: a few KB, never MBs.
    for (const en of CATALOG.filter((m) => m.englishOnly)) {
      const multi = CATALOG.find((m) => m.tier === en.tier && !m.englishOnly && m.quantization === en.quantization)!;
      assert.ok(Math.abs(en.bytes - multi.bytes) < 100_000, `${en.id} vs ${multi.id}`);
    }
  });

  it('marks English-only models by their .en name', () => {
    for (const m of CATALOG) assert.equal(m.englishOnly, /\.en(-q8_0)?$/.test(m.id), m.id);
  });

  it('orders speed and memory by size, with one-line descriptions', () => {
    const tiers = ['tiny', 'base', 'small', 'large'];
    // Within one weight format (the large tier's one file is 5-bit: ranked with the full-precision ones).
    const sorted = CATALOG.filter((m) => m.quantization !== 'q8_0').sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier));
    const sorted8 = CATALOG.filter((m) => m.quantization === 'q8_0').sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier));
    for (let i = 1; i < sorted8.length; i++) {
      assert.ok(sorted8[i].relativeSpeed <= sorted8[i - 1].relativeSpeed, sorted8[i].id);
      assert.ok(sorted8[i].ramMiB >= sorted8[i - 1].ramMiB, sorted8[i].id);
    }
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(sorted[i].relativeSpeed <= sorted[i - 1].relativeSpeed, sorted[i].id);
      assert.ok(sorted[i].ramMiB >= sorted[i - 1].ramMiB, sorted[i].id);
      assert.ok(sorted[i].paramsM >= sorted[i - 1].paramsM, sorted[i].id);
    }
    for (const m of CATALOG) {
      assert.ok(m.description.length > 20 && m.description.length < 140, m.id);
      assert.ok(!/\n/.test(m.description), m.id);
    }
  });

  it('finds entries by id and file name', () => {
    assert.equal(isCatalogModelId('small.en'), true);
    assert.equal(isCatalogModelId('medium'), false);
    assert.equal(getCatalogModel('tiny').file, 'ggml-tiny.bin');
    assert.throws(() => getCatalogModel('medium'), /Unknown whisper model "medium"; the catalog has tiny\.en, tiny, tiny\.en-q8_0, tiny-q8_0, base\.en/);
    assert.equal(catalogModelForFile('ggml-small.en.bin')?.id, 'small.en');
    assert.equal(catalogModelForFile('ggml-medium.bin'), undefined);
  });

  it('picks English-only models for English where the tier has one', () => {
    assert.equal(modelForTier('tiny', true).id, 'tiny.en');
    assert.equal(modelForTier('tiny', false).id, 'tiny');
    assert.equal(modelForTier('small', true).id, 'small.en');
    assert.equal(modelForTier('large', true).id, 'large-v3-turbo');
    assert.equal(modelForTier('large', false).id, 'large-v3-turbo');
    assert.equal(modelForTier('base', true, 'q8_0').id, 'base.en-q8_0');
    assert.equal(modelForTier('small', false, 'q8_0').id, 'small-q8_0');
    // The large tier has one file, 5-bit: asked for 8-bit, it is that one.
    assert.equal(modelForTier('large', true, 'q8_0').id, 'large-v3-turbo');
  });

  it('offers the degrade ladder\'s last rung the same model in 8 bits, then each smaller size, the current format first', () => {
    const ids = (id: string) => fasterModels(getCatalogModel(id)).map((m) => m.id);
    assert.deepEqual(ids('small.en'), ['small.en-q8_0', 'base.en', 'base.en-q8_0', 'tiny.en', 'tiny.en-q8_0']);
    assert.deepEqual(ids('base.en-q8_0'), ['tiny.en-q8_0', 'tiny.en']);
    assert.deepEqual(ids('base'), ['base-q8_0', 'tiny', 'tiny-q8_0']);
    assert.deepEqual(ids('large-v3-turbo'), ['small', 'small-q8_0', 'base', 'base-q8_0', 'tiny', 'tiny-q8_0']);
    assert.deepEqual(ids('tiny.en-q8_0'), []);
    assert.deepEqual(ids('tiny.en'), ['tiny.en-q8_0']);
  });
});
