/**
 * Meeting memory end to end: the real daemon process over JSON-RPC, real whisper with a generated model that says
 * "Alice, can you fix auth.ts by Friday?" for every utterance of the sample recording. Two meetings run; then memory
 * finds their lines (with the notes file's line numbers), lists their action items, follows an item ticked through
 * ActionItemSetDone (MemoryChanged is sent), and is empty after Delete All Data. The log never holds the query or a line.
 * Then stored journals written by the test, large ones: Delete All Data while the index cleans up, and passages and
 * `earshot ask` prompts bounded when one speaker has the whole meeting.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ActionItemSetDone, DataDelete, ErrorCodes, HealthRequest, LanguageModelDiscover, MEMORY_PASSAGE_MAX_CHARS, MEMORY_PASSAGE_MAX_LINES, MEMORY_ASK_BOUND,
  MemoryChangedNotification, MemoryChangedParams, MemoryDecisions, MemoryMeetings, MemorySearch, MemorySearchResult, MemoryTodo, ModelDownload, ModelList,
  ModelProgressNotification, ModelProgressParams, PROTOCOL_VERSION, SessionStart,
} from '../../protocol/protocol';
import { MEETING_SENTENCE_TOKENS, notesModel, SAMPLE_WAV, sayingModel, sentenceText } from '../setup';
import { ModelServer } from '../support/model-server';
import { chatServer, userMessage } from '../support/chat-server';
import { micOnly, segment, writeJournal } from '../support/journals';
import { MemoryTool } from '../../protocol/agentTools';
import { FakeServer, hangingHandler } from '../support/local-llm-servers';
import { connectDaemon, miniDaemon, rejection, runEarshot } from './daemon-process';

const SENTENCE = sentenceText(MEETING_SENTENCE_TOKENS);

describe('meeting memory over JSON-RPC (real daemon, real whisper)', function () {
  this.timeout(180_000);
  let dir: string;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-memory-it-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('searches two recorded meetings, lists and ticks their items, and forgets them with Delete All Data', async () => {
    const client = connectDaemon();
    const changed: MemoryChangedParams[] = [];
    client.connection.onNotification(MemoryChangedNotification, (p) => { changed.push(p); });
    try {
      await client.initialize({
        protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'),
        modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1,
      });
      const empty = await client.connection.sendRequest(MemorySearch, { query: 'auth Friday' });
      assert.deepEqual(empty, { passages: [], sessions: 0, segments: 0 });

      const ids: string[] = [];
      for (const title of ['Auth review', 'Release sync']) {
        const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title });
        await client.sessionDone(started.sessionId);
        await client.waitFor(`MemoryChanged for ${title}`, () => changed.some((c) => c.sessionId === started.sessionId));
        ids.push(started.sessionId);
      }

      const found = await client.connection.sendRequest(MemorySearch, { query: 'who fixes auth.ts by Friday?', limit: 10, neighbours: 0 });
      assert.equal(found.sessions, 2);
      assert.ok(found.segments >= 2);
      assert.deepEqual(new Set(found.passages.map((p) => p.meeting.sessionId)), new Set(ids));
      for (const p of found.passages) {
        assert.ok(['Auth review', 'Release sync'].includes(p.meeting.title));
        assert.ok(p.meeting.durationSec! > 0);
        const notes = fs.readFileSync(p.meeting.notesPath, 'utf8').split('\n');
        for (const line of p.lines) {
          assert.equal(line.text, SENTENCE);
          assert.ok(line.notesLine, 'the notes file has the line');
          assert.match(notes[line.notesLine! - 1], /^- \*\*\[\d\d:\d\d\] .*:\*\* Alice, can you fix/);
        }
      }
      const onlyFirst = await client.connection.sendRequest(MemorySearch, { query: 'auth', sessionIds: [ids[0]] });
      assert.ok(onlyFirst.passages.length > 0 && onlyFirst.passages.every((p) => p.meeting.sessionId === ids[0]));
      const meetings = await client.connection.sendRequest(MemoryMeetings, {});
      assert.deepEqual(meetings.meetings.map((m) => m.sessionId).sort(), [...ids].sort());
      assert.ok(Array.isArray((await client.connection.sendRequest(MemoryDecisions, {})).decisions));

      const todo = await client.connection.sendRequest(MemoryTodo, { owners: ['ALICE'] });
      assert.deepEqual(new Set(todo.items.map((i) => i.meeting.sessionId)), new Set(ids));
      assert.ok(todo.items.every((i) => i.mine && i.item.owner === 'Alice' && i.notesLine));
      const item = todo.items[0];
      const notes = fs.readFileSync(item.meeting.notesPath, 'utf8').split('\n');
      assert.match(notes[item.notesLine! - 1], new RegExp(`^- \\[ \\] .*earshot:${item.item.id}`));

      const before = changed.length;
      await client.connection.sendRequest(ActionItemSetDone, { sessionId: item.meeting.sessionId, id: item.item.id, done: true });
      await client.waitFor('MemoryChanged for the ticked item', () => changed.slice(before).some((c) => c.sessionId === item.meeting.sessionId));
      const after = await client.connection.sendRequest(MemoryTodo, { owners: ['alice'] });
      assert.equal(after.items.length, todo.items.length - 1);
      assert.ok(!after.items.some((i) => i.meeting.sessionId === item.meeting.sessionId && i.item.id === item.item.id));

      const bad = await rejection(client.connection.sendRequest(MemorySearch, { query: '' }));
      assert.equal(bad.code, ErrorCodes.InvalidParams);

      const beforeDelete = changed.length;
      await client.connection.sendRequest(DataDelete, {});
      await client.waitFor('MemoryChanged for the delete', () => changed.slice(beforeDelete).some((c) => c.sessionId === undefined));
      assert.deepEqual(await client.connection.sendRequest(MemorySearch, { query: 'auth Friday' }), { passages: [], sessions: 0, segments: 0 });
      assert.deepEqual((await client.connection.sendRequest(MemoryTodo, {})).items, []);

      // Privacy: neither the question nor a line of the meetings reached the log.
      const log = client.logs.join('\n') + client.daemon.stderr();
      assert.ok(!log.includes('who fixes'), 'the query is not logged');
      assert.ok(!log.includes('can you fix'), 'no transcript text is logged');
    } finally {
      assert.equal(await client.dispose(), 0);
    }
  });
});

describe('meeting memory over JSON-RPC: large stored meetings (real daemon)', function () {
  this.timeout(120_000);

  it('Delete All Data while the index cleans up a meeting read again: the daemon answers on, with nothing left to find', async () => {
    // A server that accepts and never answers, on the only port discovery probes: its answer waits on a daemon timer.
    const hanging = await FakeServer.start(hangingHandler());
    const daemon = await miniDaemon('earshot-memory-vacuum-', { EARSHOT_LOCAL_SERVER_PORTS: String(hanging.port) });
    const { connection, logs } = daemon.client;
    // A request to a daemon that died is never answered: fail at its exit instead.
    const gone = new Promise<never>((_, reject) => daemon.client.daemon.child.once('exit', (code) => {
      reject(new Error(`the daemon exited (${code}): ${daemon.client.daemon.stderr().slice(-1500)}`));
    }));
    gone.catch(() => undefined); // observed by the races below
    const answer = <T>(request: Promise<T>) => Promise.race([request, gone]);
    try {
      const storage = path.join(daemon.dir, 'storage');
      // Thousands of distinct words: MiniSearch's vacuum of a replaced meeting then takes many 10 ms batches.
      const words = (m: string) => micOnly(3000, -1, '', (i) => `${m}alpha${i} ${m}beta${i} ${m}gamma${i} ${m}delta${i}`);
      const first = writeJournal(storage, '20260110T090000-aaaaaa', {}, words('a'));
      writeJournal(storage, '20260111T090000-bbbbbb', {}, words('b'));
      const found = await connection.sendRequest(MemorySearch, { query: 'aalpha7' });
      assert.deepEqual([found.sessions, found.segments], [2, 6000]);
      fs.appendFileSync(first, JSON.stringify(segment(['You', 'One more line.'], 3000)) + '\n');
      const again = await connection.sendRequest(MemorySearch, { query: 'aalpha7' }); // the grown meeting read again: a vacuum starts
      assert.equal(again.segments, 6001);
      await answer(connection.sendRequest(DataDelete, {}));
      // Answered only after a timer set now has run (its probe's time limit), so after the vacuum's next batch (a
      // 10 ms timer set before the delete): without the fix, the daemon was gone by then.
      assert.deepEqual((await answer(connection.sendRequest(LanguageModelDiscover, { timeoutMs: 50 }))).servers, []);
      assert.deepEqual(await answer(connection.sendRequest(MemorySearch, { query: 'aalpha7' })), { passages: [], sessions: 0, segments: 0 });
      assert.ok(await answer(connection.sendRequest(HealthRequest, {})));
      assert.deepEqual(logs.filter((l) => /unhandled_rejection|uncaught_exception/.test(l)), []);
    } finally {
      await daemon.close();
      await hanging.close();
    }
  });

  it('earshot/memory/tool runs the agents\' tools over the daemon\'s stored meetings; bad input is InvalidParams naming what is wrong', async () => {
    const daemon = await miniDaemon('earshot-memory-tool-');
    try {
      const storage = path.join(daemon.dir, 'storage');
      for (let m = 0; m < 3; m++) {
        writeJournal(storage, `2026011${m}T090000-${String(m).repeat(6)}`, { title: `Standup ${m}`, startedAt: `2026-01-1${m}T09:00:00.000Z` }, micOnly(400, 100 + m, 'The password is swordfish.'));
      }
      const { connection } = daemon.client;
      const search = await connection.sendRequest(MemoryTool, { name: 'search_meetings', input: { query: 'what is the password?', limit: 50 } });
      assert.equal(search.structured.tool, 'search_meetings');
      if (search.structured.tool !== 'search_meetings') return;
      assert.equal(search.structured.meetingsSearched, 3);
      assert.equal(search.structured.cited.filter((c) => c.text === 'The password is swordfish.').length, 3);
      assert.equal(search.structured.cited[0].file, path.join(storage, 'sessions', `${search.structured.cited[0].meeting.sessionId}.jsonl`));
      assert.ok(search.text.split('\n').length <= MEMORY_ASK_BOUND.lines);
      const latest = await connection.sendRequest(MemoryTool, { name: 'get_meeting_notes', input: { meeting: 'latest' } });
      assert.equal(latest.structured.tool === 'get_meeting_notes' && latest.structured.meeting.title, 'Standup 2');
      for (const [params, message] of [
        [{ name: 'drop_all', input: {} }, /unknown tool "drop_all"/],
        [{ name: 'list_meetings', input: { limit: 'all' } }, /"limit" must be a whole number/],
        [{ name: 'get_meeting_notes', input: { meeting: 'retro' } }, /no meeting matches "retro"/],
        [{ name: 'list_meetings', input: [] }, /input must be an object/],
      ] as const) {
        const error = await rejection(connection.sendRequest(MemoryTool, params as never));
        assert.equal(error.code, ErrorCodes.InvalidParams);
        assert.match(error.message, message);
      }
      assert.ok(!daemon.client.daemon.stderr().includes('swordfish'), 'no transcript text in the log');
    } finally {
      await daemon.close();
    }
  });

  it('one speaker through eight meetings of 1,000 lines: each passage, the answer and an ask prompt stay small', async () => {
    const daemon = await miniDaemon('earshot-memory-turns-');
    const server = await chatServer('It is swordfish [1].');
    try {
      const storage = path.join(daemon.dir, 'storage');
      for (let m = 0; m < 8; m++) {
        writeJournal(storage, `2026011${m}T090000-${String(m).repeat(6)}`, { startedAt: `2026-01-1${m}T09:00:00.000Z` }, micOnly(1000, 100 * m + 50, 'The password is swordfish.'));
      }
      const result = await daemon.client.connection.sendRequest(MemorySearch, { query: 'what is the password?', limit: 8, neighbours: 5 });
      assert.equal(result.passages.length, 8);
      for (const p of result.passages) {
        assert.ok(p.lines.length <= MEMORY_PASSAGE_MAX_LINES && p.lines.reduce((n, l) => n + l.text.length, 0) <= MEMORY_PASSAGE_MAX_CHARS);
        assert.equal(p.lines.filter((l) => l.hit).length, 1);
      }
      // Before: 8,000 lines, 1.2 MB. Now the text bound and ~200 bytes of fields a line, per passage.
      const bytes = JSON.stringify(result).length;
      assert.ok(bytes < 8 * (MEMORY_PASSAGE_MAX_CHARS + 200 * MEMORY_PASSAGE_MAX_LINES), `${bytes} bytes`);

      const ask = await runEarshot(['ask', 'what is the password?', '--llm-endpoint', server.endpoint, '--limit', '50', '--json'], { EARSHOT_STORAGE: storage });
      assert.equal(ask.code, 0, ask.stderr);
      const prompt = userMessage(server.bodies[0]);
      const lines = prompt.split('\n').filter((l) => /^\[\d+\] /.test(l));
      assert.ok(lines.length <= 8 * MEMORY_PASSAGE_MAX_LINES && lines.length <= MEMORY_ASK_BOUND.lines, `${lines.length} lines`);
      assert.ok(prompt.length <= MEMORY_ASK_BOUND.chars);
      assert.equal(lines.filter((l) => l.includes('swordfish')).length, 8);
    } finally {
      server.close();
      await daemon.close();
    }
  });
});

describe('meeting memory by meaning: the model downloaded on request (real daemon, local https server, a generated GGUF)', function () {
  this.timeout(180_000);
  let models: ModelServer;
  let dir: string;

  before(async () => {
    models = await ModelServer.start('earshot-meaning-it-');
    dir = models.dir;
  });
  after(() => models?.stop());

  it('none until asked; kind memory downloads it; searches then read the meetings with it, and Delete All Data with models removes it', async () => {
    const body = fs.readFileSync(notesModel('random'));
    const file = 'meaning-test.gguf';
    const client = connectDaemon({ EARSHOT_MEMORY_CATALOG: models.catalog('bge-small-en-v1.5', file, body), NODE_EXTRA_CA_CERTS: models.caFile });
    const progress: ModelProgressParams[] = [];
    client.connection.onNotification(ModelProgressNotification, (p) => { progress.push(p); });
    try {
      const storage = path.join(dir, 'storage');
      await client.initialize({
        protocolVersion: PROTOCOL_VERSION, storageDir: storage, notesDir: path.join(dir, 'notes'), modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS),
        modelCacheDir: path.join(storage, 'models'), threads: 1,
      });
      writeJournal(storage, '20260110T090000-aaaaaa', { title: 'Garden' }, micOnly(30, 12, 'The roses need water before the frost.'));
      writeJournal(storage, '20260111T090000-bbbbbb', { title: 'Cars' }, micOnly(30, 7, 'The automobile needs new tyres.'));
      const question = 'what about the roses?';
      const before = await client.connection.sendRequest(MemorySearch, { query: question });
      assert.equal(before.meaning, undefined, 'no meaning model: words alone');
      assert.equal(before.passages[0]?.meeting.title, 'Garden');
      assert.deepEqual((await client.connection.sendRequest(ModelList, {})).memory?.models.map((m) => [m.id, m.state, m.licence]), [['bge-small-en-v1.5', 'missing', 'MIT']]);
      assert.deepEqual(progress.filter((p) => p.kind === 'memory'), [], 'a search downloads nothing');

      const bad = await rejection(client.connection.sendRequest(ModelDownload, { modelId: 'minilm', kind: 'memory' }));
      assert.equal(bad.code, ErrorCodes.InvalidParams);
      assert.match(bad.message, /Unknown meaning model "minilm": choose one of bge-small-en-v1.5/);
      const got = await client.connection.sendRequest(ModelDownload, { modelId: 'bge-small-en-v1.5', kind: 'memory' });
      assert.deepEqual(got, { modelId: 'bge-small-en-v1.5', path: path.join(storage, 'models', 'memory', file), bytes: body.length, resumedFrom: 0, downloaded: true });
      assert.deepEqual(progress.at(-1), { model: 'bge-small-en-v1.5', kind: 'memory', phase: 'done', fraction: 1, bytes: body.length, totalBytes: body.length });
      assert.equal((await client.connection.sendRequest(ModelList, {})).memory?.models[0].state, 'ready');

      // The first search loads it and starts reading the meetings' blocks; a later one has read them all.
      let found: MemorySearchResult = await client.connection.sendRequest(MemorySearch, { query: question });
      assert.ok(found.meaning && found.meaning.blocks >= 2, JSON.stringify(found.meaning));
      while (found.meaning!.embedded < found.meaning!.blocks && !found.meaning!.error) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        found = await client.connection.sendRequest(MemorySearch, { query: question });
      }
      assert.equal(found!.meaning!.model, 'bge-small-en-v1.5');
      assert.equal(found!.meaning!.error, undefined);
      // A generated model's vectors mean nothing: the words' hit is still among the fused passages.
      assert.ok(found!.passages.some((p) => p.meeting.title === 'Garden' && p.lines.some((l) => l.text.includes('roses'))), JSON.stringify(found!.passages.map((p) => p.meeting.title)));

      // Its vectors are kept beside each journal, and go with it.
      const sessionsDir = path.join(storage, 'sessions');
      assert.deepEqual(fs.readdirSync(sessionsDir).filter((f) => f.endsWith('.meaning.bin')).sort(), ['20260110T090000-aaaaaa.meaning.bin', '20260111T090000-bbbbbb.meaning.bin']);
      await client.connection.sendRequest(DataDelete, { includeModels: true });
      assert.ok(!fs.existsSync(got.path), 'the model file is deleted (it was closed first)');
      assert.deepEqual(fs.readdirSync(sessionsDir), [], 'no vectors file outlives its session');
      assert.equal((await client.connection.sendRequest(ModelList, {})).memory?.models[0].state, 'missing');
      assert.deepEqual(await client.connection.sendRequest(MemorySearch, { query: question }), { passages: [], sessions: 0, segments: 0 });
      const log = client.logs.join('\n') + client.daemon.stderr();
      assert.ok(!log.includes('roses'), 'neither the question nor a line is logged');
      assert.ok(!log.includes('meaning_model_failed'), log.slice(-2000));
    } finally {
      assert.equal(await client.dispose(), 0, client.daemon.stderr().slice(-2000));
    }
  });

  it('the CLI: `earshot models download` gets it, and `earshot ask` reads the meetings with it first (not with --words-only)', async () => {
    const body = fs.readFileSync(notesModel('random'));
    const file = 'meaning-cli.gguf';
    const storage = path.join(dir, 'cli-storage');
    const env = { EARSHOT_MEMORY_CATALOG: models.catalog('bge-small-en-v1.5', file, body), NODE_EXTRA_CA_CERTS: models.caFile, EARSHOT_STORAGE: storage };
    writeJournal(storage, '20260110T090000-aaaaaa', { title: 'Garden' }, micOnly(30, 12, 'The roses need water before the frost.'));
    const words = await runEarshot(['ask', 'what about the roses?'], env);
    assert.equal(words.code, 0, words.stderr);
    assert.doesNotMatch(words.stderr, /meeting search model/, 'none downloaded: nothing said, nothing loaded');
    const listed = JSON.parse((await runEarshot(['models', '--json'], env)).stdout) as { memory: { models: { id: string; state: string }[] } };
    assert.deepEqual(listed.memory.models.map((m) => [m.id, m.state]), [['bge-small-en-v1.5', 'missing']]);
    const got = await runEarshot(['models', 'download', 'bge-small-en-v1.5'], env);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.trim(), `Downloaded: ${path.join(storage, 'models', 'memory', file)}`);
    assert.match(got.stderr, /downloading bge-small-en-v1\.5: 100%/);
    const meant = await runEarshot(['ask', 'what about the roses?'], env);
    assert.equal(meant.code, 0, meant.stderr);
    assert.match(meant.stderr, /the meeting search model is reading \d+ parts of your meetings/);
    assert.match(meant.stdout, /roses need water/, 'the words\' hit is still among the fused passages');
    assert.ok(fs.existsSync(path.join(storage, 'sessions', '20260110T090000-aaaaaa.meaning.bin')), 'its vectors kept beside the journal');
    const again = await runEarshot(['ask', 'what about the roses?'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /meeting search model is reading/, 'the next ask reads the kept vectors, not the meetings');
    assert.equal(again.stdout, meant.stdout);
    const only = await runEarshot(['ask', 'what about the roses?', '--words-only'], env);
    assert.doesNotMatch(only.stderr, /meeting search model/);
    assert.equal(only.stdout, words.stdout, '--words-only: the passages of words alone');
  });
});
