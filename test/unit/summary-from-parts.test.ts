/**
 * The settle of v10 (daemon/understanding/summaryFromParts.ts): notes on each part of the meeting, asked one chunk at a
 * time without the summary so far, and the summary at stop composed from every part's notes and the final lists; a
 * meeting with a part that has no notes settles as v9 does. Scripted chats; the journal's `partNotes` records.
 */
import * as assert from 'node:assert/strict';
import { JournalRecord, partNotesRecord, summarySoFarOf } from '../../daemon/journal/journal';
import { everyPartNoted, FinalOutcomes, PartNotes, settleAtStop, settledPointsFor, SummarySoFar, SUMMARY_BOUNDS } from '../../daemon/understanding/modelSummary';
import {
  composeCitableIds, composeMessages, isPartsPrompt, noteParts, PART_BOUNDS, PART_NOTES_CHARS, PART_NOTES_CHARS_V11, partMessages, partNotes, partsWithin, readsPartNotes,
  settleAnyVersion, SETTLE_RULES_V11, settleMessagesV11, smallerPromptMayAnswer,
} from '../../daemon/understanding/summaryFromParts';
import { Chat } from '../../daemon/understanding/providers';

const meeting = { title: 'Plan', date: '2030-01-01T09:00:00.000Z' };
const line = (k: number, text = `Line ${k}.`) => ({ segmentId: `m-${k}`, speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 30, text });
const point = (text: string, ...cites: string[]) => ({ text, segmentIds: cites });
const part = (chunk: number, ...points: { text: string; segmentIds: string[] }[]): PartNotes => ({ chunk, t0: chunk * 300, t1: chunk * 300 + 290, points });
const outcomes: FinalOutcomes = {
  decisions: [{ text: 'Ship on Monday', kind: 'decision', segmentId: 'm-2' }, { text: 'Whether to drop the beta', kind: 'decision', standing: 'open', segmentId: 'm-7' }],
  actionItems: [{ text: 'Write the release notes', owner: 'Ana', due: null, segmentId: 'm-3' }],
};
/** A chat that records what it is asked and answers with `answer(system, user)`. */
const scripted = (answer: (system: string, user: string) => string) => {
  const asked: { system: string; user: string }[] = [];
  const chat: Chat = async (system, user) => {
    asked.push({ system, user });
    return { text: answer(system, user), model: 'fake' };
  };
  return { chat, asked };
};
const signal = new AbortController().signal;

describe('notes on one part of the meeting (the settle of v10)', () => {
  it('asks with that part\'s lines alone: its number, when it ran, never a summary so far', () => {
    const { system, user } = partMessages(meeting, 2, [line(20, 'We ship Monday.'), line(21)]);
    assert.ok(isPartsPrompt(system));
    assert.match(system, new RegExp(`1 to ${PART_BOUNDS.points} points`));
    assert.match(system, new RegExp(`at most ${SUMMARY_BOUNDS.text} characters`));
    assert.ok(user.includes('Part 3 of the meeting (10:00 to 10:30; a part begins with the last few lines of the one before):\n[m-20] 10:00 Ben: We ship Monday.\n[m-21] 10:30 Ana: Line 21.'), user);
    assert.doesNotMatch(user, /Summary so far/);
  });

  it('keeps only points that cite the part\'s own lines, at most PART_BOUNDS.points of them', async () => {
    const points = Array.from({ length: 8 }, (_, k) => ({ text: `Point ${k}.`, cites: [k === 0 ? 'm-99' : 'm-1'] }));
    const { chat } = scripted(() => JSON.stringify({ points }));
    const noted = await partNotes(chat, meeting, { index: 0, lines: [line(1), line(2)] }, signal);
    assert.equal(noted.points?.length, PART_BOUNDS.points);
    assert.ok(noted.points!.every((p) => p.segmentIds.every((c) => c === 'm-1')), 'a cite of a line outside the part is dropped, and its point with it');
    assert.equal(noted.points![0].text, 'Point 1.');
  });

  it('asks once more on an answer with no valid point, then gives up saying why (never rejects)', async () => {
    const { chat, asked } = scripted(() => 'no JSON here');
    const noted = await partNotes(chat, meeting, { index: 0, lines: [line(1)] }, signal);
    assert.equal(noted.points, null);
    assert.equal(noted.reason, 'invalid answer');
    assert.equal(asked.length, 2);
  });
});

