/**
 * Every answer a model gave to Earshot's prompts (the recorded answers under test/fixtures, 27,000 of them: chunks,
 * rolling summaries, parts' notes, settles and the checks at stop) fits the cap its call sets on the answer
 * (providers.ts' answerTokensFor: the request's `max_tokens`, the local model's `maxTokens`), counted with the tokenizer
 * of the default local model (Qwen2.5's, the same as Qwen2's: test/fixtures/tokenizers). An answer over its cap is cut
 * by the server or the local runtime, and a cut JSON answer was no answer: with the flat 1,000 tokens every call had,
 * nine settles in ten and half the rolling summaries would have been lost on a user's local model (BENCHMARKS.md,
 * "answer caps").
 */
import * as assert from 'node:assert/strict';
import { ANSWER_RESERVE_TOKENS, SUMMARY_POINT_TOKENS, summaryAnswerTokens } from '../../daemon/understanding/providers';
import { SETTLED_POINTS_V9_MAX } from '../../daemon/understanding/modelSummary';
import { Answer, AnswerKind as Kind, capOf, qwenTokens as tokens, recordedAnswers } from '../support/recorded-answers';

describe('answer caps: every recorded answer fits the cap its call sets (Qwen2.5\'s tokenizer)', function () {
  this.timeout(120_000);
  let answers: Answer[];
  const of = (kind: Kind) => answers.filter((a) => a.kind === kind);
  const over = (list: Answer[], limit: (a: Answer) => number) => list.filter((a) => a.tokens > limit(a)).map((a) => `${a.file}: ${a.tokens} > ${limit(a)}`);

  before(() => { answers = recordedAnswers(); });

  it('the counter is the tokenizer: the counts Hugging Face tokenizers gives with the same merges and pattern', () => {
    // Computed with tokenizers 0.x (models.BPE over the same vocab.json and merges.txt, Qwen2's Split pattern, ByteLevel).
    assert.equal(tokens.count('Hello world, the remote will be made of plastic. {"points": [{"text": "a", "cites": ["l-475", "mic-1234"]}]}'), 40);
    assert.equal(tokens.count('The quick brown fox jumps over the lazy dog.'), 10);
    assert.equal(tokens.count('mic-1234'), 6, 'a digit is a token of its own');
  });

  it('reads the recorded answers of every kind', () => {
    const counts = Object.fromEntries((['settle', 'rolling', 'part notes', 'chunk', 'check'] as const).map((k) => [k, of(k).length]));
    for (const [kind, n] of Object.entries(counts)) assert.ok(n >= 500, `${kind}: only ${n} recorded answers found (${JSON.stringify(counts)})`);
  });

  it("a settle's answer fits the cap of the points it may hold; the largest settle's cap holds every recorded settle", () => {
    const settles = of('settle');
    assert.deepEqual(over(settles, capOf), []);
    assert.deepEqual(over(settles, () => summaryAnswerTokens(SETTLED_POINTS_V9_MAX)), []);
    // What the flat cap did: a settle's answer is over 1,000 tokens more often than not.
    const cut = settles.filter((a) => a.tokens > ANSWER_RESERVE_TOKENS).length;
    assert.ok(cut / settles.length > 0.5, `${cut} of ${settles.length} settles are over ${ANSWER_RESERVE_TOKENS} tokens`);
  });

  it("a rolling summary's and a part's notes fit the cap of the points their call asks for (even those that wrote more)", () => {
    assert.deepEqual(over(of('rolling'), capOf), []);
    assert.deepEqual(over(of('part notes'), capOf), []);
  });

  it('a point takes at most SUMMARY_POINT_TOKENS on average in any recorded answer', () => {
    const summaries = [...of('settle'), ...of('rolling'), ...of('part notes')].filter((a) => (a.points ?? 0) > 0);
    const worst = summaries.reduce((w, a) => (a.tokens / a.points! > w.tokens / w.points! ? a : w));
    assert.ok(worst.tokens / worst.points! <= SUMMARY_POINT_TOKENS, `${worst.file}: ${worst.tokens} tokens for ${worst.points} points`);
  });

  it("a chunk's answer and a check's fit the flat cap", () => {
    assert.deepEqual(over([...of('chunk'), ...of('check')], capOf), []);
  });
});
