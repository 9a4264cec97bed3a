/**
 * A notes template's Markdown file read into a NotesTemplate (protocol's "Notes templates"), or one clear fault. Pure:
 * reads no file (folder.ts does, bounded).
 *
 * The format (docs/templates.md):
 *
 *   ---
 *   name: Design review
 *   titleMatch: design, review, rfc
 *   language: English
 *   instructions: Leave out small talk.
 *   ---
 *   Whole-notes instructions may also be written here, before the first section.
 *
 *   ## Decisions
 *   <!-- earshot: decisions -->
 *   What this section's instructions tell the language model.
 *
 * The front matter is optional (without it, a `# Name` line names the template, else its id does). Each `## Heading`
 * is a section; its fill is an explicit `<!-- earshot: FILL -->` marker, else the heading's words (Summary, Decisions,
 * Action items, Open questions, Transcript…), else 'model'. A template is data: the front matter knows four keys and
 * nothing else, so no template can name a folder, a provider or an endpoint (an unknown key is a fault, not ignored).
 */
import { NotesTemplate, TEMPLATE_LIMITS, TemplateSection, TemplateSectionFill } from '../../protocol/protocol';
import { dropControls, plainLine } from '../../protocol/plainText';

export type ParsedTemplate = { template: NotesTemplate } | { fault: string };

/** A template's id: what its file is named (without `.md`) and what a session start names it by. */
export const TEMPLATE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** The most characters of a heading, of the name and of the language; the most titleMatch words, each at most 40. */
const HEADING_MAX = 120;
const NAME_MAX = 120;
const LANGUAGE_MAX = 40;
const TITLE_WORDS_MAX = 20;
const TITLE_WORD_MAX = 40;

const FRONT_KEYS = ['name', 'titlematch', 'language', 'instructions'] as const;
const FILLS: readonly TemplateSectionFill[] = ['summary', 'decisions', 'actionItems', 'openQuestions', 'transcript', 'model'];

/** A heading's words (lowercased, letters and spaces) that fill a section from the notes' own parts. */
const FILL_BY_HEADING: Readonly<Record<string, TemplateSectionFill>> = {
  summary: 'summary', overview: 'summary', 'executive summary': 'summary', tldr: 'summary', 'tl dr': 'summary',
  decisions: 'decisions', 'decisions made': 'decisions', 'key decisions': 'decisions',
  'action items': 'actionItems', actions: 'actionItems', 'next steps': 'actionItems', todo: 'actionItems', 'to do': 'actionItems', 'follow ups': 'actionItems', 'follow up': 'actionItems',
  'open questions': 'openQuestions', questions: 'openQuestions', 'unresolved questions': 'openQuestions',
  transcript: 'transcript', 'full transcript': 'transcript',
};

const MARKER = /^<!--\s*earshot\s*:\s*([A-Za-z]+)\s*-->$/;

/** The fill a heading names by its words (undefined: none of the notes' parts). */
export function fillOfHeading(heading: string): TemplateSectionFill | undefined {
  const words = heading.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return Object.prototype.hasOwnProperty.call(FILL_BY_HEADING, words) ? FILL_BY_HEADING[words] : undefined;
}

