import type { DecisionStanding } from '../../protocol/protocol';
import { clean, cutOff, HEDGE } from './speech';

/**
 * Decisions: conclusions the group reaches, including deferrals ("we'll revisit X after the demo", "X can
 * wait until next sprint") and negative decisions ("we're not adding a feature flag", "X is out for Q2",
 * "no X this quarter"). Proposals, questions, hypotheticals and musings are not decisions.
 */

export type DecisionKind = 'decision' | 'deferral' | 'negative';
export type { DecisionStanding };

/**
 * A requirement handed to the team, as the sentence itself says: who it comes from (management, the client, the brief)
 * or that the team was told. Only on a sentence already taken for a decision: these words alone decide nothing.
 */
const GIVEN = /\b((the |our )?(management|board|client|customer|boss|head office|headquarters|company|project brief|brief)('s)? (says|said|wants|wanted|has decided|decided|requires|required|insists|insisted|told us|asks for|asked for)|we('ve| have)? been told|we were told|(is|it's|that's) a requirement|requirements? (is|are|from)|according to (the )?(management|board|client|customer|boss|brief|company|email))\b/i;

/** A decision's standing from its sentence: a deferral is left open, a requirement said to come from outside is given. */
export function standingOf(sentence: string, kind: DecisionKind | undefined): DecisionStanding {
  if (kind === 'deferral') return 'open';
  return GIVEN.test(sentence) ? 'given' : 'decided';
}