describe('noting each part as the meeting goes (noteParts)', () => {
  const chunks = [0, 1, 2].map((index) => ({ index, lines: [line(index * 3 + 1), line(index * 3 + 2)] }));

  it('asks each chunk once, in order, journaling each part noted with its model; a failed part is not asked again', async () => {
    const sofar: SummarySoFar = { points: [], chunks: 0 };
    const asked: number[] = [];
    const noted: { chunk: number; model: string | undefined }[] = [];
    const spent: number[] = [];
    const how = {
      ask: async (chunk: { index: number; lines: readonly { segmentId: string }[] }) => {
        asked.push(chunk.index);
        return chunk.index === 1 ? { points: null, model: undefined, tokens: 3, reason: 'invalid answer' }
          : { points: [point(`Part ${chunk.index}`, chunk.lines[0].segmentId)], model: 'm', tokens: 5 };
      },
      mayAsk: () => true,
      spent: (t: number) => spent.push(t),
      noted: (p: PartNotes, model: string | undefined) => { noted.push({ chunk: p.chunk, model }); },
    };
    await noteParts(chunks.slice(0, 2), sofar, how);
    await noteParts(chunks, sofar, how);
    assert.deepEqual(asked, [0, 1, 2], 'each chunk asked once, the failed one too');
    assert.deepEqual(noted, [{ chunk: 0, model: 'm' }, { chunk: 2, model: 'm' }]);
    assert.deepEqual(spent, [5, 3, 5]);
    assert.deepEqual(sofar.parts!.map((p) => [p.chunk, p.t0, p.t1]), [[0, 30, 60], [2, 210, 240]]);
    assert.equal(everyPartNoted(sofar.parts, 3), false, 'part 2 has no notes');
  });

  it('asks nothing once the run may ask no more', async () => {
    const sofar: SummarySoFar = { points: [], chunks: 0 };
    let asked = 0;
    await noteParts(chunks, sofar, { ask: async () => { asked++; return { points: null, model: undefined, tokens: 0 }; }, mayAsk: () => false, noted: () => undefined });
    assert.equal(asked, 0);
    assert.deepEqual(sofar.parts, []);
  });

  it('a resumed session takes the journaled parts back (the last record of each chunk) and does not ask them again', async () => {
    const records: JournalRecord[] = [
      partNotesRecord({ model: 'run-model' }, undefined, part(0, point('Old', 'm-1'))),
      partNotesRecord({ model: 'run-model' }, 'm2', part(0, point('Renamed', 'm-1'))),
      partNotesRecord({ model: 'run-model' }, 'm2', part(1, point('Second', 'm-4'))),
    ];
    assert.equal(records[0].type === 'partNotes' && records[0].by, 'run-model', 'the run\'s model when the answer named none');
    const sofar = summarySoFarOf(records) as SummarySoFar;
    assert.deepEqual(sofar.parts!.map((p) => p.points[0].text), ['Renamed', 'Second']);
    const asked: number[] = [];
    await noteParts(chunks, sofar, { ask: async (c) => { asked.push(c.index); return { points: [point('Third', 'm-7')], model: 'm', tokens: 1 }; }, mayAsk: () => true, noted: () => undefined });
    assert.deepEqual(asked, [2]);
    assert.ok(everyPartNoted(sofar.parts, 3));
    assert.equal(summarySoFarOf([]).parts, undefined, 'no parts recorded: none');
  });
});

