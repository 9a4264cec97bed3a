/**
 * The language-model extraction while the meeting runs (daemon/session/liveExtraction.ts): chunks sent as they close and
 * only while whisper is idle, one at a time; what they find journaled before it is announced; at stop only the rest; the
 * same result as the extraction at stop for the same answers; cancel and a failing model leave the rules' notes. The
 * runner is the service's real one (ModelExtractions, provider 'vscode-lm') with a fake client answering the chat.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionItem, Decision } from '../../protocol/protocol';
import { AudioFrame, AudioSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { DecodeRequest, DecodeResult } from '../../daemon/asr/whisper';
import { JournalContents, JournalRecord, latestById, readJournal } from '../../daemon/journal/journal';
import { ModelExtractions } from '../../daemon/service/modelExtractions';
import { LocalModelHost } from '../../daemon/understanding/local/host';
import { ServiceConfig, ServiceEvents } from '../../daemon/service/serviceConfig';
import { Ledger } from '../../daemon/session/ledger';
import { IDLE_SETTLE_MS, YIELD_POLL_MS } from '../../daemon/session/liveExtraction';
import { Session } from '../../daemon/session/session';
import { ChunkRunner } from '../../daemon/session/config';
import { modelChunks, modelExtractionRecords } from '../../daemon/understanding/modelExtract';
import { reduceChunks } from '../../daemon/understanding/chunkMerge';
import { EnergyDetector } from '../../daemon/vad/energy';
import { Answer, harness, HEADER, localRunner, ruleItem, segment, serviceRunner, until } from './live-extraction-harness';
import { isPartsPrompt } from '../../daemon/understanding/summaryFromParts';


describe('language-model extraction while the meeting runs', () => {
  it('sends each chunk once it is closed and whisper is idle, never while it decodes, one at a time; at stop only the last', async () => {
    const { runner, asked } = serviceRunner(() => ({}), { delayMs: 30 });
    const h = harness(runner);
    h.state.busy = true;
    for (let k = 1; k <= 12; k++) await h.append(segment(k));
    await sleep(50);
    assert.equal(asked.length, 0, 'nothing is sent while whisper decodes');
    h.state.busy = false;
    const idle = h.state.idleSince = performance.now(); // the decode just ended
    h.live.poke();
    await sleep(IDLE_SETTLE_MS / 2);
    assert.equal(asked.length, 0, 'nor before whisper has been idle a moment');
    await until('the first chunk', () => asked.length >= 1);
    assert.ok(asked[0].at - idle >= IDLE_SETTLE_MS - 1);
    await until('every closed chunk', () => h.live.chunksSent >= 2 && asked.length >= 2);
    const expected = modelChunks({ header: HEADER, records: h.journal, tornTail: false }, runner.chunkOptions);
    assert.ok(expected.length >= 3, `${expected.length} chunks`);
    await until('the closed chunks', () => h.live.chunksSent === expected.length - 1);
    assert.deepEqual(asked.map((a) => a.ids), expected.slice(0, -1).map((c) => c.lines.map((l) => l.segmentId)), 'the chunks at stop, in order, the last (open) one not yet');
    for (let k = 1; k < asked.length; k++) assert.ok(asked[k].at >= asked[k - 1].answeredAt!, 'one at a time: each after the one before was answered');
    // At stop: only the last chunk is sent.
    await h.live.finish();
    assert.equal(asked.length, expected.length);
    assert.deepEqual(asked[asked.length - 1].ids, expected[expected.length - 1].lines.map((l) => l.segmentId));
    // Sent live, a chunk is the last part so far (as it was while its lines came in); at stop, the last of them all.
    for (const [k, a] of asked.entries()) assert.match(a.user, new RegExp(`Part ${k + 1} of ${k + 1}\\.`));
    assert.match(asked[asked.length - 1].user, new RegExp(`Part ${expected.length} of ${expected.length}\\.`));
  });

  it('revises the summary from the summary so far and the new chunks\' lines only, journaling each revision; behind, the items first and one revision for two chunks', async () => {
    const { runner, asked, summaryAsked, settleAsked } = serviceRunner(() => ({}));
    const h = harness(runner);
    // Every line at once: the chunks close together, so the model is behind from the first.
    for (let k = 1; k <= 20; k++) await h.append(segment(k));
    await until('a summary while the meeting runs', () => h.journal.some((r) => r.type === 'summary'));
    await h.live.finish();
    const chunks = modelChunks({ header: HEADER, records: h.journal, tornTail: false }, runner.chunkOptions);
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    assert.equal(asked.length, chunks.length, 'the chunks\' own calls are unchanged');
    const all = h.journal.filter((r): r is Extract<JournalRecord, { type: 'summary' }> => r.type === 'summary');
    // The revisions, then the settled summary at stop.
    const summaries = all.filter((r) => r.settled === undefined);
    assert.equal(summaries.length, summaryAsked.length);
    assert.equal(settleAsked.length, 1);
    assert.deepEqual(all.slice(summaries.length).map((r) => [r.settled, r.points.map((p) => p.text)]), [[true, summaries[summaries.length - 1].points.map((p) => `Settled: ${p.text}`)]]);
    assert.ok(summaryAsked.length < chunks.length, `${summaryAsked.length} revisions for ${chunks.length} chunks`);
    // Each revision reads the lines of the chunks since the one before (the overlap once), at most two chunks' worth.
    let read = 0;
    summaryAsked.forEach((a, k) => {
      const upTo = summaries[k].chunks;
      assert.ok(upTo - read >= 1 && upTo - read <= 2, `revision ${k + 1} reads chunks ${read + 1}–${upTo}`);
      assert.deepEqual(a.ids, [...new Set(chunks.slice(read, upTo).flatMap((c) => c.lines.map((l) => l.segmentId)))], 'the new chunks\' lines, never the whole meeting');
      // The previous revision goes with it (its points and cites), as JSON.
      if (k) assert.ok(a.user.includes(`"Point after ${summaryAsked[k - 1].ids[summaryAsked[k - 1].ids.length - 1]}"`), a.user);
      else assert.ok(a.user.includes('{"points":[]}'), a.user);
      read = upTo;
    });
    assert.equal(read, chunks.length, 'every chunk read once');
    // Behind, a chunk's items come before the summary's revision: the second chunk was asked before the first revision.
    assert.ok(asked[1].at < summaryAsked[0].at);
    const last = chunks[chunks.length - 1].lines;
    assert.deepEqual(summaries[summaries.length - 1].points, [{ text: `Point after ${last[last.length - 1].segmentId}`, segmentIds: [last[last.length - 1].segmentId] }]);
    assert.equal(summaries[0].by, 'fake-lm');
  });

  it('a model that keeps up revises the summary once per chunk, after its items', async () => {
    const { runner, asked, summaryAsked } = serviceRunner(() => ({}));
    const h = harness(runner);
    // Lines as a meeting says them: each chunk answered and summarized before the next closes.
    for (let k = 1; k <= 16; k++) {
      await h.append(segment(k));
      await until('the model idle', () => !(h.live as unknown as { running?: unknown }).running, 5000);
    }
    await h.live.finish();
    const chunks = modelChunks({ header: HEADER, records: h.journal, tornTail: false }, runner.chunkOptions);
    assert.equal(summaryAsked.length, chunks.length, 'one small call per chunk');
    summaryAsked.forEach((a, k) => assert.deepEqual(a.ids, chunks[k].lines.map((l) => l.segmentId)));
    asked.forEach((a, k) => assert.ok(a.at < summaryAsked[k].at, 'the chunk\'s items first'));
  });

  it('a resumed session rolls on from its last journaled summary without reading its chunks again', async () => {
    const { runner, summaryAsked } = serviceRunner(() => ({}));
    const before = [HEADER, ...Array.from({ length: 12 }, (_, k) => segment(k + 1))];
    const chunks = modelChunks({ header: HEADER, records: before, tornTail: false }, runner.chunkOptions);
    const kept: JournalRecord = { type: 'summary', at: 'x', provider: 'vscode-lm', by: 'fake-lm', chunks: chunks.length - 1, points: [{ text: 'Kept point', segmentIds: ['m-1'] }] };
    const h = harness(runner, [...before, kept]);
    await h.live.finish();
    assert.equal(summaryAsked.length, 1, 'only the chunk the journaled summary had not read');
    assert.ok(summaryAsked[0].user.includes('"Kept point"'), summaryAsked[0].user);
    assert.deepEqual(summaryAsked[0].ids, chunks[chunks.length - 1].lines.map((l) => l.segmentId));
  });

  it('a voice renamed while the model answers stays renamed: its owners, its summary points, and the chunks after', async () => {
    // Before, the model's answers kept the old name: the next chunk's publish gave the item back to "Ben", and a summary
    // asked before the rename and answered after it named him again.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const { runner, summaryAsked } = serviceRunner(({ ids }) => ids.includes('m-2')
      ? { actionItems: [{ text: 'Ben sends the release notes to the team', owner: 'Ben', due: null, segments: ['m-2'] }] }
      : {}, {
      // As a model would: the name its prompt gave the speaker of the lines.
      summaryPoint: (ids, user) => `${/\bDana\b/.test(user) ? 'Dana' : 'Ben'} presents the plan (${ids[ids.length - 1]}).`,
      summaryGate: () => gate,
    });
    const h = harness(runner);
    for (let k = 1; k <= 12; k++) await h.append(segment(k));
    await until('the first chunk\'s summary asked', () => summaryAsked.length === 1);
    const owner = () => latestById(h.journal.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem')).get('am1')?.owner;
    assert.equal(owner(), 'Ben');
    // The rename as session/speakers.ts journals it, while the summary's answer is in flight.
    const renamed = { from: 'Ben', to: 'Dana', mentions: true };
    const changes = h.journal.flatMap((r) => (r.type === 'segment' && r.speaker === 'Ben' ? [{ segmentId: r.segmentId, speaker: 'Dana' }] : []));
    const moved = h.ledger.respeak(new Map(changes.map((c) => [c.segmentId, { from: 'Ben', to: 'Dana' }])), renamed);
    await h.append({ type: 'speakers', source: 'mic', cause: 'renamed', changes, voice: 'Ben', name: 'Dana' });
    for (const { sessionId: _s, ...item } of moved.items) await h.append({ type: 'actionItem', ...item });
    assert.deepEqual(h.live.renamed(renamed), [], 'no summary journaled yet');
    assert.equal(owner(), 'Dana');
    open();
    await until('the summary journaled', () => h.journal.some((r) => r.type === 'summary'));
    // Later finals of that voice carry the name (the speaker book gives it them).
    for (let k = 13; k <= 24; k++) await h.append({ ...segment(k), ...(k % 2 ? {} : { speaker: 'Dana' }) } as JournalRecord);
    await h.live.finish();
    assert.equal(owner(), 'Dana', 'the item stays with the new name through the chunks after');
    const summaries = h.journal.filter((r): r is Extract<JournalRecord, { type: 'summary' }> => r.type === 'summary');
    assert.ok(summaries.length >= 2, `${summaries.length} summaries`);
    for (const s of summaries) assert.ok(s.points.every((p) => !/\bBen\b/.test(p.text)), JSON.stringify(s.points));
    // What the model is asked after the rename names the voice anew too (the chunks already sent included).
    for (const a of summaryAsked.slice(1)) assert.ok(!/\bBen\b/.test(a.user), a.user);
  });

  it('journals what a chunk found before announcing it, while the meeting runs; the stop adds the refinement record', async () => {
    const { runner } = serviceRunner(({ ids }) => ids.includes('m-2')
      ? { actionItems: [{ text: 'Ben sends the release notes to the team', owner: 'Ben', due: null, segments: ['m-2'] }], dismiss: [{ id: 'a1', reason: 'In the room now.' }] }
      : {});
    const h = harness(runner);
    await h.append(segment(1, "Okay, I'll go first with the slides."));
    await h.append(ruleItem('a1', 1, "I'll go first with the slides"));
    for (let k = 2; k <= 12; k++) await h.append(segment(k));
    await until('the first chunk\'s records', () => h.announced.length >= 2);
    const latest = latestById(h.journal.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem'));
    assert.equal(latest.get('a1')!.removed, true);
    assert.deepEqual(latest.get('a1')!.dismissed, { by: 'fake-lm', reason: 'In the room now.' });
    assert.equal(latest.get('am1')!.text, 'Ben sends the release notes to the team');
    assert.ok(!h.journal.some((r) => r.type === 'refinement'), 'no refinement record before the stop');
    await h.live.finish();
    const run = h.journal.filter((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement');
    assert.equal(run.length, 1);
    assert.deepEqual(run[0].dismissedIds, ['a1']);
    assert.deepEqual(run[0].actionItemIds, ['am1']);
    assert.equal(h.journal.filter((r) => r.type === 'actionItem' && r.id === 'am1').length, 1, 'found once, journaled once (the overlap finds it again)');
  });

  for (const carryNotes of [false, true]) it(`ends as the extraction at stop would for the same answers (the same chunks, reduce, items and refinement record), ${carryNotes ? 'v7: carrying the notes' : 'v6: each part alone'}`, async () => {
    const lines = Array.from({ length: 20 }, (_, k) => segment(k + 1));
    const options = { chunkChars: 500, overlapLines: 4 };
    const cut = modelChunks({ header: HEADER, records: [HEADER, ...lines], tornTail: false }, options);
    assert.ok(cut.length >= 3);
    const overlap = cut[0].lines[cut[0].lines.length - 1].segmentId;
    const overlapAt = Number(overlap.slice(2));
    const rules = new Map([[2, ruleItem('a1', 2, 'Ben will fix the login timeout')], [overlapAt, ruleItem('a2', overlapAt, 'Ana will review the budget')]]);
    // Chunk 1 dismisses both rule items and adds one; chunk 2 (sharing the overlap line) confirms a2, completing its
    // owner, and finds the added item again with its owner and due: live, a2's dismissal is taken back and am1 revised.
    const answer: Answer = ({ ids }) => ids.includes('m-1')
      ? { actionItems: [{ text: 'Ana books the room for the retro', owner: null, due: null, segments: [overlap] }], dismiss: [{ id: 'a1', reason: 'Not real.' }, { id: 'a2', reason: 'Procedure.' }] }
      : ids.includes(overlap)
        ? { actionItems: [{ text: 'Ana will review the budget', owner: 'Ana', due: null, segments: [overlap] }, { text: 'Ana books the room for the retro', owner: 'Ana', due: '2030-01-03', segments: [overlap] }] }
        : {};
    const { runner } = serviceRunner(answer, { chunkChars: 500, carryNotes });
    assert.equal(runner.carryNotes, carryNotes);
    const h = harness(runner);
    const seen: string[] = [];
    for (const line of lines) {
      await h.append(line);
      const rule = rules.get(Number((line as { segmentId: string }).segmentId.slice(2)));
      if (rule) await h.append(rule);
      await sleep(2);
      seen.push(...h.announced.splice(0).map((x) => `${x.id}${(x as ActionItem).removed ? ' removed' : ''}`));
    }
    await until('the closed chunks', () => h.live.chunksSent === cut.length - 1);
    seen.push(...h.announced.splice(0).map((x) => `${x.id}${(x as ActionItem).removed ? ' removed' : ''}`));
    assert.ok(seen.includes('a2 removed') && seen.includes('a2'), `a2 dismissed by chunk 1, then back after chunk 2: ${seen.join(', ')}`);
    await h.live.finish();
    // The old path: every chunk at stop over the rules' journal, the same answers.
    const plain: JournalContents = { header: HEADER, records: [HEADER, ...lines.flatMap((l) => [l, ...[rules.get(Number((l as { segmentId: string }).segmentId.slice(2)))].filter((r): r is JournalRecord => !!r)])], tornTail: false };
    const chunks = modelChunks(plain, options);
    const { runner: again } = serviceRunner(answer, { chunkChars: 500, carryNotes });
    const atStop = await again.run(chunks, { live: false, ofChunks: chunks.length });
    const reduced = reduceChunks(chunks, atStop.answers, carryNotes);
    assert.deepEqual(h.live.reduced(), reduced, 'the same reduce');
    const old = modelExtractionRecords(plain, reduced, atStop.summary);
    const state = (records: JournalRecord[]) => [...latestById(records.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem')).values()]
      .map(({ revision: _r, ...rest }) => JSON.stringify(rest)).sort();
    assert.deepEqual(state(h.journal), state([...plain.records, ...old]), 'the same items, owners and dismissals');
    const live = h.journal.find((r) => r.type === 'refinement') as Extract<JournalRecord, { type: 'refinement' }>;
    const oldRun = old.find((r) => r.type === 'refinement') as Extract<JournalRecord, { type: 'refinement' }>;
    assert.deepEqual([live.actionItemIds, live.dismissedIds, live.chunks, live.state], [oldRun.actionItemIds, oldRun.dismissedIds, oldRun.chunks, oldRun.state]);
    assert.deepEqual(oldRun.dismissedIds, ['a1']);
  });

  it('a model that fails leaves the rules\' notes: nothing journaled, the session goes on', async () => {
    const { runner, asked } = serviceRunner('fail');
    const h = harness(runner);
    await h.append(segment(1, "Okay, I'll go first with the slides."));
    await h.append(ruleItem('a1', 1, "I'll go first with the slides"));
    for (let k = 2; k <= 12; k++) await h.append(segment(k));
    await until('a chunk tried', () => asked.length >= 1);
    await h.live.finish();
    assert.ok(asked.length >= 2);
    assert.deepEqual(h.journal.filter((r) => r.type === 'actionItem' || r.type === 'refinement').map((r) => r.type === 'actionItem' ? `${r.id}#${r.revision}` : r.type), ['a1#1']);
    assert.equal(h.announced.length, 0);
  });

  it('cancel stops the extraction while the meeting runs and at stop; what finished chunks found is kept', async () => {
    const { runner, asked, extractions, progress } = serviceRunner(({ ids }) => (ids.includes('m-2') ? { actionItems: [{ text: 'Ana books the room', owner: 'Ana', due: null, segments: ['m-2'] }] } : {}), {
      delayMs: 200,
    });
    const h = harness(runner);
    for (let k = 1; k <= 20; k++) await h.append(segment(k));
    await until('the first chunk answered', () => h.announced.length >= 1);
    await until('the second chunk asked', () => asked.length >= 2);
    assert.deepEqual(extractions.cancel('s1'), { cancelled: true });
    await h.live.finish();
    assert.equal(asked.length, 2, 'nothing is sent after the cancel, at stop either');
    const run = h.journal.find((r) => r.type === 'refinement') as Extract<JournalRecord, { type: 'refinement' }>;
    assert.equal(run.state, 'cancelled');
    assert.deepEqual(run.actionItemIds, ['am1']);
    assert.equal(progress[progress.length - 1].state, 'cancelled');
    assert.deepEqual(extractions.cancel('s1'), { cancelled: false }, 'the session closed its runner');
  });

  it('at stop, the chunks\' end waits for the steps after them: each said as it starts, the end once the notes are final', async () => {
    // Each chunk notes a decision and an item without an owner: every check at stop has something to read.
    const { runner, progress, settleAsked } = serviceRunner(({ ids }) => ({
      actionItems: [{ text: `Someone checks ${ids[0]}`, owner: null, due: null, segments: [ids[0]] }],
      decisions: [{ text: `We keep ${ids[0]}`, kind: 'decision', standing: 'decided', segments: [ids[0]] }],
    }));
    const h = harness(runner);
    for (let k = 1; k <= 16; k++) await h.append(segment(k));
    await until('a chunk read while the meeting runs', () => progress.length > 0);
    const live = progress.length;
    await h.live.finish();
    assert.ok(progress.slice(0, live).every((p) => p.state === 'running' && !p.step), 'no step while the meeting runs');
    const held = progress.findIndex((p, k) => k >= live && /^\d+ chunks? done$/.test(p.message));
    assert.equal(progress[held].state, 'running', 'the stop\'s chunks: their end held back');
    const after = progress.slice(held + 1);
    assert.deepEqual(after.map((p) => p.step ?? p.state), ['summary', 'restatements', 'decisions', 'owners', 'settle', 'standings', 'done']);
    assert.equal(settleAsked.length, 1);
    // The end comes after the run's record is journaled: whoever hears it reads final notes.
    const end = after[after.length - 1];
    const record = h.journal.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement')!;
    assert.deepEqual([end.message, end.tokens], [progress[held].message, record.tokens]);
  });
});

describe('a local model reading the open chunk ahead', () => {
  it('reads the open chunk as its lines come while whisper is idle, again only when it changed; every call then starts as it was read', async () => {
    const local = localRunner();
    try {
      const h = harness(local.runner);
      h.state.busy = true;
      await h.append(segment(1));
      await sleep(IDLE_SETTLE_MS + 50);
      assert.equal(local.calls.length, 0, 'nothing read while whisper decodes');
      h.state.busy = false;
      h.state.idleSince = performance.now() - 1000;
      h.live.poke();
      await until('the open chunk read ahead', () => local.calls.length >= 2);
      assert.deepEqual(local.calls.map((c) => [c.type, c.kind]), [['preload', 'extract'], ['preload', 'summary']], 'the extraction first, then the summary revision');
      assert.match(local.calls[0].user, /Part 1 of 1\.[\s\S]*\[m-1\] 00:05 Ana: Line 1 /);
      h.live.poke();
      await sleep(IDLE_SETTLE_MS + 50);
      assert.equal(local.calls.length, 2, 'not read again while nothing changed');
      // Line by line, whisper idle between them: the open chunk is read on, chunks close and are sent, the meeting stops.
      for (let k = 2; k <= 16; k++) {
        await h.append(segment(k));
        await sleep(IDLE_SETTLE_MS + 40);
      }
      await h.live.finish();
      const chats = local.calls.filter((c) => c.type === 'chat');
      const expected = modelChunks({ header: HEADER, records: h.journal, tornTail: false }, local.runner.chunkOptions);
      assert.ok(expected.length >= 3, `${expected.length} chunks`);
      assert.equal(chats.filter((c) => c.kind === 'extract').length, expected.length, 'each chunk once');
      // Every call but the settle at stop (its prompt is made only then) and the parts' notes (asked once a chunk has
      // closed and been read: small, and never read ahead) was read ahead.
      const settles = chats.filter((c) => c.user.includes('The meeting has ended'));
      assert.deepEqual(settles.map((c) => c.kind), ['summary'], 'the settle on the summary\'s sequence, its system prompt the same');
      const parts = chats.filter((c) => isPartsPrompt(c.system));
      assert.deepEqual(parts.map((c) => c.kind), expected.map(() => 'summary'), 'each part noted once, on the summary\'s sequence');
      for (const chat of chats.filter((c) => !settles.includes(c) && !parts.includes(c))) {
        const before = local.calls.filter((c) => c.type === 'preload' && c.kind === chat.kind && c.at <= chat.at && chat.user.startsWith(c.user));
        assert.ok(before.length, `a ${chat.kind} call that starts as a preload before it: ${chat.user.slice(0, 80)}`);
        // What was read ahead is most of it: at most the lines of one final came since.
        const newest = before[before.length - 1].user;
        assert.ok(chat.user.split('\n').length - newest.split('\n').length <= 1, `${chat.kind}: ${chat.user.split('\n').length} lines, ${newest.split('\n').length} read ahead`);
      }
      for (const preload of local.calls.filter((c) => c.type === 'preload' && c.kind === 'extract')) {
        const part = /Part (\d+) of (\d+)\./.exec(preload.user)!;
        assert.equal(part[1], part[2], 'the open chunk is the last part so far');
      }
    } finally {
      local.restore();
    }
  });

  it("cancel aborts the session's reads ahead in flight: the host's preloads carry the session's signal (it kills the model process on it)", async () => {
    const local = localRunner();
    const signals: (AbortSignal | undefined)[] = [];
    // Reads that end only when cancelled, as a preload held for whisper may last the rest of the meeting.
    LocalModelHost.prototype.preload = function (_request, signal) {
      signals.push(signal);
      return signal ? new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true })) : Promise.resolve(undefined);
    };
    try {
      const [chunk] = modelChunks({ header: HEADER, records: [HEADER, segment(1)], tornTail: false }, local.runner.chunkOptions);
      const reading = local.runner.preload!(chunk, []);
      await until('both reads in flight', () => signals.length === 2);
      assert.ok(signals.every((signal) => signal && !signal.aborted), "each read carries the session's signal");
      assert.deepEqual(local.extractions.cancel('s1'), { cancelled: true });
      await reading;
      assert.ok(signals.every((signal) => signal!.aborted));
    } finally {
      local.restore();
    }
  });

  it('holds for whisper while reading ahead, as while answering; a chunk that closes meanwhile is sent after it', async () => {
    const local = localRunner();
    try {
      const h = harness(local.runner);
      h.state.idleSince = performance.now() - 1000;
      const go = local.hold();
      await h.append(segment(1));
      await until('a preload in flight', () => local.calls.length === 2);
      h.state.speech = true;
      h.live.whisperActivity();
      assert.deepEqual(local.paused, [true], 'paused the moment speech opens');
      h.state.speech = false;
      await until('resumed once whisper has no work', () => local.paused.length === 2);
      assert.deepEqual(local.paused, [true, false]);
      for (let k = 2; k <= 9; k++) await h.append(segment(k)); // chunk 1 closes while the preload waits
      await sleep(IDLE_SETTLE_MS + 50);
      assert.equal(local.calls.filter((c) => c.type === 'chat').length, 0, 'the closed chunk waits for the read in flight');
      go();
      await until('the closed chunk sent', () => local.calls.some((c) => c.type === 'chat'));
      await h.live.finish();
    } finally {
      local.restore();
    }
  });
});

describe('the ledger with a model revising while the meeting runs', () => {
  it('a model on cores of its own (holdsForWhisper false) sends a closed chunk at once, whisper decoding and speech going on; one that shares them waits', async () => {
    for (const own of [true, false]) {
      const { runner: base, asked } = serviceRunner(() => ({}));
      const runner: ChunkRunner = { ...base, pause: () => undefined, resume: () => undefined, holdsForWhisper: () => !own };
      const h = harness(runner);
      h.state.busy = true;
      h.state.speech = true;
      for (let k = 1; k <= 12; k++) await h.append(segment(k));
      if (own) {
        await until('the first chunk, whisper busy', () => asked.length >= 1);
      } else {
        await sleep(IDLE_SETTLE_MS * 2);
        assert.equal(asked.length, 0, 'sharing whisper\'s cores: nothing while it has work');
      }
      h.state.busy = false;
      h.state.speech = false;
      await h.live.finish();
    }
  });

  it('while a chunk is answered, the model is paused the moment whisper has work and resumed once it has none', async () => {
    const { runner: base, asked } = serviceRunner(() => ({}), { delayMs: 600 });
    const yields: string[] = [];
    const runner: ChunkRunner = { ...base, pause: () => yields.push('pause'), resume: () => yields.push('resume') };
    const h = harness(runner);
    h.state.speech = true;
    for (let k = 1; k <= 12; k++) await h.append(segment(k));
    h.live.whisperActivity();
    assert.deepEqual(yields, [], 'no chunk in flight: nothing to pause');
    h.state.speech = false;
    h.live.poke();
    await until('a chunk in flight', () => asked.length === 1);
    // Speech in the gate: paused at once (no settle), once.
    h.state.speech = true;
    h.live.whisperActivity();
    h.live.whisperActivity();
    assert.deepEqual(yields, ['pause']);
    // The speech ends, a decode runs: still paused; it ends without an event: resumed by the poll.
    h.state.speech = false;
    h.state.busy = true;
    h.live.whisperActivity();
    await sleep(YIELD_POLL_MS * 3);
    assert.deepEqual(yields, ['pause']);
    h.state.busy = false;
    await until('resumed', () => yields.length === 2, YIELD_POLL_MS * 10);
    assert.deepEqual(yields, ['pause', 'resume']);
    // Paused again when the answer comes: resumed as the chunk ends (nothing left stopped between chunks).
    h.state.busy = true;
    h.live.poke();
    assert.deepEqual(yields, ['pause', 'resume', 'pause']);
    await until('the chunk answered', () => h.live.chunksSent === 1);
    await until('resumed after the chunk', () => yields.length === 4);
    assert.deepEqual(yields, ['pause', 'resume', 'pause', 'resume']);
    h.state.busy = false;
    await h.live.finish();
    assert.equal(yields.filter((y) => y === 'pause').length, yields.filter((y) => y === 'resume').length, 'every pause resumed');
  });

  it('at stop the runner is told whisper is done (every core for the model) before the chunk in flight ends and the chunks left are sent', async () => {
    const { runner: base, asked } = serviceRunner(() => ({}), { delayMs: 300 });
    const done: { asked: number; answered: number }[] = [];
    const h = harness({ ...base, whisperDone: () => done.push({ asked: asked.length, answered: h.live.chunksSent }) });
    for (let k = 1; k <= 12; k++) await h.append(segment(k));
    await until('a chunk in flight', () => asked.length === 1);
    assert.deepEqual(done, [], 'not while the meeting runs');
    await h.live.finish();
    assert.deepEqual(done, [{ asked: 1, answered: 0 }], 'once, at once: the chunk in flight and the rest run on every core');
    assert.ok(asked.length > 1, 'the chunks left were sent after it');
  });

  it("the local model takes every core only while whisper works for no session: whisperDone (or close) of the last meeting, back to the cores less one when another meeting or a dictation starts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cores-'));
    const gguf = path.join(dir, 'm.gguf');
    fs.writeFileSync(gguf, 'GGUF'); // never loaded: the run below asks nothing
    const told: boolean[] = [];
    const original = LocalModelHost.prototype.useAllCores;
    LocalModelHost.prototype.useAllCores = function (all: boolean) { told.push(all); };
    try {
      const config = { enhancement: { provider: 'local', model: gguf } } as unknown as ServiceConfig;
      const extractions = new ModelExtractions(config, {} as ServiceEvents);
      const first = extractions.chunkRunnerFor('s1', { title: 'One', date: HEADER.startedAt })!;
      await first.run([], { live: true, ofChunks: 0 }); // the model's host is made: it runs on the cores less one
      assert.deepEqual(told, [false]);
      first.whisperDone!(); // s1 stopped, every final in: no meeting runs
      assert.deepEqual(told, [false, true]);
      const second = extractions.chunkRunnerFor('s2', { title: 'Two', date: HEADER.startedAt })!;
      assert.deepEqual(told, [false, true, false], 'a meeting starts while s1 finishes: whisper gets its core back');
      first.close();
      assert.deepEqual(told, [false, true, false, false], 's2 still runs');
      second.close(); // closed without whisperDone (cancelled, failed): it runs no more either
      assert.deepEqual(told, [false, true, false, false, true]);
      // A dictation while the notes are finished: whisper gets its core back until it ends.
      extractions.dictationStarted('d1');
      assert.deepEqual(told, [false, true, false, false, true, false]);
      extractions.sessionEnded('d1');
      extractions.sessionEnded('s2'); // a meeting ended: said already by its runner, nothing changes
      assert.deepEqual(told, [false, true, false, false, true, false, true]);
      extractions.close();
    } finally {
      LocalModelHost.prototype.useAllCores = original;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a dismissal and a completion while the rules find the item unchanged, and lets an added item be ticked', () => {
    const ledger = new Ledger('s1', new Date(HEADER.startedAt));
    const first = ledger.extract({ speaker: 'Ana', text: "I'll fix the login timeout by Friday.", t0: 0, segmentId: 'm-1' }).items;
    assert.equal(first.length, 1);
    const a1 = first[0];
    ledger.revised([{ type: 'actionItem', ...(({ sessionId: _s, ...x }) => x)(a1), revision: a1.revision + 1, removed: true, dismissed: { by: 'fake-lm', reason: 'no' } }]);
    // The next finals re-read the window: a1 is found again, unchanged, and stays dismissed.
    assert.deepEqual(ledger.extract({ speaker: 'Ben', text: 'Sounds good.', t0: 5, segmentId: 'm-2' }).items, []);
    // A completion (the owner the rules lacked) stands the same way.
    const b = ledger.extract({ speaker: 'Ben', text: "I'll update the runbook tomorrow.", t0: 9, segmentId: 'm-3' }).items;
    assert.equal(b.length, 1);
    for (const item of b) {
      ledger.revised([{ type: 'actionItem', ...(({ sessionId: _s, ...x }) => x)(item), revision: item.revision + 1, owner: 'Ben', refinedBy: 'fake-lm' }]);
    }
    assert.deepEqual(ledger.extract({ speaker: 'Ana', text: 'Okay.', t0: 12, segmentId: 'm-4' }).items, []);
    // An item the model added: ticked like any other, and by hand in the notes file.
    ledger.revised([{ type: 'actionItem', id: 'am1', revision: 1, text: 'Ana books the room', owner: 'Ana', due: null, duePhrase: null, segmentId: 'm-4', t0: 12, refinedBy: 'fake-lm' }]);
    const ticked = ledger.markDone('am1', true);
    assert.equal(ticked.changed, true);
    assert.equal(ticked.item.revision, 2);
    assert.equal(ticked.item.refinedBy, 'fake-lm');
  });
});

/** A microphone-like source: utterances of 1 s of tone and 0.5 s of silence, with `gapMs` of wall time after each. */
class BurstSource implements AudioSource {
  readonly kind = 'mic' as const;
  readonly speaker = 'Ana';
  constructor(private readonly utterances: number, private readonly gapMs: number) {}
  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    const period = 1.5 * SAMPLE_RATE;
    for (let start = 0; start < this.utterances * period && !signal.aborted; start += FRAME_SAMPLES) {
      const samples = new Float32Array(FRAME_SAMPLES);
      for (let i = 0; i < FRAME_SAMPLES; i++) if ((start + i) % period < SAMPLE_RATE) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * (start + i)) / SAMPLE_RATE);
      if ((start + FRAME_SAMPLES) % period < FRAME_SAMPLES) await sleep(this.gapMs);
      else await new Promise((r) => setImmediate(r));
      yield { source: 'mic', samples, startSample: start };
    }
  }
}