/** Parses one template file's text; `id` is its file name without `.md`. Never throws: a fault says what is wrong. */
export function parseTemplate(id: string, text: string, source: NotesTemplate['source'], file?: string): ParsedTemplate {
  if (!TEMPLATE_ID.test(id)) return { fault: 'its name is not a template id (letters, digits, ".", "_" or "-", at most 64, then .md)' };
  if (text.length > TEMPLATE_LIMITS.fileChars) return { fault: `it is larger than ${TEMPLATE_LIMITS.fileChars} characters` };
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  let at = 0;
  const front: Record<string, string> = {};
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
    if (end < 0) return { fault: 'its front matter is not closed (a line "---" after the first)' };
    for (let i = 1; i < end; i++) {
      const line = lines[i];
      if (!line.trim() || line.trim().startsWith('#')) continue;
      const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(line);
      if (!m) return { fault: `front matter line ${i + 1} is not "key: value"` };
      const key = m[1].toLowerCase();
      if (!(FRONT_KEYS as readonly string[]).includes(key)) {
        return { fault: `front matter line ${i + 1}: unknown key "${plainLine(m[1]).slice(0, 40)}" (a template knows name, titleMatch, language and instructions only)` };
      }
      if (key in front) return { fault: `front matter line ${i + 1}: "${m[1]}" given twice` };
      front[key] = unquote(m[2]);
    }
    at = end + 1;
  }
  // Before the first section: a `# Name` line and the whole notes' instructions.
  let name = front.name !== undefined ? plainLine(front.name) : '';
  const preamble: string[] = [];
  while (at < lines.length && !/^##\s/.test(lines[at])) {
    const line = lines[at++];
    const title = /^#\s+(.*)$/.exec(line);
    if (title && !name && !preamble.some((l) => l.trim())) name = plainLine(title[1]);
    else preamble.push(line);
  }
  const instructions = [front.instructions ?? '', prose(preamble)].filter(Boolean).join('\n');
  if (instructions.length > TEMPLATE_LIMITS.instructionsChars) {
    return { fault: `its instructions for the whole notes are longer than ${TEMPLATE_LIMITS.instructionsChars} characters` };
  }
  if (name.length > NAME_MAX) return { fault: `its name is longer than ${NAME_MAX} characters` };
  const language = front.language !== undefined ? plainLine(front.language) : undefined;
  if (language !== undefined && language.length > LANGUAGE_MAX) return { fault: `its language is longer than ${LANGUAGE_MAX} characters` };
  const titleMatch = front.titlematch === undefined ? [] : [...new Set(front.titlematch.split(/[,;]/).map((w) => plainLine(w).toLowerCase()).filter(Boolean))];
  if (titleMatch.length > TITLE_WORDS_MAX) return { fault: `titleMatch has more than ${TITLE_WORDS_MAX} words` };
  const longWord = titleMatch.find((w) => w.length > TITLE_WORD_MAX);
  if (longWord !== undefined) return { fault: `a titleMatch word is longer than ${TITLE_WORD_MAX} characters` };

  const sections: TemplateSection[] = [];
  while (at < lines.length) {
    const heading = plainLine(lines[at].replace(/^##\s+/, '').replace(/\s#+\s*$/, ''));
    const body: string[] = [];
    for (at++; at < lines.length && !/^##\s/.test(lines[at]); at++) body.push(lines[at]);
    const where = `section ${sections.length + 1}`;
    if (!heading) return { fault: `${where} has an empty heading` };
    if (heading.length > HEADING_MAX) return { fault: `${where}'s heading is longer than ${HEADING_MAX} characters` };
    if (sections.length === TEMPLATE_LIMITS.sections) return { fault: `it has more than ${TEMPLATE_LIMITS.sections} sections` };
    if (sections.some((s) => s.heading.toLowerCase() === heading.toLowerCase())) return { fault: `the heading "${heading}" is there twice` };
    if (/^my notes$/i.test(heading)) return { fault: `${where}: "My notes" is the user's own section, which every notes file has` };
    let fill = fillOfHeading(heading);
    const marked = body.findIndex((l) => l.trim() !== '');
    const marker = marked >= 0 ? MARKER.exec(body[marked].trim()) : null;
    if (marked >= 0 && /^<!--\s*earshot/i.test(body[marked].trim())) {
      const named = marker && FILLS.find((f) => f.toLowerCase() === marker[1].toLowerCase());
      if (!named) return { fault: `${where} ("${heading}"): unknown marker (use <!-- earshot: ${FILLS.join(' | ')} -->)` };
      fill = named;
      body.splice(marked, 1);
    }
    fill ??= 'model';
    if (fill !== 'model' && sections.some((s) => s.fill === fill)) return { fault: `${where} ("${heading}") holds the ${fill} a section before it holds` };
    const said = prose(body);
    if (said.length > TEMPLATE_LIMITS.sectionInstructionsChars) {
      return { fault: `${where} ("${heading}"): its instructions are longer than ${TEMPLATE_LIMITS.sectionInstructionsChars} characters` };
    }
    sections.push({ heading, fill, instructions: said });
  }
  if (!sections.length) return { fault: 'it has no sections (a "## Heading" line for each)' };
  // The transcript closes the notes: My notes stands just before it (previousNotes.ts finds the user's part by that).
  const transcript = sections.findIndex((s) => s.fill === 'transcript');
  if (transcript >= 0 && transcript !== sections.length - 1) return { fault: `the transcript section ("${sections[transcript].heading}") must be the last` };
  if (transcript >= 0 && !/transcript$/i.test(sections[transcript].heading.replace(/[^\p{L}\p{N}]+$/u, ''))) {
    return { fault: `the transcript section's heading ("${sections[transcript].heading}") must end in "Transcript" (the user's notes end there)` };
  }
  return {
    template: {
      id, name: name || id, source, ...(file ? { path: file } : {}), titleMatch,
      ...(language ? { language } : {}), instructions, sections,
    },
  };
}

/** Lines of prose as plain text: controls gone, blank lines at the ends dropped, runs of blank lines made one. */
function prose(lines: readonly string[]): string {
  return lines.map((l) => dropControls(l).trimEnd()).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** A front matter value without the quotes YAML allows around it. */
function unquote(value: string): string {
  const v = value.trim();
  return /^(["']).*\1$/.test(v) && v.length >= 2 ? v.slice(1, -1) : v;
}
