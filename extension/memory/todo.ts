/**
 * Open action items across meetings, arranged: yours first then the others' (the chat's /todo), grouped by meeting or
 * by owner (the Action items view), and one item as a TODO comment in a given language. Pure (no vscode).
 */
import type { MemoryMeeting, MemoryTodoItem } from '../../protocol/protocol';
import { plainLine } from '../../protocol/plainText';
import { meetingDate } from './prompt';

export interface TodoGroup {
  /** A meeting's title and date, or an owner ("No owner" for none). */
  label: string;
  /** Set for a meeting group. */
  meeting?: MemoryMeeting;
  items: MemoryTodoItem[];
}

export type Grouping = 'meeting' | 'owner';

export const NO_OWNER = 'No owner';

export function meetingLabel(m: MemoryMeeting): string {
  return `${m.title} · ${meetingDate(m.startedAt)}`;
}

/** Groups in the order the daemon gave (newest meeting first); by owner: yours first, then by name. */
export function groupTodo(items: readonly MemoryTodoItem[], by: Grouping): TodoGroup[] {
  const groups = new Map<string, TodoGroup>();
  for (const item of items) {
    const key = by === 'meeting' ? item.meeting.sessionId : (item.item.owner?.trim() || NO_OWNER).toLowerCase();
    let group = groups.get(key);
    if (!group) {
      group = by === 'meeting' ? { label: meetingLabel(item.meeting), meeting: item.meeting, items: [] } : { label: item.item.owner?.trim() || NO_OWNER, items: [] };
      groups.set(key, group);
    }
    group.items.push(item);
  }
  const list = [...groups.values()];
  if (by === 'owner') {
    const mine = (g: TodoGroup) => (g.items.some((i) => i.mine) ? 0 : 1);
    list.sort((a, b) => mine(a) - mine(b) || Number(a.label === NO_OWNER) - Number(b.label === NO_OWNER) || a.label.localeCompare(b.label));
  } else {
    // Within a meeting, yours first (stable: the meeting's order otherwise).
    for (const g of list) g.items.sort((a, b) => Number(b.mine) - Number(a.mine));
  }
  return list;
}

/** /todo: your items grouped by meeting, then everyone else's. */
export function todoSections(items: readonly MemoryTodoItem[]): { title: string; groups: TodoGroup[] }[] {
  const mine = items.filter((i) => i.mine), others = items.filter((i) => !i.mine);
  return [
    ...(mine.length ? [{ title: 'Yours', groups: groupTodo(mine, 'meeting') }] : []),
    ...(others.length ? [{ title: mine.length ? 'Everyone else\'s' : 'Open action items', groups: groupTodo(others, 'meeting') }] : []),
  ];
}

/**
 * Line comments by language id. VS Code has no API that gives a language's comment token (it is in the language
 * configuration, which extensions cannot read), and running editor.action.commentLine after inserting depends on
 * the cursor and toggles an already commented line back: a table is predictable and testable. Unknown: `//`.
 */
const COMMENTS: Record<string, [string, string?]> = {
  python: ['#'], shellscript: ['#'], ruby: ['#'], perl: ['#'], r: ['#'], yaml: ['#'], toml: ['#'], dockerfile: ['#'], makefile: ['#'],
  powershell: ['#'], coffeescript: ['#'], elixir: ['#'], julia: ['#'], nim: ['#'], properties: ['#'], ini: [';'], clojure: [';;'],
  lisp: [';;'], scheme: [';;'], sql: ['--'], lua: ['--'], haskell: ['--'], elm: ['--'], ada: ['--'], vb: ["'"], bat: ['REM'],
  latex: ['%'], tex: ['%'], erlang: ['%'], matlab: ['%'], fortran: ['!'], vim: ['"'],
  html: ['<!--', '-->'], xml: ['<!--', '-->'], markdown: ['<!--', '-->'], svelte: ['<!--', '-->'], vue: ['<!--', '-->'],
  css: ['/*', '*/'], scss: ['//'], less: ['//'], plaintext: [''],
  // Templates whose files are HTML: a line comment there would be page text, so each gets its own comment tag.
  blade: ['{{--', '--}}'], handlebars: ['{{!--', '--}}'], razor: ['@*', '*@'], aspnetcorerazor: ['@*', '*@'], erb: ['<%#', '%>'],
};

/**
 * Languages that leave their code for HTML at `?>` or `%>` even inside a comment: PHP's manual, "Comments": "The
 * one-line comment styles only comment to the end of the line or the current block of PHP code, whichever comes
 * first [...] HTML code after // ... ?> or # ... ?> WILL be printed" (https://www.php.net/manual/en/language.basic-syntax.comments.php);
 * Blade compiles to PHP; an ERB comment `<%# %>` ends at the first `%>` (ERB's scanner, ruby/erb lib/erb/compiler.rb).
 */
const TEMPLATE_CLOSERS = new Set(['php', 'blade', 'erb']);

/**
 * Files a browser reads as HTML, where the TODO may land inside a <script> or <style> element: such an element's text
 * ends at the first `</script` or `</style`, comment or not (WHATWG HTML, 13.2.5.4 "Script data state": "</" starts an
 * end tag), so the rest of the line would be page markup. Every `</` in them is broken (`< /`).
 */
const HTML_HOSTED = new Set(['html', 'vue', 'svelte', 'php', 'blade', 'erb', 'handlebars', 'razor', 'aspnetcorerazor']);

/** `TODO(owner): text (meeting, date)` as a line comment of the language (its indentation added by the caller). */
export function todoComment(languageId: string, item: MemoryTodoItem): string {
  const [open, close] = COMMENTS[languageId] ?? ['//'];
  const field = (text: string) => commentSafe(text, open, TEMPLATE_CLOSERS.has(languageId), HTML_HOSTED.has(languageId));
  const owner = field(item.item.owner ?? '');
  const due = item.item.due ? `, due ${field(item.item.due)}` : '';
  const body = `TODO${owner ? `(${owner})` : ''}: ${field(item.item.text)} (${field(item.meeting.title)}, ${field(meetingDate(item.meeting.startedAt))}${due})`;
  return [open, body, close].filter((s) => s).join(' ');
}

/**
 * One field of a TODO comment, on one line and unable to end its comment (item text comes from a transcript or a
 * model, so it may hold a terminator): in `<!-- -->`, `{{-- --}}` and `{{!-- --}}` every `--` is broken (`- -`), which
 * covers `-->`, `--!>`, `<!--`, `--}}` and XML's rule that a comment holds no `--`; in `/* *\/` both `*\/` and `/*`
 * (languages that nest them); in `@* *@` the `*@`; in a template language (`templateCode`) `?>` and `%>` (`? >`); in a
 * file read as HTML (`htmlHosted`) every `</` (`< /`).
 */
function commentSafe(text: string, open: string, templateCode: boolean, htmlHosted: boolean): string {
  // One line, without the controls and bidi overrides that make a source line read differently from what it is.
  let safe = plainLine(text);
  if (['<!--', '{{--', '{{!--'].includes(open)) while (safe.includes('--')) safe = safe.replace(/--/g, '- -');
  if (open === '/*') while (/\*\/|\/\*/.test(safe)) safe = safe.replace(/\*\//g, '* /').replace(/\/\*/g, '/ *');
  if (open === '@*') safe = safe.replace(/\*@/g, '* @');
  if (templateCode) safe = safe.replace(/([?%])>/g, '$1 >');
  if (htmlHosted) safe = safe.replace(/<\//g, '< /');
  return safe;
}
