/**
 * What a terminal or an editor acts on rather than shows, in text from a transcript, a model, a file or a server: one
 * list, shared by the checks of what is kept (a speaker's name, a model's item, decision or summary point) and what is
 * printed (daemon/cli/common.ts inert, the notes' Markdown escape). Pure; imports nothing.
 */

/**
 * C0 and C1 controls (ESC, BEL, CSI U+009B, a lone CR...), DEL, the other line breaks (U+2028, U+2029) and the bidi
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a line read differently from what it is.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const EVERY_CONTROL_OR_BIDI = new RegExp(CONTROL_OR_BIDI.source, 'g');

/**
 * Text with nothing a terminal or an editor would act on: a control that is whitespace (a line break, a tab, NEL
 * U+0085, U+2028) becomes a space, every other control, DEL and bidi character is dropped. So `Ship ESC]0;PWNED ESC\`
 * keeps its words and loses the ESC that made it set a terminal's title.
 */
export function dropControls(text: string): string {
  return text.replace(EVERY_CONTROL_OR_BIDI, (c) => (/\s|\u0085/.test(c) ? ' ' : ''));
}

/** {@link dropControls} on one line: whitespace collapsed to one space, the ends trimmed. */
export function plainLine(text: string): string {
  return dropControls(text).replace(/\s+/g, ' ').trim();
}
