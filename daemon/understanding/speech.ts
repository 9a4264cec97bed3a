/**
 * What real, spoken meetings add to the rules' input (issue 13): fillers, restarts ("I'll I'll check that",
 * "we we we start"), and talk about what is being done in the room right now (presenting, plugging in, going first,
 * drawing on the board, scoring on a scale) that reads like a plan but is not work after the meeting.
 */

const FILLERS = /\b(um+|uh+|er|erm|uhm|hmm+|mm+|eh|ehm)\b[,.]?\s*/gi;

/** Sentences cleaned lately: each rule asks for the same sentence's cleaning again (most of the rules' time before). */
const cleaned = new Map<string, string>();
const CLEANED_KEPT = 2048;

/** Removes fillers and collapses restarts, so the rules see "I'll check that" in "I'll, um, I'll check that". */
export function clean(sentence: string): string {
  let result = cleaned.get(sentence);
  if (result === undefined) {
    result = cleanOnce(sentence);
    if (cleaned.size >= CLEANED_KEPT) cleaned.clear();
    cleaned.set(sentence, result);
  }
  return result;
}

function cleanOnce(sentence: string): string {
  let s = sentence.replace(/\bhafta\b/gi, 'have to').replace(/\bgotta\b/gi, 'got to').replace(FILLERS, '').replace(/\s+,/g, ',').replace(/,\s*,/g, ',');
  // A word or two said again ("I'll I'll", "the the", "we we we", "to to"): keep one.
  // A restart with a cut word: "I'll dis I'll disregard", "the f the first": keep the finished one.
  s = s.replace(/\b([\w']+) (\w{1,4}) \1 (\2\w+)/gi, '$1 $3').replace(/(?<![\w'])(\w{1,3}) (?=\1\w{2,})/gi, '');
  for (let i = 0; i < 3; i++) s = s.replace(/\b([\w']+(?: [\w']+){0,3})(?:,? \1\b)+/gi, '$1');
  return s.replace(/\s{2,}/g, ' ').trim();
}

