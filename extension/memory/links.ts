/**
 * Where a line of a past meeting opens: the notes file at its line when the notes have it, else the session's
 * transcript (its Markdown export, opened as an untitled document at the line) through the command
 * earshot.openSessionTranscript. Used by the chat's citations and the Action items view.
 */
import * as vscode from 'vscode';
import type { MemoryMeeting, SessionExportResult, SessionTranscriptResult } from '../../protocol/protocol';
import { notesUri, notesUriNow } from '../remote/remoteNotes';

export const OPEN_TRANSCRIPT_COMMAND = 'earshot.openSessionTranscript';

/** A place to open: a file location, or the transcript command with its arguments. */
export type LineLink =
  | { kind: 'notes'; location: vscode.Location }
  | { kind: 'transcript'; command: vscode.Command; uri: vscode.Uri };

/** `notesLine` 1-based; `index` the segment's 1-based index among the meeting's finals. */
export function lineLink(meeting: MemoryMeeting, notesLine: number | undefined, index: number): LineLink {
  if (meeting.notesPath && notesLine && notesLine > 0) {
    return { kind: 'notes', location: new vscode.Location(notesUriNow(meeting.notesPath), new vscode.Position(notesLine - 1, 0)) };
  }
  const args = [meeting.sessionId, index];
  return {
    kind: 'transcript',
    command: { command: OPEN_TRANSCRIPT_COMMAND, title: 'Open the transcript', arguments: args },
    uri: vscode.Uri.parse(`command:${OPEN_TRANSCRIPT_COMMAND}?${encodeURIComponent(JSON.stringify(args))}`),
  };
}

/**
 * The meeting whose notes file `uri` is (as the editor opened it: the remote copy in a remote window), if any: the
 * chat searches that meeting first when its notes are the active editor, and alone when they are attached (#file).
 */
export function meetingOfNotes(uri: vscode.Uri, meetings: readonly MemoryMeeting[]): MemoryMeeting | undefined {
  const wanted = uri.toString();
  return meetings.find((m) => m.notesPath && (notesUriNow(m.notesPath).toString() === wanted || vscode.Uri.file(m.notesPath).toString() === wanted));
}

/** A Markdown link to a transcript line (the chat renders it; only this command may run from it). */
export function transcriptLinkMarkdown(label: string, link: Extract<LineLink, { kind: 'transcript' }>): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`[${label}](${link.uri.toString(true)})`);
  md.isTrusted = { enabledCommands: [OPEN_TRANSCRIPT_COMMAND] };
  return md;
}

/** The 1-based line of the notes file whose text holds `text` (a transcript segment), if any. */
export function findNotesLine(notes: string, text: string): number | undefined {
  return notesLineFinder(notes)(text);
}

/**
 * findNotesLine for many segments of one notes file: the file is split and normalized once, and each segment found
 * with one native search of the joined lines (the first line that holds it, as findNotesLine). A normalized segment
 * has no newline, so a match never spans two lines.
 */
export function notesLineFinder(notes: string): (text: string) => number | undefined {
  const lines = notes.split('\n').map((l) => l.replace(/\s+/g, ' '));
  const joined = lines.join('\n');
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += l.length + 1;
  }
  return (text) => {
    const needle = text.replace(/\s+/g, ' ').trim();
    if (needle.length < 3) return undefined;
    const found = joined.indexOf(needle);
    if (found < 0) return undefined;
    // The last line starting at or before the match.
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= found) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** What the transcript command needs of the daemon. */
export interface TranscriptSource {
  exportSession(params: { sessionId: string; format: 'md' }): Promise<SessionExportResult>;
  transcript(sessionId: string): Promise<SessionTranscriptResult>;
}

/** Opens a stored session's Markdown export (untitled: nothing is written) at its `index`th segment. */
export async function openSessionTranscript(source: TranscriptSource, sessionId: string, index?: number): Promise<vscode.TextEditor> {
  const [exported, transcript] = await Promise.all([source.exportSession({ sessionId, format: 'md' }), index ? source.transcript(sessionId) : undefined]);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: exported.text });
  const segment = index ? transcript?.segments[index - 1] : undefined;
  const line = segment ? findNotesLine(exported.text, segment.text) : undefined;
  const position = new vscode.Position(line ? line - 1 : 0, 0);
  return vscode.window.showTextDocument(doc, { preview: true, selection: new vscode.Range(position, position) });
}

/** Opens a notes file at a 1-based line. */
export async function openNotesAt(notesPath: string, line: number | undefined): Promise<vscode.TextEditor> {
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  return vscode.window.showTextDocument(await notesUri(notesPath), { preview: false, selection: new vscode.Range(position, position) });
}
