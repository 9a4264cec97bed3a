/**
 * Session journals written straight to a storage folder (one write, fast for thousands of segments), for the memory
 * tests: what a meeting the daemon recorded leaves in `<storage>/sessions`. Test-only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Line = [speaker: string, text: string];

/** `<storage>/sessions/<sessionId>.jsonl`: a meeting's header (`header` laid over it), its segments, and an end. */
export function writeJournal(storage: string, sessionId: string, header: Record<string, unknown>, lines: readonly Line[]): string {
  const file = path.join(storage, 'sessions', `${sessionId}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const records: unknown[] = [{
    type: 'session', version: 1, sessionId, title: sessionId, startedAt: '2026-01-01T09:00:00.000Z', sources: ['mic'], language: 'en', notesPath: '', mode: 'meeting',
    ...header,
  }];
  lines.forEach((line, i) => records.push(segment(line, i)));
  records.push({ type: 'end', stoppedAt: '2026-01-01T10:00:00.000Z', capturedSec: lines.length * 5 });
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  return file;
}

/** The journal record of the i-th (0-based) segment: five seconds each. */
export function segment([speaker, text]: Line, i: number): Record<string, unknown> {
  return { type: 'segment', segmentId: `mic-${i + 1}`, source: 'mic', speaker, t0: i * 5, t1: i * 5 + 4, text };
}

/** A meeting recorded by the microphone alone: one speaker ("You") throughout; line `at` says `said`. */
export function micOnly(count: number, at: number, said: string, text = (i: number) => `We go through item ${i} of the agenda, nothing to note there.`): Line[] {
  return Array.from({ length: count }, (_, i): Line => ['You', i === at ? said : text(i)]);
}

/** A short release meeting: a problem, a decision (line 4) and an action item for Bob (line 5). */
export const LOGIN: Line[] = [
  ['Alice', 'Good morning, let us start with the release.'],
  ['Bob', 'The login page times out after thirty seconds.'],
  ['Bob', 'I think the session token expires too early.'],
  ['Carol', 'Then we raise the login timeout to five minutes.'],
  ['Alice', 'Agreed. Bob, please fix the token refresh by Friday.'],
  ['Bob', 'Sure.'],
];
