import * as assert from 'node:assert/strict';
import { NotedEntry } from '../../daemon/understanding/carriedNotes';
import { finalEntries, reduceChunks } from '../../daemon/understanding/chunkMerge';
import { ModelChunk } from '../../daemon/understanding/modelExtract';
import {
  checkRestatements, parseRestatements, RESTATEMENT_BOUNDS, RESTATEMENT_HEADING, restatementMessages, restatementsAtStop, whyNotChecked,
} from '../../daemon/understanding/restatements';
import { restatementAnswerSchema } from '../../daemon/understanding/local/schema';
import { Chat } from '../../daemon/understanding/providers';
import { linesSaid, notesWithCheck, partAnswerOf } from '../support/checks-at-stop';
import { ChunkExtraction } from '../../protocol/protocol';

const entry = (id: string, text: string, more: Partial<NotedEntry> = {}): NotedEntry =>
  ({ id, kind: id.toUpperCase().startsWith('D') ? 'decision' : 'actionItem', text, firstT0: 0, lastT0: 0, ...(id.toUpperCase().startsWith('D') ? { standing: 'decided' } : { owner: null }), ...more });
const ENTRIES = [entry('D1', 'The remote uses the simple chip because it is cheap'), entry('D2', 'The remote uses a simple chip'), entry('d3', 'No teletext'),
  entry('A1', 'Draw the case'), entry('A2', 'Sketch the case for next time')];

