/**
 * Prompt v7 of the language-model extraction (issue 56): each part of the meeting is read with what the parts before it
 * already noted, so that a restatement is cited on the entry it restates instead of being added again, and a decision
 * left open early can be settled (or one decided, dropped) by a later part. Pure: what the prompt shows of the notes
 * so far (bounded), the check of the answer's `noted` list, and the deterministic net for near-duplicates the model
 * adds anyway.
 */
import { DECISION_STANDINGS, DecisionStanding, NotedUpdate } from '../../protocol/protocol';
import { plainLine } from '../../protocol/plainText';
import { citedId } from '../../protocol/modelJson';

/** An entry noted in earlier parts, as a later part's prompt shows it. */
export interface NotedEntry {
  /** `A<n>`, `D<n>`: the model's entries so far; a rule-based item keeps its own id (`a3`, `d2`). */
  id: string;
  kind: 'actionItem' | 'decision';
  text: string;
  owner?: string | null;
  standing?: DecisionStanding;
  /** When it was first and last said (seconds): what the bound keeps. */
  firstT0: number;
  lastT0: number;
  /** The lines it cites (segment ids): what the owner check at stop shows around it. Never in a prompt's notes. */
  segments?: readonly string[];
}

/**
 * How much of the notes so far a prompt carries: open decisions first (a later part is where they get settled), then
 * (the wide bound) the entries these lines mention ({@link mentionedIn}), then the entries said most recently (a
 * restatement mostly follows its first saying closely), up to `maxEntries` and `chars` of JSON. This narrow bound
 * (chunks.ts's NotedBound `recent`, recency alone) kept a long meeting's prompt near the size of a v6 prompt; answers
 * recorded before the wide one replay with it.
 */
export const NOTED_BOUNDS = { maxEntries: 30, chars: 3000 };
/**
 * The wide bound (chunks.ts's NotedBound, the default): the notes of every part of the development meetings whose
 * notes outgrew NOTED_BOUNDS fit it (silver development 30 and the committee's education sessions: at most 36 entries,
 * 5,502 characters; median 3,806), at about 1,500 more tokens a prompt where a meeting's notes are that long.
 */
export const NOTED_BOUNDS_WIDE = { maxEntries: 40, chars: 6000 };

