/**
 * The dictation grammar: turns one final utterance (whisper's text, which may already carry
 * punctuation and capitals) into edits for the editor. No VS Code API here: unit-testable.
 * The grammar is documented, with examples, in GRAMMAR.md beside this file.
 *
 * Two steps, so that an editor with several cursors (or one that has just undone something) gets
 * text fitted to each insertion point: `planDictation(utterance)` parses once; `plan.render(context)`
 * produces the text for one cursor from the text before it on its line. `dictate()` does both.
 */

export type CaseStyle = 'camel' | 'snake' | 'pascal' | 'constant' | 'kebab';

/** What the caller applies, in order: `undo` takes back the last dictated utterance (one undo step). */
export type DictationEdit = { kind: 'insert'; text: string } | { kind: 'undo' };

/** Where the text goes. */
export interface DictationContext {
  /** The text before the cursor on its line (only its last line is read). Default '': a line start. */
  before?: string;
  /** Forces (true) or forbids (false) a capital on the first word; default: decided from `before`. */
  capitalize?: boolean;
}

export interface DictationPlan {
  /** Earlier utterances to undo first: "scratch that" said before any text of this utterance. */
  readonly undo: number;
  /** Nothing to insert (the caller may skip rendering). */
  readonly empty: boolean;
  /** The text to insert at a cursor whose line reads `context.before` up to it, after the undos. */
  render(context?: DictationContext): string;
}

type Command =
  | { kind: 'mark'; text: ',' | '.' | '?' | '!' | ':' | ';' }
  | { kind: 'break'; text: '\n' | '\n\n' }
  | { kind: 'open' | 'close'; text: '(' | ')' | '[' | ']' | '{' | '}' }
  | { kind: 'quote'; side: 'open' | 'close' | 'toggle' }
  /** Joined to both neighbours, no spaces: hyphen, apostrophe, em dash. */
  | { kind: 'join'; text: string }
  /** A free-standing symbol with a space either side: dash. */
  | { kind: 'spaced'; text: string }
  | { kind: 'case'; style: CaseStyle }
  | { kind: 'scratch' }
  | { kind: 'literal' };

const mark = (text: ',' | '.' | '?' | '!' | ':' | ';'): Command => ({ kind: 'mark', text });
const bracket = (kind: 'open' | 'close', text: '(' | ')' | '[' | ']' | '{' | '}'): Command => ({ kind, text });

/** Every spoken form (lower case, words separated by one space) and what it does. */
const COMMANDS: ReadonlyArray<readonly [string, Command]> = [
  ['comma', mark(',')],
  ['period', mark('.')],
  ['full stop', mark('.')],
  ['question mark', mark('?')],
  ['exclamation mark', mark('!')],
  ['exclamation point', mark('!')],
  ['colon', mark(':')],
  ['semicolon', mark(';')],
  ['semi colon', mark(';')],
  ['new line', { kind: 'break', text: '\n' }],
  ['new paragraph', { kind: 'break', text: '\n\n' }],
  ...(['open', 'left'] as const).flatMap((side) => [
    [`${side} paren`, bracket('open', '(')],
    [`${side} parenthesis`, bracket('open', '(')],
    [`${side} bracket`, bracket('open', '[')],
    [`${side} square bracket`, bracket('open', '[')],
    [`${side} brace`, bracket('open', '{')],
    [`${side} curly brace`, bracket('open', '{')],
  ] as const),
  ...(['close', 'right'] as const).flatMap((side) => [
    [`${side} paren`, bracket('close', ')')],
    [`${side} parenthesis`, bracket('close', ')')],
    [`${side} bracket`, bracket('close', ']')],
    [`${side} square bracket`, bracket('close', ']')],
    [`${side} brace`, bracket('close', '}')],
    [`${side} curly brace`, bracket('close', '}')],
  ] as const),
  ['quote', { kind: 'quote', side: 'toggle' }],
  ['open quote', { kind: 'quote', side: 'open' }],
  ['begin quote', { kind: 'quote', side: 'open' }],
  ['close quote', { kind: 'quote', side: 'close' }],
  ['end quote', { kind: 'quote', side: 'close' }],
  ['unquote', { kind: 'quote', side: 'close' }],
  ['apostrophe', { kind: 'join', text: "'" }],
  ['hyphen', { kind: 'join', text: '-' }],
  ['em dash', { kind: 'join', text: '—' }],
  ['dash', { kind: 'spaced', text: '-' }],
  ['camel case', { kind: 'case', style: 'camel' }],
  ['snake case', { kind: 'case', style: 'snake' }],
  ['pascal case', { kind: 'case', style: 'pascal' }],
  ['constant case', { kind: 'case', style: 'constant' }],
  ['kebab case', { kind: 'case', style: 'kebab' }],
  ['scratch that', { kind: 'scratch' }],
  ['undo that', { kind: 'scratch' }],
  ['literal', { kind: 'literal' }],
];

