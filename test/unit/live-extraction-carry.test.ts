/**
 * Prompt v7 in the daemon (issue 56: the settings' carryNotes): each part of the meeting is read with what the parts
 * before it noted, while the meeting runs (liveExtraction.ts), at its stop, and over a stored meeting
 * (modelExtractions.ts's extractorFor). A part is sent only once the part before it is answered; the open part is read
 * ahead only then, with the notes its call will carry; a restatement makes one entry, not two; a standing a later part
 * changes is journaled with its history. The runner is the service's real one with a fake client (or a stood-in local
 * model) answering; without carryNotes, v6 as before.
 */
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decision } from '../../protocol/protocol';
import { DecisionRecord, JournalRecord, latestById } from '../../daemon/journal/journal';
import { answerRenamed } from '../../daemon/session/sentChunks';
import { revisionsToward } from '../../daemon/session/modelRevisions';
import { ChunkLine, modelChunks } from '../../daemon/understanding/modelExtract';
import { Answer, Asked, harness, HEADER, localRunner, segment, serviceRunner, until } from './live-extraction-harness';
import { IDLE_SETTLE_MS } from '../../daemon/session/liveExtraction';
import { SETTLE_RULES_V8, SETTLE_RULES_V9 } from '../../daemon/understanding/modelSummary';
import { SETTLE_RULES_V11 } from '../../daemon/understanding/summaryFromParts';

const LINES = Array.from({ length: 20 }, (_, k) => segment(k + 1));
/** The meeting's parts as the runner cuts them (chunkChars 500: seven lines, the last four the next one's first). */
const PARTS = modelChunks({ header: HEADER, records: [HEADER, ...LINES], tornTail: false }, { chunkChars: 500, overlapLines: 4 });
/** The lines of part `k` (1-based) that the part before it did not have. */
const fresh = (k: number): string[] => {
  const before = new Set((PARTS[k - 2]?.lines ?? []).map((l: ChunkLine) => l.segmentId));
  return PARTS[k - 1].lines.map((l) => l.segmentId).filter((id) => !before.has(id));
};
const partOf = (user: string) => Number(/Part (\d+) of/.exec(user)![1]);
/** The most chunk calls answered at once (each from when it was asked to when its answer went back). */
const mostAtOnce = (asked: readonly Asked[]) => Math.max(...asked.map((a) => asked.filter((b) => b.at <= a.at && a.at < b.answeredAt!).length));
const decisions = (journal: JournalRecord[]) => journal.filter((r): r is DecisionRecord => r.type === 'decision');

/**
 * Part 1 notes a decision left open, one decided and an action item; part 2 settles the open one (citing the line that
 * settles it), cites the others again, and adds both again in other words anyway (the net's work).
 */
const settling: Answer = ({ user }) => {
  const part = partOf(user);
  if (part === 1) {
    return {
      decisions: [
        { text: 'DVD support is left for a later meeting', standing: 'open', kind: 'decision', segments: ['m-2'] },
        { text: 'The remote will be universal', standing: 'decided', kind: 'decision', segments: ['m-3'] },
      ],
      actionItems: [{ text: 'Ana sends the cost sheet to finance', owner: 'Ana', due: null, segments: ['m-1'] }],
    };
  }
  if (part !== 2) return {};
  const [settles, again, restated] = fresh(2);
  return {
    noted: [{ id: 'D1', segments: [settles], standing: 'decided' }, { id: 'D2', segments: [again] }, { id: 'A1', segments: [again] }],
    decisions: [{ text: 'The remote control will be universal', standing: 'decided', kind: 'decision', segments: [restated] }],
    actionItems: [{ text: 'Ana will send the cost sheet to finance', owner: 'Ana', due: null, segments: [restated] }],
  };
};

