/**
 * Exports of a session, from its journal: the Markdown notes, one JSON document, SRT and WebVTT
 * subtitles, and plain text. Like the notes, every export is derived from the journal alone, so it can
 * be made at any time (during the meeting, after it, after a crash: a torn last line is already skipped
 * by readJournal). Each text format has a parser beside its writer (parseExport): exports round-trip.
 */
import { ActionItem, Decision, DecisionKind, DecisionStanding, decisionStanding, EXPORT_FORMATS, ExportFormat, FinalSegment, SourceKind } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { currentItems, JournalContents, JournalRecord, segmentsOf } from '../journal/journal';
import { renderNotes } from './markdown';
import { notesFileName } from './notesFile';
import { notesSummary, NotesSummaryPoint } from './summarySection';

// The formats are part of the protocol (earshot/session/export); the CLI offers the same ones.
export { EXPORT_FORMATS } from '../../protocol/protocol';
export type { ExportFormat } from '../../protocol/protocol';

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** The `json` export: one document, latest revisions only, withdrawn items left out, times in seconds (ms precision). */
export interface SessionExport {
  session: {
    id: string;
    title: string;
    /** ISO time of capture-clock zero; every t0/t1 counts from it. */
    startedAt: string;
    sources: SourceKind[];
    language: string;
    audioFile?: string;
    /** Audio seconds captured; null while the session has no end record (in progress, or the daemon died). */
    durationSec: number | null;
    /** The workspace folder that mention and viewing paths are relative to (the last one the session had), when known. */
    workspaceRoot?: string;
  };
  /** `mentions` and `viewing` as journaled, present only when the segment has them. */
  segments: Pick<FinalSegment, 'segmentId' | 't0' | 't1' | 'source' | 'speaker' | 'text' | 'mentions' | 'viewing'>[];
  /** `rewritten`: the opt-in language model rewrote it (what it said before). */
  actionItems: (Pick<ActionItem, 'id' | 'text' | 'owner' | 'due' | 'duePhrase' | 'segmentId' | 't0' | 'done' | 'rewritten'> & { refinedBy?: string })[];
  /** `standing` always (derived from the kind for a journal written before standings). */
  decisions: (Pick<Decision, 'id' | 'text' | 'kind' | 'segmentId' | 't0'> & { standing: DecisionStanding; refinedBy?: string })[];
  /** The opt-in language-model refinement, when one succeeded: its model and summary (items it wrote say refinedBy). */
  refinement?: { model: string; summary: string[] };
  /** The language model's summary as the notes show it (its last revision; cites only of exported segments), when one was written. */
  summary?: { by: string; points: { text: string; segmentIds: string[] }[]; parts?: { t0: number; t1: number; points: { text: string; segmentIds: string[] }[] }[] };
}

/** A segment read back from an export: times are null where the format has none (txt has no end, and its start is whole seconds). */
export interface ParsedSegment {
  t0: number | null;
  t1: number | null;
  speaker: string | null;
  text: string;
}

/** The session exported in `format`. Text formats end with a newline; an empty session gives a valid, empty file. */
export function exportSession(journal: JournalContents, format: ExportFormat): string {
  const clean = wellFormed(journal);
  switch (format) {
    case 'md': return renderNotes(clean);
    case 'json': return JSON.stringify(sessionExport(clean), null, 2) + '\n';
    case 'srt': return srt(exportedSegments(clean));
    case 'vtt': return vtt(exportedSegments(clean));
    case 'txt': return txt(exportedSegments(clean));
    default: throw new Error(`unknown export format ${JSON.stringify(format)} (known: ${EXPORT_FORMATS.join(', ')})`);
  }
}

/** A file name for an export: the notes file's name (`YYYY-MM-DD-HHMM-<title>`) with the format's extension. */
export function exportFileName(journal: JournalContents, format: ExportFormat): string {
  return notesFileName(new Date(journal.header.startedAt), journal.header.title).replace(/\.md$/, `.${format}`);
}

