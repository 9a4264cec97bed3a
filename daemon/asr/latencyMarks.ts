/**
 * The moments on an utterance's way to its final, for figure 3's breakdown of the time beyond whisper
 * (test/bench/latency.ts). Nothing in the daemon listens: without a listener a mark is one property read. Marks carry
 * the utterance's id, never its text.
 *
 *   drop         the recognizer learns the speech dropped (the segmenter's `pause`): the early final may start
 *   vadEnd       the utterance ended: the hangover ran out, or its early final was done and ended it (earlyEndMs)
 *   finalDecode  the decode whose text is the final (`span`: its start and end): the early final's, or one after the end
 *   finalReady   the recognizer hands the final to the session
 *   cut          the session has its pieces where the voice changes (speakers.ts `pieces`; at once for a source not split)
 *   journaled    the session has journaled it (and the items it brings): it is announced next
 * and on its way to its first partial (issue 60):
 *   heard        the recognizer learns of the utterance (its onset, or its start when no onset was told)
 *   firstPartial the recognizer hands its first partial over (`span`: the decode whose text it is)
 */
export type LatencyStage = 'drop' | 'vadEnd' | 'finalDecode' | 'finalReady' | 'cut' | 'journaled' | 'heard' | 'firstPartial';

export interface LatencyMark {
  segmentId: string;
  stage: LatencyStage;
  /** performance.now() */
  at: number;
  span?: { start: number; end: number };
}

export const latencyMarks: { listener?: (mark: LatencyMark) => void } = {};

export function latencyMark(segmentId: string, stage: LatencyStage, span?: { start: number; end: number }): void {
  const listener = latencyMarks.listener;
  if (listener) listener({ segmentId, stage, at: performance.now(), ...(span ? { span } : {}) });
}
