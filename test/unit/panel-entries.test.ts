/**
 * What the panel's notes lists show of an entry (media/panel/entries.ts, pure: compiled here as CommonJS and for the
 * webview as an ES module): decisions apart by their standing, and an action item the language model rewrote shown as
 * revised with what it said before, offering undo as a dismissed one offers restore.
 */
import * as assert from 'node:assert/strict';
import { actionItemEntries, decisionEntries } from '../../media/panel/entries';
import type { ActionItem, Decision } from '../../protocol/protocol';

const decision = (id: string, t0: number, more: Partial<Decision>): Decision =>
  ({ sessionId: 's', id, revision: 1, text: `decision ${id}`, kind: 'decision', segmentId: `m-${id}`, t0, ...more });
const item = (more: Partial<ActionItem>): ActionItem =>
  ({ sessionId: 's', id: 'a1', revision: 2, text: 'Send the noise files to Hynek', owner: 'PhD A', due: null, duePhrase: null, segmentId: 'm-1', t0: 65, ...more });

describe('panel entries', () => {
  it('shows decisions apart: decided, then left open, then given to the team, each group named above its first row', () => {
    const entries = decisionEntries([
      decision('d1', 10, { standing: 'given' }),
      decision('d2', 20, { kind: 'deferral' }), // journaled before standings: left open, from its kind
      decision('d3', 30, {}), // the same: decided
      decision('d4', 40, { kind: 'negative', standing: 'given' }),
      decision('d5', 50, { kind: 'negative' }),
    ]);
    assert.deepEqual(entries.map((e) => [e.id, e.group, e.badge, e.badgeKind]), [
      ['d3', 'Decided', undefined, 'decision'],
      ['d5', undefined, 'Not doing', 'negative'],
      ['d2', 'Left open', 'Left open', 'open'],
      ['d1', 'Given to the team', 'Given', 'given'],
      ['d4', undefined, 'Given · Not doing', 'given'],
    ]);
    assert.deepEqual(decisionEntries([decision('d1', 1, {}), decision('d2', 2, { standing: 'decided' })]).map((e) => e.group), [undefined, undefined],
      'decisions that are all simply decided look as they always did');
  });

  it('v7 (issue 56): a decision a later part settled shows where it stood and when, in place of its one time', () => {
    const [settled, plain] = decisionEntries([
      decision('dm1', 120, { refinedBy: 'm1', standing: 'decided', standingHistory: [{ standing: 'open', segmentId: 'm-2', t0: 120 }, { standing: 'decided', segmentId: 'm-4', t0: 1900 }] }),
      decision('d2', 130, {}),
    ]);
    assert.equal(settled.meta, 'left open at 02:00, decided at 31:40 · language model');
    assert.equal(plain.meta, '02:10');
  });

  it('v6: shows a rule decision the model rewrote as revised, with its words and standing before, and offers undo', () => {
    const [given] = decisionEntries([decision('d1', 65, {
      text: 'Television only, not DVD', standing: 'given', refinedBy: 'm1',
      rewritten: { by: 'm1', was: { text: "So no we're not doing DVD", kind: 'negative', standing: 'decided' } },
    })]);
    assert.deepEqual([given.group, given.rewritten, given.meta], ['Given to the team', true, '01:05 · revised by m1 (was “So no we\'re not doing DVD”, decided against)']);
    const [same] = decisionEntries([decision('d2', 5, { standing: 'open', kind: 'deferral', refinedBy: 'm1', rewritten: { by: 'm1', was: { text: 'decision d2', kind: 'decision', standing: 'decided' } } })]);
    assert.equal(same.meta, '00:05 · revised by m1 (was decided)', 'only what changed');
    const [dismissed] = decisionEntries([decision('d3', 5, { removed: true, dismissed: { by: 'm1', reason: 'an opinion' }, rewritten: { by: 'm1', was: { text: 'x', kind: 'decision', standing: 'decided' } } })]);
    assert.equal(dismissed.rewritten, undefined, 'a dismissed row offers Restore, not undo');
  });

  it('shows a rewritten item as revised, with what it said before, and offers undo; a completion or a dismissal as before', () => {
    const [rewritten] = actionItemEntries([item({ refinedBy: 'm1', rewritten: { by: 'm1', was: { text: 'I will .', owner: 'Eva', due: null } } })]);
    assert.equal(rewritten.rewritten, true);
    assert.equal(rewritten.meta, '@PhD A · 01:05 · revised by m1 (was “I will .”, @Eva)');
    const [completed] = actionItemEntries([item({ refinedBy: 'm1' })]);
    assert.equal(completed.rewritten, undefined);
    assert.equal(completed.meta, '@PhD A · 01:05 · refined');
    const [dismissed] = actionItemEntries([item({ removed: true, dismissed: { by: 'm1', reason: 'in the room' }, rewritten: { by: 'm1', was: { text: 'x', owner: null, due: null } } })]);
    assert.equal(dismissed.rewritten, undefined, 'a dismissed entry offers restore, not undo');
    assert.equal(dismissed.dismissed, 'in the room');
  });
});
