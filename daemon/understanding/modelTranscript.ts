/**
 * `earshot notes FILE --llm-endpoint URL`: the same language-model extraction as at the end of a meeting, over a
 * transcript file instead of a journal. The lines get segment ids (`l-<n>`), the rule-based items become journal-like
 * records, and the model's records are applied to them: what the CLI prints is what the notes would show. The rolling
 * summary is rolled over the same chunks as a meeting's (modelSummary.ts's rollOver), one call per chunk, then settled
 * against the final decisions and action items as at a meeting's stop.
 */
import { Decision, DecisionRewrite, StandingStep, DecisionStanding, decisionStanding, DEFAULT_ENHANCEMENT_TIMEOUT_SEC, DEFAULT_ENHANCEMENT_TOKEN_BUDGET, EnhancementSettings, ExtractionProgressParams, ItemRewrite } from '../../protocol/protocol';
import { Chat, openAiCompatibleChat, runModelExtraction } from './providers';
import { hasModelSections, writeModelSections, WrittenSections } from './templateSections';
import { finalOutcomes, rollOver, rollSummary, settleAtStop, settleHasWork, settleExtrasOf, SettleVersion, SummaryCallReport, SummaryPoint, SummarySoFar, whyNotAsked } from './modelSummary';
import { ActionItemRecord, currentItems, DecisionRecord, JournalContents, JournaledTemplate, JournalRecord, latestById } from '../journal/journal';
import { Extracted, SpokenLine } from './extract';
import { isoDate } from './dates';
import { MeetingInfo, modelChunks, NotedBound, NOTES_PROMPT_DEFAULT, NotesPrompt, modelExtractionRecords, DEFAULT_CHUNK_OPTIONS, unknownDate } from './modelExtract';
import { CarriedTally, NotedOwners, reduceChunks } from './chunkMerge';
import { askChecksAtStop, ChecksAsked, ChecksToAsk } from './checksAtStop';
import { RestatementPrompt, restatementsAtStop } from './restatements';
import { OwnerPrompt, ownersAtStop } from './ownerCheck';
import { ProcedurePrompt, procedureAtStop } from './procedureCheck';
import { noteParts, partNotes, readsPartNotes, settleAnyVersion } from './summaryFromParts';
import { StopProgress } from './stopProgress';
import { ChunkLine } from './chunks';

export interface TranscriptModelResult {
  /** `by`: the model that added it; `segments`: the lines it cited (model items only); `rewritten`: a rule item the model rewrote. */
  actionItems: { text: string; owner: string | null; due: string | null; t0: number; by?: string; segments?: string[]; rewritten?: ItemRewrite }[];
  /** `rewritten`: a rule decision the model rewrote (what it said before). */
  decisions: { text: string; kind: Decision['kind']; standing: DecisionStanding; t0: number; by?: string; segments?: string[]; rewritten?: DecisionRewrite; standingHistory?: StandingStep[] }[];
  /** Entries the model withdrew: rule items it dismissed, and (`added`) entries of its own folded into another or dropped at stop. */
  dismissed: { kind: 'actionItem' | 'decision'; text: string; reason: string; by: string; added?: true }[];
  /** The rolling summary's points, each citing the lines (`l-<n>`) it comes from; empty when the model wrote none (or none was asked for). */
  summary: SummaryPoint[];
  /** The model that wrote the summary (absent: none did). */
  summaryBy?: string;
  /**
   * The notes taken on each part as it was read (the settle of v10 and v11 reads them), in meeting order, those with a
   * point: each part's first and last line (`l-<n>`) and its points, citing as the summary's do.
   */
  summaryParts?: { from: string; to: string; points: SummaryPoint[] }[];
  /** Whether the summary settled against the final decisions and action items (absent: there was no summary to settle). */
  summarySettle?: { settled: true } | { settled: false; unsettled: string };
  /** How the run ended, for stderr. */
  message: string;
  /** Prompt v7 (carried notes): what the later parts did with what the earlier ones noted. */
  carried?: CarriedTally;
  /** The restatement check at stop (when asked for): how many entries it folded, or why it folded none. */
  restatementCheck?: { folded: number } | { unchecked: string };
  /** The procedure check at stop (when asked for): how many decisions it dropped, or why it dropped none; `unasked`: how many did not fit its bounds. */
  procedureCheck?: ({ dropped: number } | { unchecked: string }) & { unasked?: number };
  /** The owner check at stop (when asked for): how many items it gave an owner, or why it gave none. */
  ownerCheck?: ({ owned: number } | { unchecked: string }) & { unasked?: number };
  /** The notes template's 'model' sections the model wrote (with `how.template`), each point citing its lines. */
  sections?: WrittenSections['sections'];
  sectionsBy?: string;
}

