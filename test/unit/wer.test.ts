import * as assert from 'node:assert/strict';
import { normalizeWords, sumErrors, wer, wordErrors } from '../eval/wer';

describe('word error rate', () => {
  it('normalizes case, punctuation and AMI spelling marks', () => {
    assert.deepEqual(normalizeWords("Okay, well I think we're ready. N_E_Z_ — 'quoted'"), ['okay', 'well', 'i', 'think', "we're", 'ready', 'n', 'e', 'z', 'quoted']);
  });

  it('counts substitutions, deletions and insertions of one minimal alignment', () => {
    const ref = normalizeWords('ask not what your country can do for you');
    assert.deepEqual(wordErrors(ref, ref), { reference: 9, substitutions: 0, deletions: 0, insertions: 0 });
    const e = wordErrors(ref, normalizeWords('ask what your county can do for you today'));
    assert.deepEqual(e, { reference: 9, substitutions: 1, deletions: 1, insertions: 1 });
    assert.ok(Math.abs(wer(e) - 3 / 9) < 1e-12);
    assert.deepEqual(wordErrors(ref, []), { reference: 9, substitutions: 0, deletions: 9, insertions: 0 });
    assert.deepEqual(wordErrors([], ['hello']), { reference: 0, substitutions: 0, deletions: 0, insertions: 1 });
  });

  it('pools by words, not by averaging rates', () => {
    const total = sumErrors([wordErrors(['a'], ['b']), wordErrors(['a', 'b', 'c'], ['a', 'b', 'c'])]);
    assert.equal(wer(total), 0.25);
  });
});
