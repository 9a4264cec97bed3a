// extension/decisions/: a meeting's decision written as an Architecture Decision Record in the workspace (adr.ts, pure:
// layout, folder, number, exclusive create; decisionRecords.ts, the command and its entry points). Imports memory/,
// remote/ and settings/.
/**
 * An Architecture Decision Record from a meeting's decision, in MADR 4's layout, and where it goes: the ADR folder
 * (set, or detected as adr-tools and MADR lay it out), the next number in it, a file created exclusively (never
 * overwriting one). Pure but for the node file system of {@link nodeAdrFs}: no vscode, so unit tests run it as it is.
 *
 * The layout is MADR 4.0.0's template (https://github.com/adr/madr, template/adr-template.md as published in the
 * madr@4.0.0 package): YAML front matter `status`, `date`, `decision-makers`, `consulted`; `# title`; `## Context and
 * Problem Statement`; `## Decision Outcome` with `### Consequences`; `## More Information`. The optional sections a
 * meeting does not give (Decision Drivers, Considered Options, Pros and Cons, Confirmation) are left out rather than
 * left as placeholders, and Consequences is written only where the meeting states one (a decision not to do something,
 * one left open), never made up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Decision, DecisionStanding, decisionStanding, MemoryLine, MemoryMeeting } from '../../protocol/protocol';
import { plainLine } from '../../protocol/plainText';
import { clock, inline, linkDestination } from '../../protocol/markdownText';

/** The command that writes a decision as an ADR: args `{ sessionId, decisionId }`, or none to pick one. */
export const WRITE_DECISION_RECORD_COMMAND = 'earshot.writeDecisionRecord';
export interface WriteDecisionRecordArgs {
  sessionId: string;
  decisionId: string;
}

/**
 * Where ADRs are looked for, in order, when `earshot.adr.folder` is not set and the workspace has no adr-tools
 * `.adr-dir` file: MADR's default first, then adr-tools' and the other common layouts. None there: MADR's default.
 */
export const ADR_FOLDER_CANDIDATES = ['docs/decisions', 'docs/adr', 'docs/adrs', 'doc/adr', 'docs/architecture/decisions', 'adr', 'adrs'] as const;
export const DEFAULT_ADR_FOLDER = 'docs/decisions';
/** adr-tools' file at the repository root naming its ADR folder (`adr init` writes it). */
export const ADR_DIR_FILE = '.adr-dir';
/** Numbers tried when the file names are taken while we write (another window, a teammate's sync). */
export const MAX_CREATE_TRIES = 20;
const TITLE_MAX = 72;
const SLUG_MAX = 50;

/** How a decision's standing reads in an ADR: MADR's status, and what the record says of it. */
export const ADR_STATUS: Record<DecisionStanding, { status: 'accepted' | 'proposed'; outcome: string; note?: string }> = {
  decided: { status: 'accepted', outcome: 'Decided' },
  // Put off in the meeting: a proposal the team has yet to decide.
  open: { status: 'proposed', outcome: 'Left open', note: 'The meeting left this open: it is recorded as proposed until the team decides it.' },
  // A requirement from outside the team (a customer, the law, another team): in force, so accepted, but not the team's to revisit.
  given: {
    status: 'accepted', outcome: 'Given to the team',
    note: 'This is a constraint given to the team from outside it (a requirement, not a choice the team made): recorded as accepted, to be revisited only with whoever set it.',
  },
};

/** What an ADR is written from: the decision, its meeting, the lines around it, and the link back to the notes. */
export interface AdrSource {
  decision: Pick<Decision, 'sessionId' | 'id' | 'text' | 'kind' | 'standing' | 'segmentId' | 't0'>;
  meeting: Pick<MemoryMeeting, 'sessionId' | 'title' | 'startedAt'>;
  /** The decision's segment (hit) and the segments around it, in meeting order; empty when memory has none. */
  lines: readonly Pick<MemoryLine, 'speaker' | 't0' | 'text' | 'hit'>[];
  /** The notes file as a path relative to the ADR's folder, with `/`, and the decision's 1-based line there. */
  notes?: { relativePath: string; line?: number };
}