/** Sentences that are never decisions: questions, conditions, reported speech. */
const NOT_A_DECISION = /\?\s*$|["“”]|^(if|maybe|perhaps|what if|i wonder|should|do we|did we|are we|can we|could we)\b|\b(said (that )?(he|she|they|we) (would|'d)|they'd|he'd|she'd)\b/i;
/** One person's view: not a decision unless it carries a settling marker ("I think we'll go with the rubber case"). */
const OPINION = /\b(i'd|i would|i think|i assume|my instinct|i'm not sure|we could|might)\b/i;
/** A subject and its verb: "Only the LCD." and "Goes into a sleep mode." are fragments, not conclusions. */
const CLAUSE = /\b(we|we'll|we're|let's|it|it's|they|they're|there's)\b|, then [a-z]+|\b(?!(the|a|an|of|for|with|and|or|only|some|all|just|no|any)\b)[a-z0-9-]+\s+(is|are|will|'ll|[a-z]+s)\b/i;
/** Judging, thanking, greeting: "that'll be good", "it will be sad to …", "see you soon". */
const EVALUATIVE = /\b(good|great|fine|nice|cool|sad|perfect|interesting|thanks|thank you|see you|bye|welcome)\b/i;

/** Explicit markers of a conclusion. */
const EXPLICIT = /\bdecision:|\b(we decided|we've decided|we have decided|the decision is|we'll go with|we will go with|let's go with|we agreed|we agree|we're agreed|we're going with|we are going with|decided to|from now on|going forward|as a rule|we're making (that|this|it) the rule|that's the rule|it's a go|we're a go)\b/i;

/** Deferrals: a decision postponed to a time, an event or a condition. */
const DEFERRAL = /\b(revisit|(can|will|should|has to|must|'ll|'s going to) wait (until|till|for)|waits (until|till|for)|let's (hold|park|defer|postpone|punt|table)|(hold|park|defer|postpone|push|punt) (it|that|this|them|off|[a-z-]+( [a-z-]+)?) (until|till|to|past)|let's not (decide|commit|pick|set)|decide (next|later|after|once|when|at)|come back to (it|this|that) (after|at|in|next|once|when)|(pick|set|decide|choose) [a-z -]{0,40}\b(at|after) (next|the next)|for after)\b/i;

/** Negative decisions. */
const NEGATIVE = /\b((we're not|we are not|we won't|we will not|we aren't)(?! (trying|saying|sure|talking|looking|asking|expecting|able|be able|gonna be able|going to be able|gonna get|going to get|getting|gonna do much|gonna ask|going to ask)\b)(?=,? [a-z])|we can't have|we cannot have|we don't need to|let's not|we'll skip|we're skipping|we're dropping|we'll drop|no (more )?[a-z-]+( [a-z-]+)? (this|next|for|in|until) (sprint|quarter|release|week|month|time|now|q\d|v\d)|is out (for|of))\b/i;
/** "No X." / "So no X." / "Agreed, no X." at the start of a sentence. */
const NO_NOUN = /^((okay|ok|so|right|agreed|true|then|yeah|yes|fine|great)[,.]?\s+)+(so\s+)?no\s+(?!(problem|worries|idea|one|way|rush|pressure|exceptions|doubt|sorry|thanks|yeah|yes|no|okay|ok|right|i|we|you|it|that|this|not|but|so|well)\b)[a-z-]+/i;
const NO_NOUN_SCOPED = /^no\s+(?!(problem|worries|idea|one|way|rush|pressure|exceptions|doubt|sorry|thanks|yeah|yes|no|okay|ok|right|i|we|you|it|that|this|not|but|so|well)\b)[a-z-]+.*\b(this|next|for|until|in) (sprint|quarter|release|week|month|year|time|now|q\d|v\d)\b/i;
/** Planning: "X is in" / "X is out". */
const IN_OR_OUT = /\b(?<!\b(it|that|this|he|she|they|i|who|which)\s)((is|are)( definitely| clearly)?|definitely|clearly) (in|out)(?=\s*([,.;—]|$|no discussion|for\b|of\b))/i;

/** "Okay, so X." / "Great, so X." / "True. So X.": a conclusion after agreement. */
const SO_CONCLUSION = /^((okay|ok|alright|right|great|true|good|fine|yeah|yes)[,.]?\s+)+so\b[,\s—-]*(?!(what|who|how|when|why|where|actions|to recap|recap|next|anyway|um|uh)\b)/i;
const SO_AFTER_AGREEMENT = /^so\b[,\s—-]*(?!(what|who|how|when|why|where|actions|to recap|recap|next|anyway)\b)/i;

/** A sentence that only agrees: "Yeah.", "Okay.", "Agreed." */
export const AGREEMENT_ONLY = /^((yeah|yes|yep|okay|ok|alright|agreed|right|fine|sure|true|fair|sounds good)[,.!]?\s*)+$/i;

/** Group plans with a time anchor: "We ship 4.12 after the demo." */
const GROUP_SCHEDULE = /^(and |then |so |but )?we('ll| will| have to|'ll have to| will have to| need to)? (ship|release|launch|deploy|roll (it |this )?out|cut over|go live|freeze|stop|start|skip|meet|finish|be done)\b.*\b(after|before|on|next|this|by|in|monday|tuesday|wednesday|thursday|friday|tomorrow|today)\b/i;

const FIRST_PERSON_SINGULAR = /\b(i|i'm|i'll|i've|i'd|me|my)\b/i;
const REQUEST = /\b((can|could|would|will) you|you could)\b/i;
const NEED = /\b(some(body|one) (has|needs|should|must)|we need|we have to)\b/i;

/** Status and past events: "So at 14:02 the disk filled up", "the dual-write is running since Tuesday". */
const STATUS = /\b(was|were|had|did|since|yesterday|last (week|night|time|year|sprint)|already|is \w+ing|are \w+ing|short version|quick context|basically)\b|\b\w{3,}ed\b(?! (by|to|in|on|for)\b)/i;

/** Settling phrases of spoken meetings: "let's go for plastic", "we'll stick with the simple design", "all systems go". */
const SPOKEN_SETTLED = /\b(let's go for|we'll go for|we will go for|we're going for|we('ll| will) stick with|we've (determined|settled on|chosen|picked)|we have (determined|settled on|chosen|picked)|(that's|that is|it's) (decided|settled|final|agreed)|(that's|this is) (the way|what) (we should|we'll|to) (go|do)|all systems go|(come|came) to (an |some )?agreement|i agree (that )?we should|(have|reached|there's|there is) (a |some )?consensus|(is|are) (definitely |clearly )?the way to go|reached (an |some )?agreement|we('re| are) all agreed|we all agree|(all|what) we('ll| will| are going to|'re going to|'re gonna) do is|(i'm seeing|it sounds like|sounds like|it looks like|looks like) (that )?we('re| are) (gonna|going to)|we('ve| have)? (fixed|settled) on)\b/i;
/** Spoken negative decisions: "we basically gave up on the submission", "skins are out of the range for this remote". */
const SPOKEN_NEGATIVE = /\b(we('ve| have)? (basically |just )?(gave|given) up( on)?|we('re| are) giving up on|we('ll| will) give up on|we('re| are) (dropping|scrapping|abandoning)|(is|are|be) out of the (range|question|picture))\b/i;
/** Spoken deferrals: "we'll come back on that", "we can talk about the production later", "cross that bridge later". */
const SPOKEN_DEFERRAL = /\b((come|get|got|go) back (on|to) (that|this|it)\b(?! (in a (minute|second|moment)|now))|(talk|discuss|think) (about )?(that|this|it|[a-z-]+( [a-z-]+){0,3}) (later|further|another time|next time|(in|at|for) the next (meeting|one))|(then|and) we('ll| will) decide( (again|later|then))?\b|cross that bridge|leave (that|this|it) for (later|the next|another))/i;

/** What will happen: a decision is about the future ("we ship Tuesday", "the prod upgrade is Wednesday", "X stays"). */
const PLANNED = /\b(we'll|we will|we're going to|we're gonna|we are going to|let's|will|'ll|is going to|are going to|gonna|goes|go|ship|ships|stay|stays|move|moves|use|uses|keep|keeps|wait|waits|is (on )?(monday|tuesday|wednesday|thursday|friday|the \d+\w*)|gets|get|owns|own|from now on|only|instead|first|then|in|out)\b/i;

/**
 * The kind of decision a sentence states, or undefined. `afterAgreement`: only agreement precedes it in the turn.
 * Marked conclusions ("we decided", "let's go with", "we're not adding", "we'll revisit") count as they are; the
 * unmarked forms ("Okay, so X.", "Yeah. X.") count only when the sentence is whole, unhedged and short: in real
 * speech "Yeah. So these are word error rates" and "So one of the questions about these is" are not conclusions.
 */
export function decisionKind(sentence: string, afterAgreement = false): DecisionKind | undefined {
  // "Probably the day after they leave, but we'll have to stop it the day before we leave": the clause after "but"
  // is what is said; the hedge before it is not.
  const s = clean(sentence).replace(/^.*?,\s+but\s+(?=we\b|we'll\b|let's\b)/i, '')
    // "Hand dynamos are definitely out, right?": a statement with a tag, not a question.
    .replace(/,?\s+(right|yeah|okay|ok|yes|no|huh|correct)\?\s*$/i, '.');
  if (NOT_A_DECISION.test(s) || REQUEST.test(s) || /\blet's just\b/i.test(s)) return undefined;
  if (SPOKEN_SETTLED.test(s) && !/\b(might|we could)\b/i.test(s)) return 'decision';
  if (SPOKEN_NEGATIVE.test(s) && !/\b(might|we could|if)\b/i.test(s)) return 'negative';
  // A run-on of forty words is talk, not a conclusion, unless it says it settles something (above).
  if (wordCount(s) > 40) return undefined;
  const opinion = OPINION.test(s);
  if (FIRST_PERSON_SINGULAR.test(s) && !/\b(we|we're|we'll|let's|us)\b/i.test(s)) return undefined;
  const hedged = HEDGE.test(s) || /\b(i think|it seems|be able to|you know|i mean)\b/i.test(s);
  const inOut = IN_OR_OUT.exec(s);
  if (inOut && !hedged) return inOut[inOut.length - 1] === 'in' ? 'decision' : 'negative';
  if (opinion) return undefined;
  if (DEFERRAL.test(s) || SPOKEN_DEFERRAL.test(s)) return 'deferral';
  if ((NEGATIVE.test(s) || NO_NOUN.test(s) || NO_NOUN_SCOPED.test(s)) && !hedged) return /\b(until|till|yet)\b/i.test(s) ? 'deferral' : 'negative';
  if (EXPLICIT.test(s)) return 'decision';
  // Unmarked forms: whole, unhedged, short sentences that say what will happen, not addressed to "you", not judging.
  if (hedged || cutOff(sentence) || wordCount(s) > 25 || !PLANNED.test(s) || !CLAUSE.test(s) || /\b(you|we can|we could)\b/i.test(s) || EVALUATIVE.test(s)) return undefined;
  if (/^agreed[,:—-]\s*\S/i.test(s) && wordCount(s) >= 3 && !FIRST_PERSON_SINGULAR.test(s)) return 'decision';
  if (/^((okay|ok|yeah|yes|so|then|right),?\s+)*let's\s+(?!(get|start|begin|go(?! with)|take|look|note|move|decide|talk|discuss|see|say|read|wrap|keep going|hear|do the retro|check|pause|break|stop|continue|have a look|hope|carry on|try|think|assume|imagine)\b)[a-z]+/i.test(s)) return 'decision';
  if (GROUP_SCHEDULE.test(s) && !FIRST_PERSON_SINGULAR.test(s)) return 'decision';
  if (NEED.test(s) || FIRST_PERSON_SINGULAR.test(s)) return undefined;
  if (STATUS.test(s)) return undefined;
  if (SO_CONCLUSION.test(s) && wordCount(s) >= 5) return 'decision';
  if (afterAgreement && wordCount(s) >= 3 && (SO_AFTER_AGREEMENT.test(s) || !/^(but|and|now|next|then|so|thanks|thank|anyway|one more|last|also|oh|what|who|how|when|why|where|there|it|that|this|they|these|those|we don't)\b/i.test(s))) return 'decision';
  return undefined;
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => /[a-z0-9]/i.test(w)).length;
}

/** "…, then enforce. Agreed?": a proposal put to the group. */
// Not "okay?" or "right?": in speech those are tags on anything, not a question put to the group.
export const ASKS_AGREEMENT = /^(agreed|everyone (okay|ok|good|fine) with (that|this)|sound(s)? good|all good|any objections|does everyone agree|are we agreed)\?$/i;

/**
 * A proposal put to the group: "we should record at 48 kHz", "why don't we skip next week", "I suggest we keep the
 * old format". It becomes a decision only when someone else accepts it in so many words ({@link ACCEPTS}): in real
 * meetings a bare "yeah" is listening, not agreeing.
 */
const PROPOSAL = /^((okay|ok|so|well|yeah|right|and|then)[,.]?\s+)*(i think |i guess )?(we should|we ought to|we'd better|why don't we|how about we|i suggest (that )?we|i propose (that )?we|let's|shall we)\b/i;
export function proposalKind(sentence: string): DecisionKind | undefined {
  const s = clean(sentence);
  if (!PROPOSAL.test(s) || cutOff(sentence) && !/\?\s*$/.test(s) || wordCount(s) < 4 || /\b(maybe|perhaps|might|or something)\b/i.test(s)) return undefined;
  if (/\?\s*$/.test(s) && !/\b(why don't we|how about we|shall we)\b/i.test(s)) return undefined;
  return /\b(not|n't|never|no longer|skip|drop)\b/i.test(s.replace(/why don't we/i, '')) ? 'negative' : 'decision';
}

/** Accepting what was just proposed, in words that say so. */
export const ACCEPTS = /^((yeah|yes|yep|okay|ok|oh|right|well|mm-hmm)[,.!]?\s+)*(agreed|i agree|sounds good|good idea|that's a good idea|let's do (it|that)|makes sense|that works|deal|definitely|absolutely|exactly|fine by me|works for me|sure, let's|yes, let's)\b/i;
