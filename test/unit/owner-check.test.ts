import * as assert from 'node:assert/strict';
import { NotedEntry } from '../../daemon/understanding/carriedNotes';
import { finalEntries, reduceChunks } from '../../daemon/understanding/chunkMerge';
import { ModelChunk } from '../../daemon/understanding/modelExtract';
import { meetingLines } from '../../daemon/understanding/chunks';
import {
  OWNER_CHECK_BOUNDS, OWNER_CHECK_HEADING, OWNER_PROMPT_DEFAULT, ownerMessages, ownerQuestions, ownersAtStop, parseOwners,
} from '../../daemon/understanding/ownerCheck';
import { ownerAnswerSchema } from '../../daemon/understanding/local/schema';
import { Chat } from '../../daemon/understanding/providers';
import { notesWithCheck, partAnswerOf } from '../support/checks-at-stop';
import { ChunkExtraction, checksOwners } from '../../protocol/protocol';
import { SentChunks } from '../../daemon/session/sentChunks';

const line = (k: number, speaker: string, text: string) => ({ segmentId: `m-${k}`, speaker, t0: k * 30, text });
const LINES = [
  line(1, 'Project Manager', 'So for next time, the designer does the components concept.'),
  line(2, 'Industrial Designer', 'Okay, I can do that.'),
  line(3, 'Marketing', 'And someone should book the room.'),
  line(4, 'Project Manager', 'Right.'),
  line(5, 'User Interface', 'I will send the slides to everyone.'),
];
const item = (id: string, text: string, segments: string[], owner: string | null = null): NotedEntry =>
  ({ id, kind: 'actionItem', text, owner, firstT0: Number(segments[0].slice(2)) * 30, lastT0: Number(segments[0].slice(2)) * 30, segments });
const ENTRIES: NotedEntry[] = [
  item('A1', 'Do the components concept', ['m-1']),
  item('a2', 'Book the room', ['m-3']),
  item('A3', 'Send the slides', ['m-5'], 'User Interface'),
  { id: 'D1', kind: 'decision', text: 'Two buttons', standing: 'decided', firstT0: 0, lastT0: 0, segments: ['m-1'] },
];

