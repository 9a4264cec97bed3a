/**
 * Local speakers linked across overlapping windows by how well their activity agrees where the windows overlap, and
 * the linked activity turned into who talks in each frame. Pure: activity matrices in, frame decisions out.
 *
 * Each window's (up to three) local speakers are matched one-to-one to the global speakers active in the part of the
 * window earlier windows already covered: the matching that maximises the summed agreement, where agreement is the
 * soft intersection over union of the two activity curves over that overlap. This is pyannote's way of stitching
 * windows (pyannote-audio src/pyannote/audio/utils/permutation.py:37-65, `permutate`: the cost-minimising permutation
 * of one window's speakers against another's, by linear_sum_assignment), with a floor: a local speaker whose best
 * agreement is below `linkThreshold` is not the same person, and one with enough activity becomes a new speaker.
 * sherpa-onnx links windows differently (an embedding per local speaker, then clustering:
 * offline-speaker-diarization-pyannote-impl.h:148-207); without an embedding model, overlap is all there is, so a
 * speaker silent for longer than a window comes back under a new label (reidentify.ts is the hook that fixes that).
 *
 * Then per frame, as pyannote's pipeline and sherpa-onnx do (impl.h:376-406, 679-702; pyannote-audio
 * src/pyannote/audio/pipelines/utils/diarization.py:150, speaker_count): how many speakers talk is the rounded mean over the windows that
 * cover the frame of how many local speakers each heard there, and those are the global speakers with the highest mean
 * activity there.
 */
import { LOCAL_SPEAKERS } from './segmentation';

export interface LinkingOptions {
  /** Least agreement (soft IoU over the overlap) for a local speaker to continue a global one. */
  linkThreshold: number;
  /** A local speaker with less summed activity than this many frames in its window is left out (sherpa-onnx skips < 10 frames: impl.h:436). */
  minLocalFrames: number;
}

/** The global speaker each local speaker of a window was linked to (−1: left out), and which globals are new. */
export interface WindowLinks { globals: number[]; created: number[] }

/** Frames kept in chunks this long, so a long meeting only keeps the frames not yet decided. */
const COMPACT_EVERY = 4096;

export class OverlapLinker {
  /** Frame index of element 0 of the arrays below. */
  private base = 0;
  /**
   * Per global speaker still heard in the frames kept: summed activity per frame over the windows covering it. A
   * speaker with none left there can never be matched or decided again, so its row goes (a meeting's hundreds of
   * speakers would otherwise keep a row each, growing with the meeting).
   */
  private readonly sums = new Map<number, number[]>();
  /**
   * Per global speaker, like `sums`: the window's soft activity (the powerset's probabilities, not the argmax) where
   * a window gave it, for frames where no speaker is decided: what the model half-heard (weak turns, tracker.ts).
   */
  private readonly softSums = new Map<number, number[]>();
  /** Per global speaker, like `softSums`: the probability it talks with another at once (the powerset's pair classes). */
  private readonly pairSums = new Map<number, number[]>();
  /** Windows covering each frame. */
  private readonly cover: number[] = [];
  /** Summed count of local speakers heard per frame (hard activity), over the windows covering it. */
  private readonly heard: number[] = [];
  /** First frame not yet decided. */
  private decided = 0;
  speakers = 0;

  constructor(private readonly options: LinkingOptions) {}

  /** Speakers whose activity rows are kept (those still heard in frames not yet compacted away). */
  get rowsKept(): number { return this.sums.size; }

  /**
   * One window starting at frame `start` (on the frame grid of the whole source): `activity[k][f]` for each local
   * speaker, `count[f]` how many local speakers talk in frame f. Frames before `decided` must not be covered.
   */
  addWindow(start: number, activity: readonly Float32Array[], count: ArrayLike<number>, soft?: readonly Float32Array[], pair?: readonly Float32Array[]): WindowLinks {
    if (start < this.decided) throw new Error(`window at frame ${start} covers frames already decided (before ${this.decided})`);
    const frames = count.length;
    const overlapEnd = Math.min(start + frames, this.base + this.cover.length);
    const globals = this.match(start, overlapEnd, activity);
    const created: number[] = [];
    this.ensure(start + frames);
    for (let k = 0; k < activity.length; k++) {
      if (globals[k] !== -1) continue;
      let total = 0;
      for (let f = 0; f < frames; f++) total += activity[k][f];
      if (total < this.options.minLocalFrames) continue;
      globals[k] = this.speakers++;
      this.sums.set(globals[k], new Array<number>(this.cover.length).fill(0));
      this.softSums.set(globals[k], new Array<number>(this.cover.length).fill(0));
      this.pairSums.set(globals[k], new Array<number>(this.cover.length).fill(0));
      created.push(globals[k]);
    }
    const offset = start - this.base;
    for (let f = 0; f < frames; f++) {
      this.cover[offset + f] += 1;
      this.heard[offset + f] += count[f];
    }
    for (let k = 0; k < activity.length; k++) {
      if (globals[k] === -1) continue;
      const sum = this.sums.get(globals[k])!, softSum = this.softSums.get(globals[k])!, a = soft?.[k] ?? activity[k];
      const pairSum = this.pairSums.get(globals[k])!, b = pair?.[k];
      for (let f = 0; f < frames; f++) {
        sum[offset + f] += activity[k][f];
        softSum[offset + f] += a[f];
        if (b) pairSum[offset + f] += b[f];
      }
    }
    return { globals, created };
  }

