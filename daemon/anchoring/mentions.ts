/**
 * Mentions of workspace files and symbols in transcript text, as people say them and whisper writes
 * them, and Markdown links for them. The client sends the file list and the workspace symbols
 * (earshot/workspaceIndex); the daemon matches every final segment before journaling it.
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
 *   "file", "module", "component", "test"…, see `mentionWords.ts`) or right before it ("class UserService",
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
import { MentionTarget, SegmentMention, WorkspaceSymbolInfo } from '../../protocol/protocol';
import { escapeMarkdown, linkDestination } from '../../protocol/markdownText';
import { COMMON_WORDS, CUE_AFTER, CUE_BEFORE, Cue, isCommon, piecesOf, RUN, spokenWords } from './mentionWords';

/**
 * A mention as the matcher finds it: offsets are UTF-16 (as `String.prototype.slice`) and leave out a cue word;
 * `alternatives` holds at most `MAX_ALTERNATIVES` other targets, best first.
 */
export interface Mention extends SegmentMention {
  /** 'exact': the text has the name (or path) exactly as in the workspace; 'spoken': it was said in words or another casing. */
  confidence: 'exact' | 'spoken';
}

export interface MatchOptions {
  /** Paths to prefer when a mention is ambiguous: the active editor, the visible ones. */
  preferPaths?: Iterable<string>;
}

/** Few: the panel offers them as "did you mean", and every segment's journal line carries them. */
export const MAX_ALTERNATIVES = 3;
/** How many folders before a file name a spoken path may include. */
const MAX_FOLDERS = 3;
/** Symbols with shorter names are never linked: `id`, `x`, `fn` are everywhere. */
const MIN_SYMBOL_NAME = 3;

/** How a key came from a file name; symbols are 'symbol'. */
export type Form = 'symbol' | 'full' | 'bare' | 'stem';

/** One thing a spoken key names, and how the key was made from it. */
export interface IndexEntry {
  target: MentionTarget;
  /** The symbol's kind as the client gave it (symbols only): cue words and ranking look at it. */
  symbolKind?: string;
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

/** Builds the index from workspace-relative file paths and the workspace's symbols, at once. */
export function buildIndex(files: readonly string[], symbols: readonly WorkspaceSymbolInfo[]): WorkspaceIndex {
  const builder = new IndexBuilder();
  for (const file of files) builder.addFile(file);
  for (const symbol of symbols) builder.addSymbol(symbol);
  return builder.finish();
}

/**
 * The same index, built a slice at a time with the event loop free in between: a big workspace takes a third of a
 * second, which must not hold up audio, recognition or a final waiting to be journaled. Resolves undefined when
 * `cancelled()` turns true (a newer index arrived).
 */
export async function buildIndexInSlices(
  files: readonly string[], symbols: readonly WorkspaceSymbolInfo[], options: { sliceMs?: number; cancelled?(): boolean } = {},
): Promise<WorkspaceIndex | undefined> {
  const sliceMs = options.sliceMs ?? 8;
  const builder = new IndexBuilder();
  let sliceStart = performance.now();
  const total = files.length + symbols.length;
  for (let k = 0; k < total; k++) {
    if (k < files.length) builder.addFile(files[k]);
    else builder.addSymbol(symbols[k - files.length]);
    // Checking the clock costs more than adding one entry: look every 64.
    if ((k & 63) === 63 && performance.now() - sliceStart > sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      if (options.cancelled?.()) return undefined;
      sliceStart = performance.now();
    }
  }
  return options.cancelled?.() ? undefined : builder.finish();
}

class IndexBuilder {
  private readonly keys = new Map<string, IndexEntry[]>();
  private readonly prefixes = new Set<string>();
  private readonly filesPerTop = new Map<string, number>();
  private readonly seenFiles = new Set<string>();
  private readonly places = new Map<string, Place>();
  private symbolCount = 0;

  private add(words: string[], entry: IndexEntry): void {
    if (words.length === 0) return;
    const key = words.join(' ');
    const list = this.keys.get(key);
    if (list) list.push(entry);
    else this.keys.set(key, [entry]);
    // Longest first: a prefix already there came with all of its own prefixes.
    for (let at = key.length; at > 0 && !this.prefixes.has(key.slice(0, at)); at = key.lastIndexOf(' ', at - 1)) this.prefixes.add(key.slice(0, at));
  }

