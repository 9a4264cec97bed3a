/**
 * The rules that read one sentence for the action-item extraction (extract.ts): a first-person commitment, a request
 * to someone named or to whoever answers, a need, work handed to a participant, a group's plan for after the meeting,
 * a withdrawal or a reply that declines, a plan put as a question and the bare answer that settles it; and the words
 * of a sentence that carry its content.
 *
 * Owns the patterns and the per-sentence tests. Must not keep state across sentences or turns: how sentences combine
 * into items (replies, owners taken, dues said later) is extract.ts's; due dates are dates.ts's, decisions decisions.ts's.
 */
import { EventDates, findDues } from './dates';
import { AFTER_THE_MEETING, brokenPlan, clean, cutOff, doneInTheRoom } from './speech';

/** First-person commitments: the speaker owns the item. */
const COMMITMENT = /\b(I'll|I will|I'm going to|I am going to|I'm gonna|let me|I need to|I have to|I've got to|I should have|I can (?!(see|tell|imagine|live|say|hear|understand|already|not|only|never|also see|try)\b)[a-z]+)\b/i;
/** "I have to record who's here", "I have to sit down and try it": an obligation is an item only when it is for later. */
const OBLIGATION = /^(I need to|I have to|I've got to)$/i;
/** Not commitments: hypotheticals, reported speech, refusals. */
export const NOT_A_COMMITMENT = /^((yeah|yes|okay|ok|so|well|and|but|oh)[,.]?\s+)*(if|maybe|perhaps|i wonder|what if|unless|when|once)\b|\bor i could\b|\b(and )?then i can\b|\b(what|how|where|why|whether|which|know|sure) (i'll|i will|i'm gonna|i'm going to|i can|i have to|i should)\b|\b(maybe|perhaps|potentially|possibly|might) (i|i'll|i can|i could)\b|\bi (can|could) (potentially|possibly|maybe|perhaps)\b|\b(theoretically|in theory|hypothetically)\b|\b(hope|wish|think) (that )?i (can|could)\b|\blet me know\b|["“”]|\b(said (that )?(he|she|they) would|would have|won't|will not|not going to|i can't|i cannot|i'd)\b|\b(said|told|promised|mentioned|thought|claimed)\b[^.?!]*\b(I'll|I will|I'd|I would)\b/i;
/** Things said to run the meeting, not work to do after it. */
const CONVERSATIONAL = /\bI'll (just,? )?(be honest|say|admit|tell you|walk (you |us )?through|go through|start|kick (us )?off|share (my )?screen|hand (it )?over|pass|let you|stop|keep it short|be quick|take that back|shut up|leave it there)\b|\blet me (just,? )?(check|see|think|look|pull up|share|find|try|ask|say|start|finish|repeat|jump in|interrupt|be honest|grab|get|open|scroll|read)\b/i;
/** Needs for anyone to take; kept unowned when nobody takes them. */
export const STRONG_NEED = /\b(some(one|body) (needs|has|should|must|ought|'s got|has got) to|some(one|body) should\b|some(one|body) needs\b)/i;
/** Needs that are the meeting's own business ("we have to decide on the concept"), or inside a clause ("which someone has to …"). */
export const NEED_IN_THE_ROOM = /\b(need|needs|have|has|'ve got|must) (to )?(decide|discuss|see|talk|agree|choose|go through|think about)\b|\b(which|that|who|where) (some(one|body)|we) (needs|has|have|need|must|should)\b/i;
/** Needs the group states; work only when someone takes them or they carry a deadline. */
export const WEAK_NEED = /\b(we need to|we have to|we must|we've got to|we need (a|an|some)\b)/i;
/** "Sam, can you …", "Then Emma, could you …", "Luis, you own it?", "Omar, do you want it?" */
const NAMED = /(?:^|[,;:—–]\s*|\b(?:[Tt]hen|[Aa]nd|[Oo]kay|[Oo]k|[Ss]o|[Aa]lso|[Nn]ow|[Gg]reat|[Tt]hanks|[Rr]ight|[Yy]eah)[,]?\s+)([A-Z][a-z]+)(?:,\s*|\s+(?=please\b|can you\b|could you\b|would you\b))(.*)$/;
const ASKS = /^(please\b|(can|could|would|will) you\b|(do )?you (want|wanna|own|mind|take|have time|could)\b|[^?]*?[,—–-]\s*(can|could|would|will) you\b)/i;
/**
 * Work handed out in the second person, as at the end of a meeting: "you're going to look at the components concept",
 * "you'll be working on the user interface design". Whoever answers takes it; with no answer it stays unowned. Not
 * when it describes or supposes ("what you're going to do", "if you're going to do research", "you'll do fine").
 */
export const ASSIGNED_TO_YOU = (() => {
  const notAfter = String.raw`(?<!\b(?:what|which|that|if|whether|how|when|since|means|typically|probably)\s+)`;
  const work = '(?:doing|working (?:on|out)|looking (?:at|into)|thinking about|do|work (?:on|out)|look (?:at|into)|think about)';
  const moreWork = '(?:figuring out|figure out|design|write|prepare|research|find out|make|build)';
  const notAfterVerb = String.raw`\b(?! (?:fine|well|all|it all|something)\b)`;
  return new RegExp(String.raw`${notAfter}\byou(?:'re| are)\s+(?:going to|gonna)\s+(?:be\s+)?(?:${work}|${moreWork})${notAfterVerb}`
    + String.raw`|${notAfter}\byou'll (?:be )?${work}${notAfterVerb}`, 'i');
})();
/** "Can you …?" with nobody named: the reply says who. */
export const UNNAMED = /^((okay|ok|so|and|then|great|also|oh|right|well|yeah|sure|hey|um|uh)[,.]?\s+)*(can|could|will) you\b|\bif you could (just )?(?!imagine|see|tell|say|hear|think)[a-z]+|\b(i would|i'd) suggest (that )?you\b|\bwhat you can do is\b|\byou can come up with\b|\b(would be (good|great|nice|helpful|useful)|is) if you (could )?(?!imagine|see|think|say|look at this)[a-z]+|\byou (can|could|should|'ll|will|need to|have to|might want to) (find out|check|look into|send|e-?mail|mail|ask|contact|talk to|write up|prepare|figure out|try|run)\b/i;
/** Words that open a sentence like a name would ("Okay, can you …") but name nobody. */
export const NOT_A_NAME = /^(so|okay|ok|well|now|great|alright|right|yeah|yes|no|also|and|but|then|hey|actually|anyway|oh|um|uh|thanks|sorry|cool|fine|good|sure|please|perfect|nice|hmm|true|fair|honestly|next|last|first|today|yesterday|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/i;
/** Explicit markers: "action item (for me|for Sam): …", "to do: …", "todo for Maya: …", "your homework is …". */
export const ACTION_MARKER = /(?:\b(?:action item|action point|todo|to-do|follow-?up)s?|^(?:to do))(?: (?:for|on) (me|myself|[A-Z][a-z]+))?\s*[:—–-]\s*(?:([A-Z][a-z]+)\s*[,:—–-]\s*)?|\byour homework is\b\s*/i;
/** A yes/no question about what the group will do: "So we're going with rubber?", "Are we including the voice or not?" */
export const PLAN_QUESTION = /\b(we're|we are|we'll|we will|are we|will we)\s+[a-z]+ing\b[^?]{3,}\?$|^((okay|ok|right|and|alright)[,.]?\s+)*so,?\s+(we're|we are|we'll|we will|we go|it's|it is|that's)\b[^?]{3,}\?$/i;
/** A bare answer that settles it ("No." to "or not?", "Yes." to "so it's rubber?"). */
export const SETTLES = /^(yes|yep|exactly|correct|no|nope|that's right)[.!,]?$/i;
/** Requests done during the meeting. */
export const IN_MEETING = /\b(walk (us|me|everyone) through|kick (us )?off|go ahead|start us off|share your screen|introduce|tell us (about|what|how|more)|remind us|give us (an|a quick|a short) update|go first|take notes)\b/i;
/** Replies that turn a request down, or say it is already done. */
export const DECLINE = /^(no|nope|nah|sorry|i can't|i cannot|can't|not (this|today|now|in|until|before|me)|i won't|i'm not able|i don't think i can|i don't have( the)? time|done|already (did|done)|did it|just did)\b/i;
export const WITHDRAW = /\b(never ?mind|scratch that|forget (it|that)|ignore that)\b/i;
export const SUPERSEDES = /^((okay|ok|so|fine|alright|right)[,.]?\s+)*(then|instead|in that case|actually)[,]?\s+(I'll|I will|I'm going to)\b/i;

export const PRONOUN = /\b(it|that|this|those|these|them|one)\b/i;
const FILLER = new Set(('a an the and or but so to of in on at by for with from up out it its this that these those is are was were be been i i\'ll ill ' +
  'we you your our my me us he she they them his her their can could would will should do does did just like um uh yeah yep yes okay ok sure alright right ' +
  'then there here what as if not no all any some one about into also too very really well oh fine great thanks please probably ' +
  'take make own handle grab do get have pick care since want wanna need needs mind go going lead someone somebody has ' +
  "i'm let let's me can't s ll re ve d m t that's it's decided final settled agreed decision").split(/\s+/));

/** The words of a sentence that say what it is about: no filler, no participants' names. */
export function contentWords(s: string, names: Set<string>): string[] {
  return s.toLowerCase().replace(/[’]/g, '\'').split(/[^a-z0-9'-]+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w && !FILLER.has(w) && !names.has(w));
}

/**
 * For each participant, the ways a sentence hands them work: their label (a name, or a role such as "Industrial
 * Designer" or "Marketing", optionally with "the" and a trailing role word) followed by a future or "you will …".
 */
export function assignmentPatterns(speakers: string[]): { speaker: string; pattern: RegExp }[] {
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return speakers
    .filter((name) => /^[A-Za-z][A-Za-z '-]{1,40}$/.test(name) && !/^(you|others|me|speaker \d+)$/i.test(name))
    .map((speaker) => {
      const label = `(?:the )?${speaker.split(/\s+/).map(escape).join('\\s+')}(?:\\s+(?:expert|executive|designer|manager|person|guy|team))?`;
      const future = "(?:will|'ll|is going to|is gonna|can|should)\\s+(?:be\\s+)?(?!be\\b|have\\b|need\\b|know\\b|see\\b|like\\b|think\\b|say\\b|tell\\b)[a-z]+";
      const addressed = "[,]?\\s+you(?:'ll| will| are going to|'re going to|'re gonna| can| should)\\s+(?:be\\s+)?[a-z]+";
      return { speaker, pattern: new RegExp(`(?:^|[,.;]\\s*|\\b(?:and|then|so|now|um|uh|okay|ok|meantime|meanwhile)\\s+|\\bas\\s+)${label}(?:\\s+(?:over )?(?:here|there))?(?:\\s+${future}|${addressed})`, 'i') };
    });
}

/** Someone named in passing: "one of the things Eva's gonna do over the next few weeks is track that down". */
const NAMED_FUTURE = /(?:^|[,;:]\s+|\b(?:and|then|so|now|that|okay|ok)\s+)([A-Z][a-z]+)(?:'s| is)? (?:gonna|going to|will|'ll) (?:(?:also|then|just|probably|first) )?(?!be\b|have\b|need\b|know\b|like\b|think\b|say\b|tell\b|want\b|see\b|get back\b|come\b|go\b)[a-z]+/;
export function namedFuture(sentence: string): string | undefined {
  const m = NAMED_FUTURE.exec(sentence);
  if (!m || NOT_A_NAME.test(m[1]) || /^(I|It|This|That|These|Those|There|They|We|You|He|She|Who|What|Which|Someone|Somebody|Everyone|Everybody|Nobody|One)$/.test(m[1])) return undefined;
  return m[1];
}

export function isCommitment(sentence: string): boolean {
  const s = clean(sentence);
  // "so I can e-mail it to you" is a commitment to e-mail it; "so I can see" is only a purpose.
  if (STRONG_NEED.test(s) || /\bso (that )?I can\b/i.test(s) && !/\bI('ll| will)\b/i.test(s) && !AFTER_THE_MEETING.test(s)) return false;
  return COMMITMENT.test(s) && !NOT_A_COMMITMENT.test(s) && !/\?\s*$/.test(s) && !(CONVERSATIONAL.test(s) && !/\b(by|before|until)\b/i.test(s))
    && !doneInTheRoom(s) && !brokenPlan(s) && !(cutOff(sentence) && s.split(/\s+/).length < 8)
    // "I have to record who's here", "I have to sit down and try it": obligations count when they are for later.
    && (!OBLIGATION.test(COMMITMENT.exec(s)?.[1] ?? '') || AFTER_THE_MEETING.test(s) || /\b(by|before|until|today|tomorrow)\b/i.test(s));
}

/** Meeting again, later: "we should probably meet to talk about the formats", "let's get together about the schema". */
const MEET_LATER = /\b(we should|we need to|we have to|let's|we'll|we will|we can)\s+(probably\s+|also\s+|maybe\s+)?(meet|get together|sit down)\s+(to|about|on|with|and|next|later|tomorrow)\b/i;
/** A first-person plural plan for work after the meeting: a work verb, and a time after it or work that is sent out. */
const GROUP_PLAN = /\b(?:we'll|we will|we're going to|we're gonna|we are going to)\s+(?:(?:just|also|then|try to|try and|probably|definitely|for sure|perhaps|actually|basically|first)[,]?\s+)*(send|run|try|write|finish|implement|test|train|focus|fix|build|prepare|e-?mail|mail|submit|port|debug|measure|compare|evaluate|collect|record|install|set up|update|re-?run|do something|get in touch|contact|talk to|buy|order|purchase)\b/i;
export function groupPlan(sentence: string): boolean {
  const s = clean(sentence);
  if (MEET_LATER.test(s) && !/\?\s*$/.test(s)) return true;
  if (!GROUP_PLAN.test(s) || /\?\s*$/.test(s) || NOT_A_COMMITMENT.test(s) || doneInTheRoom(s)) return false;
  return AFTER_THE_MEETING.test(s) || /\b(for sure|definitely|try to|try and)\b/i.test(s) || /\b(send|e-?mail|mail|submit)\b/i.test(GROUP_PLAN.exec(s)?.[1] ?? '');
}

/** The person a sentence asks to do something, if any. */
export function namedAsk(s: string, isName: (w: string) => boolean): string | undefined {
  const m = NAMED.exec(s);
  if (!m || NOT_A_NAME.test(m[1]) || !ASKS.test(m[2])) return undefined;
  // Someone who is not in the conversation, only when asked directly ("Sam, can you …").
  if (!isName(m[1]) && !/^(please|(can|could|would|will) you)\b/i.test(m[2])) return undefined;
  if (/^(if|maybe|perhaps|i wonder)\b/i.test(m[2])) return undefined;
  return m[1];
}

/** The sentence without its due phrases, so that a date does not count as what the item is about. */
export function stripDue(s: string, meetingDate: Date, events: EventDates): string {
  let out = s;
  for (const d of findDues(s, meetingDate, events)) out = out.replace(d.phrase, ' ');
  return out;
}

/** A crude stem, for telling whether two sentences share a word ("reviews" and "reviewing"). */
export function stem(w: string): string {
  return w.replace(/(ing|ed|es|s|er)$/, '');
}