describe('the owner check at stop (issue 56: owners)', () => {
  describe('what it asks', () => {
    it('asks only about action items without an owner, each with its lines and those around them', () => {
      const { questions, left } = ownerQuestions(ENTRIES, LINES);
      assert.deepEqual(questions.map((q) => q.id), ['A1', 'a2']);
      assert.equal(left, 0);
      // Three lines before and two after each cited line, within the meeting.
      assert.deepEqual(questions[0].lines, ['m-1', 'm-2', 'm-3']);
      assert.deepEqual(questions[1].lines, ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    });

    it('shows the speakers and marks the cited lines, under its heading', () => {
      const { questions } = ownerQuestions(ENTRIES, LINES);
      const { system, user } = ownerMessages(questions, LINES);
      assert.match(system, /the one speaker who is to do the work/);
      assert.match(system, /two or more people together/);
      assert.ok(user.startsWith(OWNER_CHECK_HEADING));
      assert.match(user, /The meeting's speakers: Project Manager; Industrial Designer; Marketing; User Interface/);
      assert.match(user, /Item A1: "Do the components concept" \(said at 00:30\)\n> \[m-1\] Project Manager: So for next time/);
      assert.match(user, /\n {2}\[m-2\] Industrial Designer: Okay, I can do that\./);
      assert.ok(!user.includes('Two buttons') && !user.includes('Item A3'));
    });

    it('prompt v2, the default, adds the rule for "we" meaning the speaker\'s own team to v1\'s words', async () => {
      const { questions } = ownerQuestions(ENTRIES, LINES);
      const v1 = ownerMessages(questions, LINES, 1);
      assert.ok(!v1.system.includes('their own team'));
      const v2 = ownerMessages(questions, LINES, 2);
      assert.equal(OWNER_PROMPT_DEFAULT, 2);
      assert.deepEqual(ownerMessages(questions, LINES), v2);
      assert.equal(v2.user, v1.user);
      assert.match(v2.system, /may mean their own team, company or project rather than the people in this\nmeeting together/);
      assert.match(v2.system, /"We" meaning everyone here [^]*\sstays null\./);
      // v2 is v1 with the rule inserted before the answer's shape, which still closes the message.
      const [head, shape] = v1.system.split('\n\nAnswer with one JSON object');
      assert.ok(v2.system.startsWith(`${head}\n\nA speaker who says "we"`) && v2.system.endsWith(`Answer with one JSON object${shape}`));
      // The call asks with the prompt it is given.
      const seen: string[] = [];
      const chat: Chat = async (system) => { seen.push(system); return { text: '{"owners": []}', model: 'm' }; };
      await ownersAtStop(chat, ENTRIES, LINES, new AbortController().signal, { prompt: 1 });
      await ownersAtStop(chat, ENTRIES, LINES, new AbortController().signal);
      assert.deepEqual(seen, [v1.system, v2.system]);
    });

    it('parts lines far apart by "…", cuts a long line, and keeps within the bounds (the earliest items first)', () => {
      const long = Array.from({ length: 40 }, (_, k) => line(k + 1, k % 2 ? 'Ben' : 'Ana', k === 0 ? 'x'.repeat(OWNER_CHECK_BOUNDS.lineChars + 50) : `line ${k + 1}`));
      const far = [item('A1', 'Far apart', ['m-1', 'm-20'])];
      const { questions } = ownerQuestions(far, long);
      const { user } = ownerMessages(questions, long);
      assert.match(user, /\[m-3\] Ana: line 3\n {2}…\n {2}\[m-17\]/);
      assert.ok(user.includes(`${'x'.repeat(OWNER_CHECK_BOUNDS.lineChars)}…`) && !user.includes('x'.repeat(OWNER_CHECK_BOUNDS.lineChars + 1)));
      const many = Array.from({ length: OWNER_CHECK_BOUNDS.maxItems + 5 }, (_, k) => item(`A${k + 1}`, `Task ${k + 1}`, [`m-${k + 1}`]));
      const bounded = ownerQuestions(many, long);
      assert.equal(bounded.questions.length, OWNER_CHECK_BOUNDS.maxItems);
      assert.equal(bounded.left, 5);
      assert.deepEqual(bounded.questions.slice(0, 2).map((q) => q.id), ['A1', 'A2']);
    });

    it('skips an item whose lines the meeting no longer holds', () => {
      assert.deepEqual(ownerQuestions([item('A1', 'Gone', ['m-99'])], LINES).questions, []);
    });
  });

  describe('its answer', () => {
    const { questions } = ownerQuestions(ENTRIES, LINES);
    const speakers = ['Project Manager', 'Industrial Designer', 'Marketing', 'User Interface'];

    it('takes an owner that is a speaker of the meeting, written as the lines write it; null gives none', () => {
      const refused: string[] = [];
      assert.deepEqual(parseOwners('{"owners": [{"id": "A1", "owner": "industrial designer"}, {"id": "a2", "owner": null}]}', questions, speakers, refused),
        [{ id: 'A1', owner: 'Industrial Designer' }]);
      assert.deepEqual(refused, []);
    });

    it('refuses an owner nobody in the meeting is, an id not asked about, a second answer for one; keeps the rest', () => {
      const refused: string[] = [];
      const fills = parseOwners(JSON.stringify({ owners: [
        { id: 'A1', owner: 'Dave from IT' }, { id: 'A3', owner: 'Marketing' }, { id: 'a2', owner: 'Marketing' }, { id: 'a2', owner: 'Project Manager' }, 'A1',
      ] }), questions, speakers, refused);
      assert.deepEqual(fills, [{ id: 'a2', owner: 'Marketing' }]);
      assert.equal(refused.length, 4, refused.join('; '));
      assert.match(refused.join('\n'), /not a speaker of the meeting/);
      assert.match(refused.join('\n'), /answered already/);
    });

    it('is null when no `owners` list can be read (the owners stay as they are)', () => {
      assert.equal(parseOwners('The designer owns it.', questions, speakers), null);
      assert.deepEqual(parseOwners('```json\n{"owners": []}\n```', questions, speakers), []);
    });

    it("a local model's grammar asks each item once, in order, its owner a speaker of the meeting or null", () => {
      // node-llama-cpp's GbnfJsonSchema: `prefixItems` (dist/utils/gbnfJson/types.d.ts line 123) and `const` (line 16).
      const schema = ownerAnswerSchema({ itemIds: ['A1', 'a2'], speakers }) as {
        properties: { owners: { prefixItems: { properties: { id: { const: string }; owner: { oneOf: unknown[] } } }[]; minItems: number; maxItems: number } };
      };
      const owners = schema.properties.owners;
      assert.deepEqual(owners.prefixItems.map((e) => e.properties.id.const), ['A1', 'a2']);
      assert.deepEqual(owners.prefixItems[0].properties.owner.oneOf, [{ enum: speakers }, { type: 'null' }]);
      assert.deepEqual([owners.minItems, owners.maxItems], [2, 2]);
    });
  });

  describe('the call', () => {
    const signal = new AbortController().signal;
    it('is not made when every item has an owner', async () => {
      let asked = 0;
      const chat: Chat = async () => { asked++; return { text: '{"owners": []}', model: 'm' }; };
      const check = await ownersAtStop(chat, [ENTRIES[2]], LINES, signal);
      assert.deepEqual([asked, check.fills, check.reason], [0, null, 'no item without an owner']);
    });

    it('answers the owners, the model and the tokens; a failed or slow call answers none and why', async () => {
      const chat: Chat = async () => ({ text: '{"owners": [{"id": "A1", "owner": "Industrial Designer"}, {"id": "a2", "owner": null}]}', model: 'm' });
      const check = await ownersAtStop(chat, ENTRIES, LINES, signal);
      assert.deepEqual(check.fills, [{ id: 'A1', owner: 'Industrial Designer' }]);
      assert.equal(check.model, 'm');
      assert.ok(check.tokens > 0);
      const failing: Chat = async () => { throw Object.assign(new Error('no'), { status: 500 }); };
      assert.equal((await ownersAtStop(failing, ENTRIES, LINES, signal)).fills, null);
      const slow: Chat = (_s, _u, sig) => new Promise((_, reject) => sig.addEventListener('abort', () => reject(new Error('aborted'))));
      const timedOut = await ownersAtStop(slow, ENTRIES, LINES, signal, { timeoutMs: 20 });
      assert.deepEqual([timedOut.fills, timedOut.reason], [null, 'no answer within 0.02 s']);
    });

    it('says how many items without an owner did not fit its bounds (they keep none)', async () => {
      const long = Array.from({ length: OWNER_CHECK_BOUNDS.maxItems + 4 }, (_, k) => line(k + 1, k % 2 ? 'Ben' : 'Ana', `line ${k + 1}`));
      const many = long.map((l, k) => item(`A${k + 1}`, `Task ${k + 1}`, [l.segmentId]));
      const chat: Chat = async () => ({ text: '{"owners": []}', model: 'm' });
      const check = await ownersAtStop(chat, many, long, signal);
      assert.deepEqual([check.fills, check.unasked], [[], 4]);
      assert.equal((await ownersAtStop(chat, ENTRIES, LINES, signal)).unasked, undefined);
    });
  });

  describe('the owners it names, in the merge', () => {
    const chunks: ModelChunk[] = [
      { index: 0, lines: LINES.slice(0, 3), items: [{ id: 'a1', kind: 'actionItem', text: 'Book the room', segmentId: 'm-3', owner: null }] },
      { index: 1, lines: LINES.slice(2), items: [] },
    ];
    const answer = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], noted: [], ...more });
    const answers = [
      answer({ actionItems: [{ text: 'Do the components concept', owner: null, due: null, segments: ['m-1'] }] }),
      answer({ actionItems: [{ text: 'Send the slides', owner: 'User Interface', due: null, segments: ['m-5'] }] }),
    ];

    it('the final lists carry each entry\'s cited lines, and the lines are the meeting\'s once each', () => {
      const entries = finalEntries(chunks, answers);
      assert.deepEqual(entries.filter((e) => e.kind === 'actionItem').map((e) => [e.id, e.owner, e.segments]),
        [['A1', null, ['m-1']], ['a1', null, ['m-3']], ['A2', 'User Interface', ['m-5']]], 'in meeting order');
      assert.deepEqual(meetingLines(chunks).map((l) => l.segmentId), ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    });

    it("gives a model item its owner, and a rule item its owner as a completion; never replaces an owner", () => {
      const after = reduceChunks(chunks, answers, true, { owners: [{ id: 'A1', owner: 'Industrial Designer' }, { id: 'a1', owner: 'Marketing' }, { id: 'A2', owner: 'Marketing' }] });
      assert.deepEqual(after.actionItems.map((i) => [i.text, i.owner]), [['Do the components concept', 'Industrial Designer'], ['Send the slides', 'User Interface']]);
      assert.deepEqual(after.completions, [{ id: 'a1', owner: 'Marketing', due: null }]);
      assert.equal(after.carried?.owned, 2);
      const before = reduceChunks(chunks, answers, true);
      assert.deepEqual([before.actionItems[0].owner, before.completions, before.carried?.owned], [null, [], undefined]);
    });

    it("fills the owner a model's rewrite left out, on the rewrite (undone with it)", () => {
      const rewriting = [answer({ rewrite: [{ id: 'a1', text: 'Book the big room', owner: null }] }), answers[1]];
      const after = reduceChunks(chunks, rewriting, true, { owners: [{ id: 'a1', owner: 'Marketing' }] });
      assert.deepEqual(after.rewrites, [{ id: 'a1', text: 'Book the big room', owner: 'Marketing' }]);
    });

    it('an item folded into one without an owner gives it its owner and due (a restatement fold, a part\'s merge)', () => {
      const twice = [answers[0], answer({ actionItems: [{ text: 'Work out the components concept', owner: 'Industrial Designer', due: '2030-01-10', segments: ['m-4'] }] })];
      const folded = reduceChunks(chunks, twice, true, { restated: [{ keep: 'A1', fold: ['A2'] }] });
      assert.deepEqual(folded.actionItems.map((i) => [i.text, i.owner, i.due]), [['Do the components concept', 'Industrial Designer', '2030-01-10']]);
      const intoRule = reduceChunks(chunks, twice, true, { restated: [{ keep: 'a1', fold: ['A2'] }] });
      assert.deepEqual(intoRule.completions, [{ id: 'a1', owner: 'Industrial Designer', due: '2030-01-10' }]);
      const merged = reduceChunks(chunks, [answers[0], answer({ noted: [{ id: 'A1', segments: ['m-4'], merge: ['a1'] }] })], true);
      assert.equal(merged.actionItems[0].owner, null, 'a rule item without an owner gives none');
    });

    it('names an entry after the restatement check\'s folds (the id kept)', () => {
      const twice = [answers[0], answer({ actionItems: [{ text: 'Work out the components concept', owner: null, due: null, segments: ['m-4'] }] })];
      const folded = finalEntries(chunks, twice, { restated: [{ keep: 'A1', fold: ['A2'] }] });
      assert.deepEqual(folded.filter((e) => e.kind === 'actionItem' && e.id.startsWith('A')).map((e) => [e.id, e.segments]), [['A1', ['m-1', 'm-4']]]);
    });
  });

  describe('a live meeting\'s answers (SentChunks)', () => {
    const answer = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], noted: [], ...more });
    const chunk: ModelChunk = { index: 0, lines: LINES, items: [] };
    const sent = () => {
      const s = new SentChunks(true);
      s.add([chunk], [answer({ actionItems: [{ text: 'Do the components concept', owner: null, due: null, segments: ['m-1'] }] })], []);
      return s;
    };

    it('the lines it shows are the chunks\', once each, and the owners it names hold while the answers stand', () => {
      const s = sent();
      assert.deepEqual(s.lines().map((l) => l.segmentId), LINES.map((l) => l.segmentId));
      s.ownersChecked([{ id: 'A1', owner: 'Industrial Designer' }], []);
      assert.equal(s.reduced().actionItems[0].owner, 'Industrial Designer');
    });

    it('a voice renamed while the check was asked: the owner it named goes by the new name', () => {
      const s = sent();
      s.ownersChecked([{ id: 'A1', owner: 'Industrial Designer' }], [{ from: 'Industrial Designer', to: 'Dana', mentions: false, shared: false }]);
      assert.equal(s.reduced().actionItems[0].owner, 'Dana');
    });

    it('a voice renamed after the check: its owner follows the new name; answers changed since: the owners no longer hold', () => {
      const s = sent();
      s.ownersChecked([{ id: 'A1', owner: 'Industrial Designer' }], []);
      s.renamed({ from: 'Industrial Designer', to: 'Dana', mentions: false, shared: false });
      assert.equal(s.reduced().actionItems[0].owner, 'Dana');
      s.add([{ ...chunk, index: 1 }], [answer({})], []);
      assert.equal(s.reduced().actionItems[0].owner, null, 'asked over other answers: not applied');
    });
  });

  describe('earshot notes (the same code as at a stop)', () => {
    const lines = LINES.map((l, k) => ({ ...l, segmentId: `l-${k + 1}` }));
    const partAnswer = partAnswerOf({ actionItems: [{ text: 'Do the components concept', owner: null, due: null, segments: ['l-1'] }] });
    const run = (check: (user: string) => string | Error, checkOwners = true) => notesWithCheck(lines, partAnswer, OWNER_CHECK_HEADING, check, { checkOwners });

    it('gives the owner the check names before the lists are printed', async () => {
      const { result, asked } = await run(() => '{"owners": [{"id": "A1", "owner": "Industrial Designer"}]}');
      assert.equal(asked.length, 1);
      assert.deepEqual(result.actionItems.map((i) => [i.text, i.owner]), [['Do the components concept', 'Industrial Designer']]);
      assert.deepEqual(result.ownerCheck, { owned: 1 });
    });

    it('a failed check leaves the owners as they were, and says why', async () => {
      const { result } = await run(() => Object.assign(new Error('server said no'), { status: 500 }));
      assert.equal(result.actionItems[0].owner, null);
      assert.ok(result.ownerCheck && 'unchecked' in result.ownerCheck && result.ownerCheck.unchecked.length > 0);
    });

    it('is not asked unless asked for; the settings ask only with carried notes', async () => {
      const { result, asked } = await run(() => '{"owners": []}', false);
      assert.deepEqual([asked.length, result.actionItems[0].owner, result.ownerCheck], [0, null, undefined]);
      assert.equal(checksOwners({ provider: 'local', checkOwners: true, carryNotes: false }), false);
      assert.equal(checksOwners({ provider: 'local', checkOwners: true }), true);
    });
  });
});
