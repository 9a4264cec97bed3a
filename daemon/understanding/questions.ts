/**
 * Open questions: questions the meeting raised and did not settle. A question is open when nobody answers it in
 * the turns that follow (before the talk moves on), or when the reply leaves it open ("no idea", "let's find
 * out", "let's take it offline"). Not open questions: questions answered in the next turns, rhetorical and tag
 * questions ("…, right?", "who knows?"), questions the speaker answers themselves, requests phrased as questions
 * ("Sam, can you take that?" is an action item), offers and proposals ("Can I take it?", "What if we…?") and
 * questions that run the meeting ("Lena?", "Any blockers?", "Anything else?").
 *
 * Plain rules, like extract.ts; no date parsing, so it is cheap enough to run over a whole meeting.
 */
import { AGREEMENT_ONLY } from './decisions';
import { clean } from './speech';

export interface QuestionLine {
  speaker: string | null;
  text: string;
  t0: number | null;
  segmentId?: string;
}

export interface FoundOpenQuestion {
  text: string;
  t0: number | null;
  segmentId?: string;
  speaker: string | null;
}

/** Why a question is (not) open; `open` ones are reported. */
export type QuestionStatus = 'open' | 'left-open' | 'answered' | 'self-answered' | 'rhetorical' | 'request' | 'proposal' | 'procedural';

export interface QuestionAnalysis extends FoundOpenQuestion {
  /** Index of the line that asks it. */
  turn: number;
  status: QuestionStatus;
  /** The line that answered it or left it open, if any. */
  settledBy?: number;
}

/** How many following lines may answer a question. */
const ANSWER_WINDOW = 4;

const LEAD = String.raw`^(?:(?:okay|ok|so|and|but|then|also|oh|right|well|yeah|hmm|um|uh|sorry|quick question|one (?:more )?(?:thing|question)|wait|actually|alright|great|thanks|cool|now)\b[,.:—–-]?\s*)*`;

