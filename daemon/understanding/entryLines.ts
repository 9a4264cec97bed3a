/**
 * The checks at stop that read entries with what was said (ownerCheck.ts's items, procedureCheck.ts's decisions): each
 * entry shown with the lines it was noted from (marked >) and a few around them, in meeting order, within the check's
 * bounds. Pure.
 */
import { clock, NotedEntry, withinBounds } from './carriedNotes';
import { ChunkLine } from './chunks';

/** What a check shows around each entry, and how much it reads in all. */
export interface LinesBounds { maxEntries: number; before: number; after: number; lineChars: number; chars: number }

/**
 * An entry a check asks about: the lines shown for it (segment ids, in meeting order), those it cites, and `block`, the
 * entry and its lines as the prompt shows them.
 */
export interface EntryWithLines { id: string; text: string; lines: string[]; cited: string[]; entry: NotedEntry; block: string }

/**
 * The entries that cite a line of `lines`, in meeting order, each with `before` / `after` lines around each line it
 * cites (a reply that accepts; the turn that addressed someone), its block headed `<noun> <id>` and `tag`'s words in
 * parentheses when given (a decision's standing), while they fit the bounds (one that does not fit is not asked about;
 * a later, shorter one may be); and how many of those citing a line were left out. The bounds count each block
 * without its tag, as the decision check's recorded prompts were made.
 */
export function entriesWithLines(entries: readonly NotedEntry[], lines: readonly ChunkLine[], bounds: LinesBounds,
  noun: string, tag?: (e: NotedEntry) => string): { asked: EntryWithLines[]; left: number } {
  const order = new Map(lines.map((l, k) => [l.segmentId, k]));
  const byId = new Map(lines.map((l) => [l.segmentId, l]));
  const citing = entries.filter((e) => (e.segments ?? []).some((s) => order.has(s))).sort((a, b) => a.firstT0 - b.firstT0 || a.id.localeCompare(b.id));
  const candidates = citing.map((entry) => {
    const cited = (entry.segments ?? []).filter((s) => order.has(s)).sort((a, b) => order.get(a)! - order.get(b)!);
    const shown = new Set<number>();
    for (const c of cited) {
      const k = order.get(c)!;
      for (let j = Math.max(0, k - bounds.before); j <= Math.min(lines.length - 1, k + bounds.after); j++) shown.add(j);
    }
    const shownIds = [...shown].sort((a, b) => a - b).map((j) => lines[j].segmentId);
    // Lines far apart are parted by "…"; a long line is cut.
    // After the heading: the entry's words and when, then its lines.
    const rest = [`: ${JSON.stringify(entry.text)} (said at ${clock(byId.get(cited[0])?.t0 ?? 0)})`];
    shownIds.forEach((s, k) => {
      if (k && order.get(s)! > order.get(shownIds[k - 1])! + 1) rest.push('  …');
      const l = byId.get(s)!;
      const text = l.text.length > bounds.lineChars ? `${l.text.slice(0, bounds.lineChars)}…` : l.text;
      rest.push(`${cited.includes(s) ? '>' : ' '} [${l.segmentId}] ${l.speaker}: ${text}`);
    });
    return { id: entry.id, text: entry.text, lines: shownIds, cited, entry, rest: rest.join('\n') };
  });
  const fitting = withinBounds(candidates, (q) => `${noun} ${q.id}${q.rest}`.length, { max: bounds.maxEntries, chars: bounds.chars });
  const asked = fitting.map(({ rest, ...q }): EntryWithLines => ({ ...q, block: `${noun} ${q.id}${tag ? ` (${tag(q.entry)})` : ''}${rest}` }));
  return { asked, left: citing.length - asked.length };
}

/** The speakers of the meeting's lines, as they are written there, in the order they first speak. */
export const speakersOf = (lines: readonly ChunkLine[]): string[] => [...new Set(lines.map((l) => l.speaker))];
