/**
 * The notes model catalog (daemon/models/notesCatalog.ts): every entry can be downloaded and checked
 * (a pinned https file, its size, a sha256, a named licence), the recommendation by memory, cores and GPU; and the cache
 * (notesModels.ts): a notes model downloaded from a local https server serving a generated file with matching size and
 * sha256, resumed, marked verified, listed, and refused with a clear message when it is not there or not the published file.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MachineFacts } from '../../daemon/models/capabilities';
import { Io, main } from '../../daemon/cli';
import { findNotesModel, NOTES_CATALOG, notesCatalog, recommendNotesModel } from '../../daemon/models/notesCatalog';
import {
  cachedNotesModel, downloadNotesModel, listNotesModels, notesCacheDir, notesModelFile, NotesModelUnavailable,
} from '../../daemon/models/notesModels';
import { TestHttpsServer } from './https-server';

const GiB = 1024 ** 3;

function machine(facts: Partial<MachineFacts>): MachineFacts {
  return {
    platform: 'linux', arch: 'x64', totalMemoryBytes: 8 * GiB, cores: 4, avx2: true, whisperBuild: 'x86-64-v3',
    appleSilicon: false, metal: false, whisperGpu: false, whisperGpuDevice: null, nvidiaGpus: [], ...facts,
  };
}

describe('Notes model catalog', () => {
  it('has two or three small instruct models in 4-bit GGUF, each a pinned https file with its size, sha256 and licence', () => {
    assert.ok(NOTES_CATALOG.length >= 2 && NOTES_CATALOG.length <= 3, `${NOTES_CATALOG.length} entries`);
    for (const m of NOTES_CATALOG) {
      assert.match(m.url, /^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+-GGUF\/resolve\/[0-9a-f]{40}\/[\w.-]+\.gguf$/, `${m.id}: a file at a pinned revision`);
      assert.ok(m.url.endsWith(`/${m.file}`), `${m.id}: the URL names the file`);
      assert.match(m.sha256, /^[0-9a-f]{64}$/, m.id);
      assert.ok(Number.isSafeInteger(m.bytes) && m.bytes > 500e6 && m.bytes < 3e9, `${m.id}: ${m.bytes} bytes`);
      assert.ok(/^(Apache-2\.0|MIT|Llama 3\.2 Community License)$/.test(m.licence), `${m.id}: licence ${m.licence}`);
      assert.match(m.licenceUrl, /^https:\/\/huggingface\.co\/.+\/LICENSE/);
      assert.equal(m.quantization, 'Q4_K_M');
      assert.match(m.parameters, /^\d(\.\d)?B$/);
      assert.ok(m.contextTokens >= 32_768 && m.ramMiB > m.bytes / 2 ** 20, m.id);
      assert.ok(m.note.length > 20 && m.name.length > 5, m.id);
    }
    assert.equal(new Set(NOTES_CATALOG.map((m) => m.id)).size, NOTES_CATALOG.length, 'unique ids');
    assert.equal(new Set(NOTES_CATALOG.map((m) => m.file)).size, NOTES_CATALOG.length, 'unique files');
    assert.equal(new Set(NOTES_CATALOG.map((m) => m.sha256)).size, NOTES_CATALOG.length, 'unique hashes');
  });

  it('orders sizes, memory and memory floors together, with a model for any machine', () => {
    const bySize = [...NOTES_CATALOG].sort((a, b) => a.bytes - b.bytes);
    assert.deepEqual(bySize, [...NOTES_CATALOG].sort((a, b) => a.ramMiB - b.ramMiB));
    assert.deepEqual(bySize, [...NOTES_CATALOG].sort((a, b) => a.minMachineGiB - b.minMachineGiB));
    assert.equal(bySize[0].minMachineGiB, 0);
  });

  it('recommends by memory: under 8 GB the 1.5B, 8–16 GB the 3B, 16 GB and more the 4B', () => {
    const pick = (facts: Partial<MachineFacts>) => recommendNotesModel(machine(facts)).model.id;
    assert.equal(pick({ totalMemoryBytes: 4 * GiB }), 'qwen2.5-1.5b');
    assert.equal(pick({ totalMemoryBytes: 7.5 * GiB }), 'qwen2.5-1.5b');
    assert.equal(pick({ totalMemoryBytes: 8 * GiB }), 'llama-3.2-3b');
    assert.equal(pick({ totalMemoryBytes: 16 * GiB, cores: 8 }), 'qwen3-4b');
    assert.equal(pick({ totalMemoryBytes: 64 * GiB, cores: 16 }), 'qwen3-4b');
  });

  it('steps down where no GPU helps a CPU too slow for the model, and not where one does', () => {
    const pick = (facts: Partial<MachineFacts>) => recommendNotesModel(machine(facts));
    assert.equal(pick({ totalMemoryBytes: 16 * GiB, cores: 4 }).model.id, 'llama-3.2-3b', '4 cores: the 4B is too slow');
    assert.equal(pick({ totalMemoryBytes: 8 * GiB, cores: 2 }).model.id, 'qwen2.5-1.5b', '2 cores');
    const noAvx = pick({ totalMemoryBytes: 32 * GiB, cores: 16, avx2: false });
    assert.equal(noAvx.model.id, 'qwen2.5-1.5b');
    assert.match(noAvx.reason, /without AVX2/);
    const metal = pick({ platform: 'darwin', arch: 'arm64', avx2: false, totalMemoryBytes: 16 * GiB, cores: 4, metal: true, appleSilicon: true });
    assert.equal(metal.model.id, 'qwen3-4b');
    assert.match(metal.reason, /Metal/);
    const nvidia = pick({ totalMemoryBytes: 16 * GiB, cores: 4, nvidiaGpus: ['NVIDIA GeForce RTX 4060'] });
    assert.equal(nvidia.model.id, 'qwen3-4b', 'a GPU nvidia-smi lists');
    assert.match(nvidia.reason, /a GPU \(NVIDIA GeForce RTX 4060, listed by nvidia-smi\)/);
    const vulkan = pick({ totalMemoryBytes: 16 * GiB, cores: 4, whisperGpu: true, whisperGpuDevice: { name: 'AMD Radeon RX 7600', backend: 'Vulkan' } });
    assert.equal(vulkan.model.id, 'qwen3-4b', "a GPU whisper's Vulkan module found");
    assert.match(vulkan.reason, /a GPU \(AMD Radeon RX 7600, found by whisper's Vulkan module\)/);
    assert.equal(pick({ arch: 'arm64', avx2: false, totalMemoryBytes: 8 * GiB, cores: 4 }).model.id, 'llama-3.2-3b', 'arm64 has NEON');
  });

  it('a choice in the settings wins, with a warning on too little memory; an unknown one is said and replaced', () => {
    const chosen = recommendNotesModel(machine({ totalMemoryBytes: 8 * GiB }), { model: 'qwen3-4b' });
    assert.equal(chosen.model.id, 'qwen3-4b');
    assert.equal(chosen.source, 'setting');
    assert.match(chosen.warnings.join(' '), /16 GB of memory or more; this machine has 8 GB/);
    const unknown = recommendNotesModel(machine({}), { model: 'gpt-5' });
    assert.equal(unknown.source, 'detected');
    assert.match(unknown.warnings.join(' '), /no notes model "gpt-5"/);
    assert.match(recommendNotesModel(machine({ totalMemoryBytes: 2 * GiB })).warnings.join(' '), /takes about 1\.7 GB/);
  });

  it('EARSHOT_NOTES_CATALOG replaces an entry\'s file, size, sha256 and URL, and refuses a malformed one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notes-catalog-'));
    try {
      const file = path.join(dir, 'catalog.json');
      fs.writeFileSync(file, JSON.stringify([{ id: 'qwen3-4b', file: 'tiny.gguf', bytes: 10, sha256: 'a'.repeat(64), url: 'https://127.0.0.1/tiny.gguf' }]));
      const entry = notesCatalog({ EARSHOT_NOTES_CATALOG: file }).find((m) => m.id === 'qwen3-4b')!;
      assert.deepEqual([entry.file, entry.bytes, entry.sha256, entry.url, entry.licence], ['tiny.gguf', 10, 'a'.repeat(64), 'https://127.0.0.1/tiny.gguf', 'Apache-2.0']);
      fs.writeFileSync(file, JSON.stringify([{ id: 'qwen3-4b', file: 'tiny.gguf', bytes: 10, sha256: 'a'.repeat(64), url: 'http://127.0.0.1/tiny.gguf' }]));
      assert.throws(() => notesCatalog({ EARSHOT_NOTES_CATALOG: file }), /url \(https\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Notes models in the cache (download from a local https server)', function () {
  this.timeout(20_000);
  let server: TestHttpsServer;
  let dir: string;
  let cache: string;
  let body: Buffer;
  const ID = 'qwen2.5-1.5b';
  const FILE = 'generated-notes-model.gguf';

  before(async () => {
    server = new TestHttpsServer();
    await server.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notes-models-'));
    cache = path.join(dir, 'models');
    body = Buffer.concat([Buffer.from('GGUF'), randomBytes(300_000)]);
    server.routes.set(`/hf/${FILE}`, { body, chunk: 16 * 1024 });
    server.routes.set(`/mirror/${FILE}`, { body });
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify([{
      id: ID, file: FILE, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), url: server.url(`/hf/${FILE}`),
    }]));
    process.env.EARSHOT_NOTES_CATALOG = path.join(dir, 'catalog.json');
  });
  after(async () => {
    delete process.env.EARSHOT_NOTES_CATALOG;
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a model not downloaded is refused with its size and how to get it', async () => {
    delete process.env.EARSHOT_NOTES_CATALOG;
    try {
      const published = findNotesModel(ID)!;
      await assert.rejects(cachedNotesModel(ID, notesCacheDir(cache)), (e: Error) => e instanceof NotesModelUnavailable && e.state === 'missing'
        && e.message === `The local notes model ${ID} is not downloaded (1.1 GB): download it from the panel, or run \`earshot models download ${ID}\`; `
        + 'or set earshot.notes.model.path to a GGUF model you already have.');
      assert.equal(notesModelFile(ID, notesCacheDir(cache)), path.join(cache, 'notes', published.file));
    } finally {
      process.env.EARSHOT_NOTES_CATALOG = path.join(dir, 'catalog.json');
    }
  });

  it('downloads resumably into <cache>/notes, verified, then answers the verified path', async () => {
    const notes = notesCacheDir(cache);
    fs.mkdirSync(notes, { recursive: true });
    fs.writeFileSync(path.join(notes, `${FILE}.part`), body.subarray(0, 100_000)); // a download cut off earlier
    await assert.rejects(cachedNotesModel(ID, notes), (e: Error) => e instanceof NotesModelUnavailable && e.state === 'partial' && /only partly downloaded/.test(e.message));
    const progress: number[] = [];
    const result = await downloadNotesModel(ID, { modelCacheDir: cache }, { ca: server.ca, progressIntervalMs: 0, onProgress: (p) => progress.push(p.bytesDone) });
    assert.deepEqual(server.requestsFor(`/hf/${FILE}`).map((r) => r.range), ['bytes=100000-']);
    assert.deepEqual(result, { modelId: ID, path: path.join(notes, FILE), bytes: body.length, resumedFrom: 100_000, downloaded: true });
    assert.equal(progress[0], 100_000);
    assert.equal(progress.at(-1), body.length);
    assert.ok(fs.readFileSync(result.path).equals(body));
    assert.ok(fs.existsSync(`${result.path}.verified.json`), 'marked verified: the gigabytes are not hashed at every load');
    assert.equal(await cachedNotesModel(ID, notes), result.path);
    const again = await downloadNotesModel(ID, { modelCacheDir: cache }, { ca: server.ca });
    assert.equal(again.downloaded, false, 'already there: nothing fetched');
    assert.equal(server.requestsFor(`/hf/${FILE}`).length, 1);
  });

  it('lists the catalog with each state and the recommended model, the offline path when set', async () => {
    const list = await listNotesModels({ modelCacheDir: cache, machine: machine({ totalMemoryBytes: 8 * GiB }), modelPath: '/models/mine.gguf' });
    assert.equal(list.cacheDir, path.join(cache, 'notes'));
    assert.equal(list.path, '/models/mine.gguf');
    assert.equal(list.recommendedId, 'llama-3.2-3b');
    assert.deepEqual(list.models.map((m) => [m.id, m.state, m.recommended]), [
      ['qwen2.5-1.5b', 'ready', false], ['llama-3.2-3b', 'missing', true], ['qwen3-4b', 'missing', false],
    ]);
    assert.equal(list.models[1].licence, 'Llama 3.2 Community License');
    assert.equal((await listNotesModels({ modelCacheDir: cache, machine: machine({}) })).path, null);
  });

  it('a damaged file is never answered, and repair downloads it again (from a mirror, checked all the same)', async () => {
    const file = path.join(notesCacheDir(cache), FILE);
    const damaged = Buffer.from(body);
    damaged[10] ^= 0xff;
    fs.writeFileSync(file, damaged);
    await assert.rejects(cachedNotesModel(ID, notesCacheDir(cache)), (e: Error) => e instanceof NotesModelUnavailable && e.state === 'corrupt' && /--repair/.test(e.message));
    await assert.rejects(downloadNotesModel(ID, { modelCacheDir: cache }, { ca: server.ca }), /damaged/);
    const repaired = await downloadNotesModel(ID, { modelCacheDir: cache, mirror: server.url('/mirror') }, { ca: server.ca, repair: true });
    assert.equal(repaired.downloaded, true);
    assert.equal(server.requestsFor(`/mirror/${FILE}`).length, 1);
    assert.equal(await cachedNotesModel(ID, notesCacheDir(cache)), file);
  });

  it('`earshot models` lists the notes models in their own section: size, licence, downloaded or not, the recommended one', async () => {
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: () => undefined };
    const storage = process.env.EARSHOT_STORAGE;
    process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
    try {
      assert.equal(await main(['models', '--cache-dir', cache], io), 0);
    } finally {
      if (storage === undefined) delete process.env.EARSHOT_STORAGE;
      else process.env.EARSHOT_STORAGE = storage;
    }
    const at = out.indexOf('\nNotes models (write the notes on this machine; downloaded only when you ask):');
    assert.ok(at > out.indexOf('Whisper models (speech recognition):') && out[0] === 'Whisper models (speech recognition):', out.join('\n'));
    const rows = out.slice(at + 1, at + 4);
    assert.match(rows[0], /^[ *] qwen2\.5-1\.5b +0 MB {2}ready {4}Apache-2\.0: Small and quick/, 'the generated file: ready');
    assert.match(rows[1], /^[ *] llama-3\.2-3b +2019 MB {2}missing {2}Llama 3\.2 Community License: /);
    assert.match(rows[2], /^[ *] qwen3-4b +2497 MB {2}missing {2}Apache-2\.0: /);
    assert.equal(rows.filter((r) => r.startsWith('*')).length, 1, 'one recommended');
    assert.ok(out.some((l) => l.startsWith('\n* recommended: ') && l.endsWith(`Cache: ${path.join(cache, 'notes')}`)), out.join('\n'));
    assert.ok(out.some((l) => /^Download one with: earshot models download (qwen2\.5-1\.5b|llama-3\.2-3b|qwen3-4b)$/.test(l)));
  });
});