/** Every spoken form the grammar knows (GRAMMAR.md lists them all; a test keeps the two in step). */
export const SPOKEN_FORMS: readonly string[] = COMMANDS.map(([phrase]) => phrase);

/** Longest phrases first, so "open quote" wins over "quote" and "square bracket" over "bracket". */
const PHRASES = COMMANDS.map(([phrase, command]) => ({ words: phrase.split(' '), command }))
  .sort((a, b) => b.words.length - a.words.length);

interface Token {
  text: string;
  kind: 'word' | 'mark' | 'sym';
  /** Written against the token before it, with no space between (in whisper's text). */
  joined: boolean;
}

/**
 * A word may hold . , : ; ' - / between letters or digits ("auth.ts", "3.14", "10:30", "don't",
 * "well-known"): those are part of it, not punctuation.
 */
const TOKEN = /([\p{L}\p{N}\p{M}_]+(?:[.,:;'’\-/][\p{L}\p{N}\p{M}_]+)*)|([,.?!:;…])|(\S)/gu;
const SENTENCE_END = /^[.?!]$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    tokens.push({ text: m[0], kind: m[1] ? 'word' : m[2] ? 'mark' : 'sym', joined: at > 0 && !/\s/u.test(text[at - 1]) });
  }
  return tokens;
}

const normal = (word: string) => word.toLowerCase().replace(/’/g, "'");

/**
 * Where a phrase said from token `i` ends (exclusive), or -1. Whisper's punctuation between the
 * phrase's words is skipped ("Question, mark"), and one token may carry several of its words written
 * together or hyphenated ("newline", "semi-colon", "camelCase").
 */
function matchWords(tokens: Token[], i: number, words: readonly string[]): number {
  let j = i;
  let k = 0;
  while (k < words.length) {
    if (k > 0) while (j < tokens.length && tokens[j].kind === 'mark') j++;
    const token = tokens[j];
    if (!token || token.kind !== 'word') return -1;
    const w = normal(token.text);
    let next = -1;
    for (let m = words.length; m > k && next < 0; m--) {
      const part = words.slice(k, m);
      if (w === part.join(' ') || w === part.join('-') || w === part.join('')) next = m;
    }
    if (next < 0) return -1;
    k = next;
    j++;
  }
  return j;
}

function matchCommand(tokens: Token[], i: number): { command: Command; end: number } | undefined {
  if (tokens[i]?.kind !== 'word') return undefined;
  for (const { words, command } of PHRASES) {
    const end = matchWords(tokens, i, words);
    if (end >= 0) return { command, end };
  }
  return undefined;
}

function skipMarks(tokens: Token[], i: number): number {
  while (i < tokens.length && tokens[i].kind === 'mark') i++;
  return i;
}

/** What the parser leaves for rendering. */
type Item =
  /** `lower`: its capital is whisper's, after a sentence end whisper put after a command ("Colon. Read"). */
  | { t: 'word'; text: string; joined: boolean; lower?: boolean }
  | { t: 'ident'; text: string }
  | { t: 'mark'; text: string; spoken: boolean }
  | { t: 'sym'; text: string; joined: boolean }
  | { t: 'break'; text: string }
  | { t: 'open' | 'close' | 'join' | 'spaced'; text: string }
  | { t: 'quote'; side: 'open' | 'close' | 'toggle' };

function parse(utterance: string): { undo: number; items: Item[] } {
  const tokens = tokenize(utterance);
  let items: Item[] = [];
  let undo = 0;
  /** The token that made the last item: a token joined to it keeps whisper's spacing ("$5"). */
  let lastToken = -1;
  let run: { style: CaseStyle; words: string[] } | undefined;
  let lowerNext = false;

  const endRun = () => {
    if (run && run.words.length > 0) items.push({ t: 'ident', text: formatCase(run.words, run.style) });
    run = undefined;
  };
  const plain = (text: string, i: number, joined: boolean) => {
    if (run) run.words.push(text);
    else items.push({ t: 'word', text, joined: joined && lastToken === i - 1, lower: lowerNext });
    lastToken = i;
    lowerNext = false;
  };

  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (token.kind !== 'word') {
      // Inside a case run whisper's punctuation and symbols are dropped; elsewhere they stay.
      if (!run) {
        items.push(token.kind === 'mark' ? { t: 'mark', text: token.text, spoken: false } : { t: 'sym', text: token.text, joined: token.joined && lastToken === i - 1 });
        lastToken = i;
        lowerNext = false;
      }
      i++;
      continue;
    }
    const found = matchCommand(tokens, i);
    if (!found) {
      plain(token.text, i, token.joined);
      i++;
      continue;
    }
    const { command, end } = found;
    if (command.kind === 'literal') {
      // "literal" makes the spoken form after it plain words; before anything else it is just a word.
      const next = skipMarks(tokens, end);
      const escaped = matchCommand(tokens, next);
      if (!escaped) {
        plain(token.text, i, token.joined);
        i = end;
        continue;
      }
      for (let j = next; j < escaped.end; j++) if (tokens[j].kind === 'word') plain(normal(tokens[j].text), -2, false);
      lastToken = -1;
      i = escaped.end;
      continue;
    }
    if (command.kind === 'case') {
      endRun();
      // Words must follow ("camel case foo"): otherwise the phrase is just words ("we use camel case.").
      let next = end;
      while (next < tokens.length && tokens[next].kind !== 'word') next++;
      const after = matchCommand(tokens, next);
      if (next < tokens.length && (!after || after.command.kind === 'literal')) {
        run = { style: command.style, words: [] };
        i = end;
      } else {
        for (let j = i; j < end; j++) if (tokens[j].kind === 'word') plain(tokens[j].text, j, tokens[j].joined);
        i = end;
      }
      continue;
    }
    endRun();
    // Whisper's punctuation next to a spoken command is whisper punctuating the command words
    // ("Hello, comma, world."): drop it, except a sentence end before a line or paragraph break.
    for (let last = items.at(-1); last?.t === 'mark' && !last.spoken; last = items.at(-1)) {
      if (command.kind === 'break' && SENTENCE_END.test(last.text)) break;
      items.pop();
    }
    if (command.kind === 'scratch') {
      // Scratches what this utterance said so far, or else the utterance before it.
      if (items.length > 0) items = [];
      else undo++;
    } else if (command.kind === 'mark') {
      items.push({ t: 'mark', text: command.text, spoken: true });
    } else if (command.kind === 'quote') {
      items.push({ t: 'quote', side: command.side });
    } else {
      items.push({ t: command.kind, text: command.text });
    }
    lastToken = -1;
    i = skipMarks(tokens, end);
    const endsSentence = command.kind === 'break' || (command.kind === 'mark' && SENTENCE_END.test(command.text));
    lowerNext = !endsSentence && tokens.slice(end, i).some((t) => SENTENCE_END.test(t.text));
  }
  endRun();
  return { undo, items };
}

