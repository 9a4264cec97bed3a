/** The arithmetic of dictation edits: multi-cursor rendering, where insertions land, tracking them, plain text. */
import * as assert from 'node:assert/strict';
import { ghostText, insertedSpans, plainPlan, renderAtTargets, shiftSpan, shiftSpanAll, Target, terminalText } from '../../extension/dictation/edits';
import { planDictation } from '../../extension/dictation/grammar';

/** Targets for cursors at the given offsets of `doc` (bare cursors unless an end is given). */
function targets(doc: string, cursors: [number, number?][]): Target[] {
  return cursors.map(([start, end]) => ({ start, end: end ?? start, lineStart: doc.lastIndexOf('\n', start - 1) + 1 }));
}

/** Applies insertions the way one editor edit does (all offsets against the document before it). */
function apply(doc: string, ts: Target[], texts: string[]): string {
  const order = ts.map((t, i) => ({ t, text: texts[i] })).sort((a, b) => b.t.start - a.t.start);
  for (const { t, text } of order) doc = doc.slice(0, t.start) + text + doc.slice(t.end);
  return doc;
}

describe('dictation edits', () => {
  describe('renderAtTargets', () => {
    it('renders each cursor from the text before it on its line', () => {
      const doc = 'const a = 1;\n// \nfoo(';
      const ts = targets(doc, [[doc.length], [0], [16]]); // after "foo(", at the start of the document, after "// "
      const plan = planDictation('hello world');
      const texts = renderAtTargets(ts, (a, b) => doc.slice(a, b), (before) => plan.render({ before }));
      assert.deepEqual(texts, ['hello world', 'Hello world', 'Hello world']);
    });

    it('lets a later cursor on the same line see what the earlier one writes', () => {
      const doc = 'x';
      const ts = targets(doc, [[1], [0]]); // given out of order: the one at 0 comes first on the line
      const plan = planDictation('Done. Period.');
      const texts = renderAtTargets(ts, (a, b) => doc.slice(a, b), (before) => plan.render({ before }));
      assert.equal(texts[1], 'Done.', 'the line start is capitalized');
      assert.equal(texts[0], 'x done.'.slice(1), 'after "Done.x" the next word is lower case: "x" is the text before');
      assert.equal(apply(doc, ts, texts), 'Done.x done.');
    });

    it('replaces a selection: the text before it is what precedes the selection', () => {
      const doc = 'say old words';
      const ts = targets(doc, [[4, 13]]);
      const plan = planDictation('New words.');
      const texts = renderAtTargets(ts, (a, b) => doc.slice(a, b), (before) => plan.render({ before }));
      assert.equal(apply(doc, ts, texts), 'say new words.');
    });
  });

  describe('insertedSpans', () => {
    it('places each insertion after the ones before it in the document', () => {
      const spans = insertedSpans([
        { start: 10, end: 10, text: 'abc' },
        { start: 0, end: 0, text: 'xy' },
        { start: 5, end: 8, text: 'Q' },
      ]);
      assert.deepEqual(spans, [{ start: 10, end: 13 }, { start: 0, end: 2 }, { start: 7, end: 8 }]);
    });

    it('agrees with applying the edit', () => {
      const doc = 'one two three';
      const ts = targets(doc, [[3], [8, 13], [0]]);
      const texts = [' and', 'four', 'zero '];
      const after = apply(doc, ts, texts);
      insertedSpans(ts.map((t, i) => ({ ...t, text: texts[i] }))).forEach((s, i) => assert.equal(after.slice(s.start, s.end), texts[i]));
    });
  });

  describe('shiftSpan', () => {
    const span = { start: 10, end: 15 };
    it('moves with text inserted or deleted before it, including right at its start', () => {
      assert.deepEqual(shiftSpan(span, { offset: 0, length: 0, textLength: 3 }), { start: 13, end: 18 });
      assert.deepEqual(shiftSpan(span, { offset: 10, length: 0, textLength: 2 }), { start: 12, end: 17 });
      assert.deepEqual(shiftSpan(span, { offset: 2, length: 8, textLength: 0 }), { start: 2, end: 7 });
    });

    it('stays for changes after it, including right at its end', () => {
      assert.deepEqual(shiftSpan(span, { offset: 15, length: 0, textLength: 4 }), span);
      assert.deepEqual(shiftSpan(span, { offset: 20, length: 3, textLength: 0 }), span);
    });

    it('is lost when the change touches its inside', () => {
      assert.equal(shiftSpan(span, { offset: 12, length: 0, textLength: 1 }), null);
      assert.equal(shiftSpan(span, { offset: 8, length: 4, textLength: 0 }), null);
      assert.equal(shiftSpan(span, { offset: 14, length: 3, textLength: 1 }), null);
    });

    it('applies the changes of one event (all against the document before it)', () => {
      // Typing at two cursors, one before and one after the span.
      assert.deepEqual(shiftSpanAll(span, [{ offset: 20, length: 0, textLength: 1 }, { offset: 5, length: 0, textLength: 1 }]), { start: 11, end: 16 });
      assert.deepEqual(shiftSpanAll(span, [{ offset: 5, length: 0, textLength: 1 }, { offset: 12, length: 1, textLength: 0 }]), null);
    });
  });

  describe('plain text (spoken punctuation off)', () => {
    it('writes whisper\'s text as it is, with a space when needed', () => {
      const plan = plainPlan('  Hello, comma world. ');
      assert.equal(plan.undo, 0);
      assert.equal(plan.render({ before: '' }), 'Hello, comma world.');
      assert.equal(plan.render({ before: 'x' }), ' Hello, comma world.');
      assert.equal(plan.render({ before: 'f(' }), 'Hello, comma world.');
      assert.ok(plainPlan('  ').empty);
      assert.equal(plainPlan('scratch that').render(), 'scratch that', 'no commands');
    });
  });

  it('terminal text has no line breaks, so nothing runs without Enter', () => {
    assert.equal(terminalText('git status\nrm -rf x'), 'git status rm -rf x');
    assert.equal(terminalText('a\n\nb'), 'a b');
  });

  it('ghost text is one line and bounded', () => {
    assert.equal(ghostText('a\nb'), 'a ⏎ b');
    const long = ghostText('x'.repeat(300), 10);
    assert.equal(long.length, 10);
    assert.ok(long.startsWith('…'));
  });
});