describe('prompt v7 while the meeting runs: each part read with what the parts before it noted', () => {
  it('part 2 is sent after part 1 is answered, carrying its notes; a restatement is one entry; a decision settled later is journaled with its history', async () => {
    assert.ok(PARTS.length >= 4, `${PARTS.length} parts`);
    const { runner, asked } = serviceRunner(settling, { delayMs: 40, carryNotes: true });
    assert.equal(runner.carryNotes, true);
    const h = harness(runner);
    for (const line of LINES) {
      await h.append(line);
      await sleep(2);
    }
    await until('the closed parts answered', () => h.live.chunksSent === PARTS.length - 1);
    assert.ok(h.journal.every((r) => r.type !== 'refinement'), 'the meeting still runs');
    await h.live.finish();
    assert.deepEqual(asked.map((a) => partOf(a.user)), PARTS.map((_, k) => k + 1), 'each part once, in order');
    for (let k = 1; k < asked.length; k++) assert.ok(asked[k].at >= asked[k - 1].answeredAt!, `part ${k + 1} sent only after part ${k} was answered`);

    // Part 1 had nothing before it; part 2 carries part 1's entries (their ids, standings, owners, when they were said).
    assert.match(asked[0].user, /Noted in earlier parts \(JSON, one per line; all of them\):\n\(nothing yet\)/);
    assert.match(asked[1].user, /^\{"id":"A1","kind":"actionItem","text":"Ana sends the cost sheet to finance","owner":"Ana","said":"00:05"\}$/m);
    assert.match(asked[1].user, /^\{"id":"D1","kind":"decision","standing":"open","text":"DVD support is left for a later meeting","said":"00:10"\}$/m);
    assert.match(asked[1].user, /^\{"id":"D2","kind":"decision","standing":"decided","text":"The remote will be universal","said":"00:15"\}$/m);
    // The notes sit before the transcript: the part's lines come after them.
    assert.ok(asked[1].user.indexOf('Noted in earlier parts') < asked[1].user.indexOf('Transcript:'));
    // Every later part, the last one (sent at stop) included, sees D1 as part 2 left it: decided.
    for (const a of asked.slice(2)) assert.match(a.user, /"id":"D1","kind":"decision","standing":"decided"/);

    // One entry each: part 2's restatements folded into D2 and A1.
    assert.deepEqual([...latestById(decisions(h.journal)).keys()], ['dm1', 'dm2']);
    assert.deepEqual([...latestById(h.journal.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem')).keys()], ['am1']);
    // D1: left open by part 1 (journaled while the meeting ran), decided by part 2, its history journaled and announced.
    const [settles] = fresh(2);
    const t0 = Number(settles.slice(2)) * 5;
    const history = [{ standing: 'open', segmentId: 'm-2', t0: 10 }, { standing: 'decided', segmentId: settles, t0 }];
    assert.deepEqual(decisions(h.journal).filter((d) => d.id === 'dm1').map((d) => [d.revision, d.standing, d.kind, d.standingHistory]), [
      [1, 'open', 'deferral', undefined],
      [2, 'decided', 'decision', history],
    ]);
    const announced = h.announced.filter((x): x is Decision => x.id === 'dm1' && x.revision === 2);
    assert.deepEqual(announced.map((d) => d.standingHistory), [history]);
    assert.deepEqual(h.live.reduced().carried, { cited: 3, mergedByModel: 0, mergedByNet: 2, standingChanges: 1 });
  });

  it('reads with prompt v8 by default (issue 56): every part\'s call asks for a noted entry\'s new words, and the settle at stop is v11\'s', async () => {
    const { runner, asked, settleAsked, partsAsked } = serviceRunner(settling, { carryNotes: true });
    const h = harness(runner);
    for (const line of LINES) await h.append(line);
    await h.live.finish();
    assert.equal(asked.length, PARTS.length);
    for (const a of asked) assert.match(a.system!, /do not\nadd the refinement as a new entry/);
    assert.equal(settleAsked.length, 1);
    for (const line of [...SETTLE_RULES_V8, ...SETTLE_RULES_V9]) assert.ok(settleAsked[0].user.includes(line), `the settle says: ${line}`);
    assert.match(settleAsked[0].user, /^Points the summary dropped while the meeting ran/m, 'with what the rolling summary dropped');
    // v11's: each part noted once (journaled), and the settle reads those notes beside the rolling summary.
    assert.equal(partsAsked.length, h.journal.filter((r) => r.type === 'partNotes').length);
    assert.ok(partsAsked.length >= 1);
    assert.ok(SETTLE_RULES_V11.every((line) => settleAsked[0].user.includes(line)), 'v11\'s rules');
    assert.match(settleAsked[0].user, /^Notes on each part \(JSON, in meeting order\):\nPart 1 \(/m);
    // Without carried notes (v6) neither: each part read alone, and the settle v7's as before.
    const v6 = serviceRunner(settling, { carryNotes: false });
    const h6 = harness(v6.runner);
    for (const line of LINES) await h6.append(line);
    await h6.live.finish();
    for (const a of v6.asked) assert.doesNotMatch(a.system!, /refinement/);
    assert.equal(v6.partsAsked.length, 0, 'no part noted');
    assert.ok(v6.settleAsked.length === 1 && ![...SETTLE_RULES_V8, ...SETTLE_RULES_V9].some((line) => v6.settleAsked[0].user.includes(line)));
  });

  it('without carryNotes (v6), the same answers: no notes in the prompts, each restatement a second entry, no history', async () => {
    const { runner, asked } = serviceRunner(settling, { carryNotes: false });
    assert.equal(runner.carryNotes, false);
    const h = harness(runner);
    for (const line of LINES) await h.append(line);
    await h.live.finish();
    assert.equal(asked.length, PARTS.length);
    assert.ok(asked.every((a) => !a.user.includes('Noted in earlier parts')), 'v6 prompts');
    assert.deepEqual([...latestById(decisions(h.journal)).keys()], ['dm1', 'dm2', 'dm3']);
    assert.ok(decisions(h.journal).every((d) => d.standingHistory === undefined));
  });

  it('at stop the parts left go one at a time, in order, each carrying what every part before it noted; a decision dropped later is withdrawn with its history', async () => {
    const answer: Answer = ({ user }) => {
      const part = partOf(user);
      if (part === 1) return { decisions: [{ text: 'The case will be rubber', standing: 'decided', kind: 'decision', segments: ['m-2'] }] };
      if (part === 2) return { noted: [{ id: 'D1', segments: [fresh(2)[0]], standing: 'dropped' }], decisions: [{ text: 'The buttons will glow', standing: 'decided', kind: 'decision', segments: [fresh(2)[1]] }] };
      return {};
    };
    const { runner, asked } = serviceRunner(answer, { delayMs: 20, carryNotes: true });
    const h = harness(runner);
    h.state.busy = true; // whisper decodes the whole meeting: nothing is sent before the stop
    for (const line of LINES) await h.append(line);
    await sleep(IDLE_SETTLE_MS + 20);
    assert.equal(asked.length, 0);
    await h.live.finish();
    assert.equal(mostAtOnce(asked), 1, 'one at a time, whatever maxConcurrency (2) says');
    assert.deepEqual(asked.map((a) => partOf(a.user)), PARTS.map((_, k) => k + 1));
    for (let k = 1; k < asked.length; k++) assert.ok(asked[k].at >= asked[k - 1].answeredAt!, `part ${k + 1} after part ${k}'s answer`);
    assert.match(asked[1].user, /"id":"D1","kind":"decision","standing":"decided","text":"The case will be rubber"/);
    // Dropped by part 2: no later part is shown it; part 2's own decision is.
    for (const a of asked.slice(2)) {
      assert.doesNotMatch(a.user, /The case will be rubber/);
      assert.match(a.user, /"id":"D2","kind":"decision","standing":"decided","text":"The buttons will glow"/);
    }
    // Both of dm1's revisions in the one publish at stop: added, then withdrawn with its history (restorable).
    const [dropsAt] = fresh(2);
    const dm1 = decisions(h.journal).filter((d) => d.id === 'dm1');
    assert.deepEqual(dm1.map((d) => [d.revision, d.removed, d.dismissed?.reason]), [[1, undefined, undefined], [2, true, `dropped later in the meeting, at 00:${String(Number(dropsAt.slice(2)) * 5).padStart(2, '0')}`]]);
    assert.deepEqual(dm1[1].standingHistory?.map((s) => s.standing), ['decided', 'dropped']);
    const run = h.journal.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement')!;
    assert.deepEqual([run.decisionIds, run.dismissedIds, run.state], [['dm1', 'dm2'], ['dm1'], 'done']);

    // v6 at stop: the settings' two calls at once.
    const v6 = serviceRunner(answer, { delayMs: 20, carryNotes: false });
    const again = harness(v6.runner);
    again.state.busy = true;
    for (const line of LINES) await again.append(line);
    await again.live.finish();
    assert.equal(mostAtOnce(v6.asked), 2);
  });

  it('cancelled while part 2 (carrying part 1\'s notes) is answered: nothing more is sent, at stop either; what part 1 found is kept', async () => {
    const { runner, asked, extractions } = serviceRunner(settling, { delayMs: 100, carryNotes: true });
    const h = harness(runner);
    for (const line of LINES) await h.append(line);
    await until('part 2 asked', () => asked.length === 2);
    assert.match(asked[1].user, /"id":"D1","kind":"decision","standing":"open"/);
    assert.deepEqual(extractions.cancel('s1'), { cancelled: true });
    await h.live.finish();
    assert.equal(asked.length, 2, 'nothing sent after the cancel');
    const run = h.journal.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement')!;
    assert.equal(run.state, 'cancelled');
    assert.deepEqual([...latestById(decisions(h.journal)).keys()], ['dm1', 'dm2'], 'what part 1 found is kept');
  });

  it('a voice renamed while a part is answered: the owner its noted entries give follows the rename', () => {
    const answer = { actionItems: [], decisions: [], dismiss: [], rewrite: [], noted: [{ id: 'A1', segments: ['m-2'], owner: 'Ben' }, { id: 'D1', segments: ['m-2'] }] };
    assert.deepEqual(answerRenamed(answer, { from: 'Ben', to: 'Dana', mentions: true })?.noted, [{ id: 'A1', segments: ['m-2'], owner: 'Dana' }, { id: 'D1', segments: ['m-2'] }]);
  });
});

describe('a decision added and dropped later, journaled while the meeting runs (modelRevisions.ts)', () => {
  const added = { type: 'decision', id: 'dm1', revision: 1, text: 'The case will be rubber', kind: 'decision', standing: 'decided', segmentId: 'm-2', t0: 10, refinedBy: 'fake-lm' } as DecisionRecord;
  const dropped = { ...added, revision: 2, removed: true, dismissed: { by: 'fake-lm', reason: 'dropped later in the meeting, at 00:40' } } as DecisionRecord;
  const toward = (journaled: DecisionRecord[]) => revisionsToward([added, dropped], latestById(journaled), new Map(), new Set(['dm1']), new Set(['dm1']))
    .map((r) => [r.revision, r.removed === true]);

  it('both revisions when the journal has neither, the withdrawal when it has the first, nothing once it has both', () => {
    assert.deepEqual(toward([]), [[1, false], [2, true]]);
    assert.deepEqual(toward([added]), [[2, true]]);
    assert.deepEqual(toward([added, dropped]), []);
  });

  it('nothing once the user restored it: a later publish neither withdraws it again nor takes it back', () => {
    const restored = { ...added, revision: 3, restored: true } as DecisionRecord;
    assert.deepEqual(toward([added, dropped, restored]), []);
    assert.deepEqual(revisionsToward([], latestById([added, dropped, restored]), new Map(), new Set(['dm1']), new Set(['dm1'])), [], 'no longer desired: it stays restored');
    assert.deepEqual(revisionsToward([], latestById([added]), new Map(), new Set(['dm1']), new Set(['dm1'])).map((r) => r.removed), [true], 'one not restored is withdrawn');
    // A part asked again (a late final, a resumed session) may put another entry in that place: that one is written.
    const other = { ...added, text: 'The case will be wood', segmentId: 'm-7', t0: 70 } as DecisionRecord;
    assert.deepEqual(revisionsToward([other], latestById([added, dropped, restored]), new Map(), new Set(['dm1']), new Set(['dm1'])).map((r) => [r.revision, r.text]),
      [[4, 'The case will be wood']]);
  });
});

describe('prompt v7 and a local model reading the open part ahead', () => {
  it('reads the open part only once every part before it is answered, with the notes its call then carries', async () => {
    const local = localRunner(5, {
      carryNotes: true,
      answer: (_ids, user) => (partOf(user) === 1 ? { decisions: [{ text: 'DVD support is left for a later meeting', standing: 'open', kind: 'decision', segments: ['m-2'] }] } : {}),
    });
    try {
      const h = harness(local.runner);
      h.state.idleSince = performance.now() - 1000;
      for (const line of LINES) {
        await h.append(line);
        await sleep(IDLE_SETTLE_MS + 40);
      }
      await h.live.finish();
      const extract = local.calls.filter((c) => c.kind === 'extract');
      const chats = extract.filter((c) => c.type === 'chat');
      assert.equal(chats.length, PARTS.length);
      for (const preload of extract.filter((c) => c.type === 'preload')) {
        const part = partOf(preload.user);
        // Read ahead only after the part before it was answered (the host answers a chat at once here).
        if (part > 1) assert.ok(preload.at > chats[part - 2].at, `part ${part} read ahead before part ${part - 1} was answered`);
        if (part > 1) assert.match(preload.user, /^\{"id":"D1","kind":"decision","standing":"open","text":"DVD support is left for a later meeting","said":"00:10"\}$/m);
      }
      // Each part's call starts as what was read ahead of it: the notes are in the prefix the model holds.
      for (const chat of chats.slice(1)) {
        assert.match(chat.user, /"id":"D1"/);
        assert.ok(extract.some((c) => c.type === 'preload' && c.at <= chat.at && chat.user.startsWith(c.user)), `part ${partOf(chat.user)} was read ahead`);
      }
    } finally {
      local.restore();
    }
  });
});

describe('prompt v7 over a stored meeting (extraction at stop, re-run)', () => {
  /** The meeting with a rule decision left open in part 1 ("d1"), which part 2 settles. */
  const journal = () => ({
    header: HEADER, tornTail: false,
    records: [HEADER, ...LINES.slice(0, 2), { type: 'decision', id: 'd1', revision: 1, text: 'We will decide on DVD support later', kind: 'deferral', standing: 'open', segmentId: 'm-2', t0: 10 } as JournalRecord, ...LINES.slice(2)],
  });
  const answer: Answer = ({ user }) => (partOf(user) === 2 ? { noted: [{ id: 'd1', segments: [fresh(2)[0]], standing: 'decided' }] } : {});

  for (const carryNotes of [true, false]) {
    it(carryNotes ? 'v7: one part at a time, each with the notes before it; a rule decision settled later journaled with its history'
      : 'v6: two parts at once, no notes, the rule decision left as it was', async () => {
      const { extractions, asked } = serviceRunner(answer, { delayMs: 20, carryNotes });
      const appended: JournalRecord[] = [];
      const records = await extractions.extractorFor('s1')!(journal(), async (r) => { appended.push(r); });
      assert.equal(asked.length, PARTS.length);
      assert.equal(mostAtOnce(asked), carryNotes ? 1 : 2);
      const d1 = records.filter((r): r is DecisionRecord => r.type === 'decision' && r.id === 'd1');
      if (!carryNotes) {
        assert.ok(asked.every((a) => !a.user.includes('Noted in earlier parts')));
        assert.deepEqual(d1, []);
        return;
      }
      for (let k = 1; k < asked.length; k++) assert.ok(asked[k].at >= asked[k - 1].answeredAt!);
      // The rule decision of part 1 is noted by its own id in part 2's prompt (not shown there among the rule items).
      assert.match(asked[1].user, /^\{"id":"d1","kind":"decision","standing":"open","text":"We will decide on DVD support later","said":"00:10"\}$/m);
      const [settles] = fresh(2);
      assert.deepEqual(d1.map((d) => [d.revision, d.standing, d.kind, d.standingHistory]), [
        [2, 'decided', 'decision', [{ standing: 'open', segmentId: 'm-2', t0: 10 }, { standing: 'decided', segmentId: settles, t0: Number(settles.slice(2)) * 5 }]],
      ]);
    });
  }
});
