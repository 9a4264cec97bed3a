/**
 * Mentions of workspace files and symbols in transcript text, as people say them and whisper writes
 * them, and Markdown links for them (no VS Code API: unit-testable; the extension supplies the file
 * list and the workspace symbols).
 *
 * Everything is compared as a sequence of lower-case spoken words. An identifier becomes its words
 * (`parseConfig`, `ParseConfig`, `parse_config`, `PARSE_CONFIG`, `parse-config` → "parse config"); a
 * file path becomes its segments' words with "slash" and "dot" between (`src/utils/dateHelpers.ts` →
 * "src slash utils slash date helpers dot ts"). Transcript text is split the same way, with a `.` or `/`
 * written between two words (`auth.ts`, `src/auth.ts`) read as "dot" and "slash". So one lookup serves
 * "auth dot ts", "auth.ts", "Auth.TS", "parse config", "ParseConfig" and "parseConfig".
 *
 * What is matched, for a file `src/utils/dateHelpers.ts`:
 * - the name with its extension: "date helpers dot ts", `dateHelpers.ts`, and the same after up to three
 *   of its folders: "utils slash date helpers dot ts", `src/utils/dateHelpers.ts`;
 * - the folders and the name without the extension: "utils slash date helpers";
 * - the name and extension without "dot" ("date helpers ts", "package json"), when the extension is not an
 *   everyday word, and the bare name ("the date helpers file", "the auth module", "the README"): both only
 *   when exactly one file in the workspace has that form, else nothing is linked.
 * For a symbol `parseConfig`: its words in any casing or separator ("parse config", `ParseConfig`).
 *
 * When a mention counts (in short: written as code, or a cue word, or one rare word):
 * - written as code in the text (`parseConfig`, `user_service`, `auth.ts`), or said with "dot"/"slash":
 *   always;
 * - otherwise it needs a cue word right after it ("function", "method", "class", "type", "interface",
 *   "file", "module", "component", "test"…, see `words.ts`) or right before it ("class UserService",
 *   "function parse config"), and then only targets that fit the cue (a "function" is a function, method
 *   or variable; a "module" is a file); or, without a cue, at least two words of which one is not an
 *   everyday word (`COMMON_WORDS`): "parse config" links, "user service" and "update the config" do not;
 *   a single word without a cue links only to an extensionless or all-capitals file name that is not an
 *   everyday word ("the README", "Makefile").
 *
 * What is not matched: sound-alikes ("off dot ts" for auth.ts), numbers said as words ("retry two" for
 * `retry2`), "underscore"/"dash"/"period" said aloud, plurals ("parse configs"), parts of a written
 * identifier (`parseConfigLoader` does not link `parseConfig`), symbol names under three characters.
 *
 * Overlaps: the longest mention wins ("src slash auth dot ts" over "auth dot ts"), then the exact one, then
 * the earlier. Ambiguity: the targets are ranked (fits the cue, one of `preferPaths`, written exactly as
 * said, a symbol over a file unless the cue names a file, a declaration kind over a variable, not under a
 * test or fixture folder unless the cue is "test", under the workspace's biggest top-level folder, fewer
 * folders, then by path and line); the best is the target and the next few are `alternatives`.
 */
import { COMMON_WORDS, CUE_AFTER, CUE_BEFORE, Cue, isCommon, piecesOf, RUN, spokenWords } from './words';

/** A workspace symbol as the extension gets it from the workspace symbol provider. */
export interface SymbolInfo {
  name: string;
  /** VS Code's `SymbolKind` name in lower case: 'function', 'method', 'class', 'interface', 'variable'… */
  kind: string;
  /** Workspace-relative, with `/`. */
  path: string;
  /** 1-based, as the editor shows it (VS Code's positions are 0-based: the caller adds 1). */
  line: number;
}

export interface MentionTarget {
  kind: 'file' | 'symbol';
  /** Workspace-relative, with `/`. */
  path: string;
  /** 1-based; symbols only. */
  line?: number;
  /** The symbol's name, or the file's base name. */
  name: string;
  /** The symbol's kind, as given. */
  symbolKind?: string;
}