/**
 * A session of 14 bursts (whisper idle long enough between them for a chunk) into `dir`/s1.jsonl, extracting with
 * `runner`; each action item announced is checked to be journaled first, then handed to `onItem`.
 */
function burstSession(dir: string, decoder: { decode(request: DecodeRequest): Promise<DecodeResult> }, runner: ChunkRunner, onItem: (i: ActionItem) => void): Promise<Session> {
  const journalPath = path.join(dir, 's1.jsonl');
  return Session.start({
    sessionId: 's1', title: 'Plan', language: 'en', startedAt: new Date(HEADER.startedAt), sources: [new BurstSource(14, IDLE_SETTLE_MS + 150)],
    journalPath, notesPath: path.join(dir, 'notes.md'), decoder, createDetector: () => new EnergyDetector(),
    streaming: { partials: false, earlyFinal: false, partialIntervalSec: 0.5, minPartialSec: 0.4, partialDutyCycle: 0.5, maxTokensPerSec: 8, promptChars: 200, finalContextMarginSec: 1, maxPendingSec: 120 },
    extractChunks: runner,
  }, {
    transcript: () => undefined, state: () => undefined, decision: () => undefined,
    actionItem: (i) => {
      const records = fs.readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
      assert.ok(records.some((r) => r.type === 'actionItem' && r.id === i.id && r.revision === i.revision), `${i.id} r${i.revision} announced before it was journaled`);
      onItem(i);
    },
  });
}

