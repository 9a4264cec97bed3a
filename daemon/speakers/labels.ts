/**
 * Who spoke each final, per source: the bookkeeping between the speaker stage's turns and the session's finals. Pure
 * (no I/O, no model): the live session (session/speakers.ts) and a stopped session's rename (documents/speakerNames.ts)
 * both keep one, the latter rebuilt from the journal.
 *
 * A final is labelled as it is journaled: by the voice whose final turns overlap it most, when the stage has settled
 * its audio (stage.settledSec); otherwise it goes out with the source's label, `pending`, and the voice follows as a
 * change once the stage has heard it (`heard`). A voice re-identified as an earlier one (`reidentified`) and a name the
 * user gives a voice (`renamed`) change every final of it, before and after. Each change is a `speakers` journal
 * record (journal.ts); segmentsOf applies them, so every reader of the journal sees the same speakers.
 *
 * Display: a voice's name if the user gave one, else its label ("Speaker 2"), except the microphone's main voice (the
 * one heard longest) when the microphone is split, which keeps the microphone's label ("You": the user at the laptop is
 * the voice nearest it). When the main voice changes, the finals of both voices change.
 */
import { SourceKind } from '../../protocol/protocol';
import type { FinalSegment } from '../../protocol/protocol';
import type { JournalRecord, SpeakerChange, SpeakersRecord } from '../journal/journal';
import { SpeakerTurn } from './stage';

/** How a source is labelled. */
export interface SourceVoices {
  kind: SourceKind;
  /** The source's label ("You", "Others", a file's name). */
  label: string;
  /** Its voices are told apart (the stage runs on it). */
  split: boolean;
  /** Its main voice keeps `label` (the microphone). */
  mainKeepsLabel: boolean;
}

/** What a final is journaled with; `confidence` as TranscriptSegment.speakerConfidence (with a voice only). */
export interface LabelledFinal { speaker: string; voice?: string; confidence?: number; pending: boolean }

/** A change to journal (record) and the speakers the changed finals had before it (for their owners). */
export interface Relabel { record: SpeakersRecord; previous: Map<string, string> }

/** Turns are kept this long (s) behind the source's latest final: a final comes at most this late (the recognizer's backlog bound). */
const KEEP_TURNS_SEC = 180;

interface FinalEntry { segmentId: string; t0: number; t1: number; speaker: string; voice?: string; confidence?: number; pending: boolean }

class SourceBook {
  turns: SpeakerTurn[] = [];
  settled = 0;
  /** Voices re-identified as another (from → to). */
  readonly merged = new Map<string, string>();
  readonly names = new Map<string, string>();
  /** Seconds heard per voice (resolved), for the main voice. */
  readonly talk = new Map<string, number>();
  main: string | undefined;
  readonly finals = new Map<string, FinalEntry>();
  latestT0 = 0;

  constructor(readonly spec: SourceVoices) {}

  resolve(voice: string): string {
    let v = voice;
    for (let hops = 0; this.merged.has(v) && hops < 1000; hops++) v = this.merged.get(v)!;
    return v;
  }

  display(voice: string | undefined): string {
    if (voice === undefined) return this.spec.label;
    const v = this.resolve(voice);
    return this.names.get(v) ?? (this.spec.mainKeepsLabel && v === this.main ? this.spec.label : v);
  }

  /** The voice of speech [t0, t1] and how sure (assignVoice); undefined when the source has no voice yet. */
  voiceOf(t0: number, t1: number): VoiceGuess | undefined {
    return assignVoice(this.turns, t0, t1, (v) => this.resolve(v));
  }

  /** The voice heard longest (ties: the one heard first). */
  mainVoice(): string | undefined {
    let best: string | undefined, most = -1;
    for (const [voice, sec] of this.talk) if (sec > most) [best, most] = [voice, sec];
    return best;
  }

  /** Every voice this source has had (a rename must name one). */
  knows(voice: string): boolean {
    if (this.talk.has(voice) || this.merged.has(voice) || this.names.has(voice)) return true;
    for (const f of this.finals.values()) if (f.voice === voice) return true;
    return false;
  }

