/**
 * The checks at stop over a meeting's answered parts (issue 56), in the order the notes need them: the restatement check
 * (restatements.ts) folds entries that say again what another says; the procedure check (procedureCheck.ts) drops
 * decisions that are only the meeting's running; the owner check (ownerCheck.ts) names the owners of items left
 * without one. Each reads the final lists the ones before it left (finalEntries with their findings). A stored meeting's
 * extraction (service/modelExtractions.ts) and `earshot notes` (modelTranscript.ts) ask them through this; a live stop
 * asks the same checks one by one (session/liveExtraction.ts), journaling what each changed before the next.
 */
import { ChunkExtraction } from '../../protocol/protocol';
import { NotedEntry } from './carriedNotes';
import { AtStop, finalEntries, MergeOptions } from './chunkMerge';
import { ChunkLine, meetingLines } from './chunks';
import { ModelChunk } from './modelExtract';
import { OwnerCheck } from './ownerCheck';
import { ProcedureCheck } from './procedureCheck';
import { RestatementCheck, whyNotChecked } from './restatements';

/** The checks the settings ask for, each one call (absent: not asked). */
export interface ChecksToAsk {
  restate?: (entries: readonly NotedEntry[]) => Promise<RestatementCheck>;
  procedure?: (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => Promise<ProcedureCheck>;
  owners?: (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => Promise<OwnerCheck>;
  /** Hears each check as it is asked (the client is told: stopProgress.ts). */
  starting?: (step: CheckStep) => void;
}

/** A check at stop, as the client is told it runs (stopProgress.ts). */
export type CheckStep = 'restatements' | 'decisions' | 'owners';

/**
 * Whether `step` has anything to read in `entries` (two entries of a kind within the restatement check's bounds, a
 * decision, an item without an owner): a check with nothing to read makes no call, and is not said to run.
 */
export function checkHasWork(step: CheckStep, entries: readonly NotedEntry[]): boolean {
  if (step === 'restatements') return whyNotChecked(entries) === undefined;
  if (step === 'decisions') return entries.some((e) => e.kind === 'decision');
  return entries.some((e) => e.kind === 'actionItem' && !e.owner);
}

/** What the checks answered (absent: not asked), and what the merge applies (`atStop`). */
export interface ChecksAsked { atStop: AtStop; restated?: RestatementCheck; procedure?: ProcedureCheck; owners?: OwnerCheck }

/**
 * Asks each check of `ask` in turn while `mayAsk` (the run not cancelled, declined or out of budget), counting each
 * one's tokens through `spent`. None is asked when no part got an answer: a run that got none leaves no trace.
 */
export async function askChecksAtStop(chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], ask: ChecksToAsk,
  mayAsk: () => boolean, spent: (tokens: number) => void, merge: MergeOptions = {}): Promise<ChecksAsked> {
  const asked: ChecksAsked = { atStop: {} };
  if (answers.every((a) => a === null)) return asked;
  const counted = <T extends { tokens: number }>(check: T): T => {
    spent(check.tokens);
    return check;
  };
  /** The lists as the checks so far leave them, said to the client as `step` when it has work in them. */
  const entriesFor = (step: CheckStep) => {
    const entries = finalEntries(chunks, answers, asked.atStop, merge);
    if (checkHasWork(step, entries)) ask.starting?.(step);
    return entries;
  };
  if (ask.restate && mayAsk()) {
    asked.restated = counted(await ask.restate(entriesFor('restatements')));
    asked.atStop.restated = asked.restated.groups ?? [];
  }
  if (ask.procedure && mayAsk()) {
    asked.procedure = counted(await ask.procedure(entriesFor('decisions'), meetingLines(chunks)));
    asked.atStop.procedure = asked.procedure.dropped ?? [];
  }
  if (ask.owners && mayAsk()) {
    asked.owners = counted(await ask.owners(entriesFor('owners'), meetingLines(chunks)));
    asked.atStop.owners = asked.owners.fills ?? [];
  }
  return asked;
}
