/**
 * Code mentions, "while viewing" and marking items done, end to end: the real daemon process over JSON-RPC, real
 * whisper with a generated model that says "Alice, can you fix auth.ts by Friday?" for every utterance of the sample
 * recording (read at its recorded pace, so the editor activity sent mid-session lands between turns), the workspace
 * index and editor activity as the extension sends them. Then a second daemon process marks the item of the finished
 * session in storage.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import {
  ActionItem, ActionItemNotification, ActionItemSetDone, EditorActivityNotification, EditorLocation, ErrorCodes, MemoryCodeAnchors, PROTOCOL_VERSION, SessionStart, SessionStop,
  WorkspaceIndexNotification,
} from '../../protocol/protocol';
import { readJournal } from '../../daemon/journal/journal';
import { MEETING_SENTENCE_TOKENS, SAMPLE_WAV, sayingModel, sentenceText } from '../setup';
import { connectDaemon, RpcClient } from './daemon-process';

const AUTH: EditorLocation = { path: 'src/auth.ts', startLine: 40, endLine: 52 };
const CONFIG: EditorLocation = { path: 'src/config.ts', startLine: 7, endLine: 7 };
const SENTENCE = sentenceText(MEETING_SENTENCE_TOKENS);

describe('code mentions, viewing and done over JSON-RPC (real daemon, real whisper)', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let storageDir: string;
  let model: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mentions-'));
    root = path.join(dir, 'shop');
    storageDir = path.join(dir, 'storage');
    model = sayingModel('meeting', MEETING_SENTENCE_TOKENS);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function daemon(): Promise<{ client: RpcClient; items: ActionItem[] }> {
    const client = connectDaemon();
    const items: ActionItem[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir, notesDir: path.join(root, '.earshot', 'notes'), modelPath: model, threads: 1,
    });
    return { client, items };
  }

  const setDone = (client: RpcClient, sessionId: string, id: string, done: boolean) =>
    client.connection.sendRequest(ActionItemSetDone, { sessionId, id, done });

  it('stamps finals with mentions and viewing, links them in the notes, and ticks items in running and earlier sessions', async () => {
    let sessionId: string;
    let notesPath: string;
    let itemId: string;
    {
      const { client, items } = await daemon();
      try {
        await client.connection.sendNotification(WorkspaceIndexNotification, {
          root,
          files: ['src/auth.ts', 'src/config.ts', 'test/auth.test.ts', 'README.md'],
          symbols: [{ name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 7 }],
        });
        // The user opened auth.ts before the meeting started.
        await client.connection.sendNotification(EditorActivityNotification, { location: AUTH, at: Date.now() - 60_000 });
        const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', title: 'Standup' });
        ({ sessionId, notesPath } = started);

        // The running session: marking an item done answers the new revision and announces it.
        const first = await client.waitFor('the first action item', () => items.find((i) => !i.removed), 60_000);
        itemId = first.id;
        const marked = await setDone(client, sessionId, first.id, true);
        assert.deepEqual(marked, { ...first, revision: first.revision + 1, done: true });
        await client.waitFor('the done revision announced', () => items.some((i) => i.id === first.id && i.done === true));
        // Then the user moves to another file.
        await client.connection.sendNotification(EditorActivityNotification, { location: CONFIG, at: Date.now() });
        const finals = () => client.transcripts.filter((t) => t.final && t.text);
        await client.waitFor('two more finals', () => finals().length >= 3 && finals()[finals().length - 1].t0 > first.t0 + 8, 60_000);
        const stopped = await client.connection.sendRequest(SessionStop, { sessionId });

        // Every final says the sentence, mentions auth.ts and carries the place in effect when it started.
        const mentionStart = SENTENCE.indexOf('auth.ts');
        assert.ok(mentionStart > 0);
        for (const segment of stopped.segments) {
          assert.equal(segment.text, SENTENCE);
          assert.deepEqual(segment.mentions, [{ start: mentionStart, end: mentionStart + 'auth.ts'.length, target: { kind: 'file', path: 'src/auth.ts' } }]);
        }
        const places = stopped.segments.map((s) => s.viewing?.path);
        assert.equal(places[0], 'src/auth.ts', JSON.stringify(places));
        assert.equal(places[places.length - 1], 'src/config.ts', JSON.stringify(places));
        assert.deepEqual(places, [...places].sort(), 'auth.ts, then config.ts: the switch is between two turns');
        // The notifications carried the same as the journal.
        assert.deepEqual(finals().map((t) => [t.mentions, t.viewing]), stopped.segments.map((s) => [s.mentions, s.viewing]));
        const journal = await readJournal(stopped.journalPath);
        assert.deepEqual(journal.records.filter((r) => r.type === 'workspace'), [{ type: 'workspace', root }]);

        const notes = fs.readFileSync(notesPath, 'utf8');
        assert.ok(notes.includes(`Alice, can you fix [auth.ts](../../src/auth.ts) by Friday?`), notes);
        assert.ok(notes.includes('*while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52)*'), notes);
        assert.ok(notes.includes('*while viewing [src/config.ts:7](../../src/config.ts#L7)*'), notes);
        assert.equal(notes.split('*while viewing').length - 1, 2, 'one line per change of place');
        assert.match(notes, new RegExp(`- \\[x\\] Alice, can you fix \\[auth\\.ts\\]\\(\\.\\./\\.\\./src/auth\\.ts\\) by Friday\\? — @Alice, due \\d{4}-\\d\\d-\\d\\d _\\(00:\\d\\d, while viewing \\[src/auth\\.ts:40–52\\]\\(\\.\\./\\.\\./src/auth\\.ts#L40-L52\\)\\)_ <!-- earshot:${first.id} done -->`));
        assert.equal(notes.split('Alice, can you fix [auth.ts]').length - 1, 1 + stopped.segments.length, 'the repeated request is one task (and every line of the transcript)');

        // Errors: an unknown item, an unknown session.
        await assert.rejects(setDone(client, sessionId, 'a999', true), (e: unknown) =>
          e instanceof ResponseError && e.code === ErrorCodes.InvalidParams && /no action item "a999"/.test(e.message));
        await assert.rejects(setDone(client, '20250101T000000-abcdef', first.id, true), (e: unknown) =>
          e instanceof ResponseError && e.code === ErrorCodes.SessionNotFound);
        // No transcript text in the daemon's log at the default level.
        assert.ok(!client.logs.some((l) => l.includes('auth.ts') || l.includes('Alice')), client.logs.join('\n'));
      } finally {
        assert.equal(await client.dispose(), 0);
      }
    }
    {
      // A new daemon process: the finished session is found in storage, its journal reopened.
      const { client, items } = await daemon();
      try {
        const undone = await setDone(client, sessionId, itemId, false);
        assert.equal(undone.done, false);
        assert.equal(undone.sessionId, sessionId);
        const notes = fs.readFileSync(notesPath, 'utf8');
        assert.ok(!notes.includes('- [x]'), notes);
        assert.ok(notes.includes(`<!-- earshot:${itemId} -->`));
        const journal = await readJournal(path.join(storageDir, 'sessions', `${sessionId}.jsonl`));
        const last = journal.records[journal.records.length - 1];
        assert.ok(last.type === 'actionItem' && last.id === itemId && last.done === false && last.revision === undone.revision, JSON.stringify(last));
        assert.deepEqual(items, [], 'no notification: that session is not running');

        // Code that remembers its meetings: the files this meeting spoke of, each line and the open item linked to the notes.
        const anchors = await client.connection.sendRequest(MemoryCodeAnchors, { root });
        assert.equal(anchors.truncated, false);
        assert.deepEqual(anchors.files.map((f) => f.path).sort(), ['src/auth.ts', 'src/config.ts']);
        const auth = anchors.files.find((f) => f.path === 'src/auth.ts')!;
        assert.deepEqual(auth.meetings.map((m) => m.meeting.sessionId), [sessionId]);
        const [met] = auth.meetings;
        assert.ok(met.lines.length >= 3 && met.lines.every((l) => l.how === 'named' && l.text === SENTENCE), JSON.stringify(met.lines));
        const notesLines = notes.split('\n');
        for (const l of met.lines) assert.ok(notesLines[l.notesLine! - 1].includes('Alice, can you fix [auth.ts]'), `notes line ${l.notesLine}`);
        assert.deepEqual(met.actionItems.map((i) => i.item.id), [itemId], 'the item, open again, is tied to the lines that named auth.ts');
        assert.ok(notesLines[met.actionItems[0].notesLine! - 1].includes(`<!-- earshot:${itemId} -->`));
        const config = anchors.files.find((f) => f.path === 'src/config.ts')!;
        assert.ok(config.meetings[0].lines.every((l) => l.how === 'viewing'), 'config.ts was open, never named');
        assert.deepEqual(await client.connection.sendRequest(MemoryCodeAnchors, { root: path.join(dir, 'elsewhere') }), { files: [], truncated: false });
        await assert.rejects(client.connection.sendRequest(MemoryCodeAnchors, { root: '' } as never), (e: unknown) =>
          e instanceof ResponseError && e.code === ErrorCodes.InvalidParams && /root must be a non-empty string/.test(e.message));
      } finally {
        assert.equal(await client.dispose(), 0);
      }
    }
  });
});