  /** Every voice of the source (resolved). */
  voices(): string[] {
    const heard = [...this.talk.keys(), ...this.names.keys(), ...[...this.finals.values()].flatMap((f) => (f.voice === undefined ? [] : [f.voice]))];
    return [...new Set(heard.map((v) => this.resolve(v)))];
  }
}

/** The label Earshot gives a voice (stage.ts speakerLabel), which no one says aloud. */
const VOICE_LABEL = /^Speaker \d+$/;

export class SpeakerBook {
  private readonly sources = new Map<SourceKind, SourceBook>();

  constructor(specs: readonly SourceVoices[]) {
    for (const spec of specs) this.sources.set(spec.kind, new SourceBook(spec));
  }

  /** Whether `source`'s voices are told apart. */
  splits(source: SourceKind): boolean {
    return this.sources.get(source)?.spec.split ?? false;
  }

  /** Where the earliest final of `source` still waiting for its speaker starts (s); Infinity when none waits. */
  pendingSince(source: SourceKind): number {
    let since = Infinity;
    for (const f of this.sources.get(source)?.finals.values() ?? []) if (f.pending && f.t0 < since) since = f.t0;
    return since;
  }

  /**
   * The number a new stage of `source` starting at `fromSec` labels from: 1 at the start of the audio (a new session,
   * or a resumed file heard again from its start: the same audio gives the same labels), else on after the highest
   * "Speaker N" the source has had (a live source after a resume or a long gap: its voices may be new).
   */
  firstNumber(source: SourceKind, fromSec: number): number {
    return fromSec <= 0 ? 1 : this.highestNumber(source) + 1;
  }

  /** The highest "Speaker N" number `source` has had (a stage started again numbers on after it). */
  highestNumber(source: SourceKind): number {
    const book = this.sources.get(source);
    if (!book) return 0;
    const voices = [...book.talk.keys(), ...book.merged.keys(), ...[...book.finals.values()].flatMap((f) => (f.voice ? [f.voice] : []))];
    return Math.max(0, ...voices.map((v) => Number(/^Speaker (\d+)$/.exec(v)?.[1] ?? 0)));
  }

  /** A final about to be journaled: its speaker now, and whether its voice is still to come. */
  final(segment: { segmentId: string; source: SourceKind; t0: number; t1: number }): LabelledFinal {
    const book = this.sources.get(segment.source);
    if (!book?.spec.split) return { speaker: book?.spec.label ?? segment.source, pending: false };
    book.latestT0 = Math.max(book.latestT0, segment.t0);
    const pending = book.settled < segment.t1;
    const guess = pending ? undefined : book.voiceOf(segment.t0, segment.t1);
    const voice = guess?.voice;
    const entry: FinalEntry = { segmentId: segment.segmentId, t0: segment.t0, t1: segment.t1, speaker: book.display(voice), pending, ...withGuess(guess) };
    book.finals.set(segment.segmentId, entry);
    return { speaker: entry.speaker, pending, ...withGuess(guess) };
  }

  /**
   * The stage of `source` gave final `turns` and has settled everything before `settledSec`: pending finals it now
   * covers get their voice (or keep the source's label when no turn covers them, no longer pending), and a change of
   * the main voice relabels the finals of both. Undefined when nothing changed.
   */
  heard(source: SourceKind, turns: readonly SpeakerTurn[], settledSec: number): Relabel | undefined {
    const book = this.sources.get(source);
    if (!book?.spec.split) return undefined;
    for (const turn of turns) {
      // A second voice at once is in the diarization, not a line's voice: a line keeps the voice speaking alone.
      if (turn.overlap) continue;
      book.turns.push(turn);
      const voice = book.resolve(turn.speaker);
      book.talk.set(voice, (book.talk.get(voice) ?? 0) + (turn.end - turn.start));
    }
    book.settled = Math.max(book.settled, settledSec);
    const changes = new Map<string, FinalEntry>();
    for (const f of book.finals.values()) {
      if (!f.pending || f.t1 > book.settled) continue;
      f.pending = false;
      const guess = book.voiceOf(f.t0, f.t1);
      if (guess) [f.voice, f.confidence] = [guess.voice, guess.confidence];
      changes.set(f.segmentId, f);
    }
    const relabel = this.refresh(book, 'heard', changes);
    const horizon = Math.min(book.latestT0, ...[...book.finals.values()].filter((f) => f.pending).map((f) => f.t0)) - KEEP_TURNS_SEC;
    book.turns = book.turns.filter((t) => t.end >= horizon);
    return relabel;
  }

