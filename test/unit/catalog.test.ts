import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  CATALOG, catalogModelForFile, findCatalogModel, getCatalogModel, isCatalogModelId, MODEL_HOST, modelForTier,
} from '../../daemon/asr/catalog';

describe('Model catalog', () => {
  it('has the seven models the issue asks for', () => {
    assert.deepEqual(CATALOG.map((m) => m.id).sort(), ['base', 'base.en', 'large-v3-turbo', 'small', 'small.en', 'tiny', 'tiny.en']);
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
      const expected = m.quantization === 'f16' ? `ggml-${m.id}.bin` : `ggml-${m.id}-${m.quantization}.bin`;
      assert.equal(m.file, expected, m.id);
      assert.equal(path.basename(m.file), m.file);
    }
    assert.equal(findCatalogModel('large-v3-turbo')?.file, 'ggml-large-v3-turbo-q5_0.bin');
  });

  it('pins exact sizes and well-formed hashes', () => {
    for (const m of CATALOG) {
      assert.match(m.sha256, /^[0-9a-f]{64}$/, `${m.id} sha256`);
      assert.match(m.sha1, /^[0-9a-f]{40}$/, `${m.id} sha1`);
      assert.ok(Number.isSafeInteger(m.bytes) && m.bytes > 50_000_000 && m.bytes < 1_000_000_000, `${m.id} bytes`);
    }
    assert.equal(new Set(CATALOG.map((m) => m.sha256)).size, CATALOG.length);
    assert.equal(new Set(CATALOG.map((m) => m.sha1)).size, CATALOG.length);
    // English-only and multilingual files of a size differ by the vocabulary: a few KB, never MBs.
    for (const en of CATALOG.filter((m) => m.englishOnly)) {
      const multi = CATALOG.find((m) => m.tier === en.tier && !m.englishOnly)!;
      assert.ok(Math.abs(en.bytes - multi.bytes) < 100_000, `${en.id} vs ${multi.id}`);
    }
  });

  it('marks English-only models by their .en name', () => {
    for (const m of CATALOG) assert.equal(m.englishOnly, m.id.endsWith('.en'), m.id);
  });

  it('orders speed and memory by size, with one-line descriptions', () => {
    const tiers = ['tiny', 'base', 'small', 'large'];
    const sorted = [...CATALOG].sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier));
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
    assert.throws(() => getCatalogModel('medium'), /Unknown whisper model "medium"; the catalog has tiny\.en, tiny, base\.en/);
    assert.equal(catalogModelForFile('ggml-small.en.bin')?.id, 'small.en');
    assert.equal(catalogModelForFile('ggml-medium.bin'), undefined);
  });

  it('picks English-only models for English where the tier has one', () => {
    assert.equal(modelForTier('tiny', true).id, 'tiny.en');
    assert.equal(modelForTier('tiny', false).id, 'tiny');
    assert.equal(modelForTier('small', true).id, 'small.en');
    assert.equal(modelForTier('large', true).id, 'large-v3-turbo');
    assert.equal(modelForTier('large', false).id, 'large-v3-turbo');
  });
});
