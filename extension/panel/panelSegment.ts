/**
 * A daemon's transcript segment as the panel's webview gets it (protocol/panel.ts PanelSegment): only what the panel
 * shows, final-only fields only on finals. Pure (no vscode import), so that it is unit-tested.
 */
import type { PanelSegment } from '../../protocol/panel';
import type { TranscriptSegment } from '../../protocol/protocol';

export function toPanelSegment(s: TranscriptSegment): PanelSegment {
  return {
    segmentId: s.segmentId, source: s.source, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, final: s.final,
    ...(s.final && s.mentions?.length ? { mentions: s.mentions } : {}),
    ...(s.final && s.viewing ? { viewing: s.viewing } : {}),
    ...(s.final && s.voice ? { voice: s.voice } : {}),
    ...(s.final && s.speakerPending ? { speakerPending: true } : {}),
    // Issue 57: how sure the speaker stage is (the row shows an unsure speaker faintly); issue 60: the turn it goes on.
    ...(s.final && s.speakerConfidence !== undefined ? { speakerConfidence: s.speakerConfidence } : {}),
    ...(s.final && s.continues !== undefined ? { continues: s.continues } : {}),
  };
}