describe('the summary composed at stop from the parts\' notes', () => {
  it('reads every part\'s notes in order with when it ran, the final lists with their standing, and its bound', () => {
    const parts = [part(0, point('Ana presented the plan.', 'm-1')), part(1, point('Ben asked for a beta.', 'm-4'), point('Left open.', 'm-7'))];
    const { system, user } = composeMessages(meeting, parts, outcomes, 9);
    assert.ok(isPartsPrompt(system));
    assert.match(system, /^You write the summary of a meeting that has ended/);
    assert.ok(user.includes(`write its summary in up to ${settledPointsFor(10, 9)} points (this meeting's bound)`), user);
    assert.equal(settledPointsFor(10, 9), settledPointsFor(9, 9), 'the same budget as v9\'s');
    assert.ok(user.includes('Notes on each part (JSON):\nPart 1 (00:00 to 04:50): {"points":[{"text":"Ana presented the plan.","cites":["m-1"]}]}\nPart 2 (05:00 to 09:50): '), user);
    assert.ok(user.includes('[m-2] decided: Ship on Monday'), user);
    assert.ok(user.includes('[m-7] left open: Whether to drop the beta'), user);
    assert.ok(user.includes('[m-3] Ana: Write the release notes'), user);
    assert.deepEqual(composeCitableIds(parts, outcomes), ['m-1', 'm-4', 'm-7', 'm-2', 'm-3']);
  });

  it('within its bound each part keeps its first points: a long meeting loses its parts\' last points before its last parts', () => {
    const long = (chunk: number) => part(chunk, ...Array.from({ length: PART_BOUNDS.points }, (_, k) => point(`${'x'.repeat(200)} ${chunk}.${k}`, `m-${chunk}`)));
    const parts = Array.from({ length: 40 }, (_, chunk) => long(chunk));
    const kept = partsWithin(parts);
    const chars = kept.flatMap((p) => p.points).reduce((n, p) => n + p.text.length, 0);
    assert.ok(chars <= PART_NOTES_CHARS && chars > PART_NOTES_CHARS - 300, `${chars}`);
    assert.ok(kept.every((p) => p.points.length >= 2), 'every part keeps at least its first two points');
    assert.ok(kept.every((p) => p.points.every((pt, k) => pt === parts[p.chunk].points[k])), 'the first points, in order');
    assert.deepEqual(partsWithin([part(0, point('a', 'm-1'))]), [part(0, point('a', 'm-1'))]);
  });

  it('settles from the parts when every part has notes, as v9 when one has none, and as asked for an older version', async () => {
    const { chat, asked } = scripted((_system, user) => JSON.stringify({ points: [{ text: 'Settled.', cites: [/\[(m-\d+)\]|"(m-\d+)"/.exec(user)!.slice(1).find(Boolean)] }] }));
    const previous = [point('Rolling point.', 'm-1')];
    const full = [part(0, point('First part.', 'm-1')), part(1, point('Second part.', 'm-4'))];
    const fromParts = await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 10, extras: { dropped: [], chunks: 2, parts: full } });
    assert.deepEqual(fromParts.points, [point('Settled.', 'm-1')]);
    assert.match(asked[0].system, /^You write the summary of a meeting that has ended/);
    assert.doesNotMatch(asked[0].user, /Summary so far/, 'v10 reads no rolling summary');
    await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 10, extras: { dropped: [], chunks: 3, parts: full } });
    assert.match(asked[1].system, /^You keep the summary/, 'a part without notes: v9\'s settle');
    assert.match(asked[1].user, /Points the summary dropped while the meeting ran/);
    await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 8 });
    assert.doesNotMatch(asked[2].user, /Points the summary dropped/, 'v8\'s settle as before');
    assert.match(asked[2].user, /Keep who/);
  });

  it('a compose call with no valid answer settles as v9 does from the summary so far (none: says why)', async () => {
    const { chat, asked } = scripted((system) => (system.startsWith('You write the summary') ? 'the context is full' : JSON.stringify({ points: [{ text: 'Settled from the rolling summary.', cites: ['m-1'] }] })));
    const parts = [part(0, point('First part.', 'm-1'))];
    const settled = await settleAnyVersion(chat, meeting, [point('Rolling point.', 'm-1')], outcomes, signal, { notesPrompt: 10, extras: { dropped: [], chunks: 1, parts } });
    assert.deepEqual(settled.points, [point('Settled from the rolling summary.', 'm-1')]);
    assert.deepEqual(asked.map((a) => a.system.split(' ').slice(0, 4).join(' ')), ['You write the summary', 'You write the summary', 'You keep the summary'], 'compose (asked twice), then v9');
    assert.ok(settled.tokens > 0);
    const alone = await settleAnyVersion(chat, meeting, [], outcomes, signal, { notesPrompt: 10, extras: { dropped: [], chunks: 1, parts } });
    assert.equal(alone.points, null);
    assert.equal(alone.reason, 'invalid answer');
    // At stop, with no summary so far, nothing is journaled for it (the call's report says why).
    assert.equal(await settleAtStop({ points: [], chunks: 0, parts }, { ask: async () => alone, refused: () => undefined, chunks: 1 }), undefined);
  });

  it('reads the parts in meeting order, whatever order they were noted in', () => {
    const { user } = composeMessages(meeting, [part(2, point('Third.', 'm-7')), part(0, point('First.', 'm-1')), part(1, point('Second.', 'm-4'))], outcomes, 3);
    assert.ok(user.indexOf('Part 1 (') < user.indexOf('Part 2 (') && user.indexOf('Part 2 (') < user.indexOf('Part 3 ('), user);
  });

  it('settles at stop with no rolling summary when every part has notes, and not without', async () => {
    const ask = async () => ({ points: [point('Composed.', 'm-1')], model: 'fake', tokens: 1 });
    const withParts: SummarySoFar = { points: [], chunks: 0, parts: [part(0, point('First part.', 'm-1'))] };
    assert.deepEqual(await settleAtStop(withParts, { ask, refused: () => undefined, chunks: 1 }), { settled: true, model: 'fake' });
    assert.deepEqual(withParts.points, [point('Composed.', 'm-1')]);
    assert.equal(await settleAtStop({ points: [], chunks: 0, parts: [part(0, point('First part.', 'm-1'))] }, { ask, refused: () => undefined, chunks: 2 }), undefined);
    assert.equal(await settleAtStop({ points: [], chunks: 0 }, { ask, refused: () => undefined }), undefined);
  });
});

