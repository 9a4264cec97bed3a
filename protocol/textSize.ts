/**
 * How long a text is for a language model's prompt, and cuts of a text that never split a character. Shared by the
 * daemon (`earshot ask`, a passage's hit line) and the @earshot chat, whose bounds (protocol.ts PromptBound) count in
 * these units. Pure; imports nothing.
 */

/**
 * Scripts a tokenizer gives about a token a character (or more), against about 4 characters a token for English:
 * Chinese, Japanese, Korean, Thai, and the astral characters (emoji, rare CJK: promptChars checks them by length). An estimate: no tokenizer is run.
 */
const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\u3000-\u303f\uff00-\uffef]/u;

/**
 * A text's size as the prompt bounds count it, in characters of English text (about 4 a token): a Latin character
 * (below U+0250) is one, a character of a script in WIDE four (about a token), any other (Cyrillic, Greek, Arabic,
 * Devanagari…, about 2 a token) two. So 24,000 of them is about 6k tokens in any language: 120 lines of Chinese were
 * 18,751 characters, some 18k tokens, by a plain count (security review 2, S10).
 */
export function promptChars(text: string): number {
  let size = 0;
  for (const c of text) size += c.charCodeAt(0) < 0x250 ? 1 : c.length === 2 || WIDE.test(c) ? 4 : 2;
  return size;
}

/** The longest start of `text` whose promptChars is at most `size`, never half a surrogate pair. */
export function startWithin(text: string, size: number): string {
  let used = 0, end = 0;
  for (const c of text) {
    used += promptChars(c);
    if (used > size) break;
    end += c.length;
  }
  return text.slice(0, end);
}

/** `text.slice(from, to)` (UTF-16 indexes) moved inward where an end would split a surrogate pair. */
export function sliceWhole(text: string, from: number, to = text.length): string {
  const low = (i: number) => i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]) && /[\ud800-\udbff]/.test(text[i - 1]);
  const start = low(from) ? from + 1 : from;
  const end = low(to) ? to - 1 : to;
  return text.slice(start, Math.max(start, end));
}

/**
 * At most `max` characters of `text` around index `at` (its middle there where the text allows), with an ellipsis at
 * each end that was cut; `text` itself when it fits.
 */
export function cutAround(text: string, at: number, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - 2); // the ellipses
  const from = Math.min(Math.max(0, Math.round(at - room / 2)), text.length - room);
  return `${from > 0 ? '…' : ''}${sliceWhole(text, from, from + room)}${from + room < text.length ? '…' : ''}`;
}
