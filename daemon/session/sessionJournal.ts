/**
 * A session's journal at its two beginnings: created with the session's header at start, or reopened for a session
 * whose daemon died, read back into what the session held (restored.ts) with a resume record appended.
 *
 * Owns the header a session's journal starts with and the resume record. Must not start a source or announce anything
 * (session.ts does, once the journal is there).
 */
import * as path from 'node:path';
import { errnoCode, journalCreateMessage } from '../diskFaults';
import { Journal, JournalContents, JournalRecord, JournalWriteError, readJournal } from '../journal/journal';
import { SessionConfig } from './config';
import { EXTRACT_WINDOW_LINES } from './ledger';
import { RestoredSession, restoreSession } from './restored';

/** Creates the journal with the session's header. A full or read-only disk fails with what to do (no half-written journal is left: Journal.create). */
export async function createSessionJournal(config: SessionConfig): Promise<Journal> {
  return Journal.create(config.journalPath, {
    sessionId: config.sessionId,
    title: config.title,
    startedAt: config.startedAt.toISOString(),
    sources: config.sources.map((s) => s.kind),
    language: config.language,
    notesPath: config.notesPath,
    ...(config.audioFile ? { audioFile: config.audioFile } : {}),
    mode: config.mode ?? 'meeting',
    ...(config.pace ? { pace: config.pace } : {}),
    ...(config.devices && Object.keys(config.devices).length ? { devices: config.devices } : {}),
    ...(config.speakers && Object.keys(config.speakers).length ? { speakers: config.speakers } : {}),
    ...(config.mode !== 'dictation' ? { identifySpeakers: config.speakerStages !== undefined } : {}),
    ...(config.template ? { template: config.template } : {}),
    ...(config.autoStop ? { autoStop: config.autoStop } : {}),
  }).catch((e: Error) => {
    config.extractChunks?.close();
    throw Object.assign(new Error(journalCreateMessage(path.dirname(config.journalPath), e)), { code: errnoCode(e) ?? (e as JournalWriteError).code });
  });
}

/** A reopened journal read back: its records, what the session held, and the resume record now appended. */
export interface ResumedJournal {
  contents: JournalContents;
  restored: RestoredSession;
  resume: JournalRecord;
}

/** Reads a reopened journal back (see restoreSession) and appends the resume record: from where the journal ends, at the time now. */
export async function resumeJournal(journal: Journal, config: SessionConfig): Promise<ResumedJournal> {
  const contents = await readJournal(config.journalPath);
  const restored = restoreSession(contents, EXTRACT_WINDOW_LINES);
  const fromSec = Math.max(0, ...[...restored.sources.values()].map((s) => s.endSec));
  const atSec = Math.max(fromSec, (Date.now() - config.startedAt.getTime()) / 1000);
  const resume: JournalRecord = { type: 'resume', at: new Date().toISOString(), fromSec, atSec };
  await journal.append(resume);
  return { contents, restored, resume };
}
