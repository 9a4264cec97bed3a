/**
 * The panel's transcript rows (media/panel/lineShape.ts, extension/panel/panelSegment.ts): a final the early end split
 * off its turn (issue 60, `continues`) is shown on the line it goes on from while both name the same speaker, as the
 * notes write it, and on its own again once a relabel gives either line another speaker; a speaker the speaker stage is
 * unsure of (issue 57, `speakerConfidence` under 0.5) is shown as uncertain. Both reach the webview from the daemon's
 * segments.
 */
import * as assert from 'node:assert/strict';
import type { PanelSegment } from '../../protocol/panel';
import type { TranscriptSegment } from '../../protocol/protocol';
import { joinsPrevious, speakerUnsure } from '../../media/panel/lineShape';
import { toPanelSegment } from '../../extension/panel/panelSegment';

const line = (segmentId: string, over: Partial<PanelSegment> = {}): PanelSegment =>
  ({ segmentId, source: 'system', speaker: 'Speaker 1', t0: 0, t1: 1, text: 'words', final: true, ...over });

describe('panel transcript rows (continued turns, unsure speakers)', () => {
  it('joins a final onto the line it continues while both name the same speaker, and parts them after a relabel', () => {
    const head = line('s1');
    const tail = line('s2', { continues: 's1' });
    assert.equal(joinsPrevious(tail, head), true);
    // A relabel that changes either line's speaker: two lines again (and joined again when they agree once more).
    assert.equal(joinsPrevious({ ...tail, speaker: 'Speaker 2' }, head), false, 'the continuation relabelled');
    assert.equal(joinsPrevious(tail, { ...head, speaker: 'Dana' }), false, 'the line above relabelled');
    assert.equal(joinsPrevious({ ...tail, speaker: 'Dana' }, { ...head, speaker: 'Dana' }), true, 'both renamed alike');
  });

  it('joins only onto the very segment continued, shown right above, and never a partial', () => {
    const head = line('s1');
    assert.equal(joinsPrevious(line('s2'), head), false, 'a segment of its own');
    assert.equal(joinsPrevious(line('s3', { continues: 's1' }), line('s2')), false, 'another line is above (a filter hid s1, or s2 came between)');
    assert.equal(joinsPrevious(line('s2', { continues: 's1' }), undefined), false, 'the first line shown');
    assert.equal(joinsPrevious(line('s2', { continues: 's1' }), { ...head, final: false }), false, 'the line above is a partial');
    assert.equal(joinsPrevious(line('s2', { continues: 's1', final: false }), head), false, 'a partial is not joined');
  });

  it('shows a final speaker as uncertain below 0.5, and as sure when the confidence is absent', () => {
    assert.equal(speakerUnsure(line('a', { speakerConfidence: 0.3 })), true);
    assert.equal(speakerUnsure(line('a', { speakerConfidence: 0.49 })), true);
    assert.equal(speakerUnsure(line('a', { speakerConfidence: 0.5 })), false);
    assert.equal(speakerUnsure(line('a', { speakerConfidence: 0.9 })), false);
    assert.equal(speakerUnsure(line('a')), false, 'absent: sure (a daemon before issue 57)');
    // A relabel comes as the final as it is now: its confidence replaces the one shown.
    assert.equal(speakerUnsure({ ...line('a', { speakerConfidence: 0.2 }), speakerConfidence: 0.8 }), false);
  });

  it('sends the webview a final’s continues and speakerConfidence (a partial carries neither)', () => {
    const daemon: TranscriptSegment = {
      sessionId: 'x', segmentId: 's2', source: 'system', speaker: 'Speaker 1', voice: 'Speaker 1', t0: 3, t1: 4, text: 'on', final: true,
      continues: 's1', speakerConfidence: 0.3,
    };
    const sent = toPanelSegment(daemon);
    assert.equal(sent.continues, 's1');
    assert.equal(sent.speakerConfidence, 0.3);
    assert.equal(joinsPrevious(sent, toPanelSegment({ ...daemon, segmentId: 's1', continues: undefined })), true);
    assert.equal(speakerUnsure(sent), true);
    assert.equal(toPanelSegment({ ...daemon, speakerConfidence: 0 }).speakerConfidence, 0, 'zero is a confidence, not absent');
    const partial = toPanelSegment({ ...daemon, final: false });
    assert.equal('continues' in partial || 'speakerConfidence' in partial, false);
    assert.equal('sessionId' in sent, false, 'only what the panel shows');
  });
});
