/**
 * Frame decisions (who talks in each frame) into speaker turns, as they become final: a speaker's run of frames is a
 * turn from the centre of its first frame to the centre of the first frame after it (sherpa-onnx
 * offline-speaker-diarization-pyannote-impl.h:717-754); runs less than `minDurationOff` apart are one turn
 * (MergeSegments, impl.h:791-808) and turns shorter than `minDurationOn` are dropped (impl.h:759-763).
 */
import { frameTime } from './segmentation';

/** A speaker turn on the source's capture clock, in seconds; `speaker` is the global speaker index. */
export interface FrameTurn {
  start: number; end: number; speaker: number;
  /** Half-heard: the segmentation's soft scores, below its decision, in frames where it decided nobody (tracker.ts). */
  weak?: boolean;
  /** A second voice at once: speech in frames where another speaker is decided (tracker.ts overlapOnset). */
  overlap?: boolean;
}

export interface TurnOptions {
  /** Turns shorter than this (s) are dropped. */
  minDurationOn: number;
  /** Gaps shorter than this (s) within one speaker's talk are filled. */
  minDurationOff: number;
}

export class TurnBuilder {
  /** Per speaker: the turn still open (its end may grow) and the first frame after its last active run. */
  private readonly open = new Map<number, { start: number; end: number; lastEndFrame: number }>();
  private frame = 0;

  constructor(private readonly options: TurnOptions) {}

  /** The decisions for the next frames, in order; returns the turns that can no longer change. */
  push(decisions: readonly (readonly number[])[]): FrameTurn[] {
    const closed: FrameTurn[] = [];
    for (const speakers of decisions) {
      for (const speaker of speakers) {
        // Still open: the speaker went on, or came back within minDurationOff (the same turn goes on).
        const turn = this.open.get(speaker);
        if (turn) { turn.lastEndFrame = this.frame + 1; continue; }
        this.open.set(speaker, { start: frameTime(this.frame), end: frameTime(this.frame + 1), lastEndFrame: this.frame + 1 });
      }
      for (const turn of this.open.values()) turn.end = frameTime(turn.lastEndFrame);
      this.frame++;
      // A turn whose speaker has been silent (a frame or more) for minDurationOff can no longer be extended.
      for (const [speaker, turn] of this.open) {
        const silent = frameTime(this.frame) - turn.end;
        if (silent > 1e-9 && silent >= this.options.minDurationOff) this.close(speaker, closed);
      }
    }
    return closed;
  }

  /** Where the earliest turn still open starts (s): turns that end before it can no longer change. Undefined: none open. */
  openSince(): number | undefined {
    let since: number | undefined;
    for (const turn of this.open.values()) if (since === undefined || turn.start < since) since = turn.start;
    return since;
  }

  /** The end of the audio: every open turn is closed. */
  flush(): FrameTurn[] {
    const closed: FrameTurn[] = [];
    for (const speaker of [...this.open.keys()]) this.close(speaker, closed);
    return closed;
  }

  private close(speaker: number, closed: FrameTurn[]): void {
    const turn = this.open.get(speaker)!;
    this.open.delete(speaker);
    if (turn.end - turn.start >= this.options.minDurationOn) closed.push({ start: turn.start, end: turn.end, speaker });
  }
}