/** A short title from the decision's words: its first sentence, plain, at most {@link TITLE_MAX} characters. */
export function adrTitle(text: string): string {
  let t = plainLine(text).replace(/^[-*•\s]+/, '');
  const sentence = /^(.{12,}?[.!?])(\s|$)/u.exec(t);
  if (sentence) t = sentence[1];
  t = t.replace(/[.!?;:,\s]+$/u, '');
  if (t.length > TITLE_MAX) {
    const cut = t.slice(0, TITLE_MAX - 1);
    const space = cut.lastIndexOf(' ');
    t = `${(space > TITLE_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/u, '')}…`;
  }
  return t ? t[0].toLocaleUpperCase() + t.slice(1) : 'Decision';
}

/** The file name's words: ASCII letters and digits joined by `-`, at most {@link SLUG_MAX} characters; `decision` when none. */
export function adrSlug(title: string): string {
  const words = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  let slug = words.slice(0, SLUG_MAX);
  if (words.length > SLUG_MAX && slug.includes('-')) slug = slug.slice(0, slug.lastIndexOf('-'));
  return slug.replace(/-+$/, '') || 'decision';
}

/**
 * The ADR number a folder's file names have used most (a `NNNN-` prefix, any count of digits), 0 for none. A dated
 * name (`2024-05-01-notes.md`) is not an ADR: its year is no number to follow.
 */
export function highestAdrNumber(names: readonly string[]): number {
  let most = 0;
  for (const n of names) {
    const m = /^\d{4}-\d{2}-\d{2}/.test(n) ? null : /^(\d{1,9})-/.exec(n);
    if (m) most = Math.max(most, Number(m[1]));
  }
  return most;
}

export function adrFileName(n: number, title: string): string {
  return `${String(n).padStart(4, '0')}-${adrSlug(title)}.md`;
}

/** The record's Markdown: every meeting text inert (escaped as the notes escape it), the link's destination encoded. */
export function renderAdr(src: AdrSource): string {
  const { decision, meeting } = src;
  const standing = decisionStanding(decision);
  const how = ADR_STATUS[standing];
  const hit = src.lines.find((l) => l.hit);
  const deciders = hit?.speaker.trim() ? [hit.speaker] : [];
  const consulted = [...new Set(src.lines.map((l) => l.speaker).filter((s) => s.trim() && !deciders.includes(s)))];
  const day = meeting.startedAt.slice(0, 10);
  const meetingName = `“${inline(meeting.title)}” (${inline(day)})`;
  const out = [
    '---',
    `status: ${how.status}`,
    `date: ${/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : 'unknown'}`,
    `decision-makers: ${yamlList(deciders)}`,
    `consulted: ${yamlList(consulted)}`,
    '---',
    '',
    `# ${inline(adrTitle(decision.text))}`,
    '',
    '## Context and Problem Statement',
    '',
  ];
  if (src.lines.length) {
    out.push(`Discussed in the meeting ${meetingName}, around ${clock(decision.t0)}:`, '');
    for (const l of src.lines) out.push(`- **[${clock(l.t0)}] ${inline(l.speaker) || 'Unknown'}:** ${inline(l.text)}${l.hit ? ' _(the decision)_' : ''}`);
  } else {
    out.push(`Decided in the meeting ${meetingName}, at ${clock(decision.t0)}; its transcript is no longer stored.`);
  }
  out.push('', '## Decision Outcome', '', `${how.outcome}: ${decision.kind === 'negative' ? '**not** doing this: ' : ''}${inline(decision.text)}`, '');
  if (how.note) out.push(how.note, '');
  const consequence = decision.kind === 'negative' ? 'Bad, because what was proposed will not be done (a decision against it).'
    : standing === 'open' ? 'Neutral, because it still has to be decided.' : undefined;
  if (consequence) out.push('### Consequences', '', `* ${consequence}`, '');
  out.push('## More Information', '');
  const who = deciders.length ? `, said by ${inline(deciders[0])}` : '';
  out.push(`Recorded by Earshot from the meeting ${meetingName}, at ${clock(decision.t0)}${who}; session ${inline(meeting.sessionId)}, decision ${inline(decision.id)}.`);
  if (src.notes) {
    const line = src.notes.line && src.notes.line > 0 ? src.notes.line : undefined;
    out.push('', `[The decision in the meeting's notes${line ? `, line ${line}` : ''}](${linkDestination(src.notes.relativePath, '', line)})`);
  }
  out.push('');
  return out.join('\n');
}

/** A YAML flow list of double-quoted strings: JSON's quoting is YAML's, so no name can end the list or start a key. */
function yamlList(names: readonly string[]): string {
  return `[${names.map((n) => JSON.stringify(plainLine(n))).join(', ')}]`;
}

