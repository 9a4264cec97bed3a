/**
 * Which speakers the transcript's lines name, and how many lines each: the speaker filter offers exactly these. A line
 * can change speaker after it is shown (the speaker stage relabels a pending line, the user renames a voice), so an
 * option goes when its last line does, and a filter on a renamed speaker follows the name. Pure (unit-tested).
 */
export class SpeakerTally {
  private readonly lines = new Map<string, number>();

  /** In the order they first spoke (still speaking). */
  speakers(): string[] {
    return [...this.lines.keys()];
  }

  /** A line now names `now` (and named `was` before, for a line changed): what the filter's options gain and lose. */
  count(now: string | undefined, was?: string): { added?: string; removed?: string } {
    if (now === was) return {};
    const change: { added?: string; removed?: string } = {};
    if (was !== undefined) {
      const left = (this.lines.get(was) ?? 1) - 1;
      if (left > 0) this.lines.set(was, left);
      else if (this.lines.delete(was)) change.removed = was;
    }
    if (now !== undefined) {
      const before = this.lines.get(now) ?? 0;
      this.lines.set(now, before + 1);
      if (before === 0) change.added = now;
    }
    return change;
  }

  clear(): void {
    this.lines.clear();
  }
}

/**
 * The filter's speaker after a change: kept while a line still names it; when its last line took another name (a
 * rename, a relabel), that name, so the lines the user was reading stay in view; otherwise all speakers.
 */
export function filterAfter(filtered: string, change: { added?: string; removed?: string }, renamedTo: string | undefined): string {
  if (!filtered || change.removed !== filtered) return filtered;
  return renamedTo ?? '';
}
