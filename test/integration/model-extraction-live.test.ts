/**
 * The opt-in language-model extraction while a meeting records, end to end: the real daemon transcribing the sample at
 * real-time pace with a model that says one known sentence, provider 'openai-compatible' against the SCRIPTED
 * chat-completions server (scripted-extraction.ts). Each closed chunk is sent, answered, journaled and announced before
 * the stop (which sends only the last), and the rolling summary is revised per chunk with cites that land on the
 * transcript lines they name (and settled at stop: summary-settle.test.ts). With the settings' carryNotes (prompt v7),
 * each part is sent once the one before it is answered and carries its notes, and a decision a later part settles is
 * journaled and shown with its history. At stop over a known session: model-extraction-stop.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalRecord, readJournal } from '../../daemon/journal/journal';
import { clock } from '../../protocol/markdownText';
import { SAMPLE_WAV, sayingModel } from '../setup';
import {
  ActionItemNotification, Decision, DecisionNotification, ExtractionProgressNotification, ExtractionProgressParams, PROTOCOL_VERSION, SessionStart,
  SummaryNotification, SummaryParams,
} from '../../protocol/protocol';
import { connectDaemon, RpcClient } from './daemon-process';
import { reply, scriptedExtraction } from './scripted-extraction';

describe('language-model extraction over the whole meeting (real daemon, scripted endpoint)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();
  const { scriptedServer } = fx;
  // Every final says this (about 280 characters): 1000-character chunks of two or three lines; the sample's six turns
  // make three chunks, the first two closed while the meeting runs (by the finals of turns 4 and 5).
  const TOKENS = [' Alice', ' reviews-the', ' quarterly-budget', ' figures-and-the', ' release-plan', ' with-finance', ' before-the', ' steering',
    ' committee-meets', ' next-Friday', ' morning-and', ' reports-back', ' to-the-whole', ' engineering', ' team-with-a', ' written-summary',
    ' of-every-risk', ' found-so-far', '.'];

  /**
   * A real daemon whose whisper says TOKENS records the sample at real-time pace, extracting through the scripted
   * server with `carryNotes`; `listen` subscribes the test to the daemon's notifications before the meeting starts.
   */
  async function recordMeeting(endpoint: string, carryNotes: boolean, listen: (client: RpcClient) => void) {
    const client = connectDaemon();
    fx.clients.push(client);
    listen(client);
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(fx.dir, 'storage'), notesDir: path.join(fx.dir, 'notes'), modelPath: sayingModel('live-notes', TOKENS), threads: 1,
      enhancement: { provider: 'openai-compatible', endpoint, model: 'scripted:1b', chunkChars: 1000, maxConcurrency: 2, timeoutSec: 20, carryNotes },
    });
    // Speakers off: a chunk waits for its lines' speakers (5–15 s behind the audio), which this 30 s meeting cannot
    // spare; speakers-live.test.ts covers the model reading them.
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', title: 'Release planning', identifySpeakers: false });
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    const records = (await readJournal(path.join(fx.dir, 'storage', 'sessions', `${started.sessionId}.jsonl`))).records;
    return { client, started, records };
  }

  it('while the meeting runs (v6: each part read alone): each closed chunk is sent and its answer journaled and announced before the stop, which sends only the last', async () => {
    const ANSWER_MS = 400;
    const received: { chunk: number; at: number; ids: string[] }[] = [];
    const scripted = await scriptedServer((r, res) => {
      received.push({ chunk: r.chunk, at: Date.now(), ids: r.ids });
      setTimeout(() => reply(res, JSON.stringify({
        actionItems: [{ text: `Alice reports part ${r.chunk} back to the team`, owner: null, due: null, segments: [r.ids[r.ids.length - 1]] }], decisions: [], dismiss: [],
      })), ANSWER_MS);
    });
    const announced: { id: string; at: number }[] = [];
    const progress: ExtractionProgressParams[] = [];
    const summaries: { at: number; params: SummaryParams }[] = [];
    /** The progress (its step, else its state) and the summaries, in the order the client heard them. */
    const heard: string[] = [];
    const { client, started, records } = await recordMeeting(scripted.endpoint, false, (c) => {
      c.connection.onNotification(ActionItemNotification, (i) => { announced.push({ id: i.id, at: Date.now() }); });
      c.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); heard.push(p.step ?? p.state); });
      c.connection.onNotification(SummaryNotification, (params) => { summaries.push({ at: Date.now(), params }); heard.push(params.settled ? 'settled summary' : 'revised summary'); });
    });
    // When the daemon said so (its log lines carry the time, on this machine's clock).
    const stateAt = (state: string) => Date.parse((JSON.parse(client.logs.find((l) => l.includes('"event":"state"') && l.includes(`"state":"${state}"`))!) as { time: string }).time);
    const stopping = stateAt('stopping');
    const finished = stateAt('done');
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    const chunks = run.chunks ?? 0;
    assert.ok(chunks >= 3, `${chunks} chunks`);
    assert.equal(run.state, 'done');
    assert.equal(received.length, chunks, 'each chunk sent once');
    assert.deepEqual(received.map((r) => r.chunk), received.map((_, k) => k + 1), 'in order, one at a time');

    // During the meeting: every chunk but the last, answered and announced before the stop began.
    const before = received.filter((r) => r.at < stopping);
    assert.equal(before.length, chunks - 1, `chunks sent before the stop: ${before.length} of ${chunks}`);
    const liveItems = announced.filter((a) => /^am/.test(a.id) && a.at < stopping);
    assert.ok(liveItems.length >= 1, 'what the model found was announced while the meeting ran');
    // Journaled during the meeting: the model's first item comes before the last final in the journal.
    const firstModelItem = records.findIndex((x) => x.type === 'actionItem' && /^am/.test(x.id));
    const lastSegment = records.map((x) => x.type).lastIndexOf('segment');
    assert.ok(firstModelItem >= 0 && firstModelItem < lastSegment, 'a model item journaled before the last final');
    assert.ok(progress.some((p) => p.state === 'running' && p.finished >= 1 && Date.now() && p.chunks >= 2), 'progress counted over the meeting');
    assert.equal(progress[progress.length - 1].state, 'done');
    assert.equal(progress[progress.length - 1].chunks, chunks);
    // At stop, the last chunk's end waits for the steps after it (here the summary's last revision and the settle: each
    // part read alone, no check reads the lists), each said as it starts; the run's one end comes after the last, once
    // the settled summary is journaled (the session announces it as it ends).
    assert.deepEqual(heard.slice(heard.lastIndexOf('running') + 1), ['summary', 'settle', 'done', 'settled summary'], heard.join());
    assert.equal(progress.filter((p) => p.state !== 'running').length, 1, 'one end');
    assert.ok(records.findIndex((x) => x.type === 'summary' && x.settled) < records.findIndex((x) => x.type === 'refinement'));

    // The stop sent only the last chunk: the final notes came one answer after the end of the audio, not one per chunk.
    assert.ok(finished - stopping < ANSWER_MS * 2 + 1500, `stop to final notes: ${finished - stopping} ms`);
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    for (let k = 1; k <= chunks; k++) assert.match(notes, new RegExp(`Alice reports part ${k} back to the team`));
    assert.deepEqual(records.slice(-2).map((x) => x.type), ['refinement', 'end']);

    // The rolling summary: one small call per chunk, with that chunk's lines only; revised and announced while the
    // meeting ran; each revision journaled (before the notes and the notification follow).
    assert.deepEqual(scripted.summaries.map((r) => r.ids), received.map((r) => r.ids), 'one summary call per chunk, its lines only');
    const summaryRecords = records.filter((x): x is Extract<JournalRecord, { type: 'summary' }> => x.type === 'summary');
    // The revisions, then the summary settled at stop (one call: summary-settle.test.ts).
    const journaled = summaryRecords.slice(0, -1);
    assert.deepEqual(journaled.map((x) => [x.chunks, x.settled]), received.map((_, k) => [k + 1, undefined]));
    assert.deepEqual([scripted.settles.length, summaryRecords[summaryRecords.length - 1].settled], [1, true]);
    assert.ok(journaled.every((x) => x.by === 'scripted:1b' && x.points.every((p) => !p.segmentIds.includes('f-999'))), 'an unknown cite is dropped');
    const live = summaries.filter((x) => x.at < stopping && x.params.sessionId === started.sessionId && x.params.points?.length);
    assert.ok(live.length >= 1, `a summary with points was announced before the stop: ${JSON.stringify(summaries.map((x) => x.params))}`);
    assert.equal(live[0].params.final, false);
    const last = summaries[summaries.length - 1].params;
    assert.ok(last.final);
    assert.deepEqual(last.points?.map((p) => p.text), received.map((_, k) => `Settled: Part ${k + 1} went over the release plan`));
    assert.equal(last.settled, true);
    assert.equal(last.by, 'scripted:1b');
    // The notes' Summary: those points, each citing links that land on the transcript line they name, at its clock time.
    // (Up to the fold of the notes on each part: summary-settle.test.ts.)
    const summary = notes.slice(notes.indexOf('## Summary'), notes.includes('<details>') ? notes.indexOf('<details>') : notes.indexOf('## Decisions'));
    const bullets = summary.split('\n').filter((l) => l.startsWith('- '));
    assert.equal(bullets.length, chunks, summary);
    for (const bullet of bullets) {
      const cites = [...bullet.matchAll(/\[(\d\d:\d\d)\]\(#([\w-]+)\)/g)];
      assert.ok(cites.length >= 1, bullet);
      for (const [, time, anchor] of cites) {
        const target = notes.split('\n').filter((l) => l.includes(`<a id="${anchor}"></a>`));
        assert.equal(target.length, 1, `one transcript line is ${anchor}`);
        // The line said at that time; or a turn the early end split (issue 60), which the notes join into the line its
        // first piece starts: then the anchor follows that first piece, and the line starts earlier.
        const started = /^- \*\*\[(\d\d:\d\d)\] [^:]+:\*\* (.*)$/.exec(target[0]);
        assert.ok(started, target[0]);
        const joined = started[1] < time && started[2].indexOf(`<a id="${anchor}"></a>`) > 0;
        assert.ok(started[1] === time || joined, `${anchor} is the line said at ${time}: ${target[0]}`);
      }
    }
  });

  it('prompt v7 (carryNotes) while the meeting runs: part 2 is sent once part 1 is answered and carries its notes; a decision it settles is journaled and shown with its history', async () => {
    const ANSWER_MS = 300;
    const received: { chunk: number; at: number; answeredAt?: number; user: string; ids: string[] }[] = [];
    const scripted = await scriptedServer((r, res) => {
      const request: (typeof received)[number] = { chunk: r.chunk, at: Date.now(), user: r.user, ids: r.ids };
      received.push(request);
      // Part 1 leaves pricing open; part 2 settles it (citing its own last line) and says it again in other words.
      const answer = r.chunk === 1
        ? { decisions: [{ text: 'Pricing is left for a later meeting', standing: 'open', kind: 'decision', segments: [r.ids[0]] }] }
        : r.chunk === 2
          ? { noted: [{ id: 'D1', segments: [r.ids[r.ids.length - 1]], standing: 'decided' }], decisions: [{ text: 'Pricing is left for a later meeting, as agreed', standing: 'decided', kind: 'decision', segments: [r.ids[r.ids.length - 1]] }] }
          : {};
      setTimeout(() => {
        request.answeredAt = Date.now();
        reply(res, JSON.stringify({ actionItems: [], decisions: [], dismiss: [], ...answer }));
      }, ANSWER_MS);
    });
    const announced: Decision[] = [];
    const { started, records } = await recordMeeting(scripted.endpoint, true, (c) => c.connection.onNotification(DecisionNotification, (d) => { announced.push(d); }));
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    assert.ok((run.chunks ?? 0) >= 3, `${run.chunks} chunks`);
    assert.deepEqual(received.map((r) => r.chunk), received.map((_, k) => k + 1), 'each part once, in order');
    for (let k = 1; k < received.length; k++) assert.ok(received[k].at >= received[k - 1].answeredAt!, `part ${k + 1} sent after part ${k} was answered`);
    assert.match(received[0].user, /Noted in earlier parts \(JSON, one per line; all of them\):\n\(nothing yet\)/);
    assert.match(received[1].user, /^\{"id":"D1","kind":"decision","standing":"open","text":"Pricing is left for a later meeting","said":"\d\d:\d\d"\}$/m);
    for (const r of received.slice(2)) assert.match(r.user, /"id":"D1","kind":"decision","standing":"decided"/);

    // One decision (the restatement folded in), left open by part 1 while the meeting ran, then decided, with its history.
    const decisions = records.filter((x): x is Extract<JournalRecord, { type: 'decision' }> => x.type === 'decision');
    assert.deepEqual([...new Set(decisions.map((d) => d.id))], ['dm1']);
    assert.deepEqual(decisions.map((d) => [d.revision, d.standing]), [[1, 'open'], [2, 'decided']]);
    const history = decisions[1].standingHistory!;
    assert.deepEqual(history.map((h) => [h.standing, h.segmentId]), [['open', received[0].ids[0]], ['decided', received[1].ids[received[1].ids.length - 1]]]);
    assert.deepEqual(announced.filter((d) => d.id === 'dm1').map((d) => [d.revision, d.standingHistory?.length]), [[1, undefined], [2, 2]]);
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    assert.ok(notes.includes(`- Pricing is left for a later meeting — left open at ${clock(history[0].t0)}, decided at ${clock(history[1].t0)}`), notes);
  });
});