export interface Mention {
  /** Character offsets (UTF-16, as `String.prototype.slice`) of the name in the text; a cue word is not included. */
  start: number;
  end: number;
  target: MentionTarget;
  /** 'exact': the text has the name (or path) exactly as in the workspace; 'spoken': it was said in words or another casing. */
  confidence: 'exact' | 'spoken';
  /** Other targets the words fit, best first (at most `MAX_ALTERNATIVES`), when there was more than one. */
  alternatives?: MentionTarget[];
}

export interface MatchOptions {
  /** Paths to prefer when a mention is ambiguous: the active editor, the visible ones. */
  preferPaths?: Iterable<string>;
}

export const MAX_ALTERNATIVES = 5;
/** How many folders before a file name a spoken path may include. */
const MAX_FOLDERS = 3;
/** Symbols with shorter names are never linked: `id`, `x`, `fn` are everywhere. */
const MIN_SYMBOL_NAME = 3;

/** How a key came from a file name; symbols are 'symbol'. */
export type Form = 'symbol' | 'full' | 'bare' | 'stem';

/** One thing a spoken key names, and how the key was made from it. */
export interface IndexEntry {
  target: MentionTarget;
  form: Form;
  /** Folders were part of the key ("utils slash …"). */
  folders: boolean;
  /** The text as written in the workspace (`auth.ts`, `src/auth.ts`, `parseConfig`), for 'exact'; none for partial forms. */
  written?: string;
  /** Bare and stem forms of an extensionless or all-capitals name (`Makefile`, `README.md`): may stand alone. */
  loneName?: boolean;
  /** Where the target lies, for ranking (shared by a target's entries). */
  place: Place;
}

/** A target's path as ranking sees it, computed once. */
interface Place { top: string; depth: number; test: boolean }

function placeOf(path: string): Place {
  const slash = path.indexOf('/');
  return { top: slash > 0 ? path.slice(0, slash) : '', depth: path.split('/').length, test: TEST_PATH.test(path) };
}

/** Precomputed spoken forms of a workspace's files and symbols; build with `buildIndex`. */
export interface WorkspaceIndex {
  readonly fileCount: number;
  readonly symbolCount: number;
  /** Spoken key ("parse config", "src slash auth dot ts") → what it names. */
  readonly keys: ReadonlyMap<string, readonly IndexEntry[]>;
  /** Every word prefix of every key, so a scan stops as soon as no key can follow. */
  readonly prefixes: ReadonlySet<string>;
  /** Files under each top-level folder: the biggest is the main source tree. */
  readonly filesPerTop: ReadonlyMap<string, number>;
}