/** The `json` export as an object. */
export function sessionExport(journal: JournalContents): SessionExport {
  const { header, records } = wellFormed(journal);
  const end = records.find((r): r is Extract<JournalRecord, { type: 'end' }> => r.type === 'end');
  const { actionItems, decisions } = currentItems(records);
  const workspaceRoot = records.filter((r): r is Extract<JournalRecord, { type: 'workspace' }> => r.type === 'workspace' && typeof r.root === 'string').pop()?.root;
  return {
    session: {
      id: header.sessionId,
      title: header.title,
      startedAt: header.startedAt,
      sources: header.sources,
      language: header.language,
      ...(header.audioFile ? { audioFile: header.audioFile } : {}),
      durationSec: end ? ms(end.capturedSec) : null,
      ...(workspaceRoot !== undefined ? { workspaceRoot } : {}),
    },
    segments: exportedSegments({ header, records, tornTail: journal.tornTail })
      .map((s) => ({
        segmentId: s.segmentId, t0: ms(s.t0), t1: ms(s.t1), source: s.source, speaker: s.speaker, text: s.text,
        ...(Array.isArray(s.mentions) && s.mentions.length ? { mentions: s.mentions } : {}),
        ...(s.viewing ? { viewing: s.viewing } : {}),
      })),
    actionItems: actionItems.map((i) => ({
        id: i.id, text: i.text, owner: i.owner ?? null, due: i.due ?? null, duePhrase: i.duePhrase ?? null, segmentId: i.segmentId, t0: ms(i.t0),
        ...(typeof i.done === 'boolean' ? { done: i.done } : {}),
        ...(typeof i.refinedBy === 'string' ? { refinedBy: i.refinedBy } : {}),
        ...(i.rewritten ? { rewritten: i.rewritten } : {}),
      })),
    decisions: decisions.map((d) => ({
        id: d.id, text: d.text, kind: (d.kind ?? 'decision') as DecisionKind, standing: decisionStanding(d), segmentId: d.segmentId, t0: ms(d.t0),
        ...(typeof d.refinedBy === 'string' ? { refinedBy: d.refinedBy } : {}),
      })),
    ...refinementOf(records),
    ...modelSummaryOf(records, exportedSegments({ header, records, tornTail: journal.tornTail })),
  };
}

/** The model's summary as the notes render it (summarySection.ts), for the json export. */
function modelSummaryOf(records: JournalRecord[], segments: readonly FinalSegment[]): Pick<SessionExport, 'summary'> {
  const summary = notesSummary(records, new Map(segments.map((s) => [s.segmentId, s])), false);
  const points = (list: readonly NotesSummaryPoint[]) => list.map((p) => ({ text: p.text, segmentIds: p.segmentIds }));
  // The notes on each part where the notes file shows them (summarySection.ts partLines).
  const parts = summary.parts.length ? { parts: summary.parts.map((p) => ({ t0: ms(p.t0), t1: ms(p.t1), points: points(p.points) })) } : {};
  return summary.points.length ? { summary: { by: summary.by ?? '', points: points(summary.points), ...parts } } : {};
}

