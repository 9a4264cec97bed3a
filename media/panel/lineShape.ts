/**
 * How a transcript row shows its speaker, from the data alone: whether a line joins the line above it (the same turn,
 * split by the early end, issue 60) and whether its speaker is shown as uncertain (issue 57). Pure, so that it is
 * unit-tested outside the webview (compiled by the root tsconfig as CommonJS, and by media/tsconfig.json as an ES module).
 */
import type { PanelSegment } from '../../protocol/panel';

/** Below this, the speaker stage is unsure who spoke (protocol.ts speakerConfidence: "a client may show … under 0.5 faintly"). */
export const UNSURE_BELOW = 0.5;

/**
 * The line goes on from the line shown above it: it continues that very segment and both name the same speaker (as the
 * notes join them, daemon/documents/markdown.ts). A relabel that gives either line another speaker parts them again;
 * a filter that hides the line above shows the line on its own, with its speaker.
 */
export function joinsPrevious(line: PanelSegment, above: PanelSegment | undefined): boolean {
  return !!above && line.final && above.final && line.continues !== undefined && line.continues === above.segmentId && line.speaker === above.speaker;
}

/** The speaker stage is unsure of this final's voice (absent: sure). */
export const speakerUnsure = (s: PanelSegment) => s.final && (s.speakerConfidence ?? 1) < UNSURE_BELOW;