/** Seconds as a prompt shows a line's time: `mm:ss`. */
export const clock = (t: number) => {
  const s = Math.max(0, Math.floor(t));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** One entry as a part's prompt shows it (its JSON). */
function notedJson(e: NotedEntry): string {
  return JSON.stringify(e.kind === 'decision'
    ? { id: e.id, kind: 'decision', standing: e.standing ?? 'decided', text: e.text, said: clock(e.firstT0) }
    : { id: e.id, kind: 'actionItem', text: e.text, owner: e.owner ?? null, said: clock(e.firstT0) });
}

/** One entry as the checks at stop show it (its JSON; their lists say the kind: restatements.ts, procedureCheck.ts). */
export const finalEntryJson = (e: NotedEntry): string => JSON.stringify(e.kind === 'decision'
  ? { id: e.id, standing: e.standing ?? 'decided', text: e.text, said: clock(e.firstT0) }
  : { id: e.id, text: e.text, owner: e.owner ?? null, said: clock(e.firstT0) });

/**
 * How strongly a part's lines mention each noted entry: the entry's words of three letters or more that the lines say
 * too, counting only words at most a quarter of the entries share (in a meeting about a remote control, "remote" names
 * no entry; "rubber", "LCD" or "scroll-wheel" does). A decision-dense meeting's notes outgrow the bound, and recency alone
 * hid the very entries a later part restated, which the model then added again (TS3012c, abstracts/README.md).
 */
export function mentionedIn(entries: readonly NotedEntry[], lines: string): Map<NotedEntry, number> {
  const said = contentWords(lines);
  const wordsOf = new Map(entries.map((e) => [e, [...contentWords(e.text)].filter((w) => w.length >= 3)] as const));
  const entriesWith = new Map<string, number>();
  for (const words of wordsOf.values()) for (const w of words) entriesWith.set(w, (entriesWith.get(w) ?? 0) + 1);
  const common = Math.max(1, Math.floor(entries.length / 4));
  return new Map([...wordsOf].map(([e, words]) => [e, words.filter((w) => said.has(w) && entriesWith.get(w)! <= common).length]));
}

/**
 * The first of `items` (in their order) that fit: at most `max` of them and `chars` of their `cost` together; one that
 * would not fit is passed over and a later, smaller one may still be taken.
 */
export function withinBounds<T>(items: readonly T[], cost: (item: T) => number, bounds: { max: number; chars: number }): T[] {
  const taken: T[] = [];
  let used = 0;
  for (const item of items) {
    const c = cost(item);
    if (taken.length >= bounds.max || used + c > bounds.chars) continue;
    taken.push(item);
    used += c;
  }
  return taken;
}

/**
 * The entries a prompt shows (in meeting order) within the bounds, and how many were left out. `lines`: the text of
 * the part the prompt reads, whose mentioned entries come before the merely recent ones.
 */
export function boundNoted(entries: readonly NotedEntry[], bounds = NOTED_BOUNDS, lines?: string): { shown: NotedEntry[]; left: number; mentioned?: true } {
  const open = (e: NotedEntry) => e.kind === 'decision' && e.standing === 'open';
  const mentions = lines === undefined ? undefined : mentionedIn(entries, lines);
  const mentioned = (e: NotedEntry) => mentions?.get(e) ?? 0;
  const byPriority = [...entries].sort((a, b) => Number(open(b)) - Number(open(a)) || mentioned(b) - mentioned(a) || b.lastT0 - a.lastT0);
  const shown = withinBounds(byPriority, (e) => notedJson(e).length + 1, { max: bounds.maxEntries, chars: bounds.chars });
  shown.sort((a, b) => a.firstT0 - b.firstT0 || a.id.localeCompare(b.id));
  return { shown, left: entries.length - shown.length, ...(lines === undefined ? {} : { mentioned: true as const }) };
}

/** The user message's section of the notes so far (`mentioned`: bounded by what the lines mention, then recency). */
export function notedSection(shown: readonly NotedEntry[], left: number, mentioned = false): string[] {
  const more = !left ? '' : mentioned ? ` ${left} more, the least recent of those these lines do not mention, are not shown` : ` ${left} more, the least recent, are not shown`;
  return [`Noted in earlier parts (JSON, one per line;${more || ' all of them'}):`, ...(shown.length ? shown.map(notedJson) : ['(nothing yet)'])];
}

/** The `noted` list of the answer's shape (shown to the model verbatim). */
export const NOTED_SHAPE = `  "noted": [{"id": "the id of an entry noted in an earlier part that these lines say again, confirm or change", "segments": ["the [id]s of the lines here that say it; for a new standing, first the line that settles it"], "standing": "only when these lines change a decision's standing: decided | open | given | dropped", "owner": "only when these lines name who does a noted action item: their speaker label", "merge": ["ids of other noted entries that are this same one"]}]`;

/**
 * Prompt v8's `noted` (issue 56): v7's with `text`, the noted entry's words as these lines refine them (a later part
 * may now reword an entry, so a refinement is no longer added as a new one: v7's last repeats, and decisions the
 * notes showed in words the meeting had moved on from).
 */
export const NOTED_SHAPE_V8 = `  "noted": [{"id": "the id of an entry noted in an earlier part that these lines say again, confirm, refine or change", "segments": ["the [id]s of the lines here that say it; for a new standing or new words, first the line that states it so"], "text": "only when these lines refine or correct what the noted entry says: the whole entry as it should now read", "standing": "only when these lines change a decision's standing: decided | open | given | dropped", "owner": "only when these lines name who does a noted action item: their speaker label", "merge": ["ids of other noted entries that are this same one"]}]`;

/** The longest refined text taken from a v8 `noted` entry (a longer one is refused, never cut mid-word). */
export const NOTED_TEXT_MAX = 300;

/** The rules v7 adds to the system message: the notes so far, and agreement without the word "decided". */
export const NOTED_RULES = [
  'Entries noted in earlier parts of the meeting are listed with their ids. Never add one of them again, in any words:',
  'when these lines say it again, support it or restate it, list it in "noted" with its id and these lines; when they',
  'change a noted decision (what was left open is now settled, or a decision is undone), give its new standing there,',
  'citing first the line that settles it ("dropped": the group takes it back); when two noted entries are the same one,',
  'list the others in its "merge". Add to "decisions" and "actionItems" only what is not noted yet.',
  'A decision need not use the word "decided": when someone proposes an outcome, nobody objects, and the meeting then',
  'builds on it (plans the next step on it, assigns work for it, or states it as the design), it is decided; say so',
  'only when these lines show that; a proposal still argued over, or dropped, is not.',
];

/**
 * The rules v8 adds to v7's, each for errors of v7's recorded answers on the real set's twelve development meetings
 * (runs A and B: 16 and 18 decisions missed against the pooled labels; docs/benchmarks/notes-quality.md, "prompt v8"):
 * refine a noted entry's words instead of adding the refinement (the development repeats; 1 miss and 1 false find of
 * an entry kept in words the meeting had moved on from); a new choice is not a cite of the noted entry it rests on
 * (3 misses); one entry per decision (7); a requirement worked to is given, not "only recalled" (8); the lead's plan
 * with no objection is decided (5); a decision's words agree with its standing (2 false finds, the settled summary's
 * one standing contradiction).
 */
export const NOTED_RULES_V8 = [
  ...NOTED_RULES,
  'When these lines refine a noted entry (add a detail, narrow it, settle on a simpler or changed version of it), do not',
  'add the refinement as a new entry: list the noted entry in "noted" with its new "text", the whole entry as it now',
  'reads, citing first the line that states it so. Cite a noted entry only for lines that say the same thing: a new',
  'choice made for a noted reason, or the next step built on a noted decision, is a new decision.',
  'One entry for each decision: never join two decisions in one entry ("no lid; a blue case" is two).',
  'A requirement handed to the team from outside (a cost or price limit, a deadline, a client\'s or a brief\'s criterion,',
  'what an evaluation or a standard body requires) is "given" in every meeting that works to it, also when it was',
  'handed over in an earlier meeting or is reported by one of the team: "not a decision only recalled" is for the',
  'group\'s own earlier choices.',
  'What the one leading the meeting, or the one whose work it is, says will be done ("we\'ll have to stop the runs',
  'before the trip", "I\'d suggest we send one back") is decided when nobody objects.',
  'A decision\'s words agree with its standing: an open one says what is left open, a decided one what was decided;',
  'when you change a standing (in "noted" or "rewrite"), give the words that go with it.',
];

/**
 * The rules v9 adds to v8's (issue 56), from what the measurements since showed: the labellers list work given to two
 * people once for each, and the answers gave it one entry with no owner (the real held-out twenty's owner misses); the
 * committee hearings' answers noted the committee's own procedure (meeting in private, papers to note, a temporary
 * chair) as decisions, all their false finds once the merge was fixed.
 */
export const NOTED_RULES_V9 = [
  ...NOTED_RULES_V8,
  'Work given to more than one person (to do together, or each a part) is one action item for each of them, each with',
  'that person as its owner; a person addressed by role or name is the speaker with that label.',
  'The running of the meeting itself is no decision: its agenda and order of business, who chairs or speaks next, going',
  'into private session, papers noted, time limits and rules for speaking, breaks, opening and closing.',
];

/** The content words of a text, for the near-duplicate net (the same stop words as the merge's similarity). */
const STOP = new Set('a an the to of and or for on in at by with we i you it is be will ll that this so do'.split(' '));
const contentWords = (text: string) => new Set(text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').split(' ').filter((w) => w && !STOP.has(w)));
const NEGATION = /\b(no|not|never|none|without|won't|cannot|can't|don't|doesn't|isn't|aren't|out)\b|n't\b/gi;
const negations = (text: string) => (text.toLowerCase().match(NEGATION) ?? []).length > 0;
/**
 * The tokens of a text that hold a digit ("25", "3.5", "2e", "v8", "1234"): the numbers and the codes that tell one
 * thing from its neighbour (amendment 2E from 2F, PR 41 from 42, v7 from v8), which no share of other words can.
 */
const identifiers = (text: string) => [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]*\d[\p{L}\p{N}]*(?:[.,]\d+)?/gu) ?? [])].sort().join(' ');
/** Whether two texts name the same numbers and codes (both none counts as the same). */
export const sameIdentifiers = (a: string, b: string) => identifiers(a) === identifiers(b);