/** Builds the index from workspace-relative file paths and the workspace's symbols. */
export function buildIndex(files: string[], symbols: SymbolInfo[]): WorkspaceIndex {
  const keys = new Map<string, IndexEntry[]>();
  const prefixes = new Set<string>();
  const filesPerTop = new Map<string, number>();
  const add = (words: string[], entry: IndexEntry) => {
    if (words.length === 0) return;
    const key = words.join(' ');
    const list = keys.get(key);
    if (list) list.push(entry);
    else keys.set(key, [entry]);
    // Longest first: a prefix already there came with all of its own prefixes.
    for (let at = key.length; at > 0 && !prefixes.has(key.slice(0, at)); at = key.lastIndexOf(' ', at - 1)) prefixes.add(key.slice(0, at));
  };
  const seen = new Set<string>();
  for (const raw of files) {
    const path = normalizePath(raw);
    if (!path || seen.has(path)) continue;
    seen.add(path);
    const segments = path.split('/');
    if (segments.length > 1) filesPerTop.set(segments[0], (filesPerTop.get(segments[0]) ?? 0) + 1);
    const base = segments[segments.length - 1];
    const target: MentionTarget = { kind: 'file', path, name: base };
    const place = placeOf(path);
    const parts = base.replace(/^\.+/, '').split('.').map(spokenWords);
    if (parts.some((p) => p.length === 0)) continue;
    const noExtension = parts.length === 1;
    const loneName = noExtension || (/\p{Lu}/u.test(base) && !/\p{Ll}/u.test(base.split('.').slice(0, -1).join('.')));
    const forms: { words: string[]; form: Form; written?: string }[] = noExtension
      ? [{ words: parts[0], form: 'stem', written: base }]
      : [
        { words: parts.flatMap((p, i) => (i === 0 ? p : ['dot', ...p])), form: 'full', written: base },
        { words: parts.flat(), form: 'bare' },
        { words: parts.slice(0, -1).flat(), form: 'stem' },
      ];
    for (const f of forms) add(f.words, { target, place, form: f.form, folders: false, written: f.written, loneName: f.form !== 'full' && loneName });
    let folderWords: string[] = [];
    for (let k = 1; k <= Math.min(MAX_FOLDERS, segments.length - 1); k++) {
      const folder = spokenWords(segments[segments.length - 1 - k]);
      if (folder.length === 0) break;
      folderWords = [...folder, 'slash', ...folderWords];
      const folders = segments.slice(segments.length - 1 - k, -1).join('/');
      for (const f of forms) add([...folderWords, ...f.words], { target, place, form: f.form, folders: true, written: f.written && `${folders}/${f.written}` });
    }
  }
  const places = new Map<string, Place>();
  for (const s of symbols) {
    if (s.name.length < MIN_SYMBOL_NAME) continue;
    const target: MentionTarget = { kind: 'symbol', path: normalizePath(s.path), line: s.line, name: s.name, symbolKind: s.kind };
    let place = places.get(target.path);
    if (!place) places.set(target.path, (place = placeOf(target.path)));
    add(spokenWords(s.name), { target, place, form: 'symbol', folders: false, written: s.name });
  }
  return { fileCount: seen.size, symbolCount: symbols.length, keys, prefixes, filesPerTop };
}

const normalizePath = (p: string) => p.replace(/\\/g, '/').replace(/^\.?\/+/, '');

/** How a word of the text joins the one before it. */
type Join = 'space' | 'hyphen' | 'inner' | 'dot' | 'slash';

interface Word {
  word: string;
  start: number;
  end: number;
  join: Join;
  /** A `.` or `/` written between two words, read as "dot" or "slash". */
  written?: boolean;
}

/** The text as spoken words with offsets: `see src/authService.ts` → see, src, slash, auth, service, dot, ts. */
function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  let previousEnd = -1;
  for (const m of text.matchAll(RUN)) {
    const start = m.index ?? 0;
    let join: Join = 'space';
    if (previousEnd >= 0) {
      const gap = text.slice(previousEnd, start);
      if (gap === '.' || gap === '/' || gap === '\\') {
        words.push({ word: gap === '.' ? 'dot' : 'slash', start: previousEnd, end: start, join: 'inner', written: true });
        join = gap === '.' ? 'dot' : 'slash';
      } else if (/^_+$/.test(gap)) join = 'inner';
      else if (gap === '-') join = 'hyphen';
    }
    for (const [i, p] of piecesOf(m[0]).entries()) {
      words.push({ word: p.text.toLowerCase(), start: start + p.offset, end: start + p.offset + p.text.length, join: i === 0 ? join : 'inner' });
    }
    previousEnd = start + m[0].length;
  }
  return words;
}

const canStart = (w: Word) => !w.written && (w.join === 'space' || w.join === 'hyphen' || w.join === 'slash');
const canEndBefore = (next: Word | undefined) => !next || next.join === 'space' || next.join === 'hyphen' || (next.written === true && next.word === 'slash');

