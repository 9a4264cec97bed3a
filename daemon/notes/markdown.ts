/**
 * Renders a session's Markdown notes from its journal, so the file can always be rebuilt and never
 * holds anything the journal does not. Written atomically: readers see the old file or the new one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { JournalContents, JournalRecord, segmentsOf } from '../journal/journal';

type Item = Extract<JournalRecord, { type: 'actionItem' }>;
type DecisionRecord = Extract<JournalRecord, { type: 'decision' }>;

/** mm:ss, or h:mm:ss past the hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

/** Keeps the highest revision of each id (items are refined in place, never duplicated), without withdrawn ones. */
function latest<T extends { id: string; revision: number; removed?: boolean }>(records: T[]): T[] {
  const byId = new Map<string, T>();
  for (const r of records) if ((byId.get(r.id)?.revision ?? -1) < r.revision) byId.set(r.id, r);
  return [...byId.values()].filter((r) => !r.removed).sort((a, b) => (a as { t0?: number }).t0! - (b as { t0?: number }).t0!);
}

/** How a decision reads in the notes: deferrals and things not to do are marked, agreements are plain. */
const DECISION_PREFIX: Record<string, string> = { decision: '', deferral: '**Deferred:** ', negative: '**Not doing:** ' };

/** Markdown text that cannot start a block or inject HTML, for transcript text inside list items. */
function inline(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`).replace(/\s+/g, ' ').trim();
}

export function renderNotes(journal: JournalContents): string {
  const { header, records } = journal;
  const segments = segmentsOf(records);
  const items = latest(records.filter((r): r is Item => r.type === 'actionItem'));
  const decisions = latest(records.filter((r): r is DecisionRecord => r.type === 'decision'));
  const end = records.find((r) => r.type === 'end') as Extract<JournalRecord, { type: 'end' }> | undefined;
  const started = new Date(header.startedAt);
  const speakers = [...new Set(segments.map((s) => s.speaker))];

  const out: string[] = [`# ${inline(header.title)}`, ''];
  out.push(`- **Date:** ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  if (speakers.length) out.push(`- **Participants:** ${speakers.map(inline).join(', ')}`);
  if (header.audioFile) out.push(`- **Recording:** ${inline(path.basename(header.audioFile))}`);
  if (end) {
    out.push(`- **Duration:** ${clock(end.capturedSec)}`);
  } else {
    out.push('- **Status:** in progress');
  }
  if (end?.error) out.push(`- **Stopped by an error:** ${inline(end.error)}`);
  out.push('', '## Decisions', '');
  out.push(...(decisions.length ? decisions.map((d) => `- ${DECISION_PREFIX[d.kind ?? 'decision'] ?? ''}${inline(d.text)} _(${clock(d.t0)})_`) : ['_None recorded._']));
  out.push('', '## Action items', '');
  out.push(...(items.length
    ? items.map((i) => `- [ ] ${inline(i.text)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${i.due}` : ''} _(${clock(i.t0)})_`)
    : ['_None recorded._']));
  out.push('', '## Transcript', '');
  out.push(...(segments.length
    ? segments.map((s) => `- **[${clock(s.t0)}] ${inline(s.speaker)}:** ${inline(s.text)}`)
    : ['_Nothing was transcribed._']));
  out.push('');
  return out.join('\n');
}

/** Writes via a temporary file and rename, so a crash or a full disk never leaves half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, content, { encoding: 'utf8', mode: 0o600 });
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}

/** `YYYY-MM-DD-HHMM-<title>.md` in local time, with the title reduced to a safe file name. */
export function notesFileName(startedAt: Date, title: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${startedAt.getFullYear()}-${pad(startedAt.getMonth() + 1)}-${pad(startedAt.getDate())}-${pad(startedAt.getHours())}${pad(startedAt.getMinutes())}`;
  const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'meeting';
  return `${stamp}-${slug}.md`;
}
