/**
 * Meeting memory end to end: the real daemon process over JSON-RPC, real whisper with a generated model that says
 * "Alice, can you fix auth.ts by Friday?" for every utterance of the sample recording. Two meetings run; then memory
 * finds their lines (with the notes file's line numbers), lists their action items, follows an item ticked through
 * ActionItemSetDone (MemoryChanged is sent), and is empty after Delete All Data. The log never holds the query or a line.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ActionItemSetDone, DataDelete, ErrorCodes, MemoryChangedNotification, MemoryChangedParams, MemoryDecisions, MemoryMeetings, MemorySearch, MemoryTodo,
  PROTOCOL_VERSION, SessionStart,
} from '../../protocol/protocol';
import { MEETING_SENTENCE_TOKENS, SAMPLE_WAV, sayingModel, sentenceText } from '../setup';
import { connectDaemon, rejection } from './daemon-process';

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