/** The last successful refinement, as the json export carries it. */
function refinementOf(records: JournalRecord[]): { refinement?: { model: string; summary: string[] } } {
  const r = records.filter((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement').pop();
  if (!r || typeof r.model !== 'string' || !Array.isArray(r.summary)) return {};
  return { refinement: { model: r.model, summary: r.summary.filter((b): b is string => typeof b === 'string') } };
}


/** Seconds rounded to milliseconds, as every JSON output of Earshot. */
const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * The records an export can rely on. The journal is written by Earshot, but it is a file on disk:
 * a record that is not an object or lacks a field an export reads is skipped rather than printed as
 * "undefined". Unknown record types (a newer journal) are kept; exports ignore them.
 */
function wellFormed(journal: JournalContents): JournalContents {
  const str = (v: unknown) => typeof v === 'string';
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const records = journal.records.filter((r) => {
    if (typeof r !== 'object' || r === null) return false;
    const o = r as unknown as Record<string, unknown>;
    switch (o.type) {
      case 'segment': return str(o.segmentId) && num(o.t0) && num(o.t1) && str(o.text) && str(o.speaker);
      case 'actionItem': case 'decision': return str(o.id) && num(o.revision) && str(o.text) && num(o.t0);
      case 'end': return num(o.capturedSec);
      default: return true;
    }
  });
  return { ...journal, records };
}

/** The final segments an export holds: capture-time order (sources merged), blank ones left out. */
function exportedSegments(journal: JournalContents): FinalSegment[] {
  return segmentsOf(journal.records).filter((s) => s.text.trim() !== '');
}

/** One line: subtitles and text lines cannot hold a line break (a blank line ends an SRT/VTT cue). */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** `Speaker: text`, or the text alone when the speaker label is empty. */
const spoken = (speaker: string, text: string) => (oneLine(speaker) ? `${oneLine(speaker)}: ${oneLine(text)}` : oneLine(text));

interface Cue { start: number; end: number; speaker: string; text: string }

/**
 * Cue times in milliseconds. Cues are in start order; a cue never ends before it starts (at least 1 ms),
 * and a cue does not run into the next cue of the same source (one source speaks one utterance at a time).
 * Cues of different sources may overlap: two people talking at once are shown together.
 */
function cues(segments: FinalSegment[]): Cue[] {
  const toMs = (t: number) => Math.max(0, Math.round(t * 1000));
  const out = segments.map((s) => ({ start: toMs(s.t0), end: toMs(s.t1), source: s.source, speaker: s.speaker, text: s.text }));
  out.forEach((c, i) => {
    const next = out.slice(i + 1).find((n) => n.source === c.source && n.start > c.start);
    if (next && c.end > next.start) c.end = next.start;
    if (c.end <= c.start) c.end = c.start + 1;
  });
  return out;
}

/** `hh:mm:ss<sep>mmm` (hours grow past two digits for very long sessions). */
function timestamp(msTotal: number, separator: ',' | '.'): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const h = Math.floor(msTotal / 3_600_000), m = Math.floor(msTotal / 60_000) % 60, s = Math.floor(msTotal / 1000) % 60;
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(msTotal % 1000, 3)}`;
}

/**
 * SubRip: numbered cues, `00:01:02,345 --> 00:01:04,000`, then `Speaker: text` on one line. SRT has no
 * escapes; the text is kept as said (a payload line always starts with the speaker label, so it cannot
 * be taken for a cue number or timing line).
 */
function srt(segments: FinalSegment[]): string {
  return cues(segments)
    .map((c, i) => `${i + 1}\n${timestamp(c.start, ',')} --> ${timestamp(c.end, ',')}\n${spoken(c.speaker, c.text)}\n`)
    .join('\n');
}

/** Cue text for WebVTT: `&`, `<` and `>` are character references, so `-->` and tags in speech stay text. */
const vttEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** WebVTT: the header, then cues `00:01:02.345 --> 00:01:04.000` with the speaker as a voice span, `<v Speaker>text`. */
function vtt(segments: FinalSegment[]): string {
  const body = cues(segments).map((c) => {
    const speaker = oneLine(c.speaker);
    const text = vttEscape(oneLine(c.text));
    return `${timestamp(c.start, '.')} --> ${timestamp(c.end, '.')}\n${speaker ? `<v ${vttEscape(speaker)}>${text}` : text}\n`;
  });
  return ['WEBVTT\n', ...body].join('\n');
}

/** Plain text: `[mm:ss] Speaker: text`, one line per segment (`[h:mm:ss]` past the hour). */
function txt(segments: FinalSegment[]): string {
  return segments.map((s) => `[${clock(s.t0)}] ${spoken(s.speaker, s.text)}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// Reading exports back

/**
 * The transcript segments of an export, read back: the inverse of exportSession for json, srt, vtt and
 * txt (times to the format's precision: ms for json/srt/vtt, whole seconds and no end for txt; text with
 * its whitespace collapsed to single spaces, except json, which keeps it exactly). Throws on text that is
 * not such an export.
 */
export function parseExport(text: string, format: Exclude<ExportFormat, 'md'>): ParsedSegment[] {
  switch (format) {
    case 'json': return parseJsonExport(text);
    case 'srt': return parseCues(text, ',', false);
    case 'vtt': return parseCues(text, '.', true);
    case 'txt': return parseTxt(text);
    default: throw new Error(`cannot parse ${JSON.stringify(format)} exports`);
  }
}

function parseJsonExport(text: string): ParsedSegment[] {
  const doc = JSON.parse(text) as Partial<SessionExport>;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.segments)) throw new Error('not an Earshot JSON export: no "segments" array');
  return doc.segments.map((s, i) => {
    if (typeof s?.text !== 'string' || typeof s.t0 !== 'number' || typeof s.t1 !== 'number') throw new Error(`segment ${i + 1} needs t0, t1 and text`);
    return { t0: s.t0, t1: s.t1, speaker: typeof s.speaker === 'string' ? s.speaker : null, text: s.text };
  });
}

