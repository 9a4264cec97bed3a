/**
 * Finds action items and decisions in finalized speech with plain rules. The output shape is the
 * `earshot notes` contract; the rules are deliberately conservative (a missed item is better than a
 * made-up one).
 *
 * `extract()` reads the lines it is given as one conversation: a reply that accepts a request refines
 * the request's item (owner, due) instead of adding one, a need ("somebody has to …") is owned by whoever
 * takes it, a vague "I'll do it" with nothing to do is dropped. Called with one line at a time (the live
 * session), it falls back to what a single line says.
 *
 * Owns how sentences combine across turns (replies, needs taken, dues said later, repeats) and the output shape. What
 * one sentence says is sentenceRules.ts's: new sentence patterns go there, not here; dates are dates.ts's.
 */
import { dueDate, EventDates, eventDates, pickDue } from './dates';
import { ACCEPTS, AGREEMENT_ONLY, ASKS_AGREEMENT, DecisionKind, decisionKind, DecisionStanding, proposalKind, standingOf } from './decisions';
import { clean, cutOff, doneInTheRoom } from './speech';
import { FoundOpenQuestion, openQuestions as findOpenQuestions } from './questions';
import {
  ACTION_MARKER, assignmentPatterns, ASSIGNED_TO_YOU, contentWords, DECLINE, groupPlan, IN_MEETING, isCommitment, namedAsk, namedFuture,
  NEED_IN_THE_ROOM, NOT_A_COMMITMENT, NOT_A_NAME, PLAN_QUESTION, PRONOUN, SETTLES, stem, stripDue, STRONG_NEED, SUPERSEDES, UNNAMED, WEAK_NEED, WITHDRAW,
} from './sentenceRules';

export { dueDate } from './dates';
export type { DecisionKind } from './decisions';
export type { FoundOpenQuestion } from './questions';

export interface SpokenLine {
  speaker: string | null;
  text: string;
  t0: number | null;
  segmentId?: string;
}

export interface FoundActionItem {
  text: string;
  owner: string | null;
  /** YYYY-MM-DD relative to the meeting date, or null. */
  due: string | null;
  duePhrase: string | null;
  t0: number | null;
  segmentId?: string;
}

export interface FoundDecision {
  text: string;
  t0: number | null;
  segmentId?: string;
  /** decision, deferral ("we'll revisit X after the demo") or negative ("we're not adding a flag"). */
  kind?: DecisionKind;
  /** decided, open (a deferral) or given (a requirement the sentence says came from outside: "we were told …"). */
  standing?: DecisionStanding;
}

export function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
}

interface Draft {
  item: FoundActionItem;
  turn: number;
  speaker: string | null;
  kind: 'commitment' | 'request' | 'unnamed' | 'need' | 'assigned';
  strong?: boolean;
  /** A request awaiting its reply: the person asked (null: anyone). */
  awaiting?: { addressee: string | null; turn: number; asker: string | null };
  confirmed?: boolean;
  taken?: boolean;
  /** The last turn that said something about it. */
  last?: number;
  dropped?: boolean;
}

export interface ExtractOptions {
  /** Event dates the meeting states, when known from elsewhere; else found in the lines. */
  events?: EventDates;
}

export interface Extracted {
  actionItems: FoundActionItem[];
  decisions: FoundDecision[];
  /** Questions asked and not answered, or explicitly left open (see questions.ts). */
  openQuestions: FoundOpenQuestion[];
}