  /** The stage found that voice `from` of `source` is `to`'s: every final of it becomes `to`'s. */
  reidentified(source: SourceKind, from: string, to: string): Relabel | undefined {
    const book = this.sources.get(source);
    if (!book?.spec.split) return undefined;
    const a = book.resolve(from), b = book.resolve(to);
    if (a === b) return undefined;
    book.merged.set(a, b);
    book.talk.set(b, (book.talk.get(b) ?? 0) + (book.talk.get(a) ?? 0));
    book.talk.delete(a);
    if (!book.names.has(b) && book.names.has(a)) book.names.set(b, book.names.get(a)!);
    book.names.delete(a);
    const changes = new Map<string, FinalEntry>();
    for (const f of book.finals.values()) if (f.voice !== undefined && book.resolve(f.voice) === b && f.voice !== b) changes.set(f.segmentId, f);
    return this.refresh(book, 'reidentified', changes);
  }

  /**
   * The user names `voice` of `source` (null or "": its own label again). Always journaled, even when no final changes
   * (the name holds for the finals to come). Throws RangeError for a voice the source never had.
   */
  rename(source: SourceKind, voice: string, name: string | null): Relabel {
    const book = this.sources.get(source);
    if (!book?.spec.split || !book.knows(voice)) throw new RangeError(`The ${source} source has no voice ${JSON.stringify(voice)}.`);
    const v = book.resolve(voice);
    if (name) book.names.set(v, name);
    else book.names.delete(v);
    const relabel = this.refresh(book, 'renamed', new Map())!;
    relabel.record.voice = voice;
    relabel.record.name = name || null;
    return relabel;
  }

  /** A final's speaker as the book has it now (undefined: not a final of a split source). */
  finalSpeaker(source: SourceKind, segmentId: string): string | undefined {
    return this.sources.get(source)?.finals.get(segmentId)?.speaker;
  }

  /**
   * The rename of `voice` from `from` (its speaker before) to `to` (now), made after book.rename (review 2, S6):
   * - its mentions in texts are renamed only when `from` is the label Earshot gave the voice ("Speaker 2", which a
   *   model writes and no one says), never a name the user gave ("Mark" is also a verb) nor the source's label ("You");
   * - `shared` when another voice of the source is still shown as `from`: two voices given one name (how the user
   *   joins a speaker who came back as a new one, docs/recognition.md, "Who spoke") or one given another's label. Owners are matched
   *   by the name shown, so then only the items of this voice's own finals follow (followOwner): renaming one never
   *   moves the other's. Refusing such names instead would take that joining away; this way nothing is lost.
   */
  renamed(source: SourceKind, voice: string, from: string, to: string): Renamed {
    const book = this.sources.get(source);
    if (!book) return { from, to, mentions: false, shared: true };
    const v = book.resolve(voice);
    const shared = book.voices().some((other) => other !== v && book.display(other) === from);
    return { from, to, mentions: !shared && VOICE_LABEL.test(from) && from === v, shared };
  }

  /** The speaker `voice` of `source` is shown as now. */
  speakerOf(source: SourceKind, voice: string): string {
    return this.sources.get(source)?.display(voice) ?? voice;
  }

  /** The source ended: finals still pending keep the source's label. Returns the record that says they are settled. */
  ended(source: SourceKind): Relabel | undefined {
    const book = this.sources.get(source);
    if (!book) return undefined;
    book.settled = Infinity;
    const changes = new Map<string, FinalEntry>();
    for (const f of book.finals.values()) {
      if (!f.pending) continue;
      f.pending = false;
      changes.set(f.segmentId, f);
    }
    return this.refresh(book, 'heard', changes);
  }

