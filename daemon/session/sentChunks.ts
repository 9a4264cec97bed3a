/**
 * The chunks a live extraction sent and their answers (liveExtraction.ts), kept as the meeting's: a voice renamed
 * since names the new name in both, a chunk a late final changed is dropped with every one after it (they are sent
 * again), and the answers are merged as the at-stop extraction merges them. With prompt v7 (`carry`: the settings'
 * carryNotes) they are what the next chunk's notes are made from (chunkMerge.ts's withNotedBefore).
 */
import { NotedEntry } from '../understanding/carriedNotes';
import { ChunkExtraction } from '../../protocol/protocol';
import { Renamed, renameMentions } from '../speakers/labels';
import { ChunkLine, ModelChunk } from '../understanding/modelExtract';
import { AtStop, EarlierParts, finalEntries, OwnerFill, ReducedExtraction, reduceChunks, RestatedGroup, withNotedBefore } from '../understanding/chunkMerge';
import { meetingLines } from '../understanding/chunks';

/** A chunk's lines with a renamed voice's lines under the new name. */
function chunkRenamed(chunk: ModelChunk, renamed: Renamed): ModelChunk {
  return { ...chunk, lines: chunk.lines.map((l) => (l.speaker === renamed.from ? { ...l, speaker: renamed.to } : l)) };
}

/** A chunk's answer as if its prompt had named the renamed voice anew: owners follow (followOwner's rule), texts name it. */
export function answerRenamed(answer: ChunkExtraction | null, renamed: Renamed): ChunkExtraction | null {
  if (!answer) return answer;
  const owner = (o: string | null) => ownerRenamed(o, renamed);
  return {
    ...answer,
    actionItems: answer.actionItems.map((i) => ({ ...i, text: renameMentions(i.text, renamed), owner: owner(i.owner) })),
    decisions: answer.decisions.map((d) => ({ ...d, text: renameMentions(d.text, renamed) })),
    rewrite: answer.rewrite.map((w) => ({
      ...w, ...(w.text !== undefined ? { text: renameMentions(w.text, renamed) } : {}), ...(w.owner !== undefined ? { owner: owner(w.owner) } : {}),
    })),
    ...(answer.noted ? { noted: answer.noted.map((u) => (u.owner !== undefined ? { ...u, owner: owner(u.owner) } : u)) } : {}),
  };
}

/** An owner after a voice's rename: the renamed voice's items go with it (followOwner's rule). */
const ownerRenamed = <T extends string | null>(owner: T, renamed: Renamed): T => (owner === renamed.from ? renamed.to as T : owner);

/** Owners the owner check named, each voice renamed since under its new name, as an answer's owners. */
const fillsRenamed = (fills: readonly OwnerFill[], since: readonly Renamed[]): OwnerFill[] =>
  fills.map((f) => ({ ...f, owner: since.reduce(ownerRenamed, f.owner) }));

export class SentChunks {
  private readonly chunks: ModelChunk[] = [];
  private readonly answers: (ChunkExtraction | null)[] = [];
  /** Counts the changes to the chunks or their answers: v7's notes for the open chunk are made again only after one. */
  private changes = 0;
  /** v7: the open chunk's notes as last made (a merge of every answer so far: not made again for each final). */
  private openNoted: { key: string; noted: ModelChunk['noted'] } | undefined;

  /**
   * What the checks at stop answered over the chunks and answers as they were (`changes`): the restatement check's sets
   * (restatements.ts), then the decisions the procedure check drops (procedureCheck.ts) and the owner check's owners
   * (ownerCheck.ts) over the lists those folds left. All name entries by their place in these answers, so they hold only
   * while nothing changed since.
   */
  private atStop: (AtStop & { changes: number }) | undefined;

  /** `carry`: prompt v7, each chunk read with what the chunks before it noted. */
  constructor(readonly carry: boolean) {}

  get length(): number {
    return this.chunks.length;
  }

  /** The chunks sent, in meeting order. */
  get all(): readonly ModelChunk[] {
    return this.chunks;
  }

  /** No chunk sent has an answer. */
  get unanswered(): boolean {
    return this.answers.every((a) => a === null);
  }

