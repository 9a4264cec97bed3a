import * as assert from 'node:assert/strict';
import { NOTED_TEXT_MAX, NotedEntry } from '../../daemon/understanding/carriedNotes';
import { chunkMessages, ModelChunk, NOTES_PROMPT_DEFAULT, parseChunkAnswer } from '../../daemon/understanding/modelExtract';
import { extractTranscriptWithModel } from '../../daemon/understanding/modelTranscript';
import { finalEntries, notedBefore, reduceChunks, withNotedBefore } from '../../daemon/understanding/chunkMerge';
import { Chat, chunkConstraint, runModelExtraction } from '../../daemon/understanding/providers';
import { settleMessages, SETTLE_RULES_V8 } from '../../daemon/understanding/modelSummary';
import { chunkAnswerSchema } from '../../daemon/understanding/local/schema';
import { ChunkExtraction } from '../../protocol/protocol';

// Prompt v8 (issue 56): a later part may refine a noted entry's words, so a refinement is no longer a new entry.
const meeting = { title: 'Remote', date: '2030-01-01' };
const lineOf = (k: number, text: string) => ({ segmentId: `m-${k}`, speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 60, text });
const TEXTS = ['The case is plastic.', 'Paging by voice, say "locate".', 'Make it recycled plastic, the good kind.', 'Just a beep button for paging.', 'Ben costs it.', 'Fine.'];
const LINES = TEXTS.map((t, k) => lineOf(k + 1, t));
const chunks: ModelChunk[] = [
  { index: 0, lines: LINES.slice(0, 2), items: [] },
  { index: 1, lines: LINES.slice(1, 4), items: [{ id: 'd1', kind: 'decision', text: 'The remote is yellow', segmentId: 'm-3', standing: 'decided' }] },
  { index: 2, lines: LINES.slice(3), items: [] },
];
const empty = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], ...more });
const noted: NotedEntry[] = [
  { id: 'D1', kind: 'decision', text: 'The case will be plastic', standing: 'decided', firstT0: 60, lastT0: 60 },
  { id: 'D2', kind: 'decision', text: 'Paging by voice recognition', standing: 'decided', firstT0: 120, lastT0: 120 },
  { id: 'A1', kind: 'actionItem', text: 'Cost the case', owner: null, firstT0: 120, lastT0: 120 },
];
const v7Chunk: ModelChunk = { ...chunks[1], noted: { shown: noted, left: 0 } };
const v8Chunk: ModelChunk = { ...chunks[1], noted: { shown: noted, left: 0, prompt: 8 } };