/** Lines with the segment ids the model cites (`l-1`, `l-2`, ...), as extraction and the model both see them. */
export const withLineIds = (lines: SpokenLine[]): SpokenLine[] => lines.map((l, k) => ({ ...l, segmentId: `l-${k + 1}` }));

/** The meeting's date, and whether it is known (not known: the day its file was last changed, told to the model as that). */
export interface MeetingDate { date: Date; known: boolean }

export async function extractTranscriptWithModel(lines: SpokenLine[], found: Extracted, when: Date | MeetingDate, settings: EnhancementSettings,
  progress: (p: ExtractionProgressParams) => void, signal: AbortSignal = new AbortController().signal,
  chat: Chat = openAiCompatibleChat(settings), summary?: { report(r: SummaryCallReport & ({ chunk: number } | { part: number } | { settle: true } | { restatements: true } | { procedure: true } | { owners: true } | { standings: true })): void },
  how: { carryNotes?: boolean; notesPrompt?: NotesPrompt; notedBound?: NotedBound; settleVersion?: SettleVersion; template?: JournaledTemplate; checkRestatements?: boolean; restatementPrompt?: RestatementPrompt; checkProcedure?: boolean; procedurePrompt?: ProcedurePrompt; checkOwners?: boolean; ownerPrompt?: OwnerPrompt; notedOwners?: NotedOwners; checkStandings?: boolean; rolling?: false } = {}): Promise<TranscriptModelResult> {
  const { date: meetingDate, known } = when instanceof Date ? { date: when, known: true } : when;
  const header = {
    type: 'session' as const, version: 1, sessionId: 'cli', title: 'Transcript', startedAt: meetingDate.toISOString(), sources: ['file' as const], language: 'en', notesPath: '',
  };
  const t0Of = (l: SpokenLine, k: number) => l.t0 ?? k;
  const records: JournalRecord[] = [header, ...lines.map((l, k): JournalRecord => ({
    type: 'segment', segmentId: l.segmentId ?? `l-${k + 1}`, source: 'file', speaker: l.speaker ?? 'Speaker', t0: t0Of(l, k), t1: t0Of(l, k), text: l.text,
  }))];
  const lineT0 = new Map(lines.map((l, k) => [l.segmentId, t0Of(l, k)]));
  found.actionItems.forEach((i, k) => records.push({
    type: 'actionItem', id: `a${k + 1}`, revision: 1, text: i.text, owner: i.owner, due: i.due, duePhrase: i.duePhrase, segmentId: i.segmentId ?? '', t0: i.t0 ?? lineT0.get(i.segmentId) ?? 0,
  }));
  found.decisions.forEach((d, k) => records.push({
    type: 'decision', id: `d${k + 1}`, revision: 1, text: d.text, kind: d.kind ?? 'decision', ...(d.standing ? { standing: d.standing } : {}),
    segmentId: d.segmentId ?? '', t0: d.t0 ?? lineT0.get(d.segmentId) ?? 0,
  }));
  const journal: JournalContents = { header, records, tornTail: false };
  const chunks = modelChunks(journal, { ...DEFAULT_CHUNK_OPTIONS, ...(settings.chunkChars ? { chunkChars: settings.chunkChars } : {}) });
  const day = isoDate(meetingDate);
  const meeting: MeetingInfo = { title: header.title, date: header.startedAt, ...(known ? {} : { fileChangedOn: day }) };
  const run = await runModelExtraction('cli', meeting, chunks, {
    settings, chat, signal, progress, report: () => undefined, endFollows: true, ...(how.carryNotes ? { carryNotes: true, ...(how.notesPrompt ? { notesPrompt: how.notesPrompt } : {}), ...(how.notedBound ? { notedBound: how.notedBound } : {}), ...(how.notedOwners ? { notedOwners: how.notedOwners } : {}) } : {}),
  });
  // The steps after the chunks, each said as it starts, and the run's end after the last (stopProgress.ts).
  const steps = new StopProgress(progress, {
    sessionId: 'cli', tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message: run.message, ...(run.endHeld ? { endHeld: run.endHeld } : {}), signal,
  }, () => run.summary);
  // The rolling summary (when asked for: the evals replay recorded extraction answers only), as a meeting's: nothing
  // is asked once the run was declined, cancelled or out of budget.
  const rolled: SummarySoFar = { points: [], chunks: 0 };
  let summaryBy: string | undefined;
  const timeoutMs = (settings.timeoutSec ?? DEFAULT_ENHANCEMENT_TIMEOUT_SEC) * 1000;
  // The summary's prompts say the date as it is: an unknown one is said so.
  const summaryMeeting = { title: meeting.title, date: known ? meeting.date : unknownDate(day), ...(how.template ? { template: how.template } : {}) };
  const mayAsk = () => !run.declined && run.summary.state === 'done' && !signal.aborted;
  // The settle asked for, else the carried-notes prompt's own (a v9 extraction settles with v9's settle, as the daemon does).
  const settleVersion = how.settleVersion ?? (how.carryNotes ? how.notesPrompt ?? NOTES_PROMPT_DEFAULT : undefined);
  // `rolling: false` (the evals only): the settle of v10 reads no rolling summary, so it may be left unasked.
  if (summary && (how.rolling !== false || readsPartNotes(settleVersion))) steps.step('summary');
  if (summary && how.rolling !== false) {
    await rollOver(chunks, rolled, {
      ask: (previous, chunk) => rollSummary(chat, summaryMeeting, previous, chunk.lines, signal, { timeoutMs, report: (r) => summary.report({ ...r, chunk: chunk.index + 1 }) }),
      mayAsk,
      revised: (model) => { summaryBy = model ?? run.summary.model; },
    });
  }
  // The settles of v10 and v11 read notes taken on each part, as a meeting notes each chunk (summaryFromParts.ts).
  if (summary && readsPartNotes(settleVersion)) {
    await noteParts(chunks, rolled, {
      ask: (chunk) => partNotes(chat, summaryMeeting, chunk, signal, { timeoutMs, report: (r) => summary.report({ ...r, part: chunk.index + 1 }) }),
      mayAsk,
      noted: () => undefined,
    });
  }
  // How a later part's noted owner is taken: the daemon's, unless recorded answers were asked otherwise (the evals).
  const merge = how.notedOwners ? { notedOwners: how.notedOwners } : {};
  // As at a meeting's stop: with carried notes, the checks asked for, on the final lists, before they settle anything.
  const { atStop, restated, procedure, owners }: ChecksAsked = !how.carryNotes ? { atStop: {} } : await askChecksAtStop(chunks, run.answers, {
    ...(how.checkRestatements ? { restate: (entries) => restatementsAtStop(chat, entries, signal, { timeoutMs, report: (r) => summary?.report({ ...r, restatements: true }), ...(how.restatementPrompt ? { prompt: how.restatementPrompt } : {}) }) } : {}),
    ...(how.checkProcedure ? { procedure: (entries, lines) => procedureAtStop(chat, entries, lines, signal, {
      timeoutMs, report: (r) => summary?.report({ ...r, procedure: true }), ...(how.procedurePrompt ? { prompt: how.procedurePrompt } : {}),
    }) } : {}),
    ...(how.checkOwners ? { owners: (entries, lines) => ownersAtStop(chat, entries, lines, signal, { timeoutMs, report: (r) => summary?.report({ ...r, owners: true }), ...(how.ownerPrompt ? { prompt: how.ownerPrompt } : {}) }) } : {}),
    starting: (step) => steps.step(step),
  } satisfies ChecksToAsk, () => !whyNotAsked(run.summary, run.declined, signal.aborted), (tokens) => { run.summary.tokens += tokens; }, merge);
  const reduced = reduceChunks(chunks, run.answers, how.carryNotes === true, atStop, merge);
  const added = modelExtractionRecords(journal, reduced, run.summary);
  const all = [...records, ...added];
  // As at a meeting's stop: the summary settles against the final decisions and action items (those printed below):
  // v10's from every part's notes; v9's (v10's too where a part has none) also reads the points the rolling summary
  // dropped, and a budget by the meeting's chunks.
  if (summary && settleHasWork(rolled, chunks.length)) steps.step('settle');
  const settled = summary ? await settleAtStop(rolled, {
    ask: (previous) => settleAnyVersion(chat, summaryMeeting, previous, finalOutcomes(all), signal, {
      timeoutMs, report: (r) => summary.report({ ...r, settle: true }),
      ...(settleVersion === 9 || readsPartNotes(settleVersion) ? { notesPrompt: settleVersion, extras: settleExtrasOf(rolled, previous, chunks.length) }
        : settleVersion ? { notesPrompt: settleVersion } : {}),
      ...(how.checkStandings ? { standings: { timeoutMs, report: (r) => summary.report({ ...r, standings: true }), starting: () => steps.step('standings') } } : {}),
    }),
    refused: () => whyNotAsked(run.summary, run.declined, signal.aborted),
    chunks: chunks.length,
  }) : undefined;
  if (settled?.settled) summaryBy = settled.model ?? run.summary.model;
  // The template's 'model' sections, as at a meeting's stop (only where a summary was asked for and the run may ask more).
  const template = how.template;
  const written = summary && template && hasModelSections(template) && !whyNotAsked(run.summary, run.declined, signal.aborted)
    ? (steps.step('sections'), await writeModelSections(chat, { ...summaryMeeting, template }, rolled.points, finalOutcomes(all), signal, { timeoutMs, tokensLeft: (settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET) - run.summary.tokens, report: (r) => summary.report({ ...r, settle: true }) }))
    : undefined;
  // Every step is done: the run's end (a command-line run ends here or with its process).
  steps.end();
  // The model's own items come first, in the reduced extraction's order: that is where their cited lines are.
  const cited = new Map<string, string[]>();
  // One id per entry: a decision a later part dropped has a second record (its withdrawal) under the same id.
  // (An entry folded or dropped has only its withdrawal, under its own id: not among them.)
  const idsOf = (type: string, pattern: RegExp) => [...new Set(added.filter((r) => r.type === type && pattern.test((r as { id: string }).id) && !(r as { dismissed?: unknown }).dismissed)
    .map((r) => (r as { id: string }).id))];
  idsOf('actionItem', /^am\d+$/).forEach((id, k) => cited.set(id, reduced.actionItems[k].segments));
  idsOf('decision', /^dm\d+$/).forEach((id, k) => cited.set(id, reduced.decisions[k].segments));
  const { actionItems, decisions } = currentItems(all);
  const latest = [...latestById(all.filter((r): r is ActionItemRecord => r.type === 'actionItem')).values(),
    ...latestById(all.filter((r): r is DecisionRecord => r.type === 'decision')).values()];
  const by = (r: { id: string; refinedBy?: string }) => (/^[ad]m\d+$/.test(r.id) && r.refinedBy ? { by: r.refinedBy, segments: cited.get(r.id) ?? [] } : {});
  return {
    actionItems: actionItems.map((i) => ({ text: i.text, owner: i.owner, due: i.due, t0: i.t0, ...by(i), ...(i.rewritten ? { rewritten: i.rewritten } : {}) })),
    decisions: decisions.map((d) => ({ text: d.text, kind: d.kind, standing: decisionStanding(d), t0: d.t0, ...by(d), ...(d.rewritten ? { rewritten: d.rewritten } : {}), ...(d.standingHistory ? { standingHistory: d.standingHistory } : {}) })),
    dismissed: latest.filter((r) => r.removed && r.dismissed)
      .map((r) => ({ kind: r.type, text: r.text, reason: r.dismissed!.reason, by: r.dismissed!.by, ...(/^[ad]m\d+$/.test(r.id) ? { added: true as const } : {}) })),
    summary: rolled.points,
    ...(summaryBy !== undefined && rolled.points.length ? { summaryBy } : {}),
    ...partsNoted(rolled, chunks),
    ...(settled ? { summarySettle: settled.settled ? { settled: true as const } : settled } : {}),
    message: run.message,
    ...(reduced.carried ? { carried: reduced.carried } : {}),
    ...(restated ? { restatementCheck: restated.groups ? { folded: reduced.carried?.restated ?? 0 } : { unchecked: restated.reason ?? 'no answer' } } : {}),
    ...(procedure ? { procedureCheck: { ...(procedure.dropped ? { dropped: reduced.carried?.procedure ?? 0 } : { unchecked: procedure.reason ?? 'no answer' }), ...(procedure.unasked ? { unasked: procedure.unasked } : {}) } } : {}),
    ...(owners ? { ownerCheck: { ...(owners.fills ? { owned: reduced.carried?.owned ?? 0 } : { unchecked: owners.reason ?? 'no answer' }), ...(owners.unasked ? { unasked: owners.unasked } : {}) } } : {}),
    ...(written?.sections.length ? { sections: written.sections, ...(written.model ? { sectionsBy: written.model } : {}) } : {}),
  };
}

/** The parts with notes, each by the first and last line of its chunk, for the command line's output. */
function partsNoted(rolled: SummarySoFar, chunks: readonly { lines: readonly ChunkLine[] }[]): Pick<TranscriptModelResult, 'summaryParts'> {
  const parts = (rolled.parts ?? []).filter((p) => p.points.length && chunks[p.chunk]?.lines.length)
    .map((p) => ({ from: chunks[p.chunk].lines[0].segmentId, to: chunks[p.chunk].lines.at(-1)!.segmentId, points: p.points }));
  return parts.length ? { summaryParts: parts } : {};
}