/**
 * Whether a new entry only restates one already noted in the meeting (the net under the model's `noted`): the same
 * numbers and codes ({@link sameIdentifiers}) and the same polarity, and nearly the same content words: Jaccard at
 * least 0.6, or every content word of the shorter (three or more) in the longer with Jaccard at least 0.4. Chosen on the recorded v6 answers (real and silver
 * sets, entries of different parts): every pair at 0.6 or more was the same entry said again ("The remote will be
 * universal" / "… a universal remote control" 0.67); below, "no teletext" / "no teletext, as it is no longer needed now
 * there is internet" (0.45, contained) is one entry, while "New requirement from management: teletext is outdated" /
 * "… the remote control is only for the TV" (0.40, not contained) and "a latex case cannot be used with a solar
 * battery" / "a double-curved case cannot contain titanium" (0.33) are two (test/unit/carriedNotes.test.ts).
 */
export function nearDuplicate(a: string, b: string): boolean {
  if (!sameIdentifiers(a, b) || negations(a) !== negations(b)) return false;
  const x = contentWords(a), y = contentWords(b);
  if (!x.size || !y.size) return false;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  const jaccard = both / (x.size + y.size - both);
  const shorter = Math.min(x.size, y.size);
  return jaccard >= 0.6 || (jaccard >= 0.4 && shorter >= 3 && both === shorter);
}

