import * as assert from 'node:assert/strict';
import { LocalAgreement } from '../../daemon/asr/agreement';

describe('LocalAgreement (stable prefix of partials)', () => {
  it('fixes the words two consecutive hypotheses agree on, and keeps them shown', () => {
    const a = new LocalAgreement();
    assert.equal(a.update('we should'), 'we should');
    assert.equal(a.fixed, '', 'one hypothesis fixes nothing');
    assert.equal(a.update('we should ship'), 'we should ship');
    assert.equal(a.fixed, 'we should');
    // The recognizer changes its mind about the start: the fixed words stay, only the tail moves.
    assert.equal(a.update('with sugar ship it on friday'), 'we should ship it on friday');
    assert.equal(a.fixed, 'we should');
  });

  it('compares words without case or punctuation', () => {
    const a = new LocalAgreement();
    a.update('Hello, world');
    a.update('hello world.');
    assert.equal(a.fixed, 'Hello, world');
  });

  it('never shows fewer fixed words than before, over a run of noisy hypotheses', () => {
    const a = new LocalAgreement();
    const hypotheses = ['the parse', 'the parse config', 'the pass config function', 'the parse config function is', 'the parse config function is broken'];
    let fixedBefore = 0;
    for (const h of hypotheses) {
      const shown = a.update(h).split(' ');
      const fixed = a.fixed ? a.fixed.split(' ') : [];
      assert.ok(fixed.length >= fixedBefore, 'fixed words never shrink');
      assert.deepEqual(shown.slice(0, fixed.length), fixed, 'the shown text starts with every fixed word');
      fixedBefore = fixed.length;
    }
    assert.equal(a.fixed, 'the parse config function is');
  });

  it('starts over for a new utterance', () => {
    const a = new LocalAgreement();
    a.update('one two');
    a.update('one two three');
    a.reset();
    assert.equal(a.fixed, '');
    assert.equal(a.update('four'), 'four');
  });
});
