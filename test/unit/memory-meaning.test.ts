/**
 * Meeting memory's meaning model in the daemon (daemon/memory/meaningSearch.ts, models/memoryModel.ts): nothing until
 * the user downloads it; then each search fuses its ranking with the words' over the blocks read so far, reads the
 * others in the background one at a time, and says how many it has; a model that fails to load is said once and
 * searches go on by words; Delete All Data forgets the vectors; a model file gone unloads it. A fake embedder (concepts
 * as axes) stands in for the GGUF; the real one runs in memory-topics.test.ts and the integration suite.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Embedder, unit } from '../../daemon/memory/embeddings';
import { idleReadingThreads, MeaningSearch } from '../../daemon/memory/meaningSearch';
import { readAll } from '../../daemon/memory/askSearch';
import { vectorFiles } from '../../daemon/memory/vectorFiles';
import { MeetingRecord, MemoryIndex } from '../../daemon/memory/memoryIndex';
import { listMemoryModels, memoryCatalog, memoryModelCacheDir } from '../../daemon/models/memoryModel';
import { identityOf } from '../../daemon/models/fileCheck';
import { writeVerifiedMark } from '../../daemon/models/modelCache';

function record(sessionId: string, text: string): MeetingRecord {
  return {
    meeting: { sessionId, title: sessionId, startedAt: '2026-01-01T09:00:00Z', notesPath: '', durationSec: null },
    segments: [{ segmentId: `${sessionId}-1`, speaker: 'Ann', t0: 0, t1: 4, text }], actionItems: [], decisions: [],
  };
}

/** Vectors over three concepts: "vehicle" means the automobile without sharing a word with it. */
function conceptEmbedder(log: string[]): Embedder {
  const concepts: Record<string, number> = { car: 0, automobile: 0, vehicle: 0, roses: 1, garden: 1, budget: 2, money: 2 };
  return {
    async embed(text, kind) {
      log.push(kind);
      const v = [0, 0, 0, 0.01];
      for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) if (w in concepts) v[concepts[w]] += 1;
      return unit(v);
    },
    async dispose() { log.push('disposed'); },
  };
}