const NOTED_STANDINGS: readonly string[] = [...DECISION_STANDINGS, 'dropped'];
/** Entries read from one answer's `noted` (more are refused unread). */
const MAX_NOTED = 60;

/**
 * The answer's `noted` list, checked: an entry naming an id not shown, citing no line of this part, giving a standing
 * to an action item or an unknown one, or an owner who is not a speaker here, is refused (said in `refused`), never
 * taken; an id listed twice keeps its first entry. Merges name other shown entries of the same kind.
 */
export function validateNoted(raw: unknown, shown: ReadonlyMap<string, NotedEntry['kind']>, segmentIds: ReadonlySet<string>,
  speakers: ReadonlySet<string>, refused: string[], how: { refine?: boolean } = {}): NotedUpdate[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    refused.push('noted: not a list');
    return [];
  }
  const speakerByLower = new Map([...speakers].map((s) => [s.toLowerCase(), s]));
  const out: NotedUpdate[] = [];
  raw.slice(0, MAX_NOTED).forEach((e: unknown, k) => {
    const where = `noted ${k + 1}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return refused.push(`${where}: not an object`);
    const o = e as Record<string, unknown>;
    const id = typeof o.id === 'string' ? o.id.trim() : typeof o.id === 'number' ? String(o.id) : '';
    const kind = shown.get(id);
    if (!kind) return refused.push(`${where}: no noted entry has that id`);
    if (out.some((u) => u.id === id)) return refused.push(`${where}: ${id} listed twice (the first is kept)`);
    const list = Array.isArray(o.segments) ? o.segments : [o.segments];
    const segments = [...new Set(list.map(citedId).filter((x): x is string => x !== undefined && segmentIds.has(x)))];
    if (!segments.length) return refused.push(`${where}: ${id} cites no line of this part`);
    const update: NotedUpdate = { id, segments };
    // v8 only: a v7 prompt never asked for new words, so a v7 answer's `text` (none were written) is not read.
    if (how.refine && o.text !== undefined && o.text !== null) {
      const text = typeof o.text === 'string' ? plainLine(o.text).trim() : '';
      if (!text) return refused.push(`${where}: ${id}'s text is not a text`);
      if (text.length > NOTED_TEXT_MAX) return refused.push(`${where}: ${id}'s text is longer than ${NOTED_TEXT_MAX} characters`);
      update.text = text;
    }
    if (o.standing !== undefined && o.standing !== null) {
      const standing = typeof o.standing === 'string' ? o.standing.trim().toLowerCase() : '';
      if (kind !== 'decision') return refused.push(`${where}: ${id} is an action item (no standing)`);
      if (!NOTED_STANDINGS.includes(standing)) return refused.push(`${where}: standing must be one of ${NOTED_STANDINGS.join(', ')}`);
      update.standing = standing as NotedUpdate['standing'];
    }
    if (o.owner !== undefined && o.owner !== null) {
      const owner = speakerByLower.get(plainLine(String(o.owner)).replace(/^@/, '').trim().toLowerCase());
      if (kind !== 'actionItem') return refused.push(`${where}: ${id} is a decision (no owner)`);
      if (!owner) return refused.push(`${where}: the owner is not a speaker of this part`);
      update.owner = owner;
    }
    if (o.merge !== undefined && o.merge !== null) {
      const merge = (Array.isArray(o.merge) ? o.merge : [o.merge]).map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : ''));
      const same = merge.filter((m) => m !== id && shown.get(m) === kind);
      if (same.length < merge.length) refused.push(`${where}: ${merge.length - same.length} merge id(s) not a noted entry of its kind`);
      if (same.length) update.merge = [...new Set(same)];
    }
    out.push(update);
  });
  if (raw.length > MAX_NOTED) refused.push(`noted: ${raw.length - MAX_NOTED} entries past ${MAX_NOTED} not read`);
  return out;
}