  /**
   * Rebuilt from a journal's records (a resumed session, a stopped session's rename): the finals with their speakers
   * and voices, the names, the merges; the main voice is the one whose finals carry the source's label. A final of a
   * split source that got no voice waits again (`resumed`): a resumed file is heard again from its start, so the
   * stage may give it one now; a live source's stage starts after the downtime and settles it with the label.
   */
  restore(records: readonly JournalRecord[], resumed = false): void {
    for (const r of records) {
      if (r.type === 'segment') this.restoreFinal(r);
      else if (r.type === 'speakers') this.restoreChanges(r);
    }
    for (const book of this.sources.values()) {
      for (const f of book.finals.values()) {
        if (resumed && book.spec.split && f.voice === undefined && f.speaker === book.spec.label) f.pending = true;
        if (f.voice === undefined) continue;
        const v = book.resolve(f.voice);
        book.talk.set(v, (book.talk.get(v) ?? 0) + (f.t1 - f.t0));
        if (book.spec.mainKeepsLabel && f.speaker === book.spec.label && !book.names.has(v)) book.main = v;
      }
      // A resumed source's stage has heard nothing yet; a stopped session's book waits for nothing.
      book.settled = resumed && book.spec.split ? 0 : Infinity;
    }
  }

  /** A new stage for `source` starts at `fromSec` (a resume, or after a long gap): finals after it wait for it. */
  restarted(source: SourceKind, fromSec: number): void {
    const book = this.sources.get(source);
    if (book?.spec.split) book.settled = Math.min(book.settled, fromSec);
  }

  private restoreFinal(r: FinalSegment): void {
    const book = this.sources.get(r.source);
    if (!book) return;
    book.finals.set(r.segmentId, { segmentId: r.segmentId, t0: r.t0, t1: r.t1, speaker: r.speaker, pending: false,
      ...(r.voice ? { voice: r.voice, ...(r.speakerConfidence !== undefined ? { confidence: r.speakerConfidence } : {}) } : {}) });
    book.latestT0 = Math.max(book.latestT0, r.t0);
  }

  private restoreChanges(r: SpeakersRecord): void {
    const book = this.sources.get(r.source);
    if (!book) return;
    if (r.cause === 'renamed' && r.voice !== undefined) {
      if (r.name) book.names.set(book.resolve(r.voice), r.name);
      else book.names.delete(book.resolve(r.voice));
    }
    for (const c of r.changes) {
      const f = book.finals.get(c.segmentId);
      if (!f) continue;
      // A final whose voice became another's: the first is merged into the second (a re-identification).
      if (r.cause === 'reidentified' && f.voice !== undefined && c.voice !== undefined && f.voice !== c.voice) book.merged.set(book.resolve(f.voice), c.voice);
      f.speaker = c.speaker;
      if (c.voice !== undefined) f.voice = c.voice;
      if (c.confidence !== undefined) f.confidence = c.confidence;
    }
  }

  /**
   * Works out the main voice again and re-displays every final of the source whose speaker or voice is no longer what
   * it shows, adding those of `changes` (finals whose voice or pending state just changed). Undefined when none.
   */
  private refresh(book: SourceBook, cause: SpeakersRecord['cause'], changes: Map<string, FinalEntry>): Relabel | undefined {
    if (book.spec.mainKeepsLabel) book.main = book.mainVoice();
    const previous = new Map<string, string>();
    const out: SpeakerChange[] = [];
    for (const f of book.finals.values()) {
      const voice = f.voice === undefined ? undefined : book.resolve(f.voice);
      const speaker = book.display(voice);
      if (!changes.has(f.segmentId) && speaker === f.speaker && voice === f.voice) continue;
      previous.set(f.segmentId, f.speaker);
      f.speaker = speaker;
      f.voice = voice;
      out.push({ segmentId: f.segmentId, speaker, ...(voice !== undefined ? { voice, ...(f.confidence !== undefined ? { confidence: f.confidence } : {}) } : {}) });
    }
    if (!out.length && cause !== 'renamed') return undefined;
    return { record: { type: 'speakers', source: book.spec.kind, cause, changes: out }, previous };
  }
}

/** A voice for some speech and how sure it is: 1 = only that voice's decided turns cover it, lower = shared or inferred. */
export interface VoiceGuess { voice: string; confidence: number }

const withGuess = (g: VoiceGuess | undefined) => (g ? { voice: g.voice, confidence: g.confidence } : {});

/** Weight of a weak (half-heard) turn's overlap against a decided one's. */
const WEAK_WEIGHT = 0.5;
/** The most confidence speech no turn covers gets from its nearest turn (a gap of 0); it halves every HALF_GAP_SEC of gap. */
const NEAREST_CONFIDENCE = 0.5;
const HALF_GAP_SEC = 5;

