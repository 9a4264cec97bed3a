/**
 * The meaning model in the win32-x64 package's daemon under Wine (issue 40): node-llama-cpp's win-x64 build loads the
 * model and reads the meetings, and Delete All Data with models deletes its file, which Windows refuses while the
 * model is loaded. llama.cpp maps a model file (src/llama-mmap.cpp, `llama_mmap::impl`: CreateFileMapping and
 * MapViewOfFile) and unmaps it only in its destructor (UnmapViewOfFile), so the daemon closes the model first
 * (daemon/memory/meaningSearch.ts). Wine 8.0 keeps that rule: a file with a mapped view cannot be deleted (EPERM from
 * node's unlink), which this test checks first, so that the daemon's deletion shows the model was closed.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDeleteResult, MemorySearchResult } from '../../protocol/protocol';
import { notesModel, REPO_ROOT } from '../setup';
import { micOnly, writeJournal } from '../support/journals';
import { START_MS, WineDaemon } from './daemon';
import { NODE_EXE, runWindows, win32Package, winPath } from './wine';

describe('the meaning model in the win32-x64 package\'s daemon under Wine (node-llama-cpp win-x64)', function () {
  this.timeout(10 * 60_000);
  let dir: string;
  let daemon: WineDaemon | undefined;

  before(async () => {
    assert.ok(fs.existsSync(NODE_EXE), `${NODE_EXE} missing: npm run test:wine runs scripts/wine-setup.sh first`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, '.win32-x64', 'overlay.json')), 'no win32 build: npm run test:wine runs scripts/build-win32.js first');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-memory-'));
    await win32Package();
  });
  after(async () => {
    await daemon?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the meetings with it, and Delete All Data with models closes it before deleting its file (Windows refuses a mapped file)', async () => {
    // The model where a download leaves it (a generated GGUF in the catalog's place, unmarked: hashed at its first use).
    const root = path.join(dir, 'data');
    const model = path.join(root, 'models', 'memory', 'meaning.gguf');
    const body = fs.readFileSync(notesModel('random'));
    fs.mkdirSync(path.dirname(model), { recursive: true });
    fs.writeFileSync(model, body);
    const catalog = path.join(dir, 'catalog.json');
    fs.writeFileSync(catalog, JSON.stringify([{
      id: 'bge-small-en-v1.5', file: 'meaning.gguf', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), url: 'https://127.0.0.1:9/meaning.gguf',
    }]));
    writeJournal(root, '20260110T090000-aaaaaa', { title: 'Garden' }, micOnly(30, 12, 'The roses need water before the frost.'));
    writeJournal(root, '20260111T090000-bbbbbb', { title: 'Cars' }, micOnly(30, 7, 'The automobile needs new tyres.'));
    // No Vulkan device (ggml hides software ones unless named): the CPU build, as the package test does.
    daemon = await WineDaemon.start({ EARSHOT_MEMORY_CATALOG: winPath(catalog), GGML_VK_VISIBLE_DEVICES: '' }, dir,
      { storageDir: winPath(root), modelCacheDir: winPath(path.join(root, 'models')) });
    const conn = daemon.conn;
    const search = async (): Promise<MemorySearchResult> => {
      const answer = await conn.client.request('earshot/memory/search', { query: 'what about the roses?' }, START_MS);
      assert.equal(answer.error, undefined, JSON.stringify(answer.error));
      return answer.result as MemorySearchResult;
    };

    // The first search loads the model and starts reading the meetings; wait until it has read them all.
    let found = await search();
    assert.ok(found.meaning && found.meaning.blocks >= 2, JSON.stringify(found.meaning));
    for (const deadline = Date.now() + START_MS; found.meaning!.embedded < found.meaning!.blocks;) {
      assert.equal(found.meaning!.error, undefined, 'the meaning model failed');
      assert.ok(Date.now() < deadline, `the meaning model read ${found.meaning!.embedded} of ${found.meaning!.blocks} blocks in ${START_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      found = await search();
    }
    assert.equal(found.meaning!.model, 'bge-small-en-v1.5');
    assert.ok(found.passages.some((p) => p.meeting.title === 'Garden' && p.lines.some((l) => l.text.includes('roses'))), JSON.stringify(found.passages.map((p) => p.meeting.title)));
    const sessions = path.join(root, 'sessions');
    assert.deepEqual(fs.readdirSync(sessions).filter((f) => f.endsWith('.meaning.bin')).sort(), ['20260110T090000-aaaaaa.meaning.bin', '20260111T090000-bbbbbb.meaning.bin']);

    // While the daemon holds the model, Windows (Wine) refuses to delete its file.
    const tryDelete = await runWindows(NODE_EXE, ['-e', "try { require('fs').unlinkSync(process.argv[1]); console.log('deleted'); } catch (e) { console.log(e.code); }", winPath(model)], { timeoutMs: START_MS });
    assert.equal(tryDelete.stdout.trim(), 'EPERM', `a loaded model's file: ${tryDelete.stdout} ${tryDelete.stderr}`);

    const deleted = await conn.client.request('earshot/data/delete', { includeModels: true }, START_MS);
    assert.equal(deleted.error, undefined, JSON.stringify(deleted.error));
    const result = deleted.result as DataDeleteResult;
    assert.equal(result.journals.files, 2, JSON.stringify(result));
    assert.deepEqual(result.kept, [], 'nothing kept (a model still loaded would be, with why)');
    assert.ok(!fs.existsSync(model), 'the model file is deleted: the daemon closed the model first');
    assert.deepEqual(fs.readdirSync(sessions), [], 'no journal or vectors file is left');
    const after = await search();
    assert.deepEqual(after, { passages: [], sessions: 0, segments: 0 });
    const log = daemon.proc.output().stderr;
    assert.ok(!log.includes('roses'), 'neither the question nor a line is logged');
    assert.ok(!log.includes('meaning_model_failed'), log.slice(-2000));
  });
});