/** Finds the mentions of the index's files and symbols in the text, without overlaps, in text order. */
export function findMentions(text: string, index: WorkspaceIndex, options: MatchOptions = {}): Mention[] {
  const words = wordsOf(text);
  const prefer = new Set([...(options.preferPaths ?? [])].map(normalizePath));
  const candidates: Mention[] = [];
  for (let i = 0; i < words.length; i++) {
    if (!canStart(words[i])) continue;
    let key = '';
    for (let j = i; j < words.length; j++) {
      key = j === i ? words[i].word : `${key} ${words[j].word}`;
      if (!index.prefixes.has(key)) break;
      if (words[j].written || !canEndBefore(words[j + 1])) continue;
      const entries = index.keys.get(key);
      if (entries) {
        const mention = judge(text, words, i, j, entries, index, prefer);
        if (mention) candidates.push(mention);
      }
    }
  }
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || rank(a) - rank(b) || a.start - b.start);
  const kept: Mention[] = [];
  for (const c of candidates) if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  return kept.sort((a, b) => a.start - b.start);
}

const rank = (m: Mention) => (m.confidence === 'exact' ? 0 : 1);

/** Whether the words i..j of the text name these entries, and which best; undefined when they do not count as a mention. */
function judge(text: string, words: Word[], i: number, j: number, entries: readonly IndexEntry[], index: WorkspaceIndex, prefer: Set<string>): Mention | undefined {
  const start = words[i].start;
  const end = words[j].end;
  const said = text.slice(start, end);
  let asCode = false;
  for (let k = i + 1; k <= j; k++) if (words[k].join !== 'space' && words[k].join !== 'hyphen') asCode = true;
  const after = words[j + 1];
  const before = words[i - 1];
  const cue = (after && !after.written && (after.join === 'space' || after.join === 'hyphen') ? CUE_AFTER.get(after.word) : undefined)
    ?? (before && !before.written && words[i].join === 'space' ? CUE_BEFORE.get(before.word) : undefined);
  const spoken: string[] = [];
  for (let k = i; k <= j; k++) spoken.push(words[k].word);
  const everyday = spoken.length < 2 || spoken.every(isCommon);

  let accepted = entries.filter((e) => {
    if (e.form === 'full' || e.folders || asCode) return true;
    if (e.form === 'bare') {
      const extension = e.target.name.slice(e.target.name.lastIndexOf('.') + 1).toLowerCase();
      return extension.length >= 2 && !COMMON_WORDS.has(extension) && !/^\p{N}+$/u.test(extension) && !(cue && !fits(cue, e.target));
    }
    if (cue) return fits(cue, e.target);
    if (!everyday) return true;
    return spoken.length === 1 && e.loneName === true && !isCommon(spoken[0]);
  });
  // A file named only in part ("auth ts", "the auth module") must be the only file of that name.
  const partial = (e: IndexEntry) => e.target.kind === 'file' && !asCode && !e.folders && e.form !== 'full';
  if (new Set(accepted.filter(partial).map((e) => e.target.path)).size > 1) accepted = accepted.filter((e) => !partial(e));
  if (accepted.length === 0) return undefined;

  const scored = new Map<string, { entry: IndexEntry; score: number }>();
  for (const e of accepted) {
    const id = e.target.kind === 'file' ? e.target.path : `${e.target.path}:${e.target.line}:${e.target.name}`;
    const score = scoreOf(e, said, cue, prefer);
    const old = scored.get(id);
    if (!old || score > old.score) scored.set(id, { entry: e, score });
  }
  const ranked = [...scored.values()].sort((a, b) => b.score - a.score || tieBreak(a.entry, b.entry, index));
  const best = ranked[0].entry;
  const mention: Mention = { start, end, target: best.target, confidence: best.written === said ? 'exact' : 'spoken' };
  if (ranked.length > 1) mention.alternatives = ranked.slice(1, 1 + MAX_ALTERNATIVES).map((r) => r.entry.target);
  return mention;
}