  /**
   * Decides frames up to (not including) `end`: for each, the global speakers talking there. No later window may
   * cover them. `weak`, when given, gets one entry per frame decided: where nobody is decided, the global speaker
   * whose mean soft activity there is highest and at least `weakOnset` (−1: none, or someone is decided). `second`,
   * likewise: where one speaker is decided, the other global speaker whose mean soft activity (with `overlapByPair`,
   * the probability of the pair classes holding it: talking with someone, not alone) is highest and at least
   * `overlapOnset` (a second voice at once, overlapped speech the argmax gave to one; −1: none).
   */
  decide(end: number, weak?: number[], weakOnset = Infinity, second?: number[], overlapOnset = Infinity, overlapByPair = false): number[][] {
    const out: number[][] = [];
    for (let frame = this.decided; frame < end; frame++) {
      const i = frame - this.base;
      const cover = i < this.cover.length ? this.cover[i] : 0;
      if (cover === 0) { out.push([]); weak?.push(-1); second?.push(-1); continue; }
      const k = Math.round(this.heard[i] / cover);
      const ranked: { g: number; a: number }[] = [];
      for (const [g, sum] of this.sums) if (sum[i] > 0) ranked.push({ g, a: sum[i] });
      ranked.sort((x, y) => y.a - x.a || x.g - y.g);
      const decided = ranked.slice(0, k).map((r) => r.g).sort((x, y) => x - y);
      out.push(decided);
      if (weak) weak.push(decided.length ? -1 : this.halfHeard(this.softSums, i, cover, weakOnset));
      if (second) second.push(decided.length === 1 ? this.halfHeard(overlapByPair ? this.pairSums : this.softSums, i, cover, overlapOnset, decided[0]) : -1);
    }
    this.decided = Math.max(this.decided, end);
    if (this.decided - this.base >= COMPACT_EVERY) this.compact();
    return out;
  }

  /**
   * The global speaker (other than `besides`) with the highest mean soft activity in frame `i` (kept-array index), if
   * at least `onset`.
   */
  private halfHeard(sums: Map<number, number[]>, i: number, cover: number, onset: number, besides = -1): number {
    if (!Number.isFinite(onset)) return -1;
    let best = -1, most = onset * cover - 1e-9;
    for (const [g, s] of sums) if (g !== besides && s[i] >= most && (best === -1 || s[i] > most)) { best = g; most = s[i]; }
    return best;
  }

  /** The one-to-one matching of local to global speakers over [start, overlapEnd) with the most summed agreement. */
  private match(start: number, overlapEnd: number, activity: readonly Float32Array[]): number[] {
    const globals = new Array<number>(activity.length).fill(-1);
    if (overlapEnd <= start) return globals;
    const from = start - this.base, to = overlapEnd - this.base;
    const candidates: number[] = [];
    for (const [g, sum] of this.sums) {
      for (let i = from; i < to; i++) if (sum[i] > 0) { candidates.push(g); break; }
    }
    // agreement[k][j]: soft IoU of local k and candidate j's mean activity over the overlap.
    const agreement = activity.map((a) => candidates.map((g) => {
      let inter = 0, union = 0;
      for (let i = from; i < to; i++) {
        const cover = this.cover[i];
        if (cover === 0) continue;
        const mean = this.sums.get(g)![i] / cover, local = a[i - from];
        inter += Math.min(mean, local);
        union += Math.max(mean, local);
      }
      return union > 0 ? inter / union : 0;
    }));
    const best = bestAssignment(agreement, this.options.linkThreshold);
    best.forEach((j, k) => { if (j !== -1) globals[k] = candidates[j]; });
    return globals;
  }

  private ensure(end: number): void {
    const length = end - this.base;
    while (this.cover.length < length) {
      this.cover.push(0);
      this.heard.push(0);
      for (const s of this.sums.values()) s.push(0);
      for (const s of this.softSums.values()) s.push(0);
      for (const s of this.pairSums.values()) s.push(0);
    }
  }

  private compact(): void {
    const drop = Math.min(this.decided - this.base, this.cover.length);
    this.cover.splice(0, drop);
    this.heard.splice(0, drop);
    for (const [g, s] of this.sums) {
      s.splice(0, drop);
      const soft = this.softSums.get(g)!, pair = this.pairSums.get(g)!;
      soft.splice(0, drop);
      pair.splice(0, drop);
      if (!s.some((a) => a > 0) && !soft.some((a) => a > 0)) { this.sums.delete(g); this.softSums.delete(g); this.pairSums.delete(g); }
    }
    this.base += drop;
  }
}

/**
 * The assignment of rows to distinct columns (or none) that maximises the summed score, counting only pairs scoring at
 * least `floor`; rows are few (three local speakers), so every assignment is tried. Returns the column per row, −1 for none.
 */
export function bestAssignment(score: readonly (readonly number[])[], floor: number): number[] {
  const rows = score.length;
  let best = { total: -1, pick: new Array<number>(rows).fill(-1) };
  const pick = new Array<number>(rows).fill(-1);
  const used = new Set<number>();
  const walk = (r: number, total: number): void => {
    if (r === rows) {
      if (total > best.total + 1e-12) best = { total, pick: pick.slice() };
      return;
    }
    pick[r] = -1;
    walk(r + 1, total);
    for (let c = 0; c < (score[r]?.length ?? 0); c++) {
      if (used.has(c) || score[r][c] < floor) continue;
      used.add(c);
      pick[r] = c;
      walk(r + 1, total + score[r][c]);
      used.delete(c);
      pick[r] = -1;
    }
  };
  walk(0, 0);
  return best.pick;
}

/** How many local speakers talk in each frame: those whose activity is at least `onset`. */
export function localCount(activity: readonly Float32Array[], frames: number, onset: number): Uint8Array {
  const count = new Uint8Array(frames);
  for (let k = 0; k < Math.min(activity.length, LOCAL_SPEAKERS); k++) for (let f = 0; f < frames; f++) if (activity[k][f] >= onset) count[f]++;
  return count;
}