describe('the restatement check at stop (issue 56)', () => {
  describe('its answer', () => {
    it('takes sets of one list; new words only from an answer to v1 (v2 folds only what the kept entry already says)', () => {
      const refused: string[] = [];
      const answer = '{"same": [{"keep": "D1", "fold": ["D2"], "text": ""}, {"keep": "A2", "fold": "A1", "text": "Sketch and draw the case"}]}';
      assert.deepEqual(parseRestatements(answer, ENTRIES, refused), [{ keep: 'D1', fold: ['D2'] }, { keep: 'A2', fold: ['A1'], text: 'Sketch and draw the case' }]);
      assert.deepEqual(parseRestatements(answer, ENTRIES, refused, 2), [{ keep: 'D1', fold: ['D2'] }, { keep: 'A2', fold: ['A1'] }]);
      assert.deepEqual(refused, []);
    });

    it('refuses a set mixing the lists, naming an entry twice or an unknown one, or with words past the bound; keeps the rest', () => {
      const refused: string[] = [];
      const sets = parseRestatements(JSON.stringify({ same: [
        { keep: 'D1', fold: ['A1'] }, { keep: 'D9', fold: ['D1'] }, { keep: 'D1', fold: ['D2'] }, { keep: 'd3', fold: ['D2'] },
        { keep: 'A1', fold: ['A2'], text: 'x'.repeat(RESTATEMENT_BOUNDS.text + 1) }, 'D1',
      ] }), ENTRIES, refused);
      assert.deepEqual(sets, [{ keep: 'D1', fold: ['D2'] }]);
      assert.equal(refused.length, 5, refused.join('; '));
      assert.match(refused.join('\n'), /not an entry of D1's list/);
      assert.match(refused.join('\n'), /another set already named/);
    });

    it('refuses a set that joins decisions of different standings (a step decided now and the question after it left open): they stay apart', () => {
      const lists = [entry('D1', 'Devnet 4 stays up for two weeks'), entry('D2', 'Whether to delete Devnet 4 is left open', { standing: 'open' }),
        entry('D3', 'The logo is a given', { standing: 'given' }), entry('D4', 'The logo goes on the case'), entry('D5', 'Keep Devnet 4 running for now'),
        entry('D6', 'Whether to delete it later is open', { standing: 'open' })];
      const refused: string[] = [];
      const sets = parseRestatements(JSON.stringify({ same: [
        { keep: 'D1', fold: ['D2'], text: 'Devnet 4 stays up for two weeks; whether to delete it is left open' },
        { keep: 'D4', fold: ['D3'] }, { keep: 'D1', fold: ['D5', 'D6'] }, { keep: 'D2', fold: ['D6'] },
      ] }), lists, refused);
      // A set naming an entry another refused set named is judged on its own: D2 and D6, both open, are one.
      assert.deepEqual(sets, [{ keep: 'D2', fold: ['D6'] }]);
      assert.equal(refused.filter((r) => /different standings/.test(r)).length, 3, refused.join('; '));
    });

    it('a decision noted without a standing is decided, as the prompt shows it: it folds with a decided one', () => {
      const lists = [entry('D1', 'The case is yellow'), entry('D2', 'Yellow case', { standing: undefined })];
      const refused: string[] = [];
      assert.deepEqual(parseRestatements(JSON.stringify({ same: [{ keep: 'D1', fold: ['D2'] }] }), lists, refused), [{ keep: 'D1', fold: ['D2'] }]);
      assert.deepEqual(refused, []);
    });

    it('is null when no `same` list can be read (the lists stand)', () => {
      assert.equal(parseRestatements('I found no repeats.', ENTRIES), null);
      assert.equal(parseRestatements('{"repeats": []}', ENTRIES), null);
      assert.deepEqual(parseRestatements('```json\n{"same": []}\n```', ENTRIES), []);
    });

    it('makes model and file text inert in the new words (one plain line)', () => {
      const sets = parseRestatements('{"same": [{"keep": "D1", "fold": ["D2"], "text": "The simple chip\\n# heading <script>"}]}', ENTRIES)!;
      assert.ok(!sets[0].text!.includes('\n'));
    });
  });

  describe('what it reads', () => {
    it('shows every entry with its id, standing or owner, decisions first, under its heading', () => {
      const { system, user } = restatementMessages(ENTRIES);
      assert.match(system, /only says again what another entry of the same list says/);
      // v2, the candidate (its recorded answers replay where their folder is marked: model-notes-eval.ts's RESTATEMENT_PROMPT_V2_MARK).
      const v2 = restatementMessages(ENTRIES, 2);
      assert.match(v2.system, /already says all of it/);
      assert.match(v2.system, /Keep both whenever it adds anything/);
      assert.doesNotMatch(v2.system, /"text"/, 'v2 asks for no new words');
      assert.equal(v2.user, user);
      assert.ok(user.startsWith(RESTATEMENT_HEADING));
      assert.ok(user.indexOf('"id":"D2"') < user.indexOf('"id":"A1"'));
      assert.match(user, /"id":"d3","standing":"decided","text":"No teletext"/);
      assert.match(user, /"id":"A1","text":"Draw the case","owner":null/);
    });

    it('is asked only of two entries of a kind or more, within its bounds', () => {
      assert.equal(whyNotChecked([entry('D1', 'a'), entry('A1', 'b')]), 'fewer than two entries of a kind');
      assert.equal(whyNotChecked(ENTRIES), undefined);
      const many = Array.from({ length: RESTATEMENT_BOUNDS.maxEntries + 1 }, (_, k) => entry(`D${k + 1}`, `Decision ${k}`));
      assert.match(whyNotChecked(many)!, /more than 80 entries/);
      const long = Array.from({ length: 60 }, (_, k) => entry(`D${k + 1}`, 'y'.repeat(300)));
      assert.match(whyNotChecked(long)!, /characters of entries/);
    });

    it("a local model's grammar names only the lists' ids", () => {
      const schema = restatementAnswerSchema({ decisionIds: ['D1', 'd3'], actionItemIds: ['A1'] }) as { properties: { same: { items: { properties: { keep: { enum: string[] }; text: { maxLength: number } } } } } };
      assert.deepEqual(schema.properties.same.items.properties.keep.enum, ['D1', 'd3', 'A1']);
      assert.equal(schema.properties.same.items.properties.text.maxLength, RESTATEMENT_BOUNDS.text);
    });
  });

  describe('the call', () => {
    const signal = new AbortController().signal;
    it('asks once more on an answer that is no JSON, then gives up with why (the lists stand)', async () => {
      let calls = 0;
      const chat: Chat = async () => ({ text: calls++ ? 'still not' : 'no', model: 'm' });
      const check = await checkRestatements(chat, ENTRIES, signal);
      assert.equal(calls, 2);
      assert.deepEqual([check.groups, check.reason], [null, 'invalid answer']);
    });

    it('a call that fails or runs out of time is said, never thrown', async () => {
      const failing: Chat = async () => { throw new Error('http-503'); };
      assert.equal((await checkRestatements(failing, ENTRIES, signal)).groups, null);
      const slow: Chat = (_s, _u, s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('aborted'))));
      const check = await checkRestatements(slow, ENTRIES, signal, { timeoutMs: 20 });
      assert.deepEqual([check.groups, check.reason], [null, 'no answer within 0.02 s']);
    });

    it('makes no call for lists that cannot repeat', async () => {
      let calls = 0;
      const check = await restatementsAtStop(async () => { calls++; return { text: '{"same": []}', model: 'm' }; }, [entry('D1', 'a')], signal);
      assert.deepEqual([calls, check.reason], [0, 'fewer than two entries of a kind']);
    });
  });

  describe('folding', () => {
    const line = (k: number, text: string) => ({ segmentId: `m-${k}`, speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 60, text });
    const lines = ['We use the simple chip, it is cheap.', 'Teletext is out.', 'Ben, draw the case.', 'So the simple chip.', 'And Ben sketches the case.'].map((t, k) => line(k + 1, t));
    const chunks: ModelChunk[] = [
      { index: 0, lines: lines.slice(0, 3), items: [{ id: 'd1', kind: 'decision', text: 'Teletext is out', segmentId: 'm-2', owner: null }] },
      { index: 1, lines: lines.slice(2), items: [] },
    ];
    const answer = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], noted: [], ...more });
    const answers = [
      answer({ decisions: [{ text: 'Use the simple chip because it is cheap', kind: 'decision', standing: 'decided', segments: ['m-1'] }], actionItems: [{ text: 'Draw the case', owner: 'Ben', due: null, segments: ['m-3'] }] }),
      answer({ decisions: [{ text: 'The remote has a simple chip', kind: 'decision', standing: 'decided', segments: ['m-4'] }, { text: 'No teletext on the remote', kind: 'decision', standing: 'decided', segments: ['m-2'] }],
        actionItems: [{ text: 'Sketch the case', owner: 'Ben', due: null, segments: ['m-5'] }] }),
    ];

    it('reads the final lists with the ids a merge names', () => {
      const ids = finalEntries(chunks, answers).map((e) => e.id);
      assert.deepEqual(new Set(ids), new Set(['D1', 'D2', 'D3', 'A1', 'A2', 'd1']));
    });

    it('folds each set into the entry kept, every cited line kept on it, its new words when given; a rule item folded is dismissed as the same', () => {
      const before = reduceChunks(chunks, answers, true);
      assert.equal(before.decisions.length, 3);
      const after = reduceChunks(chunks, answers, true, { restated: [{ keep: 'D1', fold: ['D2'] }, { keep: 'A1', fold: ['A2'], text: 'Draw and sketch the case' }, { keep: 'D3', fold: ['d1'] }] });
      assert.deepEqual(after.decisions.map((d) => [d.text, d.segments]), [['Use the simple chip because it is cheap', ['m-1', 'm-4']], ['No teletext on the remote', ['m-2']]]);
      assert.deepEqual(after.actionItems.map((i) => [i.text, i.owner, i.segments]), [['Draw and sketch the case', 'Ben', ['m-3', 'm-5']]]);
      assert.deepEqual(after.dismissals, [{ id: 'd1', kind: 'decision', reason: 'the same as "No teletext on the remote"' }]);
      assert.equal(after.carried?.restated, 3);
    });

    it('a rule item kept takes the new words as its rewrite (undoable)', () => {
      const after = reduceChunks(chunks, answers, true, { restated: [{ keep: 'd1', fold: ['D2'], text: 'No teletext, and the simple chip' }] });
      assert.deepEqual(after.rewrites, [{ id: 'd1', text: 'No teletext, and the simple chip' }]);
    });
  });

  describe('earshot notes (the same code as at a stop)', () => {
    const lines = linesSaid(['We use the simple chip, it is cheap.', 'Teletext is out.', 'So the simple chip then.', 'Right.'], ['Ana', 'Ben']);
    const partAnswer = partAnswerOf({ decisions: [
      { text: 'Use the simple chip because it is cheap', kind: 'decision', standing: 'decided', segments: ['l-1'] },
      { text: 'The remote has a simple chip', kind: 'decision', standing: 'decided', segments: ['l-3'] },
    ] });
    const run = (check: (user: string) => string | Error, checkRestatements = true) => notesWithCheck(lines, partAnswer, RESTATEMENT_HEADING, check, { checkRestatements });

    it('folds what the check names before the lists are printed', async () => {
      const { result, asked } = await run(() => '{"same": [{"keep": "D1", "fold": ["D2"], "text": ""}]}');
      assert.equal(asked.length, 1);
      assert.deepEqual(result.decisions.map((d) => d.text), ['Use the simple chip because it is cheap']);
      assert.deepEqual(result.restatementCheck, { folded: 1 });
    });

    it('a failed check leaves the lists as they were, and says why', async () => {
      const { result } = await run(() => Object.assign(new Error('server said no'), { status: 500 }));
      assert.equal(result.decisions.length, 2);
      assert.ok(result.restatementCheck && 'unchecked' in result.restatementCheck && result.restatementCheck.unchecked.length > 0);
    });

    it('is not asked unless asked for', async () => {
      const { result, asked } = await run(() => '{"same": []}', false);
      assert.deepEqual([asked.length, result.decisions.length, result.restatementCheck], [0, 2, undefined]);
    });
  });
});