const FUNCTION_KINDS = new Set(['function', 'method', 'constructor', 'variable', 'constant', 'property', 'field']);
const CLASS_KINDS = new Set(['class', 'struct']);
const TYPE_KINDS = new Set(['interface', 'class', 'struct', 'enum', 'typeparameter', 'type']);
const FILE_KINDS = new Set(['module', 'namespace', 'package', 'file']);
const DECLARATION_KINDS = new Set(['class', 'interface', 'function', 'method', 'enum', 'struct', 'type', 'module', 'namespace']);
const TEST_PATH = /(^|\/)(tests?|__tests__|specs?|fixtures?|e2e)\/|\.(test|spec)\.[^/]+$/i;

/** Whether a target is the kind of thing the cue word names. */
function fits(cue: Cue, t: MentionTarget): boolean {
  const kind = t.symbolKind?.toLowerCase() ?? '';
  switch (cue) {
    case 'function': return t.kind === 'symbol' && FUNCTION_KINDS.has(kind);
    case 'class': return t.kind === 'symbol' && CLASS_KINDS.has(kind);
    case 'type': return t.kind === 'symbol' && TYPE_KINDS.has(kind);
    case 'file': return t.kind === 'file' || FILE_KINDS.has(kind);
    case 'component': return t.kind === 'file' || CLASS_KINDS.has(kind) || kind === 'function' || kind === 'variable' || kind === 'constant';
    case 'test': return TEST_PATH.test(t.path);
  }
}

function scoreOf(e: IndexEntry, said: string, cue: Cue | undefined, prefer: Set<string>): number {
  const t = e.target;
  let score = 0;
  if (cue && fits(cue, t)) score += 8;
  if (prefer.has(t.path)) score += 4;
  if (e.written === said) score += 2;
  else if (e.written?.toLowerCase() === said.toLowerCase()) score += 1;
  if (t.kind === 'symbol' && cue !== 'file') score += 1;
  if (t.kind === 'symbol' && DECLARATION_KINDS.has(t.symbolKind?.toLowerCase() ?? '')) score += 1;
  if (cue !== 'test' && e.place.test) score -= 2;
  return score;
}

function tieBreak(a: IndexEntry, b: IndexEntry, index: WorkspaceIndex): number {
  const top = (e: IndexEntry) => index.filesPerTop.get(e.place.top) ?? 0;
  const [p, q] = [a.target.path, b.target.path];
  return top(b) - top(a) || a.place.depth - b.place.depth || (p < q ? -1 : p > q ? 1 : 0) || (a.target.line ?? 0) - (b.target.line ?? 0);
}

export interface LinkOptions {
  /** Put before every path, for a Markdown file that is not at the workspace root (`../../` for `.earshot/notes/`). */
  pathPrefix?: string;
}

/**
 * The text as Markdown with each mention a link to its workspace-relative path (`[parseConfig](src/config.ts#L40)`).
 * All text is escaped so it cannot start a block, inject HTML or break a link; whitespace runs become one
 * space (transcript lines are single lines in the notes). Mentions that overlap an earlier one or fall
 * outside the text are left as text.
 */
export function linkify(text: string, mentions: readonly Mention[], format: 'markdown' = 'markdown', options: LinkOptions = {}): string {
  if (format !== 'markdown') throw new Error(`unknown link format: ${String(format)}`);
  let out = '';
  let at = 0;
  for (const m of [...mentions].sort((a, b) => a.start - b.start)) {
    if (m.start < at || m.end > text.length || m.end <= m.start) continue;
    out += escapeMarkdown(text.slice(at, m.start));
    const label = escapeMarkdown(text.slice(m.start, m.end));
    const anchor = m.target.line !== undefined ? `#L${m.target.line}` : '';
    out += `[${label}](${encodeLinkPath((options.pathPrefix ?? '') + m.target.path)}${anchor})`;
    at = m.end;
  }
  return out + escapeMarkdown(text.slice(at));
}

/** Markdown text that cannot start a block, inject HTML or open a link (as the notes escape transcript text). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

/** A path as a Markdown link destination: each segment percent-encoded, and parentheses too. */
function encodeLinkPath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s).replace(/[()'*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}