  addFile(raw: string): void {
    const path = normalizePath(raw);
    if (!path || this.seenFiles.has(path)) return;
    this.seenFiles.add(path);
    const segments = path.split('/');
    if (segments.length > 1) this.filesPerTop.set(segments[0], (this.filesPerTop.get(segments[0]) ?? 0) + 1);
    const base = segments[segments.length - 1];
    const target: MentionTarget = { kind: 'file', path };
    const place = placeOf(path);
    const parts = base.replace(/^\.+/, '').split('.').map(spokenWords);
    if (parts.some((p) => p.length === 0)) return;
    const noExtension = parts.length === 1;
    const loneName = noExtension || (/\p{Lu}/u.test(base) && !/\p{Ll}/u.test(base.split('.').slice(0, -1).join('.')));
    const forms: { words: string[]; form: Form; written?: string }[] = noExtension
      ? [{ words: parts[0], form: 'stem', written: base }]
      : [
        { words: parts.flatMap((p, i) => (i === 0 ? p : ['dot', ...p])), form: 'full', written: base },
        { words: parts.flat(), form: 'bare' },
        { words: parts.slice(0, -1).flat(), form: 'stem' },
      ];
    for (const f of forms) this.add(f.words, { target, place, form: f.form, folders: false, written: f.written, loneName: f.form !== 'full' && loneName });
    let folderWords: string[] = [];
    for (let k = 1; k <= Math.min(MAX_FOLDERS, segments.length - 1); k++) {
      const folder = spokenWords(segments[segments.length - 1 - k]);
      if (folder.length === 0) break;
      folderWords = [...folder, 'slash', ...folderWords];
      const folders = segments.slice(segments.length - 1 - k, -1).join('/');
      for (const f of forms) this.add([...folderWords, ...f.words], { target, place, form: f.form, folders: true, written: f.written && `${folders}/${f.written}` });
    }
  }

  addSymbol(s: WorkspaceSymbolInfo): void {
    this.symbolCount++;
    if (s.name.length < MIN_SYMBOL_NAME) return;
    const target: MentionTarget = { kind: 'symbol', path: normalizePath(s.path), line: s.line, name: s.name };
    let place = this.places.get(target.path);
    if (!place) this.places.set(target.path, (place = placeOf(target.path)));
    this.add(spokenWords(s.name), { target, symbolKind: s.kind, place, form: 'symbol', folders: false, written: s.name });
  }

  finish(): WorkspaceIndex {
    return { fileCount: this.seenFiles.size, symbolCount: this.symbolCount, keys: this.keys, prefixes: this.prefixes, filesPerTop: this.filesPerTop };
  }
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
      const extension = e.target.path.slice(e.target.path.lastIndexOf('.') + 1).toLowerCase();
      return extension.length >= 2 && !COMMON_WORDS.has(extension) && !/^\p{N}+$/u.test(extension) && !(cue && !fits(cue, e));
    }
    if (cue) return fits(cue, e);
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
function fits(cue: Cue, e: IndexEntry): boolean {
  const t = e.target;
  const kind = e.symbolKind?.toLowerCase() ?? '';
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
  if (cue && fits(cue, e)) score += 8;
  if (prefer.has(t.path)) score += 4;
  if (e.written === said) score += 2;
  else if (e.written?.toLowerCase() === said.toLowerCase()) score += 1;
  if (t.kind === 'symbol' && cue !== 'file') score += 1;
  if (t.kind === 'symbol' && DECLARATION_KINDS.has(e.symbolKind?.toLowerCase() ?? '')) score += 1;
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
export function linkify(text: string, mentions: readonly SegmentMention[], format: 'markdown' = 'markdown', options: LinkOptions = {}): string {
  if (format !== 'markdown') throw new Error(`unknown link format: ${String(format)}`);
  let out = '';
  let at = 0;
  // Mentions may come from a journal on disk: anything malformed is left as text.
  const usable = mentions.filter((m) => Number.isInteger(m?.start) && Number.isInteger(m.end) && typeof m.target?.path === 'string' && m.target.path !== '');
  for (const m of usable.sort((a, b) => a.start - b.start)) {
    if (m.start < at || m.end > text.length || m.end <= m.start) continue;
    out += escapeMarkdown(text.slice(at, m.start));
    const label = escapeMarkdown(text.slice(m.start, m.end));
    out += `[${label}](${linkDestination(m.target.path, options.pathPrefix ?? '', m.target.kind === 'symbol' ? m.target.line : undefined)})`;
    at = m.end;
  }
  return out + escapeMarkdown(text.slice(at));
}

/** The mentions of the index's files and symbols in a segment's text, as the segment carries them. */
export function segmentMentions(text: string, index: WorkspaceIndex, options: MatchOptions = {}): SegmentMention[] {
  return findMentions(text, index, options).map(({ confidence: _confidence, ...mention }) => mention);
}