/** `Speaker: text`; without a `label: ` prefix, the whole line is text. */
function splitSpeaker(line: string): { speaker: string | null; text: string } {
  const m = /^([^:]+): (.*)$/s.exec(line);
  return m ? { speaker: m[1], text: m[2] } : { speaker: null, text: line };
}

function parseTime(stamp: string, separator: ',' | '.'): number {
  const m = new RegExp(`^(?:(\\d+):)?(\\d{2}):(\\d{2})\\${separator}(\\d{3})$`).exec(stamp);
  if (!m) throw new Error(`bad timestamp ${JSON.stringify(stamp)}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

const unescapeVtt = (text: string) =>
  text.replace(/&(amp|lt|gt|nbsp|lrm|rlm);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f' })[name]!);

/** SRT or WebVTT cues (blocks separated by blank lines; SRT numbers and VTT identifiers, NOTE and STYLE blocks skipped). */
function parseCues(text: string, separator: ',' | '.', webvtt: boolean): ParsedSegment[] {
  const blocks = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n{2,}/).map((b) => b.split('\n').filter((l) => l !== '')).filter((b) => b.length > 0);
  if (webvtt) {
    if (!/^WEBVTT(?:[ \t].*)?$/.test(blocks[0]?.[0] ?? '')) throw new Error('not a WebVTT file: no WEBVTT header');
    blocks.shift();
  }
  const segments: ParsedSegment[] = [];
  for (const block of blocks) {
    if (webvtt && /^(NOTE|STYLE|REGION)(\s|$)/.test(block[0])) continue;
    const timing = block.findIndex((l) => l.includes('-->'));
    if (timing < 0 || timing > 1) throw new Error(`cue without a timing line: ${JSON.stringify(block.join('\n'))}`);
    const [start, end] = block[timing].split('-->').map((p) => p.trim().split(/\s+/)[0]);
    const payload = block.slice(timing + 1).join(' ');
    let speaker: string | null;
    let said: string;
    if (webvtt) {
      const voice = /^<v(?:\.[^\s>]*)?[ \t]+([^>]*)>(.*?)(?:<\/v>)?$/s.exec(payload);
      ({ speaker, text: said } = voice ? { speaker: unescapeVtt(voice[1]).trim(), text: voice[2] } : splitSpeaker(payload));
      said = unescapeVtt(said.replace(/<[^>]*>/g, '')); // other tags (<i>, <c.x>, timestamps) are markup, not words
    } else {
      ({ speaker, text: said } = splitSpeaker(payload));
    }
    segments.push({ t0: parseTime(start, separator), t1: parseTime(end, separator), speaker, text: said });
  }
  return segments;
}

function parseTxt(text: string): ParsedSegment[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((line) => {
    const m = /^\[(?:(\d+):)?(\d{2}):(\d{2})\] (.*)$/.exec(line);
    if (!m) throw new Error(`not a transcript line: ${JSON.stringify(line)}`);
    return { t0: Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]), t1: null, ...splitSpeaker(m[4]) };
  });
}