/** What the ADR folder and writer need of a workspace folder's files (paths relative to it, with `/`). */
export interface AdrFs {
  /** A file's text, undefined when it is not there. */
  readText(rel: string): Promise<string | undefined>;
  isDirectory(rel: string): Promise<boolean>;
  /** File names in a folder ([] when it is not there). */
  list(rel: string): Promise<string[]>;
  mkdirs(rel: string): Promise<void>;
  /** Creates the file with `content` unless something is there already: false then, and the file is untouched. */
  createNew(rel: string, content: string): Promise<boolean>;
}

export interface AdrFolder {
  /** Relative to the workspace folder, with `/`. */
  folder: string;
  /** How it was chosen: the setting, adr-tools' `.adr-dir`, a folder already there, or MADR's default (to be created). */
  source: 'setting' | 'adr-dir' | 'existing' | 'default';
}

/**
 * A workspace-relative folder as given (a setting, `.adr-dir`): `/`-separated, normalized, and inside the workspace
 * folder; undefined for an empty, absolute or escaping one.
 */
export function relativeFolder(given: string): string | undefined {
  const t = given.trim().replace(/\\/g, '/');
  if (!t || t.startsWith('/') || /^[a-z]:/i.test(t) || /[\u0000-\u001f]/.test(t)) return undefined;
  const norm = path.posix.normalize(t).replace(/\/+$/, '');
  return norm === '.' || norm === '..' || norm.startsWith('../') ? undefined : norm;
}

/** The ADR folder: the setting, else adr-tools' `.adr-dir`, else the first candidate folder there, else MADR's default. */
export async function detectAdrFolder(files: AdrFs, setting?: string): Promise<AdrFolder> {
  if (setting?.trim()) {
    const folder = relativeFolder(setting);
    if (!folder) throw new Error(`earshot.adr.folder must be a folder inside the workspace folder (relative, no "..", not absolute); it is ${JSON.stringify(setting)}.`);
    return { folder, source: 'setting' };
  }
  const adrDir = await files.readText(ADR_DIR_FILE);
  const fromTools = adrDir !== undefined ? relativeFolder(adrDir.split(/\r?\n/)[0] ?? '') : undefined;
  if (fromTools) return { folder: fromTools, source: 'adr-dir' };
  for (const folder of ADR_FOLDER_CANDIDATES) if (await files.isDirectory(folder)) return { folder, source: 'existing' };
  return { folder: DEFAULT_ADR_FOLDER, source: 'default' };
}

/**
 * Writes the record as the next number in `folder`, never over a file: the name is created exclusively, and when it
 * was taken meanwhile (or the folder gained a higher number) the next free number is tried, at most
 * {@link MAX_CREATE_TRIES} times. Two writers choosing the same number with different titles both succeed (the name
 * differs); adr-tools has the same limit.
 */
export async function writeAdr(files: AdrFs, folder: string, title: string, content: (n: number) => string): Promise<{ number: number; rel: string }> {
  await files.mkdirs(folder);
  let n = 0;
  for (let attempt = 0; attempt < MAX_CREATE_TRIES; attempt++) {
    n = Math.max(n + 1, highestAdrNumber(await files.list(folder)) + 1);
    const rel = `${folder}/${adrFileName(n, title)}`;
    if (await files.createNew(rel, content(n))) return { number: n, rel };
  }
  throw new Error(`Could not find a free ADR number in ${folder} after ${MAX_CREATE_TRIES} tries (files kept appearing); nothing was written.`);
}

/** {@link AdrFs} over a local folder: the exclusive create is the OS's (`wx`: O_CREAT | O_EXCL). */
export function nodeAdrFs(root: string): AdrFs {
  const at = (rel: string) => path.join(root, ...rel.split('/'));
  return {
    readText: async (rel) => {
      try {
        return await fs.promises.readFile(at(rel), 'utf8');
      } catch (e) {
        if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
        throw e;
      }
    },
    isDirectory: async (rel) => (await fs.promises.stat(at(rel)).catch(() => undefined))?.isDirectory() ?? false,
    list: async (rel) => fs.promises.readdir(at(rel)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e))),
    mkdirs: async (rel) => { await fs.promises.mkdir(at(rel), { recursive: true }); },
    createNew: async (rel, content) => {
      try {
        await fs.promises.writeFile(at(rel), content, { encoding: 'utf8', flag: 'wx' });
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    },
  };
}
