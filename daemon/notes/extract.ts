/**
 * Finds action items and decisions in finalized speech, one utterance at a time, with plain rules.
 * The output shape is the `earshot notes` contract; the rules are deliberately conservative (a missed
 * item is better than a made-up one).
 */
import * as chrono from 'chrono-node';

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
}

/** First-person commitments: the speaker owns the item. */
const COMMITMENT = /\b(I'll|I will|I'm going to|I am going to|I can take|I'll take|let me)\b/i;
/** Needs stated for the group: an item with no owner yet. */
const SHARED_NEED = /\b(we need to|we have to|we must|someone (needs|has) to|somebody (needs|has) to)\b/i;
/** "Sam, can you …" / "Sam, please …": a request to a named person. */
const REQUEST = /^(?<name>[A-Z][a-z]+),?\s+(can you|could you|please|would you)\b/;
/** Words that open a sentence like a name would ("Okay, can you …") but name nobody. */
const NOT_A_NAME = /^(so|okay|ok|well|now|great|alright|right|yeah|yes|no|also|and|but|then|hey|actually|anyway|oh|um|uh|thanks|sorry|cool|fine|good|sure)$/i;
const DECISION = /\b(we decided|we've decided|we have decided|the decision is|we'll go with|we will go with|let's go with|we agreed|we're going with|we are going with|decided to)\b/i;
/** Not commitments: hypotheticals, reported speech, refusals. */
const NOT_A_COMMITMENT = /^(if|maybe|perhaps|i wonder)\b|\b(said (that )?(he|she|they) would|would have|won't|will not|not going to)\b/i;
/** Not decisions: questions ("Have we decided …?") and hypotheticals ("If we decided …"). */
const NOT_A_DECISION = /\?$|^(if|maybe|perhaps|i wonder)\b/i;

export function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
}

export function extract(lines: SpokenLine[], meetingDate: Date): { actionItems: FoundActionItem[]; decisions: FoundDecision[] } {
  const actionItems: FoundActionItem[] = [];
  const decisions: FoundDecision[] = [];
  for (const line of lines) {
    for (const sentence of splitSentences(line.text)) {
      const base = { t0: line.t0, ...(line.segmentId ? { segmentId: line.segmentId } : {}) };
      if (DECISION.test(sentence)) {
        if (!NOT_A_DECISION.test(sentence)) decisions.push({ text: sentence, ...base });
        continue;
      }
      const owner = ownerOf(sentence, line.speaker);
      if (owner === undefined) continue;
      const due = dueDate(sentence, meetingDate);
      actionItems.push({ text: sentence, owner, due: due?.date ?? null, duePhrase: due?.phrase ?? null, ...base });
    }
  }
  return { actionItems, decisions };
}

/** The owner of the item a sentence states (null: unowned), or undefined when it states none. */
function ownerOf(sentence: string, speaker: string | null): string | null | undefined {
  const request = REQUEST.exec(sentence);
  if (request?.groups && !NOT_A_NAME.test(request.groups.name)) return request.groups.name;
  if (sentence.endsWith('?') || NOT_A_COMMITMENT.test(sentence)) return undefined;
  if (COMMITMENT.test(sentence)) return speaker;
  if (SHARED_NEED.test(sentence)) return null;
  return undefined;
}

const END_OF_DAY = /\b(by |before )?(the )?(end of (the )?day|EOD)\b/i;
const DAY_OF_MONTH = /\b(by|on|before|until) the (\d{1,2})(st|nd|rd|th)\b/i;

function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function dueDate(sentence: string, meetingDate: Date): { date: string; phrase: string } | undefined {
  const eod = END_OF_DAY.exec(sentence);
  if (eod) return { date: isoDate(meetingDate), phrase: eod[0].trim() };
  const dom = DAY_OF_MONTH.exec(sentence);
  if (dom) {
    const day = Number(dom[2]);
    const d = new Date(meetingDate.getFullYear(), meetingDate.getMonth(), day);
    if (day < meetingDate.getDate()) d.setMonth(d.getMonth() + 1);
    if (d.getDate() === day) return { date: isoDate(d), phrase: dom[0] };
  }
  const found = chrono.parse(sentence, meetingDate, { forwardDate: true })[0];
  if (!found) return undefined;
  const before = sentence.slice(0, found.index);
  const lead = /\b(by|before|until|due|on)\s+$/i.exec(before)?.[0] ?? '';
  return { date: isoDate(found.start.date()), phrase: (lead + found.text).trim() };
}