/** A line holding only a comment or list marker counts as a line start ("// ", "# ", "- ", "1. ", "> "). */
const LINE_START = /^\s*(?:\/\/+|\/\*+|\*|#+|--|-|\+|>|\d+[.)])?\s*$/u;
const ENDS_SENTENCE = /[.?!]["'”’)\]]*$/u;

function quoteCount(text: string): number {
  return [...text].filter((c) => c === '"').length;
}

function capitalizeFirst(word: string): string {
  const [first, ...rest] = word;
  return first.toUpperCase() + rest.join('');
}

/**
 * Whisper capitalizes the first word of every utterance. Mid-sentence that capital is whisper's,
 * not the speaker's: "Then" → "then". Kept: "I" and its contractions, and any word with another
 * capital in it (acronyms, "iPhone", "McDonald").
 */
function lowerAutoCapital(word: string): string {
  if (/^I(?:['’]\p{L}+)?$/u.test(word)) return word;
  if (!/^\p{Lu}[^\p{Lu}]*$/u.test(word)) return word;
  const [first, ...rest] = word;
  return first.toLowerCase() + rest.join('');
}

function render(items: Item[], context: DictationContext): string {
  const before = (context.before ?? '').split('\n').at(-1) ?? '';
  let quoteOpen = quoteCount(before) % 2 === 1;
  let capitalize = context.capitalize ?? (LINE_START.test(before) || ENDS_SENTENCE.test(before.trimEnd()));
  /** No space is wanted before the next item: line start, after whitespace, an opening bracket or quote, a hyphen. */
  let glue = before === '' || /[\s([{]$/u.test(before) || (before.endsWith('"') && quoteOpen);
  let firstWord = true;
  let out = '';
  const space = () => { if (!glue) out += ' '; };

  for (const item of items) {
    switch (item.t) {
      case 'word': {
        let text = item.text;
        if (capitalize) text = capitalizeFirst(text);
        else if (firstWord || item.lower) text = lowerAutoCapital(text);
        if (!item.joined) space();
        out += text;
        glue = false; capitalize = false; firstWord = false;
        break;
      }
      case 'ident':
        space();
        out += item.text;
        glue = false; capitalize = false; firstWord = false;
        break;
      case 'mark':
        out += item.text;
        glue = false;
        if (SENTENCE_END.test(item.text)) capitalize = true;
        break;
      case 'sym':
        if (!item.joined) space();
        out += item.text;
        if (item.text === '"') quoteOpen = !quoteOpen;
        glue = false;
        break;
      case 'break':
        out += item.text;
        glue = true; capitalize = true;
        break;
      case 'open':
        space();
        out += item.text;
        glue = true;
        break;
      case 'close':
        out += item.text;
        glue = false;
        break;
      case 'join':
        out += item.text;
        glue = true;
        break;
      case 'spaced':
        space();
        out += item.text;
        glue = false;
        break;
      case 'quote': {
        const open = item.side === 'open' || (item.side === 'toggle' && !quoteOpen);
        if (open) space();
        out += '"';
        quoteOpen = open;
        glue = open;
        break;
      }
    }
  }
  return out;
}

/** Parses an utterance once; render it for each cursor. */
export function planDictation(utterance: string): DictationPlan {
  const { undo, items } = parse(utterance);
  return { undo, empty: items.length === 0, render: (context = {}) => render(items, context) };
}

/**
 * The edits for one final utterance at one cursor: `undo` steps first (leading "scratch that"s),
 * then at most one `insert` (omitted when there is nothing to insert). After an undo the text before
 * the cursor has changed: a caller that cares uses `planDictation` and renders after undoing.
 */
export function dictate(utterance: string, context: DictationContext = {}): DictationEdit[] {
  const plan = planDictation(utterance);
  const edits: DictationEdit[] = Array.from({ length: plan.undo }, () => ({ kind: 'undo' as const }));
  const text = plan.empty ? '' : plan.render(context);
  if (text !== '') edits.push({ kind: 'insert', text });
  return edits;
}

/**
 * Joins words into an identifier. Each word is split into parts at non-alphanumerics and camel
 * humps ("parseHTTPRequest" → parse, HTTP, Request); a part's capitals are not kept (acronyms are
 * words: HTTP → Http in camel and pascal case, http in snake and kebab); digits stay in place
 * (utf8, v2). Thousands separators are dropped ("1,000" → 1000).
 */
export function formatCase(words: string[], style: CaseStyle): string {
  const parts = words.flatMap((word) => word.replace(/['’]/gu, '').replace(/(?<=\p{N}),(?=\p{N})/gu, '')
    .split(/[^\p{L}\p{N}\p{M}]+/u)
    .flatMap((piece) => piece.split(/(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u)))
    .filter((part) => part !== '')
    .map((part) => part.toLowerCase());
  const title = (part: string) => capitalizeFirst(part);
  switch (style) {
    case 'camel': return parts.map((p, i) => (i === 0 ? p : title(p))).join('');
    case 'pascal': return parts.map(title).join('');
    case 'snake': return parts.join('_');
    case 'constant': return parts.map((p) => p.toUpperCase()).join('_');
    case 'kebab': return parts.join('-');
  }
}

/**
 * A partial without the words at its end that may still become a command: a proper beginning of a spoken form ("camel"
 * of "camel case", "open" of "open quote") or a case command with no words after it yet. The ghost text then never
 * shows what the final writes otherwise ("Camel" for what becomes "parseConfig"); the words show once the next partial
 * settles them.
 */
export function withoutPendingCommand(partial: string): string {
  const words = partial.trim().split(/\s+/).filter(Boolean);
  const bare = words.map((w) => w.toLowerCase().replace(/[^a-z0-9'-]/g, ''));
  for (let k = Math.min(words.length, PHRASES[0]?.words.length ?? 0); k >= 1; k--) {
    const tail = bare.slice(words.length - k);
    const pending = PHRASES.some(({ words: phrase, command }) =>
      (phrase.length > k && tail.every((w, i) => w === phrase[i])) ||
      (command.kind === 'case' && phrase.length === k && tail.every((w, i) => w === phrase[i])));
    if (pending) return words.slice(0, words.length - k).join(' ');
  }
  return partial;
}