describe('meeting memory by meaning: the downloaded model in searches', () => {
  let dir: string;
  let saved: Record<string, string | undefined>;
  const body = Buffer.from('not really a GGUF, but the file the catalog names');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-meaning-'));
    saved = { EARSHOT_STORAGE: process.env.EARSHOT_STORAGE, EARSHOT_MEMORY_CATALOG: process.env.EARSHOT_MEMORY_CATALOG };
    process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify([{
      id: 'bge-small-en-v1.5', file: 'meaning.gguf', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), url: 'https://models.example/meaning.gguf',
    }]));
    process.env.EARSHOT_MEMORY_CATALOG = path.join(dir, 'catalog.json');
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cache = () => path.join(dir, 'cache');
  async function download(): Promise<string> {
    const file = path.join(memoryModelCacheDir(cache()), 'meaning.gguf');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body, { mode: 0o644 }); // a file others may write is never marked (othersMayWrite)
    await writeVerifiedMark(file, memoryCatalog()[0].sha256, identityOf(fs.statSync(file)));
    return file;
  }
  function index(): MemoryIndex {
    const i = new MemoryIndex();
    i.put(record('cars', 'The automobile needs new tyres before winter.'));
    i.put(record('garden', 'The roses need water.'));
    i.put(record('money', 'The budget needs a car line.'));
    return i;
  }

  it('none downloaded: the search ranks by words and loads nothing; the list offers it, missing', async () => {
    const loads: string[] = [];
    const meaning = new MeaningSearch(cache, () => undefined, { load: async (p) => { loads.push(p); return conceptEmbedder([]); } });
    assert.deepEqual(await meaning.query(index(), 'vehicle'), {});
    assert.deepEqual(loads, []);
    const list = await listMemoryModels(cache());
    assert.deepEqual(list.models.map((m) => [m.id, m.state, m.licence]), [['bge-small-en-v1.5', 'missing', 'MIT']]);
    assert.equal(list.cacheDir, path.join(cache(), 'memory'));
    assert.deepEqual(await new MeaningSearch(() => undefined).query(index(), 'vehicle'), {}, 'no model cache: no model');
  });

  it('downloaded: the first search reads the blocks in the background; the next one finds by meaning and says how much it read', async () => {
    const file = await download();
    assert.equal((await listMemoryModels(cache())).models[0].state, 'ready');
    const log: string[] = [];
    const loads: string[] = [];
    const meaning = new MeaningSearch(cache, () => undefined, { load: async (p, model) => { loads.push(`${p} ${model.queryPrefix}`); return conceptEmbedder(log); } });
    const i = index();
    const first = await meaning.query(i, 'vehicle');
    assert.equal(first.semantic, undefined, 'nothing read yet: words alone');
    assert.deepEqual(first.meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 0 });
    await meaning.settled();
    assert.deepEqual(log, ['passage', 'passage', 'passage']);
    const second = await meaning.query(i, 'vehicle');
    assert.deepEqual(second.meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 3 });
    assert.deepEqual(i.search({ query: 'vehicle' }), [], 'no meeting says "vehicle"');
    assert.equal(i.search({ query: 'vehicle' }, second.semantic)[0].meeting.sessionId, 'cars');
    assert.deepEqual(loads, [`${file} ${memoryCatalog()[0].queryPrefix}`], 'loaded once, with the model card\'s question prefix');
    // Warmed (as after a download): nothing new to read, nothing started.
    assert.deepEqual(await meaning.warm(i), { model: 'bge-small-en-v1.5', blocks: 3, embedded: 3 });
    // A new meeting is read at the next search; Delete All Data forgets every vector.
    i.put(record('fleet', 'Our vehicle fleet grows.'));
    assert.deepEqual((await meaning.query(i, 'vehicle')).meaning, { model: 'bge-small-en-v1.5', blocks: 4, embedded: 3 });
    await meaning.settled();
    meaning.dropped();
    assert.deepEqual((await meaning.query(i, 'vehicle')).meaning, { model: 'bge-small-en-v1.5', blocks: 4, embedded: 0 });
    await meaning.settled();
    // The file deleted (Delete All Data with models): unloaded, and searches go back to words.
    fs.rmSync(file);
    assert.deepEqual(await meaning.query(i, 'vehicle'), {});
    assert.equal(log.at(-1), 'disposed');
  });

  it('with the model\'s ranking fused in, the open meeting leads by its words\' score: one found by meaning alone does not', async () => {
    await download();
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => conceptEmbedder([]) });
    const i = index();
    await meaning.query(i, 'car');
    await meaning.settled();
    const { semantic } = await meaning.query(i, 'car');
    const order = (viewing?: string) => i.search({ query: 'car', limit: 3, ...(viewing ? { viewing } : {}) }, semantic).map((p) => p.meeting.sessionId);
    // The budget line says "car" (words and meaning), the automobile means it, the roses neither.
    assert.deepEqual(order(), ['money', 'cars', 'garden']);
    // Fused, the automobile scores half the best (ranks' reciprocals are close together), above a quarter: by that it
    // would lead with its meeting open. By the words' score (0) it keeps its place, as the roses do.
    assert.deepEqual(order('cars'), ['money', 'cars', 'garden']);
    assert.deepEqual(order('garden'), ['money', 'cars', 'garden']);
  });

  it('Delete All Data or closing the model stops the background reading at the block under way', async () => {
    await download();
    // An embedder that reads a block only when let.
    const waiting: (() => void)[] = [];
    const log: string[] = [];
    const gated: Embedder = {
      async embed(text, kind) {
        if (kind === 'passage') await new Promise<void>((resolve) => waiting.push(resolve));
        return conceptEmbedder(log).embed(text, kind);
      },
      async dispose() { log.push('disposed'); },
    };
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => gated });
    const i = index();
    await meaning.query(i, 'vehicle');
    const until = async (n: number) => { while (waiting.length < n) await new Promise((r) => setImmediate(r)); };
    await until(1);
    meaning.dropped();
    waiting.shift()!();
    // The reading into the dropped vectors stops there; the next search reads into new ones, from the start.
    assert.deepEqual((await meaning.query(i, 'vehicle')).meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 0 });
    await until(1);
    waiting.shift()!();
    await until(1);
    // Closing (before Delete All Data deletes the file, at shutdown) waits for the block under way only.
    const closed = meaning.dispose();
    waiting.shift()!();
    await closed;
    assert.equal(waiting.length, 0, 'no block started after the close');
    assert.deepEqual(log.filter((l) => l !== 'query'), ['passage', 'passage', 'passage', 'disposed']);
  });

  it('each text is read with the threads the daemon gives at that moment: 1 while a meeting records, more once it is over', async () => {
    await download();
    const waiting: (() => void)[] = [];
    const threads: string[] = [];
    const gated: Embedder = {
      async embed(text, kind, n) {
        threads.push(`${kind} ${n}`);
        if (kind === 'passage') await new Promise<void>((resolve) => waiting.push(resolve));
        return conceptEmbedder([]).embed(text, kind);
      },
      async dispose() {},
    };
    let recording = true;
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => gated, threads: () => (recording ? 1 : 3) });
    const i = index();
    await meaning.query(i, 'vehicle');
    const until = async (n: number) => { while (waiting.length < n) await new Promise((r) => setImmediate(r)); };
    await until(1);
    waiting.shift()!();
    await until(1);
    recording = false; // the meeting stops while the second block is read: the third gets the idle threads
    waiting.shift()!();
    await until(1);
    waiting.shift()!();
    await meaning.settled();
    await meaning.query(i, 'vehicle');
    assert.deepEqual(threads, ['passage 1', 'passage 1', 'passage 3', 'query 3']);
    // Without the option: one thread, as before.
    const plain: string[] = [];
    const one = new MeaningSearch(cache, () => undefined, { load: async () => ({ embed: async (t, k, n) => { plain.push(`${k} ${n}`); return conceptEmbedder([]).embed(t, k); }, dispose: async () => undefined }) });
    await one.warm(index());
    await one.settled();
    assert.deepEqual(plain, ['passage 1', 'passage 1', 'passage 1']);
  });

  it('idle, the model reads with half the cores, 1 to 4 (2 cores: 1, as during a meeting)', () => {
    assert.deepEqual([1, 2, 3, 4, 6, 8, 16, 64].map((c) => idleReadingThreads(c)), [1, 1, 1, 2, 3, 4, 4, 4]);
    assert.ok(idleReadingThreads() >= 1 && idleReadingThreads() <= 4);
  });

  it('warmed after its download, it reads the meetings before any question', async () => {
    assert.equal(await new MeaningSearch(cache).warm(index()), undefined, 'nothing downloaded: nothing to warm');
    await download();
    const log: string[] = [];
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => conceptEmbedder(log) });
    const i = index();
    assert.deepEqual(await meaning.warm(i), { model: 'bge-small-en-v1.5', blocks: 3, embedded: 0 });
    await meaning.settled();
    assert.deepEqual(log, ['passage', 'passage', 'passage']);
    assert.deepEqual((await meaning.query(i, 'vehicle')).meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 3 });
  });

  it('keeps each meeting\'s vectors beside its journal: a restart reads them instead of the model; another model\'s are not used', async () => {
    await download();
    const sessions = path.join(dir, 'storage', 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
    const i = new MemoryIndex();
    i.put(record('20260110T090000-aaaaaa', 'The automobile needs new tyres before winter.'));
    i.put(record('20260111T090000-bbbbbb', 'The roses need water.'));
    const first: string[] = [];
    const a = new MeaningSearch(cache, () => undefined, { load: async () => conceptEmbedder(first), sessionsDir: sessions });
    await a.query(i, 'vehicle');
    await a.settled();
    assert.deepEqual(first, ['passage', 'passage']);
    assert.deepEqual(fs.readdirSync(sessions).sort(), ['20260110T090000-aaaaaa.meaning.bin', '20260111T090000-bbbbbb.meaning.bin']);
    await a.dispose();
    // A new daemon (or the next earshot ask): everything read already, from the files.
    const second: string[] = [];
    const b = new MeaningSearch(cache, () => undefined, { load: async () => conceptEmbedder(second), sessionsDir: sessions });
    const found = await b.query(i, 'vehicle');
    assert.deepEqual(found.meaning, { model: 'bge-small-en-v1.5', blocks: 2, embedded: 2 });
    await b.settled();
    assert.deepEqual(second, ['query'], 'only the question was embedded');
    assert.equal(i.search({ query: 'vehicle' }, found.semantic)[0].meeting.sessionId, '20260110T090000-aaaaaa');
    await b.dispose();
    // Files of another model are as none; a damaged file too.
    assert.equal((await vectorFiles(sessions, 'f'.repeat(64)).read('20260110T090000-aaaaaa')).size, 0);
    fs.writeFileSync(path.join(sessions, '20260111T090000-bbbbbb.meaning.bin'), '{"format":1}\nxx');
    assert.equal((await vectorFiles(sessions, memoryCatalog()[0].sha256).read('20260111T090000-bbbbbb')).size, 0);
    assert.equal((await vectorFiles(sessions, memoryCatalog()[0].sha256).read('../escape')).size, 0);
    assert.equal((await vectorFiles(sessions, memoryCatalog()[0].sha256).read('20260110T090000-aaaaaa')).size, 1);
  });

  it('a vectors file that cannot be written is said once and is not a failure of the model: searches go on by meaning', async () => {
    await download();
    const sessions = path.join(dir, 'storage', 'sessions');
    // Where two meetings' files go, a folder each (rename over a folder fails even for root): neither can be kept.
    fs.mkdirSync(path.join(sessions, '20260110T090000-aaaaaa.meaning.bin', 'x'), { recursive: true });
    fs.mkdirSync(path.join(sessions, '20260111T090000-bbbbbb.meaning.bin', 'x'), { recursive: true });
    const i = new MemoryIndex();
    i.put(record('20260110T090000-aaaaaa', 'The automobile needs new tyres before winter.'));
    i.put(record('20260111T090000-bbbbbb', 'The roses need water.'));
    i.put(record('20260112T090000-cccccc', 'The garden hose leaks.'));
    const errors: string[] = [];
    const notKept: string[] = [];
    const meaning = new MeaningSearch(cache, (m) => errors.push(m), { load: async () => conceptEmbedder([]), sessionsDir: sessions, onNotKept: (m) => notKept.push(m) });
    await meaning.query(i, 'vehicle');
    await meaning.settled();
    const found = await meaning.query(i, 'vehicle');
    assert.deepEqual(found.meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 3 }, 'every block read, no error');
    assert.equal(i.search({ query: 'vehicle' }, found.semantic)[0].meeting.sessionId, '20260110T090000-aaaaaa', 'found by meaning');
    assert.deepEqual(errors, []);
    assert.equal(notKept.length, 1, 'said once for the two files');
    assert.match(notKept[0], /^the meaning model's reading of a meeting could not be kept on disk: E[A-Z]+/);
    assert.ok(fs.existsSync(path.join(sessions, '20260112T090000-cccccc.meaning.bin')), 'the meeting that could be kept was');
    assert.deepEqual(fs.readdirSync(sessions).filter((f) => f.endsWith('.part')), [], 'no partial file left');
    await meaning.dispose();
  });

  it('earshot ask says how many parts it reads first and how far it is while it reads (no text)', async () => {
    await download();
    const slow: Embedder = {
      async embed(text, kind) {
        if (kind === 'passage') await new Promise((resolve) => setTimeout(resolve, 40));
        return conceptEmbedder([]).embed(text, kind);
      },
      async dispose() {},
    };
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => slow });
    const i = index();
    const first = await meaning.query(i, 'vehicle');
    const said: string[] = [];
    await readAll(meaning, i, first.meaning!, (message) => said.push(`earshot: ${message}`), 15);
    assert.equal(said[0], 'earshot: the meeting search model is reading 3 parts of your meetings (once: what it reads is kept; --words-only searches by words now)');
    const reports = said.slice(1);
    assert.ok(reports.length >= 1, said.join('\n'));
    const counts = reports.map((line) => Number(/^earshot: read (\d) of 3 parts \(\d+%\)$/.exec(line)?.[1]));
    assert.ok(counts.every((n, k) => n >= 0 && n <= 3 && (k === 0 || n >= counts[k - 1])), said.join('\n'));
    assert.deepEqual(meaning.progress(i), { blocks: 3, embedded: 3 });
    assert.ok(!said.join('\n').includes('automobile'), 'no text');
    await meaning.dispose();
    assert.equal(meaning.progress(i), undefined, 'no model loaded: no progress');
  });

  it('stopped before Delete All Data: the meeting being read writes no vectors file afterwards', async () => {
    await download();
    const sessions = path.join(dir, 'storage', 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
    const waiting: (() => void)[] = [];
    const gated: Embedder = {
      async embed(text, kind) {
        if (kind === 'passage') await new Promise<void>((resolve) => waiting.push(resolve));
        return conceptEmbedder([]).embed(text, kind);
      },
      async dispose() {},
    };
    const meaning = new MeaningSearch(cache, () => undefined, { load: async () => gated, sessionsDir: sessions });
    const i = new MemoryIndex();
    i.put(record('20260110T090000-aaaaaa', 'The automobile needs new tyres before winter.'));
    await meaning.query(i, 'vehicle');
    while (!waiting.length) await new Promise((r) => setImmediate(r));
    const stopped = meaning.stopReading();
    waiting.shift()!();
    await stopped;
    assert.deepEqual(fs.readdirSync(sessions), []);
  });

  it('a model that does not load is said once; searches go on by words and do not load it again', async () => {
    await download();
    const errors: string[] = [];
    let loads = 0;
    const meaning = new MeaningSearch(cache, (m) => errors.push(m), { load: async () => { loads++; throw new Error('unknown model architecture: \'bert2\''); } });
    const a = await meaning.query(index(), 'vehicle');
    const b = await meaning.query(index(), 'vehicle');
    assert.equal(a.semantic, undefined);
    assert.match(a.meaning?.error ?? '', /the meaning model bge-small-en-v1.5 did not load: unknown model architecture/);
    assert.deepEqual(b.meaning, a.meaning);
    assert.equal(loads, 1);
    assert.equal(errors.length, 1);
  });

  it('an embedding that fails in the background is said once; searches then rank by words until the model is loaded anew', async () => {
    await download();
    const errors: string[] = [];
    let loads = 0;
    const failing: Embedder = { async embed() { throw new Error('context overflow'); }, async dispose() {} };
    const meaning = new MeaningSearch(cache, (m) => errors.push(m), { load: async () => { loads++; return failing; } });
    const i = index();
    assert.deepEqual((await meaning.query(i, 'vehicle')).meaning, { model: 'bge-small-en-v1.5', blocks: 3, embedded: 0 });
    await meaning.settled();
    const failed = 'the meaning model bge-small-en-v1.5 failed reading the meetings: context overflow';
    assert.deepEqual(errors, [failed]);
    for (let n = 0; n < 3; n++) assert.deepEqual(await meaning.query(i, 'vehicle'), { meaning: { model: 'bge-small-en-v1.5', blocks: 0, embedded: 0, error: failed } });
    await meaning.settled();
    assert.deepEqual(errors, [failed], 'said once');
    assert.deepEqual(i.search({ query: 'car' }).map((p) => p.meeting.sessionId), ['money']);
    // Closed (as after a download again): the next search loads it anew.
    await meaning.dispose();
    await meaning.query(i, 'vehicle');
    assert.equal(loads, 2);
  });
});
