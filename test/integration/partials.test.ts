/**
 * Partials only while someone reads them (issue 41), end to end: a real daemon over JSON-RPC with the real Silero VAD
 * and the mini whisper model (every word it says is "hello"), the sample meeting played at real-time pace. A client
 * that says it shows no partials (earshot/partials {wanted: false}) gets finals only; once it says it does, partials
 * come again, mid-session.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PartialsWanted, SessionStart, TranscriptSegment } from '../../protocol/protocol';
import { FIXTURES_DIR, SAMPLE_WAV, TEST_WORD } from '../setup';
import { firstTurnWav } from '../support/speech';
import { turnsOf } from '../support/turns';
import { miniDaemon, RpcClient } from './daemon-process';

interface Turn { start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8'));
const HELLO_WORDS = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);

describe('partials only while a client reads them (real daemon, real VAD, real whisper)', () => {
  let daemon: Awaited<ReturnType<typeof miniDaemon>>;
  let client: RpcClient;
  let sessionId: string;
  /** The transcripts received before the client said it reads partials again. */
  let beforeWanted: TranscriptSegment[];
  let logsBeforeBadParams: number;

  before(async function () {
    this.timeout(120_000);
    daemon = await miniDaemon('earshot-partials-');
    client = daemon.client;
    logsBeforeBadParams = client.logs.length;
    await client.connection.sendNotification('earshot/partials', { wanted: 'yes' });
    await client.connection.sendNotification('earshot/partials', null);
    await client.connection.sendNotification(PartialsWanted, { wanted: false });
    sessionId = (await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', title: 'Hidden panel' })).sessionId;
    // Nobody reads partials until the first two turns are final; then the panel shows.
    await client.waitFor('the second final', () => client.transcripts.filter((t) => t.final).length >= 2 || undefined, 60_000);
    beforeWanted = client.transcripts.slice();
    await client.connection.sendNotification(PartialsWanted, { wanted: true });
    await client.sessionDone(sessionId);
  });

  after(async () => daemon?.close());

  const mine = () => client.transcripts.filter((t) => t.sessionId === sessionId);

  it('sends no partial while the client does not want them, and every final', () => {
    assert.equal(beforeWanted.filter((t) => !t.final).length, 0, JSON.stringify(beforeWanted));
    const finals = mine().filter((t) => t.final);
    // One per turn, or pieces of one chained by `continues` where the early end split it (support/turns.ts).
    assert.equal(turnsOf(finals).length, TURNS.length, JSON.stringify(finals));
    for (const f of finals) assert.match(f.text, HELLO_WORDS);
  });

  it('sends partials again once the client wants them (mid-session), each before its own final', () => {
    const all = mine();
    const partials = all.slice(beforeWanted.length).filter((t) => !t.final);
    assert.ok(partials.length >= 2, `${partials.length} partials after the client asked for them`);
    const wantedSegments = new Set(partials.map((p) => p.segmentId));
    assert.ok(wantedSegments.size >= 2, `partials of ${wantedSegments.size} turn(s)`);
    for (const p of partials) {
      const finalAt = all.findIndex((t) => t.final && t.segmentId === p.segmentId);
      assert.ok(all.indexOf(p) < finalAt, `a partial of ${p.segmentId} after its final`);
      assert.match(p.text, HELLO_WORDS);
    }
  });

  it('with nobody reading, each final is decoded once, at the end of its utterance (no early final, no partial)', async function () {
    this.timeout(60_000);
    // The first turn alone: its voice drops after each sentence, where an early final would start and be set aside.
    const file = firstTurnWav(FIXTURES_DIR, SAMPLE_WAV, TURNS[0].end);
    await client.connection.sendNotification(PartialsWanted, { wanted: false });
    const healthBefore = client.health.length;
    const { sessionId: unread } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: file, pace: 'realtime', title: 'Nobody' });
    await client.sessionDone(unread);
    const health = await client.waitFor('health after the session', () => client.health.slice(healthBefore).find((h) => h.recognizer?.finals === 1 && h.backlogSec === 0));
    assert.deepEqual(client.transcripts.filter((t) => t.sessionId === unread).map((t) => t.final), [true]);
    const r = health.recognizer!;
    assert.deepEqual([r.finals, r.finalDecodes, r.partialsDecoded], [1, 1, 0]);
  });

  it('logs bad earshot/partials params (the reason, not the params) and keeps going', () => {
    const warnings = client.logs.slice(logsBeforeBadParams).filter((l) => l.includes('"bad_partials"'));
    assert.equal(warnings.length, 2, client.logs.slice(logsBeforeBadParams).join('\n'));
  });
});