/**
 * Who spoke [t0, t1] (a final: the speech voice detection gave the recognizer), from the stage's turns (`resolve`
 * maps a voice to the one it was merged into): every voice scores its decided turns' overlap plus half its weak
 * turns' (tracker.ts weakOnset); the best scoring voice wins, with confidence its share of the scores (weak only: at
 * most half). Where no turn overlaps, the nearest turn's voice (before or after), with NEAREST_CONFIDENCE halving every
 * HALF_GAP_SEC of gap. Undefined only when there are no turns at all.
 */
export function assignVoice(turns: readonly SpeakerTurn[], t0: number, t1: number, resolve: (voice: string) => string = (v) => v): VoiceGuess | undefined {
  const score = new Map<string, { strong: number; weak: number }>();
  let nearest: { voice: string; gap: number } | undefined;
  for (const turn of turns) {
    if (turn.overlap) continue;
    const shared = Math.min(t1, turn.end) - Math.max(t0, turn.start);
    const voice = resolve(turn.speaker);
    if (shared > 0) {
      const s = score.get(voice) ?? { strong: 0, weak: 0 };
      if (turn.weak) s.weak += shared; else s.strong += shared;
      score.set(voice, s);
    }
    const gap = Math.max(turn.start - t1, t0 - turn.end, 0);
    if (!turn.weak && (!nearest || gap < nearest.gap)) nearest = { voice, gap };
  }
  let best: { voice: string; points: number; strong: number } | undefined, total = 0;
  for (const [voice, s] of score) {
    const points = s.strong + WEAK_WEIGHT * s.weak;
    total += points;
    if (!best || points > best.points) best = { voice, points, strong: s.strong };
  }
  if (best && total > 0) return { voice: best.voice, confidence: round2((best.points / total) * (best.strong > 0 ? 1 : WEAK_WEIGHT)) };
  if (nearest) return { voice: nearest.voice, confidence: round2(NEAREST_CONFIDENCE * 0.5 ** (nearest.gap / HALF_GAP_SEC)) };
  return undefined;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Which sources of a session are split, and how each is labelled (see the module comment). */
export function sourceVoices(sources: readonly { kind: SourceKind; speaker: string }[], identify: boolean): SourceVoices[] {
  const call = sources.some((s) => s.kind === 'mic') && sources.some((s) => s.kind === 'system');
  return sources.map((s) => ({ kind: s.kind, label: s.speaker, split: identify && !(s.kind === 'mic' && call), mainKeepsLabel: s.kind === 'mic' }));
}

/**
 * A renamed voice: its speaker before and after; whether its old name is Earshot's label, renamed in texts too; and
 * whether another voice of the source is still shown as the old name (`shared`, see SpeakerBook.renamed).
 */
export interface Renamed { from: string; to: string; mentions: boolean; shared?: boolean }

/**
 * `text` with the renamed speaker's old name, as a whole word, replaced by the new one (a model writes "Speaker 2 sends
 * the figures"); unchanged unless that name is Earshot's label of the voice (`mentions`: see SpeakerBook.renamed).
 */
export function renameMentions(text: string, renamed: Renamed | undefined): string {
  if (!renamed?.mentions || renamed.from === renamed.to) return text;
  const escaped = renamed.from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), () => renamed.to);
}

/**
 * The owner an item takes when finals change speakers: the new speaker of its own final where the old one owned it, or
 * a renamed voice's new name where the old name did, unless another voice still has that name (`shared`: the owner
 * may be that one's, so only the renamed voice's own finals' items follow). Undefined: its owner stays.
 */
export function followOwner(item: { owner: string | null; segmentId: string; removed?: boolean },
  changed: ReadonlyMap<string, { from: string; to: string }>, renamed?: { from: string; to: string; shared?: boolean }): string | undefined {
  if (item.removed || item.owner === null) return undefined;
  const change = changed.get(item.segmentId);
  if (change && item.owner === change.from && change.to !== change.from) return change.to;
  if (renamed && !renamed.shared && item.owner === renamed.from && renamed.to !== renamed.from) return renamed.to;
  return undefined;
}