describe('a session extracting while it runs', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-live-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('a model answering a chunk is paused whenever whisper decodes or hears speech, and left running otherwise', async () => {
    let paused = false;
    let inFlight = false;
    const unpausedDecodes: number[] = [];
    let decodes = 0;
    let pauses = 0;
    const decoder = {
      decode: async (request: DecodeRequest): Promise<DecodeResult> => {
        decodes++;
        if (inFlight && !paused) unpausedDecodes.push(decodes);
        await sleep(20);
        return { text: request.final ? `Line ${decodes} of the plan: Ana reviews the budget figures with the team.` : '', ms: 20 };
      },
    };
    // Each chunk takes as long as several utterances: decodes come while it is answered.
    const { runner: base } = serviceRunner(() => ({}), { delayMs: 1500, onAsk: () => { inFlight = true; } });
    const runner: ChunkRunner = {
      ...base,
      run: (chunks, how) => base.run(chunks, how).finally(() => { inFlight = false; }),
      pause: () => { paused = true; pauses++; },
      resume: () => { paused = false; },
    };
    const session = await Session.start({
      sessionId: 's1', title: 'Plan', language: 'en', startedAt: new Date(HEADER.startedAt), sources: [new BurstSource(12, IDLE_SETTLE_MS + 150)],
      journalPath: path.join(dir, 's1.jsonl'), notesPath: path.join(dir, 'notes.md'), decoder, createDetector: () => new EnergyDetector(),
      streaming: { partials: true, earlyFinal: true, partialIntervalSec: 0.5, minPartialSec: 0.4, partialDutyCycle: 0.5, maxTokensPerSec: 8, promptChars: 200, finalContextMarginSec: 1, maxPendingSec: 120 },
      extractChunks: runner,
    }, { transcript: () => undefined, state: () => undefined, decision: () => undefined, actionItem: () => undefined });
    await session.done();
    assert.ok(pauses >= 2, `paused ${pauses} times`);
    assert.deepEqual(unpausedDecodes, [], 'no decode ran while the model was running');
    assert.equal(paused, false, 'not left paused');
  });

  it('sends chunks during the meeting only while no decode runs, journals before announcing, and leaves only the last chunk to the stop', async () => {
    let decoding = 0;
    let finals = 0;
    const decoder = {
      decode: async (request: DecodeRequest): Promise<DecodeResult> => {
        decoding++;
        try {
          await sleep(20);
          return { text: request.final ? `Line ${++finals} of the plan: Ana reviews the budget figures with the team.` : '', ms: 20 };
        } finally {
          decoding--;
        }
      },
    };
    let session: Session | undefined;
    const duringDecode: number[] = [];
    const states: string[] = [];
    const { runner, asked } = serviceRunner(({ ids }) => ({ actionItems: [{ text: `Note on ${ids[ids.length - 1]}`, owner: null, due: null, segments: [ids[ids.length - 1]] }] }), {
      onAsk: () => {
        if (decoding > 0) duringDecode.push(decoding);
        states.push(session?.state ?? 'none');
      },
    });
    const journalPath = path.join(dir, 's1.jsonl');
    const announced: ActionItem[] = [];
    session = await burstSession(dir, decoder, runner, (i) => announced.push(i));
    await session.done();
    const contents = await readJournal(journalPath);
    const chunks = modelChunks({ ...contents, records: contents.records.filter((r) => r.type !== 'actionItem') }, runner.chunkOptions);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assert.deepEqual(duringDecode, [], 'never asked while whisper decodes');
    assert.equal(states.filter((s) => s === 'streaming').length, chunks.length - 1, 'every closed chunk during the meeting');
    assert.deepEqual(states.slice(chunks.length - 1), ['finalizing'], 'only the last at stop');
    assert.ok(announced.some((i) => i.id === 'am1'), 'what the model found was announced');
    assert.deepEqual(contents.records.slice(-2).map((r) => r.type), ['refinement', 'end']);
    assert.equal(asked.length, chunks.length);
  });
  it('restores a dismissed item while the meeting runs: journaled, then announced, never shown to the model again, restored at the end', async () => {
    let finals = 0;
    const decoder = { decode: async (request: DecodeRequest): Promise<DecodeResult> => {
      await sleep(10);
      return { text: request.final ? `I'll send the budget figures number ${++finals} to finance by Friday.` : '', ms: 10 };
    } };
    let session: Session | undefined;
    const journalPath = path.join(dir, 's1.jsonl');
    let restoring: Promise<ActionItem | Decision | undefined> | undefined;
    const shownAfterRestore: string[] = [];
    // The model dismisses every rule item it is shown.
    const { runner } = serviceRunner(({ user }) => {
      const shown = [...user.matchAll(/"id":"(a\d+)"/g)].map((m) => m[1]);
      if (restoring) shownAfterRestore.push(...shown);
      return { dismiss: shown.map((id) => ({ id, reason: 'Not real.' })) };
    });
    const announced: ActionItem[] = [];
    session = await burstSession(dir, decoder, runner, (i) => {
      announced.push(i);
      // The first dismissal the meeting sees: the user restores it at once, while the meeting runs.
      if (i.dismissed && !restoring && session?.state === 'streaming') restoring = session.restoreItem('actionItem', i.id);
    });
    await session.done();
    const restored = await restoring;
    assert.ok(restored, 'restored while streaming');
    assert.equal(restored.restored, true);
    assert.equal(restored.removed, undefined);
    assert.ok(announced.some((i) => i.id === restored.id && i.restored && i.revision === restored.revision), 'the restored revision was announced');
    assert.ok(!shownAfterRestore.includes(restored.id), `${restored.id} shown to the model again: ${shownAfterRestore}`);
    const latest = latestById((await readJournal(journalPath)).records.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem'));
    assert.equal(latest.get(restored.id)!.removed, undefined, 'still there at the end');
    assert.equal(latest.get(restored.id)!.restored, true);
    assert.ok([...latest.values()].some((r) => r.id !== restored.id && r.removed && r.dismissed), 'the other items were dismissed as answered');
    assert.match(fs.readFileSync(path.join(dir, 'notes.md'), 'utf8'), new RegExp(`^- \\[ \\] .*<!-- earshot:${restored.id} -->$`, 'm'), 'an open task in the notes');
  });
});
