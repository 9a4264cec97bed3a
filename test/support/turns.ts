/**
 * A turn as a reader has it: finals joined where one `continues` another (an early end, a cut where the voice changed),
 * as the notes join them. The early end (SegmenterOptions.earlyEndMs, issue 60) splits a turn where its final was
 * decoded while a pause inside it was 200 ms or more old, so whether a turn with such a pause comes as one final or as
 * pieces depends on how fast whisper was: tests of boundaries compare turns.
 */
export interface TurnPiece { segmentId: string; t0: number; t1: number; speaker: string; text: string; continues?: string }
export interface Turn { t0: number; t1: number; ids: string[]; speakers: string[]; texts: string[] }

export function turnsOf(finals: readonly TurnPiece[]): Turn[] {
  const turns: Turn[] = [];
  for (const s of finals) {
    const joined = s.continues === undefined ? undefined : turns.find((t) => t.ids.at(-1) === s.continues);
    const turn = joined ?? turns[turns.push({ t0: s.t0, t1: s.t1, ids: [], speakers: [], texts: [] }) - 1];
    turn.t1 = s.t1;
    turn.ids.push(s.segmentId);
    if (!turn.speakers.includes(s.speaker)) turn.speakers.push(s.speaker);
    turn.texts.push(s.text);
  }
  return turns;
}