export function extract(lines: SpokenLine[], meetingDate: Date, options: ExtractOptions = {}): Extracted {
  const sentencesOf = lines.map((l) => splitSentences(l.text));
  const events = options.events ?? eventDates(sentencesOf.flat(), meetingDate);
  const speakers = new Set(lines.map((l) => l.speaker).filter((s): s is string => !!s));
  const names = new Set([...speakers].map((s) => s.toLowerCase()));
  const drafts: Draft[] = [];
  const decisions: FoundDecision[] = [];

  const isName = (w: string) => !NOT_A_NAME.test(w) && (speakers.size <= 1 || speakers.has(w));
  const assignments = assignmentPatterns([...speakers]);
  /** Decisions anchored at an earlier line (a proposal accepted, a question settled by the next speaker). */
  const decidedAt = (line: SpokenLine) => decisions.some((d) => d.t0 === line.t0 && d.segmentId === line.segmentId);
  const decideAt = (line: SpokenLine, text: string, kind: DecisionKind | undefined) =>
    decisions.push({ text, t0: line.t0, ...(line.segmentId ? { segmentId: line.segmentId } : {}), ...(kind ? { kind } : {}) });
  const words = (s: string) => contentWords(stripDue(s, meetingDate, events), names);
  const vague = (s: string) => PRONOUN.test(s) && words(s).length === 0;
  const anaphoric = (s: string) => PRONOUN.test(s) && words(s).length <= 1;
  const shares = (a: string, b: string) => { const w = new Set(words(a).map(stem)); return words(b).some((x) => w.has(stem(x))); };
  /** The sentence before sentence j of turn i (in the turn, else the turn before) that says something. */
  const context = (i: number, j: number): string | undefined => {
    for (let t = i, k = j - 1; t >= 0 && t >= i - 1; t--, k = (sentencesOf[t] ?? []).length - 1) {
      for (; k >= 0; k--) {
        const s = sentencesOf[t][k];
        if (s.split(/\s+/).length >= 3 && !AGREEMENT_ONLY.test(s)) return s;
      }
    }
    return undefined;
  };
  const withContext = (i: number, j: number, s: string) => {
    if (!anaphoric(s)) return s;
    const c = context(i, j);
    return c ? `${c} ${s}` : s;
  };
  const setDue = (d: Draft, sentence: string, override: boolean) => {
    if (d.item.due && !override) return;
    const due = dueDate(sentence, meetingDate, events);
    if (!due) return;
    if (!override && d.item.duePhrase) return;
    d.item.due = due.date;
    d.item.duePhrase = due.phrase;
  };

  lines.forEach((line, i) => {
    const sentences = sentencesOf[i];
    const speaker = line.speaker;
    const base = { t0: line.t0, ...(line.segmentId ? { segmentId: line.segmentId } : {}) };
    const used = new Set<number>();
    const createdHere: Draft[] = [];
    const touch = (d: Draft) => { d.last = i; if (!createdHere.includes(d)) createdHere.push(d); };
    const newDraft = (d: Omit<Draft, 'turn' | 'speaker'> & { speaker?: string | null }) => {
      const draft: Draft = { turn: i, speaker, ...d };
      drafts.push(draft);
      createdHere.push(draft);
      return draft;
    };

    // A proposal just made by someone else, accepted in so many words: "We should record at 48 kHz." — "Agreed."
    const previous = i > 0 ? lines[i - 1] : undefined;
    if (previous && previous.speaker !== speaker && sentences.length && ACCEPTS.test(clean(sentences[0])) && !decidedAt(previous)) {
      const proposal = [...sentencesOf[i - 1]].reverse().find((p) => proposalKind(p));
      if (proposal) decideAt(previous, proposal, proposalKind(proposal));
    }
    // Decisions: one per turn, its sentences joined.
    let firstDecided = -1;
    const decided: string[] = [];
    const kinds: DecisionKind[] = [];
    let onlyAgreement = true;
    sentences.forEach((s, j) => {
      if (AGREEMENT_ONLY.test(s)) return;
      let kind = decisionKind(s, onlyAgreement && j > 0);
      const next = sentences[j + 1];
      if (!kind && next && ASKS_AGREEMENT.test(next) && !/\?\s*$/.test(s) && !/\b(i|i'm|i'll|i'd|me|my)\b/i.test(s) && s.split(/\s+/).length >= 4) kind = 'decision';
      onlyAgreement = false;
      if (kind) {
        if (firstDecided < 0) firstDecided = j;
        decided.push(s);
        kinds.push(kind);
        used.add(j);
      }
    });
    if (decided.length) {
      const kind: DecisionKind = kinds.includes('deferral') ? 'deferral' : kinds[0];
      let text = decided.join(' ');
      // "We'll skip it this time.": say what "it" is, from what was just asked or said.
      let confirmsLast = false;
      const settledTail = /[,;]?\s*(that's|that is|it's|it is) (decided|final|settled|agreed)[.!]?$/i;
      const saysWhat = settledTail.test(text) && words(text.replace(settledTail, '')).length > 0;
      if (!saysWhat && PRONOUN.test(text) && words(text).length <= 3 && (i > 0 || firstDecided > 0)) {
        // What "it" is: the question just asked, else what was said just before.
        const asked = i > 0 ? sentencesOf[i - 1][sentencesOf[i - 1].length - 1] : undefined;
        const before = asked && /\?\s*$/.test(asked) || firstDecided <= 0 ? asked : context(i, firstDecided);
        if (before) text = `${before} ${text}`;
        // "Yes, that's final." right after the decision it confirms: the same decision, not a second one.
        confirmsLast = !!before && decisions.length > 0 && decisions[decisions.length - 1].text.endsWith(before);
      }
      if (!confirmsLast) decisions.push({ text, ...base, kind });
    }

    // A plan put as a question and settled by a bare answer: "Are we including the voice in the end or not?" — "No."
    // (When the answer goes on to state the decision, "No. No brownouts.", that statement is the decision.)
    const asked = previous ? sentencesOf[i - 1].slice(-2).reverse().find((q) => PLAN_QUESTION.test(clean(q))) : undefined;
    if (!decided.length && previous && asked && previous.speaker !== speaker && sentences.length && SETTLES.test(clean(sentences[0])) && !decidedAt(previous)) {
      const answer = clean(sentences[0]);
      const negative = /\b(not|n't)\b/i.test(clean(asked).replace(/\bor not\b/i, '')) || /^(no|nope)\b/i.test(answer);
      decideAt(previous, `${clean(asked)} — ${answer}`, negative ? 'negative' : 'decision');
    }

    // A reply to a request addressed to this speaker (or to anyone) settles it.
    const reply = [...drafts].reverse().find((d) => d.awaiting && !d.dropped && i - d.awaiting.turn <= 2 && i > d.awaiting.turn
      && speaker !== d.awaiting.asker && (d.awaiting.addressee === null ? true : d.awaiting.addressee === speaker));
    if (reply && reply.awaiting) {
      const firstSaying = sentences.find((s) => !AGREEMENT_ONLY.test(s)) ?? '';
      const commits = sentences.map((s, j) => ({ s, j })).filter(({ s, j }) => !used.has(j) && isCommitment(s));
      if (DECLINE.test(firstSaying) && !commits.length && !/^(no|nope)[,.]?\s+(problem|worries)/i.test(firstSaying) || (!reply.awaiting.addressee && sentences.every((s) => AGREEMENT_ONLY.test(s) === false && /\?\s*$/.test(s)))) {
        if (reply.kind === 'need') reply.item.owner = null;
        else reply.dropped = true;
        if (DECLINE.test(firstSaying)) sentences.forEach((_s, j) => used.add(j));
      } else {
        reply.item.owner = speaker;
        reply.confirmed = true;
        if (reply.kind === 'need') reply.taken = true;
        // Anchor an unnamed request at a reply that says what the work is.
        const stated = commits.find(({ s }) => !anaphoric(s));
        if (reply.kind === 'unnamed' && stated) {
          Object.assign(reply.item, { text: stated.s, ...base });
          if (!base.segmentId) delete reply.item.segmentId;
          reply.turn = i;
        }
        const dated = sentences.map((s, j) => ({ s, j })).filter(({ s, j }) => !used.has(j) && !namedAsk(s, isName) && dueDate(s, meetingDate, events));
        if (dated.length) setDue(reply, dated[dated.length - 1].s, true);
        for (const { j } of commits) used.add(j);
        for (const { j } of dated) used.add(j);
        touch(reply);
      }
      delete reply.awaiting;
    }

    sentences.forEach((s, j) => {
      if (used.has(j)) return;
      const question = /\?\s*$/.test(s);
      const openNeeds = drafts.filter((d) => d.kind === 'need' && !d.dropped && !d.taken && !d.awaiting && i - d.turn <= 2
        && (d.turn < i || createdHere.includes(d)));

      // "Action item for me: post the draft tomorrow", "To do: Sam, the release notes": always an item.
      const marked = ACTION_MARKER.exec(s);
      if (marked) {
        used.add(j);
        const who = marked[1] ?? marked[2]?.trim();
        const owner = !who ? null : /^(me|myself)$/i.test(who) ? speaker : [...speakers].find((p) => p.toLowerCase() === who.toLowerCase()) ?? (isName(who) ? who : null);
        const d = newDraft({ kind: 'request', confirmed: true, item: { text: s.slice(marked.index + marked[0].length).trim() || s, owner, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        return;
      }

      // Work handed to a participant by name or role: "the Industrial Designer will look at the working design",
      // "Maya will take the runbook", "as the industrial designer, you're gonna be working on the working design".
      // Several in one breath ("the User Interface Designer will work on the interface and the Marketing Expert is going
      // to work on product evaluation"): one item each, its text the clause that names it.
      const said = clean(s);
      const handed = assignments.map((a) => ({ owner: a.speaker, at: a.pattern.exec(said)?.index ?? -1 })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at);
      const mentioned = handed.length ? undefined : namedFuture(said);
      if ((handed.length || mentioned) && !question && !doneInTheRoom(s) && !NOT_A_COMMITMENT.test(s)) {
        used.add(j);
        const parts = handed.length ? handed.map((h, k) => ({ owner: h.owner, text: handed.length > 1 ? said.slice(h.at, handed[k + 1]?.at ?? said.length).replace(/^[,.;\s]*(and|then|so|now|okay|ok)?\s*/i, '').replace(/[,;\s]*(and)?\s*$/i, '') : s })) : [{ owner: mentioned!, text: s }];
        for (const part of parts) {
          const d = newDraft({ kind: 'request', confirmed: true, item: { text: part.text, owner: part.owner, due: null, duePhrase: null, ...base } });
          setDue(d, part.text, false);
        }
        return;
      }

      // A request to a named person.
      const named = namedAsk(s, isName);
      if (named) {
        used.add(j);
        if (IN_MEETING.test(s) || doneInTheRoom(s)) return;
        const need = [...openNeeds].reverse().find((d) => (d.strong && i - d.turn <= 1) || anaphoric(s) || shares(d.item.text, s));
        if (need) {
          need.item.owner = named;
          need.item.text = `${need.item.text} ${s}`;
          need.taken = true;
          need.awaiting = { addressee: named, turn: i, asker: speaker };
          setDue(need, s, false);
          need.last = i;
          return;
        }
        const d = newDraft({ kind: 'request', item: { text: withContext(i, j, s), owner: named, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        d.awaiting = { addressee: named, turn: i, asker: speaker };
        return;
      }

      // "Can you …?" to whoever answers.
      if (UNNAMED.test(s) && !/^(what|how|why|where|when|who|which)\b/i.test(clean(s))) {
        used.add(j);
        if (IN_MEETING.test(s) || doneInTheRoom(s) || (cutOff(s) && s.split(/\s+/).length < 8)) return;
        const recent = drafts.some((d) => !d.dropped && i - d.turn <= 2 && d.item.owner);
        if (anaphoric(s) && recent) return; // "Can you have them by the 24th?": about the item just taken.
        const d = newDraft({ kind: 'unnamed', item: { text: withContext(i, j, s), owner: null, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        d.awaiting = { addressee: null, turn: i, asker: speaker };
        return;
      }

      if (question) return;

      if (ASSIGNED_TO_YOU.test(said) && !NOT_A_COMMITMENT.test(s) && !doneInTheRoom(s) && !IN_MEETING.test(s)) {
        used.add(j);
        const d = newDraft({ kind: 'assigned', item: { text: withContext(i, j, s), owner: null, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        d.awaiting = { addressee: null, turn: i, asker: speaker };
        return;
      }

      // A plan withdrawn right after it was made.
      if (WITHDRAW.test(s)) {
        const last = [...drafts].reverse().find((d) => !d.dropped && d.speaker === speaker && d.kind === 'commitment' && i - d.turn <= 1);
        if (last) last.dropped = true;
        used.add(j);
        return;
      }

      // "We'll just send them the next four as a big batch", "next week we will try a system with an MSG stream": the
      // speaker's group's plan for after the meeting, which the speaker carries out.
      if (!isCommitment(s) && groupPlan(s)) {
        used.add(j);
        const d = newDraft({ kind: 'commitment', item: { text: withContext(i, j, s), owner: speaker, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        return;
      }

      if (isCommitment(s)) {
        used.add(j);
        // Taking a need someone just stated.
        const need = [...openNeeds].reverse().find((d) => i - d.turn <= 1 || anaphoric(s) || shares(d.item.text, s));
        if (need) {
          need.item.owner = speaker;
          need.item.text = `${need.item.text} ${s}`;
          need.taken = true;
          setDue(need, s, true);
          touch(need);
          return;
        }
        // A second sentence about the same work in the same turn.
        const mine = [...createdHere].reverse().find((d) => d.item.owner === speaker && !d.dropped);
        if (mine && !/\balso\b/i.test(s)) {
          mine.item.text = `${mine.item.text} ${s}`;
          setDue(mine, s, false);
          return;
        }
        if (vague(s)) return; // "I'll handle it." with nothing to handle.
        if (SUPERSEDES.test(s)) {
          for (const d of drafts) if (d.speaker === speaker && d.kind === 'commitment' && i - d.turn <= 3 && i > d.turn) d.dropped = true;
        }
        const d = newDraft({ kind: 'commitment', item: { text: withContext(i, j, s), owner: speaker, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
        return;
      }

      const strong = STRONG_NEED.test(s);
      if ((strong || WEAK_NEED.test(s)) && !NOT_A_COMMITMENT.test(s) && !NEED_IN_THE_ROOM.test(clean(s))) {
        used.add(j);
        const d = newDraft({ kind: 'need', strong, item: { text: withContext(i, j, s), owner: null, due: null, duePhrase: null, ...base } });
        setDue(d, s, false);
      }
    });

    // A due date said on its own ("Say Monday.", "By end of sprint should be doable.") for the speaker's item.
    const dated = sentences.filter((s, j) => !used.has(j) && !/\?\s*$/.test(s) && !/\b(we|we'll|we're|let's)\b/i.test(s)
      && (words(s).length <= 2 || createdHere.some((d) => d.item.owner === speaker)) && dueDate(s, meetingDate, events));
    if (dated.length && speaker) {
      const target = [...drafts].reverse().find((d) => !d.dropped && d.item.owner === speaker && i - (d.last ?? d.turn) <= 2 && !d.item.duePhrase);
      if (target) setDue(target, dated[dated.length - 1], false);
    }
  });

  const actionItems = drafts
    .filter((d) => !d.dropped)
    .filter((d) => d.kind !== 'unnamed' || d.confirmed)
    .filter((d) => d.kind !== 'need' || d.strong || d.taken || d.item.duePhrase)
    .map((d) => ({ ...d.item, text: clean(d.item.text) }))
    .filter(firstOfRepeats());
  return { actionItems, decisions: decisions.map((d) => ({ ...d, text: clean(d.text), standing: standingOf(d.text, d.kind) })), openQuestions: findOpenQuestions(lines) };
}

/** The same request said again (same words, same owner) is the same task: keep the first. */
function firstOfRepeats(): (item: { text: string; owner: string | null }) => boolean {
  const seen = new Set<string>();
  return (item) => {
    const key = `${item.owner ?? ''}\u0000${item.text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

export { pickDue };

/** Lines that take the extraction through its date parsing (relative days, weekdays, dates, times) and its rules. */
export const WARM_UP_LINES: SpokenLine[] = [
  { speaker: 'A', text: "I'll send the draft by Friday. Can you review it tomorrow at 3 pm?", t0: 0 },
  { speaker: 'B', text: "Sure, I'll do it next week, or on March 5th, in two weeks at the latest. We decided to ship on the 12th.", t0: 1 },
  { speaker: 'A', text: "Okay, that's final: by the end of the month, after the meeting tonight.", t0: 2 },
];
let warmedUp = false;

/**
 * Runs the extraction once, on the lines above: chrono-node builds its parsers the first time each kind of date is
 * read (~180 ms here), which would otherwise hold up the first final of a session (it is extracted before it is
 * announced). Once per process; the service calls it while the whisper model loads.
 */
export function warmUpExtraction(): void {
  if (warmedUp) return;
  warmedUp = true;
  extract(WARM_UP_LINES, new Date());
}
