/**
 * Which template a meeting uses: the one the start names by id (an unknown id is an error: nothing starts), else the
 * first whose titleMatch words the title holds (the list has the workspace's before the shipped ones), else none (the
 * standard notes). Pure.
 */
import { NotesTemplate } from '../../protocol/protocol';

export interface ChosenTemplate { template: NotesTemplate; chosenBy: 'user' | 'title' }

export class UnknownTemplateError extends Error {}

export function selectTemplate(templates: readonly NotesTemplate[], wanted: { template?: string; title: string }): ChosenTemplate | undefined {
  if (wanted.template !== undefined) {
    const named = templates.find((t) => t.id === wanted.template);
    if (!named) {
      const known = templates.map((t) => t.id).join(', ') || 'none';
      throw new UnknownTemplateError(`No notes template "${wanted.template.slice(0, 64)}" (known: ${known}).`);
    }
    return { template: named, chosenBy: 'user' };
  }
  const title = words(wanted.title);
  const byTitle = templates.find((t) => t.titleMatch.some((phrase) => { const w = words(phrase); return w !== ' ' && title.includes(w); }));
  return byTitle ? { template: byTitle, chosenBy: 'title' } : undefined;
}

/** Text as its lowercased words, each between spaces, so that a phrase is found only as whole words. */
const words = (text: string) => ` ${text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(' ')} `;
