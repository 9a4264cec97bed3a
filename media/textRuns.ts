/**
 * Splits a transcript line's text into runs for rendering: plain text, code links (the segment's mentions) and search
 * matches, so the webview builds text nodes, link buttons and <mark> elements with DOM APIs and never parses markup.
 * Pure (no DOM): unit-tested in test/unit/virtual-list.test.ts.
 */

/** The part of a mention the runs need: UTF-16 offsets into the text. */
export interface MentionSpan {
  start: number;
  end: number;
}

export interface TextRun {
  text: string;
  /** Inside a search match. */
  match: boolean;
  /** Index into the segment's mentions when the run is part of a code link, else null. */
  mention: number | null;
}

/** A case-insensitive matcher for a search query (null for an empty query): the query is literal text, not a pattern. */
export function searchPattern(query: string): RegExp | null {
  const q = query.trim();
  if (!q) return null;
  return new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
}

/** Whether a line's text contains the query (same rules as the highlighting). */
export function matchesQuery(text: string, pattern: RegExp | null): boolean {
  if (!pattern) return true;
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}

/** [start, end) ranges of the pattern's matches in the text. */
export function matchRanges(text: string, pattern: RegExp | null): [number, number][] {
  if (!pattern) return [];
  const out: [number, number][] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  pattern.lastIndex = 0;
  return out;
}

/** Mentions that fit the text, in order, without overlaps (a bad offset from a peer is dropped, not trusted). */
export function validMentions(text: string, mentions: readonly MentionSpan[] | undefined): { index: number; start: number; end: number }[] {
  const ok = (mentions ?? [])
    .map((m, index) => ({ index, start: m.start, end: m.end }))
    .filter((m) => Number.isInteger(m.start) && Number.isInteger(m.end) && m.start >= 0 && m.end <= text.length && m.start < m.end)
    .sort((a, b) => a.start - b.start || a.index - b.index);
  const out: typeof ok = [];
  for (const m of ok) if (!out.length || m.start >= out[out.length - 1].end) out.push(m);
  return out;
}

/** The runs of a line: consecutive runs differ in `match` or `mention`; joined, their texts are the text. */
export function textRuns(text: string, mentions: readonly MentionSpan[] | undefined, pattern: RegExp | null): TextRun[] {
  const links = validMentions(text, mentions);
  const matches = matchRanges(text, pattern);
  const cuts = new Set<number>([0, text.length]);
  for (const m of links) cuts.add(m.start).add(m.end);
  for (const [s, e] of matches) cuts.add(s).add(e);
  const points = [...cuts].sort((a, b) => a - b);
  const runs: TextRun[] = [];
  let li = 0, mi = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const [s, e] = [points[k], points[k + 1]];
    if (s === e) continue;
    while (li < links.length && links[li].end <= s) li++;
    while (mi < matches.length && matches[mi][1] <= s) mi++;
    const mention = li < links.length && links[li].start <= s ? links[li].index : null;
    const match = mi < matches.length && matches[mi][0] <= s;
    const last = runs[runs.length - 1];
    if (last && last.match === match && last.mention === mention) last.text += text.slice(s, e);
    else runs.push({ text: text.slice(s, e), match, mention });
  }
  return runs;
}