/** Asking someone to do something: an action item when taken, never an open question. */
const REQUEST = new RegExp(LEAD + String.raw`(?:[A-Z][a-z]+,\s*(?:[^?]*?,\s*)?)?(?:please\b|(?:can|could|would|will) (?:you|someone|somebody|anyone|anybody)\b(?! (?:tell|explain|remind|say) (?:me|us) (?:why|what|how|when|where|who|if|whether))|(?:do )?you (?:want|wanna|mind|own|take|have time|could)\b|would you mind\b|(?:who|which of you)(?: (?:can|could|will|wants to|is going to|'s going to))? (?:take|own|grab|pick up|handle|volunteer)s?\b)`, 'i');
/** "…, could you give them a heads-up?" later in the sentence, after a comma. */
const REQUEST_LATER = /[,;—–]\s*(?:please\s+)?(?:can|could|would|will) you\b(?! (?:tell|explain|remind|say) (?:me|us) (?:why|what|how|when|where|who|if|whether))/i;
/** Offers and permission: "Can I take it?", "Should I ping them?", "Want me to…?" */
const OFFER = new RegExp(LEAD + String.raw`(?:(?:can|could|may|shall|should) I\b|(?:do )?(?:you )?want me to\b|I can [^?]*, (?:right|okay|ok)\?$)`, 'i');
/** Proposals put as questions: "What if we…?", "How about…?", "Why don't we…?" */
const PROPOSAL = new RegExp(LEAD + String.raw`(?:what if\b|how about\b|why don't (?:we|you|I)\b|what about (?:we|if)\b|shall we\b|(?:can|could) we (?:just |at least )?(?:take|move|go|start|wrap|get|switch|come back|park|table|agree|talk|skip|run|do|try|raise)\b|maybe\b)`, 'i');
/** Questions that run the meeting. */
const PROCEDURAL = new RegExp(LEAD + String.raw`(?:(?:any|anything|anyone|anybody|other|more) ?(?:else|blockers?|questions?|surprises?|objections?|thoughts?|concerns?|comments?|updates?|issues?|good)\b[^?]{0,30}|(?:is )?everyone (?:here|ok|okay|good|fine|ready|with me|on)\b[^?]*|can (?:everyone|you all|you) (?:hear|see) (?:me|us|my screen)\b[^?]*|who wants to (?:start|go first|kick)\b[^?]*|(?:shall|should) we (?:start|begin|get started|move on|wrap up)\b[^?]*|where were we|ready|sound good|sounds good|make sense|makes sense|(?:does )?that make sense|thoughts|questions|(?:your )?update|next|agreed|right|ok|okay|yeah|yes|no|really|sorry|what|huh|hello|you there|still there|[A-Z][a-z]+(?:,\s*[a-z ]{0,20})?)\?$`, 'i');
/** Tag and rhetorical questions. */
const RHETORICAL = /(?:,\s*(?:right|isn't it|aren't they|don't we|didn't we|wasn't it|won't it|doesn't it|no|yeah|okay|ok|you know|eh|huh|correct)\?$)|^(?:(?:and|but|so|well|I mean)[,]?\s+)*(?:who knows|who cares|why not|what could (?:possibly )?go wrong|how hard can it be|what's the worst that could happen|who doesn't|what else is new|how (?:cool|great|nice|bad) is that|guess what|you know what|know what I mean|isn't that (?:great|funny|something)|can you believe)\b/i;

/** Replies that leave the question open. */
const LEFT_OPEN = /\b(?:(?:I|we) (?:don't|do not|didn't) know|no idea|not sure|unclear|(?:good|great|fair|open) question|find out|(?:need|have|'ll have) to (?:check|ask|look|find|confirm|dig)|(?:I'll|I will|let me|we'll|we should|someone should|somebody should) (?:check|ask|look into|find out|confirm|dig into|follow up)|we'll see|tbd|to be (?:determined|decided|confirmed)|(?:not|haven't|hasn't been|isn't) (?:been )?(?:decided|confirmed|settled)|nobody knows|no one knows|(?:nobody|no one) (?:has|knows|heard|checked)|let's (?:take|park|table|put a pin in) (?:it|that|this)|take (?:it|that|this) offline|(?:come back to|revisit) (?:it|that|this)|don't have (?:an|the) answer|can't say|hard to say|depends)\b/i;
/** The talk moves on. */
const MOVES_ON = /^(?:(?:okay|ok|alright|right|so|well|hmm|um|uh)[,.]?\s+)*(?:anyway|moving on|next(?: (?:thing|topic|item|up|one|question)\b|:)|let's move on|let's keep going|on to|back to|switching to|one more thing|last thing|okay, next)\b/i;
/** A self-answer right after the question in the same turn: "Why? Because …" */
const SELF_ANSWER = /^(?:because|yes|yeah|no|nope|well,? (?:the answer|it's)|the answer is|turns out|spoiler|short answer)\b/i;
/** Yes/no and either-or questions start with an auxiliary. */
const POLAR = /^(?:(?:and|but|so|also|okay|ok|then)[,]?\s+)*(?:do|does|did|is|are|was|were|will|would|can|could|should|shall|have|has|had|am|may|might|must)\b/i;
/** Reported or indirect questions that state a question to settle: "We need to figure out whether …". */
const INDIRECT = /\b(?:(?:we|I) (?:need|have|'ll need|still need|should|must) to (?:figure out|decide|find out|work out|check|understand|know) (?:whether|if|how|what|when|who|which|where|why)|(?:do|does) (?:we|anyone|anybody) know (?:whether|if|how|what|when|who|which|where|why)|(?:the|an|one|big|open) (?:open )?question is (?:whether|if|how|what|when|who|which|where|why)|I(?:'m| am) (?:not sure|wondering) (?:whether|if|how|what|when|who|which|where|why)|(?:nobody|no one) knows (?:whether|if|how|what|when|who|which|where|why))\b/i;

const STOP = new Set(('a an the and or but so to of in on at by for with from up out it its this that these those is are was were be been being i we you ' +
  'he she they them his her their our my me us your do does did can could would will should shall may might must have has had just like um uh ' +
  'yeah okay ok sure then there here what which who whom whose when where why how if whether not no yes all any some one about into also too ' +
  'very really well oh right still know think going get got need figure out find whats it\'s that\'s there\'s don\'t we\'re i\'m').split(/\s+/));

function words(s: string): string[] {
  return s.toLowerCase().replace(/[’]/g, '\'').split(/[^a-z0-9'-]+/).map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 1 && !STOP.has(w)).map((w) => w.replace(/(ing|ed|es|s)$/, ''));
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
}

const isQuestion = (s: string) => /\?["')\]]*\s*$/.test(s);

/** What kind of question a sentence is, or undefined when it asks nothing. */
function classify(sentence: string): QuestionStatus | 'question' | undefined {
  const s = clean(sentence);
  const asked = isQuestion(s);
  if (!asked && !INDIRECT.test(s)) return undefined;
  if (!asked) return 'question';
  if (RHETORICAL.test(s)) return 'rhetorical';
  if (REQUEST.test(s) || REQUEST_LATER.test(s)) return 'request';
  if (OFFER.test(s)) return 'request';
  if (PROPOSAL.test(s)) return 'proposal';
  if (PROCEDURAL.test(s) || s.split(/\s+/).length <= 2) return 'procedural';
  return 'question';
}

/** Every question the lines ask, with whether it stays open. */
export function analyzeQuestions(lines: QuestionLine[]): QuestionAnalysis[] {
  const split = lines.map((l) => sentences(l.text));
  const out: QuestionAnalysis[] = [];
  lines.forEach((line, i) => {
    const ss = split[i];
    for (let j = 0; j < ss.length; j++) {
      const kind = classify(ss[j]);
      if (!kind) continue;
      // Consecutive questions in a turn ask one thing ("What happens when Redis is down? Do we fail open or closed?").
      const asked = [ss[j]];
      while (kind === 'question' && j + 1 < ss.length && classify(ss[j + 1]) === 'question') asked.push(ss[++j]);
      let text = asked.join(' ');
      // "Does it support SSO?": say what "it" is, from the sentence before.
      if (kind === 'question' && words(text).length <= 1 && j - asked.length >= 0) text = `${ss[j - asked.length]} ${text}`;
      const base = { text, t0: line.t0, ...(line.segmentId ? { segmentId: line.segmentId } : {}), speaker: line.speaker, turn: i };
      if (kind !== 'question') {
        out.push({ ...base, status: kind });
        continue;
      }
      const after = ss[j + 1];
      if (after && SELF_ANSWER.test(clean(after))) {
        out.push({ ...base, status: 'self-answered' });
        continue;
      }
      out.push({ ...base, ...settle(lines, split, i, text, line.speaker) });
    }
  });
  return out;
}

/** Looks at the lines after a question for an answer, a reply that leaves it open, or the talk moving on. */
function settle(lines: QuestionLine[], split: string[][], i: number, question: string, asker: string | null): { status: QuestionStatus; settledBy?: number } {
  const polar = POLAR.test(clean(question)) || /\bor\b/i.test(question);
  const topic = new Set(words(question));
  for (let k = i + 1; k < lines.length && k <= i + ANSWER_WINDOW; k++) {
    const said = split[k].map(clean).filter(Boolean);
    if (!said.length) continue;
    const first = said.find((s) => !AGREEMENT_ONLY.test(s)) ?? said[0];
    const same = asker !== null && lines[k].speaker === asker;
    if (said.some((s) => LEFT_OPEN.test(s)) && !same) return { status: 'left-open', settledBy: k };
    if (MOVES_ON.test(first)) return { status: 'open', settledBy: k };
    if (same) {
      if (said.some((s) => LEFT_OPEN.test(s))) return { status: 'left-open', settledBy: k };
      continue; // the asker goes on; someone may still answer
    }
    if (said.every(isQuestion)) {
      // A clarifying question ("What's the volume?") comes before the answer; a new question on another topic moves on.
      if (!said.some((s) => words(s).some((w) => topic.has(w))) && k > i + 1) return { status: 'open', settledBy: k };
      continue;
    }
    if (said.every((s) => AGREEMENT_ONLY.test(s))) {
      if (polar) return { status: 'answered', settledBy: k };
      continue;
    }
    return { status: 'answered', settledBy: k };
  }
  return { status: 'open' };
}

/** The questions that stay open. */
export function openQuestions(lines: QuestionLine[]): FoundOpenQuestion[] {
  return analyzeQuestions(lines).filter((q) => q.status === 'open' || q.status === 'left-open')
    .map(({ text, t0, segmentId, speaker }) => ({ text, t0, ...(segmentId ? { segmentId } : {}), speaker }));
}
