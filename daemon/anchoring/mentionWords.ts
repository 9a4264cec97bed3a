/**
 * Words for the mention matcher (mentions.ts): how identifiers and transcript text split into spoken words, the cue
 * words that say "this is code", and the everyday words a mention may not consist of alone without a cue.
 */

/** One spoken word of an identifier or of a run of text: `parseConfig` → parse, Config; `HTTPServer` → HTTP, Server; `utf8` → utf, 8. */
const PIECE = /\p{Lu}+(?![\p{Ll}])|\p{Lu}?[\p{Ll}\p{M}]+|\p{N}+|[^\p{Lu}\p{Ll}\p{N}]+/gu;

/** Runs of letters and digits: what whisper writes between spaces and punctuation. */
export const RUN = /[\p{L}\p{M}\p{N}]+/gu;

/** The pieces of one run of letters and digits, with their offsets inside the run. */
export function piecesOf(run: string): { text: string; offset: number }[] {
  return [...run.matchAll(PIECE)].map((m) => ({ text: m[0], offset: m.index ?? 0 }));
}

/** The spoken words of an identifier or file-name part, lower case: `MAX_RETRIES` → max, retries; `date-helpers` → date, helpers. */
export function spokenWords(identifier: string): string[] {
  const words: string[] = [];
  for (const [run] of identifier.matchAll(RUN)) for (const p of piecesOf(run)) words.push(p.text.toLowerCase());
  return words;
}

/** Cue words said right after a name ("the parseConfig function", "the auth module"), with what they point at. */
export type Cue = 'function' | 'class' | 'type' | 'file' | 'component' | 'test';
export const CUE_AFTER: ReadonlyMap<string, Cue> = new Map<string, Cue>([
  ['function', 'function'], ['functions', 'function'], ['method', 'function'], ['methods', 'function'], ['hook', 'function'],
  ['class', 'class'], ['classes', 'class'],
  ['type', 'type'], ['types', 'type'], ['interface', 'type'], ['interfaces', 'type'], ['enum', 'type'],
  ['file', 'file'], ['files', 'file'], ['module', 'file'], ['modules', 'file'],
  ['component', 'component'], ['components', 'component'],
  ['test', 'test'], ['tests', 'test'], ['spec', 'test'],
]);
/** Cue words said right before a name, the way code reads ("class UserService", "function parse config"). */
export const CUE_BEFORE: ReadonlyMap<string, Cue> = new Map<string, Cue>([
  ['function', 'function'], ['method', 'function'], ['class', 'class'], ['interface', 'type'],
]);

/**
 * Everyday words, in conversation and in code names alike. A spoken mention made only of these (and of
 * words of one or two letters, and numbers) is too likely to be plain talk: "the user service", "update the
 * config" link only with a cue word or when written as code (`UserService`, `user_service`).
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(`
a about above after again against all also always am an and another any anything are around as ask at away
back bad be because been before being below best better between big both but by call called can cannot
case change changes check clean click close code come could current day days did do does doing done down
each early either else empty end enough even ever every everything fail failed false few find first fix
for from full get gets getting give go goes going gone good got great had handle has have having he her
here him his how i if in into is issue issues it its itself just keep key keys kind know last late later
least left less let lets license like line lines list little long look looks lot made make many may maybe me mean
might more most much must my name names need needs never new next nice no none not nothing now number of
off ok okay old on once one only open or order other our out over own page part people place point pretty
put quick quite rather read ready real really right run running said same save say says second see seems
send set should show side since small so some something soon start state still stop such sure take talk
tell than thanks that the their them then there these they thing things think this those though three
through time to today together tomorrow too top true try trying turn two under until up update updated
us use used user users using value values very want was way we week well were what when where which
while who why will with without work works would write wrong yeah yes yet you your
account action actions add api app application apps array async auth base bug bugs build button cache
client color colors component components config configuration connection content context controller core
count create created data database date dates db debug default delete details dev display document
documents email error errors event events export feature features field fields file files filter flag
form format function handler handlers header helper helpers history home id image images import index
info init input item items job jobs layout lib library link load loader loading log logger login logs
mail main manager map menu message messages method mode model models module modules node object options
output package params path payment plan process product profile project provider query queue record
release remove report request requests reset response result results review route router routes rule
rules schema search server service services session sessions settings setup shared size sort source
src status store string style submit sync table task tasks team template test tests text token tool tools
type types ui url util utils validate version view views window worker
`.trim().split(/\s+/));

/** A word a mention may not consist of alone: everyday, one or two letters, or a number. */
export function isCommon(word: string): boolean {
  return word.length <= 2 || /^\p{N}+$/u.test(word) || COMMON_WORDS.has(word);
}