describe('the settle of v11: v9\'s settle of the rolling summary, with the parts\' notes beside it', () => {
  const previous = [point('Rolling point.', 'm-1')];
  const dropped = [point('A dropped point.', 'm-2')];
  const parts = [part(1, point('Second part.', 'm-4')), part(0, point('First part.', 'm-1'), point('Ana gave the figures.', 'm-3'))];

  it('reads what v9\'s reads (the summary so far, its dropped points, the final lists, its budget), its own rules and every part\'s notes in order', () => {
    const { system, user } = settleMessagesV11(meeting, previous, outcomes, { dropped, chunks: 9, parts });
    assert.match(system, /^You keep the summary/, 'the rolling summary\'s system message, as v9\'s settle');
    assert.ok(!isPartsPrompt(system));
    assert.match(user, /^The meeting has ended: settle its summary/m);
    assert.ok(user.includes(`may have up to ${settledPointsFor(9, 9)} points`), user);
    assert.equal(settledPointsFor(11, 9), settledPointsFor(9, 9), 'the same budget as v9\'s');
    assert.ok(user.includes(SETTLE_RULES_V11.join('\n')), 'its rules');
    assert.ok(user.indexOf('Points the summary dropped while the meeting ran (below)') < user.indexOf(SETTLE_RULES_V11[0]), 'after v9\'s rules');
    const notes = user.indexOf('Notes on each part (JSON, in meeting order):\nPart 1 (00:00 to 04:50): {"points":[{"text":"First part.","cites":["m-1"]},{"text":"Ana gave the figures.","cites":["m-3"]}]}\nPart 2 (05:00 to 09:50): ');
    assert.ok(notes > user.indexOf('Points the summary dropped while the meeting ran (JSON'), user);
    assert.ok(notes < user.indexOf('Final decisions:'), 'before the final lists');
    assert.ok(user.includes('Summary so far (JSON):\n{"points":[{"text":"Rolling point.","cites":["m-1"]}]}'), user);
  });

  it('bounds the parts\' notes tighter than v10\'s (it also reads the summary so far and its dropped points)', () => {
    assert.ok(PART_NOTES_CHARS_V11 < PART_NOTES_CHARS);
    const long = Array.from({ length: 40 }, (_, chunk) => part(chunk, ...Array.from({ length: PART_BOUNDS.points }, (_, k) => point(`${'x'.repeat(200)} ${chunk}.${k}`, `m-${chunk}`))));
    const { user } = settleMessagesV11(meeting, previous, outcomes, { dropped, chunks: 40, parts: long });
    const chars = [...user.matchAll(/"text":"(x+ \d+\.\d+)"/g)].reduce((n, m) => n + m[1].length, 0);
    assert.ok(chars <= PART_NOTES_CHARS_V11 && chars > PART_NOTES_CHARS_V11 - 300, `${chars}`);
  });

  it('may cite the parts\' lines as well as v9\'s; a part without notes or an answer with no valid point settles as v9 does', async () => {
    const { chat, asked } = scripted((_system, user) => (/^Notes on each part/m.test(user) && asked.length === 1
      ? JSON.stringify({ points: [{ text: 'From a part.', cites: ['m-3'] }, { text: 'From the lists.', cites: ['m-7'] }, { text: 'Unknown.', cites: ['m-99'] }] })
      : 'no JSON here'));
    const settled = await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 11, extras: { dropped, chunks: 2, parts } });
    assert.deepEqual(settled.points, [point('From a part.', 'm-3'), point('From the lists.', 'm-7')]);
    await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 11, extras: { dropped, chunks: 3, parts } });
    assert.ok(!asked[1].user.includes('Notes on each part'), 'a part without notes: v9\'s settle');
    assert.match(asked[1].user, /Points the summary dropped while the meeting ran/);
    const failed = await settleAnyVersion(chat, meeting, previous, outcomes, signal, { notesPrompt: 11, extras: { dropped, chunks: 2, parts } });
    const after = asked.slice(3).map((a) => a.user.includes('Notes on each part'));
    assert.deepEqual(after, [true, true, false, false], 'v11 asked twice, then v9 (asked twice)');
    assert.equal(failed.points, null);
    assert.ok(failed.tokens > 0);
  });

  it('asks v9 after a failure a smaller prompt might not meet, never after a time limit, a cancel or a server\'s failure', async () => {
    // The reasons askParsed and the providers give (safeReason, RefineFailure, the local worker's refusal).
    for (const reason of ['invalid answer', 'http-400', 'http-413', 'local model: the chunk (9001 tokens) and its answer do not fit the model\'s context (8192)', 'client error -32603']) {
      assert.ok(smallerPromptMayAnswer(reason), reason);
    }
    for (const reason of [undefined, 'no answer within 20 s', 'cancelled', 'http-500', 'http-503', 'http-429', 'network ECONNRESET', 'the local model process ended (crash)', 'error']) {
      assert.ok(!smallerPromptMayAnswer(reason), String(reason));
    }
    const overloaded: Chat = async (_system, user) => {
      if (user.includes('Notes on each part')) throw Object.assign(new Error('overloaded'), { name: 'RefineFailure' });
      return { text: JSON.stringify({ points: [{ text: 'v9', cites: ['m-1'] }] }), model: 'fake' };
    };
    const failed = await settleAnyVersion(overloaded, meeting, previous, outcomes, signal, { notesPrompt: 11, extras: { dropped, chunks: 2, parts } });
    assert.equal(failed.points, null, 'a failure that is not the prompt\'s size: not asked again');
  });

  it('v10 and v11 read the parts\' notes (each chunk gets its call); v9 and older do not', () => {
    assert.deepEqual([7, 8, 9, 10, 11, undefined].map((v) => readsPartNotes(v as never)), [false, false, false, true, true, false]);
  });
});