  /** Chunks sent and their answers, with the voices renamed since their prompts were written (`since`) named anew. */
  add(chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], since: readonly Renamed[]): void {
    this.chunks.push(...chunks.map((c) => since.reduce(chunkRenamed, c)));
    this.answers.push(...answers.map((a) => since.reduce(answerRenamed, a)));
    this.changes++;
  }

  /** A voice was renamed: what was sent and answered names it anew (the next publish and summary build on it). */
  renamed(renamed: Renamed): void {
    this.chunks.splice(0, this.chunks.length, ...this.chunks.map((c) => chunkRenamed(c, renamed)));
    for (let k = 0; k < this.answers.length; k++) this.answers[k] = answerRenamed(this.answers[k], renamed);
    // A rename moves no entry: the check's sets still name the same ones.
    const held = this.checkedAtStop();
    this.changes++;
    // An owner the check named follows the voice's new name, as the answers' owners do.
    if (held) this.atStop = { ...held, owners: fillsRenamed(held.owners ?? [], [renamed]), changes: this.changes };
  }

  /**
   * The chunks sent stay only while they are the meeting's chunks: a final that came late (another source's) and
   * sorted into one changes it and every one after; those are dropped, to be sent again.
   */
  keepMatching(chunks: readonly ChunkLine[][]): void {
    const same = (a: readonly ChunkLine[], b: readonly ChunkLine[]) => a.length === b.length && a.every((l, k) => l.segmentId === b[k].segmentId && l.text === b[k].text);
    let k = 0;
    while (k < this.chunks.length && k < chunks.length && same(this.chunks[k].lines, chunks[k])) k++;
    if (k === this.chunks.length) return;
    this.chunks.splice(k);
    this.answers.splice(k);
    this.changes++;
  }

  /** The answers so far, merged (what the at-stop extraction reduces for the same answers). */
  reduced(): ReducedExtraction {
    return reduceChunks(this.chunks, this.answers, this.carry, this.checkedAtStop() ?? {});
  }

  /**
   * The final lists as the checks at stop read them (every entry that stands, with the ids their answers name): after
   * what the checks asked before found, when they answered over the chunks as they are now.
   */
  finalEntries(): NotedEntry[] {
    return finalEntries(this.chunks, this.answers, this.checkedAtStop() ?? {});
  }

  /** The meeting's lines the chunks sent hold, once each: what the owner check shows around its items. */
  lines(): ChunkLine[] {
    return meetingLines(this.chunks);
  }

  /**
   * The owner check's owners over the chunks and answers as they are now, with the voices renamed while it was asked
   * (`since`) named anew: reduced() gives them from now on.
   */
  ownersChecked(fills: readonly OwnerFill[], since: readonly Renamed[]): void {
    this.atStop = { ...this.checkedAtStop(), owners: fillsRenamed(fills, since), changes: this.changes };
  }

  /** The procedure check's drops over the chunks and answers as they are now (after the folds): reduced() drops them from now on. */
  procedureChecked(dropped: readonly string[]): void {
    this.atStop = { restated: this.checkedAtStop()?.restated, procedure: dropped, changes: this.changes };
  }

  /** The restatement check's sets over the chunks and answers as they are now: reduced() folds them from now on. */
  restated(groups: readonly RestatedGroup[]): void {
    this.atStop = { restated: groups, changes: this.changes };
  }

  /** The checks' answers at stop, while the chunks and answers they were asked over stand unchanged. */
  private checkedAtStop() {
    return this.atStop?.changes === this.changes ? this.atStop : undefined;
  }

  /** The chunks sent and their answers as they are now (what the next chunk's v7 notes are made from). */
  earlier(): EarlierParts {
    return { chunks: [...this.chunks], answers: [...this.answers] };
  }

  /**
   * v7: the open chunk with the notes its call will carry once every chunk sent is answered. They change only with the
   * chunks sent and their answers, and with which rule items its lines hold.
   */
  withNoted(chunk: ModelChunk): ModelChunk {
    const key = JSON.stringify([this.changes, chunk.items.map((i) => i.id)]);
    if (this.openNoted?.key !== key) this.openNoted = { key, noted: withNotedBefore(chunk, this.earlier()).noted };
    return { ...chunk, noted: this.openNoted.noted };
  }
}