describe('notes prompt v8 (issue 56: a later part refines a noted entry)', () => {
  describe('the prompt', () => {
    it('v8 asks for a noted entry\'s new words and says when; v7 stays as recorded', () => {
      const v8 = chunkMessages(meeting, v8Chunk, 3).system;
      assert.match(v8, /"text": "only when these lines refine or correct what the noted entry says/);
      assert.match(v8, /do not\nadd the refinement as a new entry/);
      assert.match(v8, /One entry for each decision/);
      assert.match(v8, /"given" in every meeting that works to it/);
      const v7 = chunkMessages(meeting, v7Chunk, 3).system;
      assert.doesNotMatch(v7, /"text": "only when these lines refine|refinement|One entry for each decision/);
      assert.equal(v7, chunkMessages(meeting, { ...v7Chunk, noted: { shown: noted, left: 0 } }, 3).system);
      assert.equal(chunkMessages(meeting, v8Chunk, 3).user, chunkMessages(meeting, v7Chunk, 3).user, 'the notes so far are shown alike');
    });
    it('a local model\'s grammar allows the new words only for v8, bounded as the check is', () => {
      const props = (c: ModelChunk) => JSON.stringify((chunkAnswerSchema(chunkConstraint(c)) as { properties: { noted: unknown } }).properties.noted);
      assert.match(props(v8Chunk), new RegExp(`"text":\\{"oneOf":\\[\\{"type":"string","minLength":1,"maxLength":${NOTED_TEXT_MAX}\\}`));
      assert.doesNotMatch(props(v7Chunk), /"text"/);
    });
    it('v9 (a candidate) is v8 with one item for each person given the work and no decision of the meeting\'s running; v8 stays as recorded', () => {
      const v9Chunk: ModelChunk = { ...chunks[1], noted: { shown: noted, left: 0, prompt: 9 } };
      const v8 = chunkMessages(meeting, v8Chunk, 3).system, v9 = chunkMessages(meeting, v9Chunk, 3).system;
      assert.ok(v9.startsWith(v8), 'v9 keeps every word of v8 and adds its rules after them');
      assert.match(v9.slice(v8.length), /^\nWork given to more than one person \(to do together, or each a part\) is one action item for each of them/);
      assert.match(v9, /The running of the meeting itself is no decision: its agenda and order of business, who chairs or speaks next, going\ninto private session, papers noted/);
      assert.doesNotMatch(v8, /Work given to more than one person|running of the meeting itself/);
      assert.equal(chunkMessages(meeting, v9Chunk, 3).user, chunkMessages(meeting, v8Chunk, 3).user, 'the notes so far are shown alike');
      const props = (c: ModelChunk) => JSON.stringify((chunkAnswerSchema(chunkConstraint(c)) as { properties: { noted: unknown } }).properties.noted);
      assert.equal(props(v9Chunk), props(v8Chunk), 'the same answer shape: a local model\'s grammar allows the new words');
      assert.deepEqual(withNotedBefore(chunks[1], { chunks: chunks.slice(0, 1), answers: [empty({})] }, 9).noted?.prompt, 9);
      assert.equal(NOTES_PROMPT_DEFAULT, 8, 'v9 is not the default');
    });
  });

  describe('the answer', () => {
    const answer = JSON.stringify({ noted: [
      { id: 'D1', segments: ['m-3'], text: '  The case will be made of high-quality\nrecycled plastic ' },
      { id: 'D2', segments: ['m-4'], text: 'x'.repeat(NOTED_TEXT_MAX + 1) },
      { id: 'A1', segments: ['m-4'], text: 42 },
      { id: 'D9', segments: ['m-4'], text: 'An entry nobody noted' },
    ] });
    it('v8 takes the new words, plain and trimmed; refuses too long a text, one that is not text, and an id not shown, each with its reason', () => {
      const refused: string[] = [];
      const parsed = parseChunkAnswer(answer, v8Chunk, refused);
      assert.deepEqual(parsed?.noted, [{ id: 'D1', segments: ['m-3'], text: 'The case will be made of high-quality recycled plastic' }]);
      assert.deepEqual(refused, [
        `noted 2: D2's text is longer than ${NOTED_TEXT_MAX} characters`,
        'noted 3: A1\'s text is not a text',
        'noted 4: no noted entry has that id',
      ]);
    });
    it('v7 never reads new words (its prompt asked for none): the cite stands, the words do not change', () => {
      const refused: string[] = [];
      const parsed = parseChunkAnswer(answer, v7Chunk, refused);
      assert.deepEqual(parsed?.noted?.map((u) => u.text), [undefined, undefined, undefined]);
      assert.deepEqual(refused, ['noted 4: no noted entry has that id']);
    });
  });

  describe('the merge', () => {
    // Part 1 notes two decisions; part 2 refines both (the model's own D1, D2) and a rule decision d1; part 3 cites D2.
    const answers: ChunkExtraction[] = [
      empty({ decisions: [
        { text: 'The case will be plastic', kind: 'decision', standing: 'decided', segments: ['m-1'] },
        { text: 'Paging by voice recognition', kind: 'decision', standing: 'decided', segments: ['m-2'] },
      ] }),
      empty({ noted: [
        { id: 'D1', segments: ['m-3'], text: 'The case will be made of high-quality recycled plastic' },
        { id: 'D2', segments: ['m-4', 'm-2'], text: 'Paging by a simple button that makes the remote beep' },
        { id: 'd1', segments: ['m-3'], text: 'The remote is a bright yellow' },
      ] }),
      empty({ noted: [{ id: 'D2', segments: ['m-6'] }] }),
    ];
    it('a refinement replaces the entry\'s words, keeps every line it cited and shows it at the line that states it so', () => {
      const reduced = reduceChunks(chunks, answers, true);
      assert.deepEqual(reduced.decisions.map((d) => [d.text, d.segments]), [
        ['The case will be made of high-quality recycled plastic', ['m-3', 'm-1']],
        ['Paging by a simple button that makes the remote beep', ['m-4', 'm-2', 'm-6']],
      ]);
      assert.deepEqual(reduced.rewrites, [{ id: 'd1', text: 'The remote is a bright yellow' }], 'a rule decision\'s new words are its rewrite (the rules\' words kept for undo)');
      assert.equal(reduced.carried?.refined, 3);
      assert.equal(reduced.decisions.length, 2, 'no refinement added as a new entry');
    });
    it('the next part is shown the new words, under the same id', () => {
      const shown = notedBefore(chunks, answers, 2).shown;
      assert.deepEqual(shown.filter((e) => e.id.startsWith('D')).map((e) => [e.id, e.text]), [
        ['D1', 'The case will be made of high-quality recycled plastic'],
        ['D2', 'Paging by a simple button that makes the remote beep'],
      ]);
      assert.equal(shown.find((e) => e.id === 'd1')?.text, 'The remote is a bright yellow');
    });
    it('a later part\'s new words for a rewritten rule item keep the standing, owner and due the rewrite gave', () => {
      // The answering instances' report (silver development Bro025 d3, 2026-11-29): a decision rewritten as "given",
      // then refined by a later part, was shown and kept as "decided": the refinement had taken the rewrite's place.
      const withItems: ModelChunk[] = [
        { ...chunks[0], items: [{ id: 'a1', kind: 'actionItem', text: 'cost the case', segmentId: 'm-1', owner: null, due: null }] },
        { ...chunks[1], items: [{ id: 'd1', kind: 'decision', text: 'The remote is yellow', segmentId: 'm-3', standing: 'decided' }] },
        chunks[2],
      ];
      const rewritten: ChunkExtraction[] = [
        empty({ rewrite: [{ id: 'a1', text: 'Cost the plastic case', owner: 'Ben', due: '2030-01-08' }] }),
        empty({ rewrite: [{ id: 'd1', standing: 'given', text: 'The remote must be yellow (the brief)' }] }),
        empty({ noted: [{ id: 'd1', segments: ['m-5'], text: 'The remote must be the brief\'s bright yellow' }, { id: 'a1', segments: ['m-5'], text: 'Cost the recycled plastic case' }] }),
      ];
      const reduced = reduceChunks(withItems, rewritten, true);
      assert.deepEqual(reduced.rewrites.find((r) => r.id === 'd1'), { id: 'd1', standing: 'given', text: 'The remote must be the brief\'s bright yellow' });
      assert.deepEqual(reduced.rewrites.find((r) => r.id === 'a1'), { id: 'a1', text: 'Cost the recycled plastic case', owner: 'Ben', due: '2030-01-08' });
      const shown = finalEntries(withItems, rewritten);
      assert.equal(shown.find((e) => e.id === 'd1')?.standing, 'given');
      assert.equal(shown.find((e) => e.id === 'a1')?.owner, 'Ben');
    });
    it('a later part settling a rule decision that a rewrite left open changes its standing (silver development ES2013d d2)', () => {
      const withItem: ModelChunk[] = [chunks[0], { ...chunks[1], items: [{ id: 'd1', kind: 'decision', text: 'Rubber on the case', segmentId: 'm-3', standing: 'decided' }] }, chunks[2]];
      const settledLater: ChunkExtraction[] = [
        empty({}),
        empty({ rewrite: [{ id: 'd1', standing: 'open', text: 'Whether to put rubber on the case is left open' }] }),
        empty({ noted: [{ id: 'd1', segments: ['m-5'], standing: 'decided', text: 'Rubber goes on the plastic case' }] }),
      ];
      const reduced = reduceChunks(withItem, settledLater, true);
      assert.deepEqual(reduced.standingChanges, [{ id: 'd1', history: [{ standing: 'open', segmentId: 'm-3' }, { standing: 'decided', segmentId: 'm-5' }] }]);
      assert.equal(finalEntries(withItem, settledLater).find((e) => e.id === 'd1')?.standing, 'decided');
    });
    it('v7\'s behaviour, for contrast: the same answer read as v7\'s keeps the old words (the refinement lost, as the measured repeats were)', () => {
      const v7 = parseChunkAnswer(JSON.stringify(answers[1]), { ...chunks[1], noted: notedBefore(chunks, answers, 1) });
      const reduced = reduceChunks(chunks, [answers[0], v7, answers[2]], true);
      assert.deepEqual(reduced.decisions.map((d) => d.text), ['The case will be plastic', 'Paging by voice recognition']);
    });
    it('withNotedBefore marks a v8 chunk, and only that; v8 is the default (a meeting read live, `earshot notes`)', () => {
      const earlier = { chunks: chunks.slice(0, 1), answers: answers.slice(0, 1) };
      assert.equal(NOTES_PROMPT_DEFAULT, 8);
      assert.equal(withNotedBefore(chunks[1], earlier, 8).noted?.prompt, 8);
      assert.equal(withNotedBefore(chunks[1], earlier).noted?.prompt, 8);
      assert.equal(withNotedBefore(chunks[1], earlier, 7).noted?.prompt, undefined);
    });
  });

  it('a v8 run sends v8 prompts, and a refinement reaches the next part\'s notes', async () => {
    const systems: string[] = [], users: string[] = [];
    const byPart = [
      { decisions: [{ text: 'Paging by voice recognition', standing: 'decided', kind: 'decision', segments: ['m-2'] }] },
      { noted: [{ id: 'D1', segments: ['m-4'], text: 'Paging by a simple beep button' }] },
      { actionItems: [] },
    ];
    const chat: Chat = async (system, user) => {
      systems.push(system);
      users.push(user);
      return { text: JSON.stringify(byPart[users.length - 1]), model: 'm' };
    };
    const done = await runModelExtraction('s1', meeting, chunks, {
      settings: { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1' }, signal: new AbortController().signal,
      progress: () => undefined, report: () => undefined, carryNotes: true, notesPrompt: 8, chat,
    });
    assert.ok(systems.every((s) => /do not\nadd the refinement as a new entry/.test(s)));
    assert.match(users[2], /\{"id":"D1","kind":"decision","standing":"decided","text":"Paging by a simple beep button","said":"02:00"\}/);
    assert.deepEqual(reduceChunks(chunks, done.answers, true).decisions.map((d) => [d.text, d.segments]), [['Paging by a simple beep button', ['m-4', 'm-2']]]);
  });

  it('v8 by default where a transcript is read with carried notes (`earshot notes`): its prompts and its settle; v7 when named (recorded answers replay)', async () => {
    const lines = LINES.map((l) => ({ segmentId: l.segmentId, speaker: l.speaker, t0: l.t0, text: l.text }));
    const run = async (how: { carryNotes: boolean; notesPrompt?: 7 | 8 }) => {
      const systems: string[] = [], settles: string[] = [];
      const chat: Chat = async (system, user) => {
        if (system.startsWith('You keep the summary')) {
          if (/^The meeting has ended/m.test(user)) {
            settles.push(user);
            // The settle: the summary so far restated, its cites kept.
            const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(user)![1]) as { points: { text: string; cites: string[] }[] }).points;
            return { text: JSON.stringify({ points: sofar }), model: 'm' };
          }
          const ids = [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
          return { text: JSON.stringify({ points: [{ text: 'A point', cites: ids.length ? [ids[0]] : ['m-1'] }] }), model: 'm' };
        }
        systems.push(system);
        return { text: JSON.stringify({ actionItems: [], decisions: [] }), model: 'm' };
      };
      await extractTranscriptWithModel(lines, { actionItems: [], decisions: [], openQuestions: [] }, new Date('2030-01-01T09:00:00Z'),
        { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1', chunkChars: 60 }, () => undefined, undefined, chat, { report: () => undefined }, how);
      return { systems, settles };
    };
    const byDefault = await run({ carryNotes: true });
    assert.ok(byDefault.systems.length > 1 && byDefault.systems.every((s) => /do not\nadd the refinement as a new entry/.test(s)));
    assert.equal(byDefault.settles.length, 1);
    assert.ok(SETTLE_RULES_V8.every((line) => byDefault.settles[0].includes(line)));
    const v7 = await run({ carryNotes: true, notesPrompt: 7 });
    assert.ok(v7.systems.every((s) => !/refinement/.test(s)) && !SETTLE_RULES_V8.some((line) => v7.settles[0].includes(line)));
  });

  it('the v8 settle keeps who proposed and agreed, and reads "left open" words as left open; v7\'s settle is as recorded', () => {
    const outcomes = { decisions: [{ text: 'Whether it is basic or multifunctional is left for later', kind: 'decision' as const, standing: 'given' as const, segmentId: 'm-1' }], actionItems: [] };
    const v8 = settleMessages(meeting, [], outcomes, 8);
    const v7 = settleMessages(meeting, [], outcomes);
    for (const line of SETTLE_RULES_V8) assert.ok(v8.user.includes(line));
    assert.equal(v8.system, v7.system, 'one system message for every summary call: the rolling summaries\' recorded answers still replay');
    assert.ok(!SETTLE_RULES_V8.some((line) => v7.user.includes(line)));
  });
});