/** The verb a first-person plan is about: "I'll just quickly send" → "send", with the words after it. */
const PLAN = /\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|let me|i can|i could|i have to|i need to|i'd like to|i want to|i wanna|(?:can|could|would|will) you(?: please)?|you'll|you will|you're gonna|you're going to)\s+((?:(?:just|also|then|now|first|quickly|probably|maybe|perhaps|actually|try to|try and|go and|go ahead and|be able to|like to|want to|mind|uh|um)[,]?\s+)*)([a-z']+)(.*)$/i;

/** Verbs of running the meeting and of acting in the room. */
const IN_ROOM_VERB = /^(tell|say|explain|show|present|introduce|go|start|begin|kick|draw|read|plug|switch|hand|pass|open|close|delete|scroll|click|skip|summari[sz]e|recap|repeat|stop|speak|talk|answer|jump|interrupt|scoot|wait|continue|grab|zoom|point|demonstrate|describe|illustrate|walk|score|rate|vote|wrap|conclude|erase|remind|instruct|disregard|ignore|think|guess|imagine|admit|hope|wonder|bet|assume|suppose|agree|disagree|understand|remember|mention|clarify)$/i;
/**
 * ... unless what follows makes it work for later: "write up", "talk to Dave", "tell on-call", "present the schema at
 * the architecture forum".
 */
const LATER_OBJECT = /^\s+(up\b|(to|with)\s+(?!you\b|us\b|everyone\b|everybody\b|the group\b|that\b|this\b|it\b)[a-z]+)|\b(at|in|to) (the|our|their|next|tomorrow's) ([a-z-]+ ){0,2}(forum|meeting|sync|review|update|standup|stand-up|retro|all-hands|demo|call|session|newsletter|channel|list)\b/i;
/** Telling someone who is not here is work for later ("I'll tell on-call", "I'll remind Sam"). */
const TELLS_SOMEONE_ELSE = /^(tell|remind|inform|warn|notify|ping|ask)$/i;
const HERE = /^\s+(you|us|everyone|everybody|all|y'all|them|the group|a bit|something|about|what|how|that|this|it|more|again)\b/i;
/** States, not work: "I'll be back on Tuesday", "I'll be here". */
const STATE = /^(be)$/i;
/** Scoring during the meeting: "I will give a six", "I'd give it a five". */
const SCORE = /^give$/i;
const NUMBER = /\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b/i;

/** Said of this meeting, now: "in this meeting", "on the board", "next slide", "first". */
const IN_ROOM_PLACE = /\b(during|in|for|at the (start|end) of) (this|the) (meeting|call|session)\b|\b(this|today's) ([a-z]+ ){0,2}(meeting|call|session)\b|\bthis room\b|\b(my|the|this|a) presentation\b|\bhang on\b|\bwhile (you're|we're|i'm) (doing|setting)\b|\bon the (white ?board|board|screen|slide|flip ?chart)\b|\b(next|last|previous|this) slide\b|\bright now\b|\bin a (second|minute|moment|sec)\b|\bmomentarily\b|\bthe (cable|mouse|pen|marker|laptop|projector|presentation|powerpoint)\b|\b(my|the|these|your) slides?\b|\bfull screen\b|\b(rub|wipe) (that|it|this|them|the [a-z]+ )?(out|off)\b|\b(the |a )?(lunch|coffee|break|tea)\b/i;

/** Work that plainly lands after the meeting: a time after it, or sending something. */
export const AFTER_THE_MEETING = /\b(before|for|by|until|after) (the )?next (meeting|time|week|session|call|one)\b|\b(next|this) (week|month|time)\b|\b(next|on|this|by) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\btomorrow\b|\btonight\b|\blater\b|\bafter (the|this) (meeting|call)\b|\bby (the end of|end of|monday|tuesday|wednesday|thursday|friday|eod)\b|\b(e-?mail|mail|send|forward|post)\b|\bstatus report\b|\bover the next\b|\bwhen (he|she|they|[a-z]+) (gets|get|comes|come) back\b/i;

/**
 * A first-person plan that is about the meeting itself, not work after it: "I'll go first", "I'll just put the cable
 * in", "let me show you", "I will give a six", "I'm gonna turn over to you", "I'll be here".
 */
export function doneInTheRoom(sentence: string): boolean {
  const s = clean(sentence);
  const plan = PLAN.exec(s);
  if (plan && STATE.test(plan[2]) && !/^\s+((just|also|really|then|probably|actually),?\s+)*\w+ing\b/i.test(plan[3])) return true;
  // "I'll be coming to you for the costs": asking the others, not work of the speaker's own.
  if (plan && STATE.test(plan[2]) && /^\s+((just|also|then),?\s+)*(coming|going) (back )?to (you|them|everyone)\b/i.test(plan[3])) return true;
  if (AFTER_THE_MEETING.test(s)) return false;
  if (!plan) return IN_ROOM_PLACE.test(s);
  const [, adverbs, verb, rest] = plan;
  // "I'll have a presentation", "I'm gonna have to think": having is not doing, unless something is had ready.
  if (/^have$/i.test(verb) && !/\b(up|ready|done|finished|out|fixed|merged|written|for you|by)\b/i.test(rest)) return true;
  if (SCORE.test(verb) && (NUMBER.test(rest) || /^\s+(you\s+)?(an?|the) (example|idea|overview|demo|summary|quick|brief)\b/i.test(rest))) return true;
  if (TELLS_SOMEONE_ELSE.test(verb)) return HERE.test(rest);
  if (/^(finish|wrap|round)$/i.test(verb) && /^\s+(up|off)\b/i.test(rest)) return true;
  if (IN_ROOM_VERB.test(verb) && !LATER_OBJECT.test(rest)) return true;
  if (/\bjust\b/i.test(adverbs) && /^(write|put|note|check|look|see|do|try|say|go)$/i.test(verb) && !LATER_OBJECT.test(rest)) return true;
  if (/^move$/i.test(verb) && /^\s+on\b/i.test(rest)) return true;
  if (/^go$/i.test(verb) || (/^(like|want)$/i.test(verb) && /^\s+to\s+(go|start|present|draw|say|add|show)\b/i.test(rest))) return true;
  if (/^turn$/i.test(verb) && /^\s+(it\s+)?(over|to)\b/i.test(rest)) return true;
  if (/\b(just|now|first)\b/i.test(adverbs) && IN_ROOM_PLACE.test(s)) return true;
  return IN_ROOM_PLACE.test(s);
}

/** Words that cannot be the verb of a plan: "I will that would very nice" is a broken sentence, not a plan. */
const NOT_A_VERB = /^(that|this|it|the|a|an|so|and|but|or|you|we|i|they|he|she|there|then|what|which|well|like|yeah|okay|ok|no|not)$/i;

/** A plan sentence whose "verb" is no verb: a recognizer's or a speaker's broken sentence. */
export function brokenPlan(sentence: string): boolean {
  const plan = PLAN.exec(clean(sentence));
  return !!plan && NOT_A_VERB.test(plan[2]);
}

/** A sentence cut off mid-way: real turns end in the middle of a thought ("So one of the questions about these is"). */
export function cutOff(sentence: string): boolean {
  const s = sentence.trim();
  if (/[.!?]["']?$/.test(s)) return /\b(the|a|an|is|are|to|of|and|but|or|that|with|for|be|if|so)[.]$/i.test(s);
  return true;
}

/** Hedged talk: an opinion or a guess, not something settled. */
export const HEDGE = /\b(maybe|perhaps|probably|possibly|i guess|i suppose|i don't know|sort of|kind of|might|could be|seems|i'm not sure|not sure|i wonder|or something|i don't think|theoretically|in theory|hypothetically)\b/i;
