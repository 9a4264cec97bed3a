/**
 * The quality of the opt-in language-model extraction on the real set (issue 13): `earshot notes FILE --llm-endpoint`'s
 * own code (rules, chunks, prompts, the checks of each answer, the merge, dismissals) on real meetings, scored like
 * the rules alone (notes-eval.ts) against the first labeller and, where there is one, the second.
 *
 * The model is whatever answers the prompts:
 *   node out/test/eval/model-notes-eval.js --endpoint http://127.0.0.1:11434 --model llama3.1:8b [--only a,b]
 *       a local OpenAI-compatible server (Ollama, llama.cpp, LM Studio), through the same client the daemon uses;
 *   node out/test/eval/model-notes-eval.js --local MODEL.gguf [--threads N] [--only a,b]
 *       a GGUF through Earshot's own local runtime, the path `earshot notes --local` and the daemon take (localChat over
 *       LocalModelHost: the model process, node-llama-cpp, each chunk's JSON-schema grammar);
 *   node out/test/eval/model-notes-eval.js --record DIR [--only a,b]
 *       writes every prompt to DIR/<meeting>/part-<k>.prompt.txt (the model's system message, a blank line, its user
 *       message; its sha256 beside it) and sends nothing: for a model run elsewhere;
 *   node out/test/eval/model-notes-eval.js --answers DIR [--only a,b]
 *       replays answers written beside those prompts (part-<k>.answer.txt; only the prompts' sha256 files are needed).
 *       A prompt that differs from the recorded one (the rules or the prompt changed since) is an error, not a
 *       silent mismatch. A missing answer is a chunk with no answer, as when a model fails.
 *   npm run eval:model-notes -- --answers test/fixtures/real-meetings/model-answers
 *       the answers recorded in the project (see that folder's README for which model wrote them).
 *   … --decisions
 *       also lists every decision missed or falsely found at the line the notes show it (strict), with the find's
 *       standing, whether the rules or the model made it and the lines it cites: for sorting the errors into causes.
 *   … --labels pooled | pooled-check
 *       decisions scored against the pooled, blindly adjudicated labels (adjudication.ts) instead of the first labeller's:
 *       as every adjudication round left them (also with --meetings silver-held-out), or the real set's first round as
 *       the check (a second adjudicator, decoys among the candidates) left it.
 *   … --carry
 *       carried notes (issue 56; prompt v8 by default, v7 with --prompt-version 7): each part's prompt carries what the
 *       parts before it noted, so a part's prompt depends on the answers before it, and the chunks are sent in order.
 *       With --endpoint/--local as above; --answers replays a folder as its mark says; prompts are recorded in rounds:
 *   node out/test/eval/model-notes-eval.js --prompts DIR --carry [--meetings …] [--only a,b]
 *       replays the answers already in DIR/<meeting>/ and writes, for each meeting, the next prompt that has none
 *       (`part-<k>.prompt.txt` and its sha256, as --record writes them). Answer each in `part-<k>.answer.txt` and run
 *       it again, until it says every meeting is complete; then score with `--answers DIR --carry`. A prompt that
 *       changed (an earlier answer or the prompt did) is written again and its old answer removed.
 *   … --prompt-version 8 | 7 | 9
 *       the carried-notes prompt for a model answering now or prompts recorded now: v8 (issue 56; the default, as the
 *       daemon's: a later part may refine a noted entry's words, carriedNotes.ts; implies --carry), v7, or v9 (v8's
 *       rules and NOTED_RULES_V9's: a candidate, not the default). --prompts DIR marks DIR as v8's (notes-prompt-v8.txt)
 *       or v9's (notes-prompt-v9.txt), so that --answers DIR and summary-eval.js replay its answers as asked and a v7
 *       folder (carried-notes.txt alone) is never answered with v8 prompts (or the reverse).
 *   … --duplicates-prompts JDIR | --duplicates-answers JDIR
 *       a judge's count of the repeats in each meeting's final lists (duplicates.ts): writes the prompts, or reads the
 *       answers and reports the repeats per meeting.
 *   … --restatement-prompts RDIR | --restatements RDIR
 *       the restatement check at stop (issue 56, restatements.ts) over each meeting's final lists (with --answers and
 *       carried notes): writes RDIR/<meeting>/restatements.prompt.txt (and its sha256) for a model run elsewhere, or
 *       replays RDIR/<meeting>/restatements.answer.txt and scores the lists as the check left them (its prompt v1, the
 *       daemon's, or v2 where RDIR is marked so: --restatement-prompt 2 with --restatement-prompts writes v2's).
 *   … --procedure-prompts PDIR | --procedure PDIR
 *       the decision check at stop (procedureCheck.ts: the procedure check's prompt v2, the daemon's; its v1 with
 *       --procedure-prompt 1, the candidate v3 with --procedure-prompt 3) over the final decisions (with --answers and carried notes): writes
 *       PDIR/<meeting>/procedure.prompt.txt, or replays PDIR/<meeting>/procedure.answer.txt as PDIR's mark says (the
 *       recorded extraction folders hold no answers of it: they replay without it unless PDIR is given).
 *   … --owner-prompts ODIR | --owners ODIR
 *       the owner check at stop (ownerCheck.ts) over the items still without an owner (with --answers and carried
 *       notes; after the restatement check when one is given): writes ODIR/<meeting>/owners.prompt.txt, or replays
 *       ODIR/<meeting>/owners.answer.txt and scores the lists as the check left them (its prompt v2, the daemon's
 *       since 2026-11-30, where ODIR is marked so, else v1: --owner-prompt 1 with --owner-prompts writes v1's). A
 *       folder of the parts' answers replays its own owner answers with the prompt its mark names (none: v1). A folder of answers asked with the
 *       check (OWNER_CHECK_MARK; the daemon's default) holds them beside the parts' and replays with it unless
 *       --no-check-owners is given.
 *   … --noted-bound wide | recent
 *       with --prompts DIR: which noted entries a prompt shows past the bound (chunks.ts's NotedBound; default: as DIR's
 *       answers were asked, else the daemon's, `wide`); given for a folder answered before, its later parts are
 *       asked anew and the folder marked (NOTED_BOUND_MARK).
 *   … --meetings silver | silver-held-out | silver-dev | committee | ami-natural | abstracts | icsi-unread | core-devs | core-devs-cl | core-devs-el2 | core-devs-el3
 *       the silver set, or a part of it, instead of the real set (its answers: test/fixtures/real-meetings/silver/model-answers);
 *       committee: QMSum's committee hearings (test/fixtures/real-meetings/committee); ami-natural: the AMI corpus's
 *       non-scenario meetings (test/fixtures/real-meetings/ami-natural); abstracts: the two meetings QMSum never took
 *       that the corpora summarised (test/fixtures/real-meetings/abstracts); icsi-unread: the ICSI meetings QMSum never
 *       took (test/fixtures/real-meetings/icsi-unread); core-devs: Ethereum's All Core Devs calls
 *       (test/fixtures/real-meetings/core-devs), core-devs-cl: its consensus-layer calls (…/core-devs-cl), core-devs-el2:
 *       eight more execution-layer calls (…/core-devs-el2), core-devs-el3: eight more again (…/core-devs-el3).
 *
 * A measurement: the exit code is always 0.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CARRY_NOTES_DEFAULT, CHECK_OWNERS_DEFAULT, EnhancementSettings } from '../../protocol/protocol';
import { defaultGpu } from '../../daemon/config';
import { Chat, openAiCompatibleChat } from '../../daemon/understanding/providers';
import { LocalModelHost } from '../../daemon/understanding/local/host';
import { localChat, localRunSettings } from '../../daemon/understanding/local/localChat';
import { extract, SpokenLine } from '../../daemon/understanding/extract';
import { extractTranscriptWithModel, TranscriptModelResult, withLineIds } from '../../daemon/understanding/modelTranscript';
import { loadDoublyLabelled } from './notes-agreement';
import { ADJUDICATED_SETS, AdjudicatedSet, AdjudicationTally, kappa, withPooledLabels } from './adjudication';
import { measureSummary, SummaryMeasure, summaryReport } from './model-summary-eval';
import { NOTED_BOUND_DEFAULT, NotedBound, NOTES_PROMPT_DEFAULT, NotesPrompt, toChunkLine } from '../../daemon/understanding/modelExtract';
import { NotedOwners } from '../../daemon/understanding/chunkMerge';
import { FinalLists, readRepeats, writeDuplicatesPrompt } from './duplicates';
import { RESTATEMENT_HEADING, RESTATEMENT_PROMPT_DEFAULT, RestatementPrompt } from '../../daemon/understanding/restatements';
import { OWNER_CHECK_HEADING, OWNER_PROMPT_DEFAULT, OwnerPrompt } from '../../daemon/understanding/ownerCheck';
import { PROCEDURE_CHECK_HEADING, PROCEDURE_PROMPT_DEFAULT, ProcedurePrompt } from '../../daemon/understanding/procedureCheck';
import {
  evaluate, flagValue, loadMeetings, loadSilver, match, Meeting, MeetingLabels, percentCell as pct, Prediction, Predictions, readTurns, REAL_MEETINGS_DIR,
  selectMeetings, SETS, silverDevelopment, silverHeldOut, standingLines, standingOf,
} from './notes-eval';

const PART = /^Part (\d+) of (\d+)\.$/m;

/**
 * The file stem a recorded prompt and its answer go under: `part-<k>` for a part of the meeting, `restatements` for the
 * restatement check at stop (restatements.ts: a folder of its own, --restatements DIR), `procedure` for the procedure
 * check at stop (procedureCheck.ts: --procedure DIR), `owners` for the owner check at stop (ownerCheck.ts: --owners DIR).
 */
function stemOf(user: string): string {
  const part = PART.exec(user)?.[1];
  if (part) return `part-${part}`;
  if (user.startsWith(RESTATEMENT_HEADING)) return 'restatements';
  if (user.startsWith(OWNER_CHECK_HEADING)) return 'owners';
  if (user.startsWith(PROCEDURE_CHECK_HEADING)) return 'procedure';
  throw new Error('a prompt without "Part k of n."');
}

/** The answers recorded in the project: one model's answer to every prompt of the real set (the folder's README). */
export const MODEL_ANSWERS_DIR = path.join(REAL_MEETINGS_DIR, 'model-answers');
/**
 * Answers to prompt v7 (each part read with what the parts before it noted) carry this file at the top of their
 * folder, so every replay of them reads them the way they were asked; answers without it are v6's.
 */
export const CARRIED_NOTES_MARK = 'carried-notes.txt';
export const answersCarryNotes = (dir: string) => fs.existsSync(path.join(dir, CARRIED_NOTES_MARK));
/** Answers to prompt v8 carry this file beside CARRIED_NOTES_MARK; v7's do not (their prompts must still replay). */
export const NOTES_PROMPT_V8_MARK = 'notes-prompt-v8.txt';
export const NOTES_PROMPT_V9_MARK = 'notes-prompt-v9.txt';
export const answersNotesPrompt = (dir: string): NotesPrompt => (fs.existsSync(path.join(dir, NOTES_PROMPT_V9_MARK)) ? 9 : fs.existsSync(path.join(dir, NOTES_PROMPT_V8_MARK)) ? 8 : 7);
/** How recorded answers were asked: with carried notes or not, and which carried-notes prompt. */
/**
 * Answers asked with the wide bound of the notes (chunks.ts's NotedBound, the default since 2026-11-30) carry this file;
 * those recorded before it were asked with the narrow one and replay so.
 */
export const NOTED_BOUND_MARK = 'noted-bound-wide.txt';
export const answersNotedBound = (dir: string): NotedBound => (fs.existsSync(path.join(dir, NOTED_BOUND_MARK)) ? 'wide' : 'recent');
/**
 * Answers recorded with the owner check at stop (ownerCheck.ts; `earshot.enhancement.checkOwners`) carry this file:
 * each meeting's `owners.answer.txt` lies beside its parts' answers, and replays follow the parts. Folders without it
 * (answered before the check, or to measure without it) replay with none.
 */
export const OWNER_CHECK_MARK = 'owner-check.txt';
export const answersCheckOwners = (dir: string) => fs.existsSync(path.join(dir, OWNER_CHECK_MARK));
/**
 * The owner check's second answering (the same prompts, other instances): a folder of answers' owner answers there, under
 * the path the folder has under the real meetings' fixtures (`--owners` replays them).
 */
export const SECOND_OWNER_ANSWERS_DIR = path.join(REAL_MEETINGS_DIR, 'owner-check-b');
export const secondOwnerAnswers = (dir: string) => ownerAnswersUnder(SECOND_OWNER_ANSWERS_DIR, dir);
/**
 * The owner check's prompt v2 (the default since 2026-11-30) answered over a recorded folder's lists, which were asked
 * with v1 beside the parts: its two answerings, under the folder's path as above (`--owners` replays them).
 */
export const OWNER_V2_ANSWERS_DIRS = ['owner-check-v2', 'owner-check-v2-b'].map((name) => path.join(REAL_MEETINGS_DIR, name));
export const ownerAnswersUnder = (root: string, dir: string) => path.join(root, path.relative(REAL_MEETINGS_DIR, dir));
/**
 * A folder of the restatement check's answers to its prompt v2 (restatements.ts: a candidate, 2026-11-30) carries this
 * file; those without it answered v1 (the daemon's) and replay so.
 */
export const RESTATEMENT_PROMPT_V2_MARK = 'restatement-prompt-v2.txt';
export const answersRestatementPrompt = (dir: string): RestatementPrompt => (fs.existsSync(path.join(dir, RESTATEMENT_PROMPT_V2_MARK)) ? 2 : 1);
/** A folder of the procedure check's answers to its prompt v2, the decision check (procedureCheck.ts: the daemon's since 2026-11-30), carries this file; those without it answered v1. */
export const PROCEDURE_PROMPT_V2_MARK = 'procedure-prompt-v2.txt';
/** A folder of the decision check's answers to its prompt v3 (a candidate: procedureCheck.ts's SYSTEM_V3). */
export const PROCEDURE_PROMPT_V3_MARK = 'procedure-prompt-v3.txt';
export const answersProcedurePrompt = (dir: string): ProcedurePrompt => (fs.existsSync(path.join(dir, PROCEDURE_PROMPT_V3_MARK)) ? 3
  : fs.existsSync(path.join(dir, PROCEDURE_PROMPT_V2_MARK)) ? 2 : 1);
/** A folder of the owner check's answers to its prompt v2 (ownerCheck.ts's WE_RULE_V2), else v1's. */
export const OWNER_PROMPT_V2_MARK = 'owner-prompt-v2.txt';
export const answersOwnerPrompt = (dir: string): OwnerPrompt => (fs.existsSync(path.join(dir, OWNER_PROMPT_V2_MARK)) ? 2 : 1);
/**
 * Answers asked since a later part's noted owner replaces the item's (chunkMerge.ts's NotedOwners, 2026-11-30) carry
 * this file; those recorded before were asked with the notes the old merge made (`fill`) and replay so.
 */
export const NOTED_OWNER_MARK = 'noted-owner-replaces.txt';
export const answersNotedOwners = (dir: string): NotedOwners => (fs.existsSync(path.join(dir, NOTED_OWNER_MARK)) ? 'replace' : 'fill');
/** A check's prompt version from `flag` (1 or 2; only with `folderFlag`, the folder its prompts are written to), else `fallback`. */
function promptVersion<V extends number>(argv: string[], flag: string, folderFlag: string, folder: string | undefined, fallback: V, allowed: readonly V[]): V {
  const given = flagValue(argv, flag);
  if (given === undefined) return fallback;
  if (!folder || !allowed.map(String).includes(given)) throw new Error(`${flag} ${allowed.join(' | ')} goes with ${folderFlag} DIR`);
  return Number(given) as V;
}

/**
 * Marks a folder of a check's prompts as the version's (`marks`: each later version's mark file and what it is), or as
 * v1's by no mark: its answers replay with that prompt.
 */
function markPromptVersion(dir: string, version: number, marks: Readonly<Record<number, readonly [file: string, what: string]>>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [file] of Object.values(marks)) fs.rmSync(path.join(dir, file), { force: true });
  const mark = marks[version];
  if (mark) fs.writeFileSync(path.join(dir, mark[0]), `These answers are to ${mark[1]}: replayed with v${version}.\n`);
}
const OWNER_PROMPT_MARKS = { 2: [OWNER_PROMPT_V2_MARK, 'the owner check\'s prompt v2 ("we" for the speaker\'s own team is the speaker\'s)'] } as const;

export const recordedHow = (dir: string) => ({
  carryNotes: answersCarryNotes(dir), notesPrompt: answersNotesPrompt(dir), notedBound: answersNotedBound(dir), checkOwners: answersCheckOwners(dir),
  ownerPrompt: answersOwnerPrompt(dir), notedOwners: answersNotedOwners(dir),
});
/** What a judge of repeats reads of a meeting (duplicates.ts): its final decisions and action items. */
export const finalLists = (r: MeetingRun): FinalLists => ({ decisions: r.result.decisions, actionItems: r.result.actionItems });

/**
 * A meeting replayed from a folder of recorded answers, read the way they were asked (v6, or v7 with carried notes; the
 * owner check when the folder was answered with it). The checks at stop from folders of their own: `restatements`, the
 * restatement check's answers (those runs were measured without the owner check, and replay so); `procedure`, the
 * procedure check's (over the lists the folder and its owner check give); `owners`, the owner check's.
 */
export const replayRecorded = (meeting: Meeting, dir: string, checks: { restatements?: string; procedure?: string; owners?: string } = {}) =>
  runMeeting(meeting, replayingChat(path.join(dir, meeting.name)), undefined, {
    ...recordedHow(dir), ...(checks.restatements ? { restatements: replayingChat(path.join(checks.restatements, meeting.name)), restatementPrompt: answersRestatementPrompt(checks.restatements), checkOwners: false } : {}),
    ...(checks.procedure ? { procedure: replayingChat(path.join(checks.procedure, meeting.name)), procedurePrompt: answersProcedurePrompt(checks.procedure) } : {}),
    ...(checks.owners ? { owners: replayingChat(path.join(checks.owners, meeting.name)), ownerPrompt: answersOwnerPrompt(checks.owners), checkOwners: true } : {}),
  });

export function markCarriedNotes(dir: string, prompt: NotesPrompt = 7, bound: NotedBound = 'recent', checkOwners = false, notedOwners: NotedOwners = 'fill', ownerPrompt: OwnerPrompt = 1): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, CARRIED_NOTES_MARK), 'These answers are to extraction prompt v7 (each part read with what the parts before it noted): replayed with carried notes.\n');
  if (prompt === 8) fs.writeFileSync(path.join(dir, NOTES_PROMPT_V8_MARK), 'These answers are to extraction prompt v8 (v7, and a later part may refine a noted entry\'s words): replayed with prompt v8.\n');
  if (prompt === 9) fs.writeFileSync(path.join(dir, NOTES_PROMPT_V9_MARK), 'These answers are to extraction prompt v9 (v8, one action item for each person given the work, the running of the meeting no decision): replayed with prompt v9.\n');
  if (bound === 'wide') fs.writeFileSync(path.join(dir, NOTED_BOUND_MARK), 'These answers were asked with the wide bound of the notes (40 entries, 6000 characters, then those a part\'s lines mention first): replayed so.\n');
  else fs.rmSync(path.join(dir, NOTED_BOUND_MARK), { force: true });
  if (checkOwners) fs.writeFileSync(path.join(dir, OWNER_CHECK_MARK), 'These answers were asked with the owner check at stop (owners.answer.txt, after the last part): replayed with it.\n');
  if (checkOwners) markPromptVersion(dir, ownerPrompt, OWNER_PROMPT_MARKS);
  if (notedOwners === 'replace') fs.writeFileSync(path.join(dir, NOTED_OWNER_MARK), 'These answers were asked with a later part\'s noted owner replacing the item\'s (chunkMerge.ts\'s NotedOwners): replayed so.\n');
}

const promptText = (system: string, user: string) => `${system}\n\n${user}\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A Chat that writes each prompt down (`part-<k>.prompt.txt`, and its sha256 in `part-<k>.prompt.sha256`, which is
 * all a replay needs) and answers nothing: every chunk then has no answer.
 */
export function recordingChat(dir: string): Chat {
  return async (system, user) => {
    const stem = stemOf(user);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${stem}.prompt.txt`), promptText(system, user));
    fs.writeFileSync(path.join(dir, `${stem}.prompt.sha256`), `${sha256(promptText(system, user))}\n`);
    return { text: '', model: 'recorder' };
  };
}

/**
 * A Chat for prompts recorded in rounds (v7's depend on the answers before them): replays each part's answer while its
 * prompt is the recorded one; the first part with no answer (or whose prompt changed: its old answer is removed) has
 * its prompt written, and that part and every one after it in the meeting get no answer this round. `pending()`: the
 * part written this round, if any.
 */
export function nextPromptChat(dir: string): Chat & { pending(): string | undefined } {
  let pending: string | undefined;
  const chat = async (system: string, user: string) => {
    const stem = stemOf(user);
    if (pending) throw new Error(`waiting for an answer to ${pending}`);
    const text = promptText(system, user);
    const hashFile = path.join(dir, `${stem}.prompt.sha256`);
    const answerFile = path.join(dir, `${stem}.answer.txt`);
    const recorded = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : undefined;
    if (recorded === sha256(text) && fs.existsSync(answerFile)) return { text: fs.readFileSync(answerFile, 'utf8'), model: 'recorded answers' };
    fs.mkdirSync(dir, { recursive: true });
    if (recorded !== sha256(text)) fs.rmSync(answerFile, { force: true });
    fs.writeFileSync(path.join(dir, `${stem}.prompt.txt`), text);
    fs.writeFileSync(hashFile, `${sha256(text)}\n`);
    pending = stem;
    throw new Error(`waiting for an answer to ${pending}`);
  };
  return Object.assign(chat, { pending: () => pending });
}

/** A Chat that replays the answers recorded beside the prompts; refuses a prompt that is not the recorded one. */
export function replayingChat(dir: string, model = 'recorded answers'): Chat {
  return async (system, user) => {
    const stem = stemOf(user);
    const hashFile = path.join(dir, `${stem}.prompt.sha256`);
    const answerFile = path.join(dir, `${stem}.answer.txt`);
    if (!fs.existsSync(hashFile)) throw new Error(`${hashFile}: no recorded prompt (record them with --record)`);
    if (fs.readFileSync(hashFile, 'utf8').trim() !== sha256(promptText(system, user))) {
      throw new Error(`${hashFile}: the prompt is not the one the answer was written for (the rules or the prompt changed): record and answer again`);
    }
    return { text: fs.existsSync(answerFile) ? fs.readFileSync(answerFile, 'utf8') : '', model };
  };
}

export interface MeetingRun {
  meeting: Meeting;
  result: TranscriptModelResult;
  /** The finds where the notes show them (a model's at the cited line that says most of it). */
  predictions: Predictions;
  /** The same, a model's find also matching at any line it cites (as a second labeller's mentions do). */
  citedPredictions: Predictions;
  dismissed: Prediction[];
  /** Why calls failed (each reason once): a prompt that no longer matches its recorded answer, a server's error. */
  errors: string[];
}

/**
 * Times for turns read from a transcript without them (the silver set keeps `.txt` only): the ones
 * scripts/qmsum-meeting.js gives its `.jsonl` (2.5 words a second, at least 0.4 s, 0.3 s between turns), so a prompt
 * is the one the `.jsonl` would make. Turns that have times keep them.
 */
export function withSpeakingTimes(lines: SpokenLine[]): SpokenLine[] {
  if (lines.every((l) => l.t0 !== null)) return lines;
  let t = 0;
  return lines.map((l) => {
    const t0 = Number(t.toFixed(2));
    t += Math.max(0.4, l.text.split(/\s+/).length / 2.5) + 0.3;
    return { ...l, t0 };
  });
}

/** One meeting through the CLI's model extraction: the finds as the eval scores them, and the dismissed rule items. */
export async function runMeeting(meeting: Meeting, chat: Chat,
  settings: EnhancementSettings = { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1' },
  how: { carryNotes?: boolean; notesPrompt?: NotesPrompt; notedBound?: NotedBound; restatements?: Chat; restatementPrompt?: RestatementPrompt; procedure?: Chat; procedurePrompt?: ProcedurePrompt; owners?: Chat; ownerPrompt?: OwnerPrompt; checkOwners?: boolean; notedOwners?: NotedOwners } = {}): Promise<MeetingRun> {
  const lines = withLineIds(withSpeakingTimes(readTurns(meeting.jsonlPath)));
  // 09:00 UTC, not local time: the prompt shows the date as ISO, and recorded answers must replay in any time zone.
  const date = new Date(`${meeting.labels.meetingDate}T09:00:00Z`);
  const turnOfT0 = new Map(lines.map((l, i) => [l.t0, i]));
  const turnOf = (t0: number) => turnOfT0.get(t0) ?? -1;
  const found = extract(lines, date);
  // The daemon's run treats a failing call as a chunk without an answer; the eval says why instead.
  const errors: string[] = [];
  const watched: Chat = async (system, user, signal, constraint) => {
    try {
      // The checks at stop have answers of their own (--restatements DIR, --procedure DIR, --owners DIR): the parts' replay as before.
      const check = user.startsWith(RESTATEMENT_HEADING) ? how.restatements : user.startsWith(PROCEDURE_CHECK_HEADING) ? how.procedure
        : user.startsWith(OWNER_CHECK_HEADING) ? how.owners : undefined;
      return await (check ?? chat)(system, user, signal, constraint);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
      throw e;
    }
  };
  const result = await extractTranscriptWithModel(lines, found, date, settings, () => undefined, undefined, watched, undefined,
    // The prompt is always named: v7's recorded answers replay as v7 whatever the daemon's default.
    how.carryNotes ? { carryNotes: true, notesPrompt: how.notesPrompt ?? NOTES_PROMPT_DEFAULT, notedBound: how.notedBound ?? NOTED_BOUND_DEFAULT, notedOwners: how.notedOwners ?? 'replace', ...(how.restatements ? { checkRestatements: true, restatementPrompt: how.restatementPrompt ?? RESTATEMENT_PROMPT_DEFAULT } : {}),
      ...(how.procedure ? { checkProcedure: true, ...(how.procedurePrompt ? { procedurePrompt: how.procedurePrompt } : {}) } : {}), ...(how.owners || how.checkOwners ? { checkOwners: true, ...(how.ownerPrompt ? { ownerPrompt: how.ownerPrompt } : {}) } : {}) } : {});
  // Dismissed items carry their text only: placed on the rule item of that text.
  // A model's find is shown at the line the journal anchors it on; in `citedPredictions` the lines it cites count as its mentions.
  const cites = (x: { segments?: string[] }) => (x.segments ? { mentions: x.segments.map((id) => Number(id.slice(2)) - 1) } : {});
  const strict = ({ mentions: _m, ...p }: Prediction): Prediction => p;
  const ruleTurn = new Map([...found.actionItems, ...found.decisions].map((x) => [x.text, turnOf(x.t0 ?? -1)]));
  const cited: Predictions = {
    actionItems: result.actionItems.map((i) => ({ turn: turnOf(i.t0), text: i.text, owner: i.owner, due: i.due, ...cites(i) })),
    decisions: result.decisions.map((d) => ({ turn: turnOf(d.t0), text: d.text, kind: d.kind, standing: d.standing, ...cites(d) })),
  };
  return {
    meeting,
    result,
    errors: [...new Set(errors)],
    citedPredictions: cited,
    predictions: { actionItems: cited.actionItems.map(strict), decisions: cited.decisions.map(strict) },
    // The rule items the model dismissed (its own entries folded or dropped are not the rules').
    dismissed: result.dismissed.filter((d) => !d.added).map((d) => ({ turn: ruleTurn.get(d.text) ?? -1, text: d.text, kind: d.kind })),
  };
}

/** Of the dismissed rule items, those a labeller had labelled (wrongly dismissed) and the rest (false items removed). */
export function judgeDismissals(runs: MeetingRun[], labelsOf: (m: Meeting) => MeetingLabels): { right: number; wrong: number } {
  let right = 0, wrong = 0;
  for (const r of runs) {
    const labels = labelsOf(r.meeting);
    const items = r.dismissed.filter((d) => d.kind === 'actionItem');
    const decisions = r.dismissed.filter((d) => d.kind !== 'actionItem');
    const hit = match(labels.actionItems, items).size + match(labels.decisions, decisions).size;
    wrong += hit;
    right += r.dismissed.length - hit;
  }
  return { right, wrong };
}

/**
 * `--decisions`: every strict decision miss and false find, as a reader sorts them (issue 40): the label with its line,
 * and each unmatched find with its standing, whether the rules or the model made it, and the lines the model cited.
 */
export function strictDecisionDetail(runs: MeetingRun[]): string[] {
  const out = ['Decisions, strict (at the line the notes show): misses and false finds'];
  for (const r of runs) {
    const labels = r.meeting.labels.decisions;
    const finds = r.predictions.decisions;
    const matched = match(labels, finds);
    const used = new Set(matched.values());
    labels.forEach((l, i) => {
      if (!matched.has(i)) out.push(`  ${r.meeting.name} #${l.turn} miss [${standingOf(l)}, ${l.kind}]: ${l.text}`);
    });
    finds.forEach((f, i) => {
      if (used.has(i)) return;
      const d = r.result.decisions[i];
      const cited = d.segments ? ` cites #${d.segments.map((id) => Number(id.slice(2)) - 1).join(',')}` : '';
      out.push(`  ${r.meeting.name} #${f.turn} false find [${d.standing}, ${d.kind}] ${d.by ? 'model' : 'rules'}${cited}: ${d.text}`);
    });
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const record = flagValue(argv, '--record');
  const answers = flagValue(argv, '--answers');
  const prompts = flagValue(argv, '--prompts');
  // Recorded answers are read as they were asked (carried-notes.txt); a model answering now is asked as a meeting asks
  // it (CARRY_NOTES_DEFAULT), or with each part alone (--no-carry: prompt v6).
  const answersDir = flagValue(argv, '--answers');
  const version = flagValue(argv, '--prompt-version');
  if (version !== undefined && version !== '7' && version !== '8' && version !== '9') throw new Error(`--prompt-version ${version}: 7, 8 or 9`);
  // The carried-notes prompt: as recorded answers were asked (their folder's mark), else --prompt-version, else the
  // daemon's (NOTES_PROMPT_DEFAULT: v8).
  const recordedPrompt = answersDir !== undefined ? answersNotesPrompt(answersDir) : prompts !== undefined && answersCarryNotes(prompts) ? answersNotesPrompt(prompts) : undefined;
  const notesPrompt: NotesPrompt = recordedPrompt ?? (version ? Number(version) as NotesPrompt : NOTES_PROMPT_DEFAULT);
  if (version !== undefined && recordedPrompt !== undefined && Number(version) !== recordedPrompt) {
    throw new Error(`--prompt-version ${version}: ${answersDir ?? prompts} holds prompt v${recordedPrompt}'s answers`);
  }
  // The bound of the notes a prompt shows: as recorded answers were asked (their folder's mark), else --noted-bound, else
  // the daemon's (NOTED_BOUND_DEFAULT). --noted-bound on a --prompts folder answered before asks its later parts anew.
  const boundFlag = flagValue(argv, '--noted-bound');
  if (boundFlag !== undefined && boundFlag !== 'wide' && boundFlag !== 'recent') throw new Error(`--noted-bound ${boundFlag}: wide or recent`);
  if (boundFlag !== undefined && answersDir !== undefined) throw new Error('--noted-bound goes with --prompts DIR (--answers DIR replays as its folder says)');
  const recordedBound = answersDir !== undefined ? answersNotedBound(answersDir) : prompts !== undefined && answersCarryNotes(prompts) ? answersNotedBound(prompts) : undefined;
  const notedBound: NotedBound = (boundFlag as NotedBound | undefined) ?? recordedBound ?? NOTED_BOUND_DEFAULT;
  const carryNotes = argv.includes('--carry') || Number(version ?? 7) >= 8 || (recordedPrompt ?? 7) >= 8 || (answersDir !== undefined ? answersCarryNotes(answersDir) : !argv.includes('--no-carry') && !flagValue(argv, '--record') && CARRY_NOTES_DEFAULT);
  if (prompts && !carryNotes) throw new Error('--prompts DIR records v7 prompts in rounds: give --carry too (v6 prompts: --record DIR)');
  if (record && carryNotes) throw new Error('--record writes every prompt at once, which v7 cannot (each depends on the answers before it): --prompts DIR --carry');
  const endpoint = flagValue(argv, '--endpoint');
  const model = flagValue(argv, '--model');
  const local = flagValue(argv, '--local');
  const threads = flagValue(argv, '--threads');
  if ([record, answers, endpoint, local, prompts].filter(Boolean).length !== 1) throw new Error('give one of --endpoint URL, --local MODEL.gguf, --record DIR, --answers DIR, --prompts DIR');
  if (threads !== undefined && (!local || !/^[1-9]\d*$/.test(threads))) throw new Error('--threads N (a whole number from 1) goes with --local');
  // --meetings silver | silver-held-out | silver-dev | committee | ami-natural | abstracts: the silver set, a part of it,
  // the committee hearings, the AMI corpus's non-scenario meetings or the two meetings with the corpora's summaries
  // instead of the real set
  // (test/fixtures/real-meetings/README.md).
  const set = flagValue(argv, '--meetings') ?? 'real';
  const parts: Record<string, () => Meeting[]> = {
    real: () => loadMeetings(REAL_MEETINGS_DIR),
    silver: () => loadSilver(),
    'silver-held-out': () => silverHeldOut(loadSilver()),
    'silver-dev': () => silverDevelopment(loadSilver()),
    // The adjudicated sets (real, silver-held-out, committee, ami-natural, abstracts, icsi-unread, core-devs, core-devs-cl, core-devs-el2, core-devs-el3) as adjudication.ts loads them.
    ...Object.fromEntries(Object.entries(ADJUDICATED_SETS).filter(([name]) => name !== 'real').map(([name, { meetings }]) => [name, meetings])),
  };
  if (!parts[set]) throw new Error(`--meetings ${set}: one of ${Object.keys(parts).join(', ')}`);
  const all = parts[set]();
  // --labels pooled: the decisions as blind adjudication left them (adjudication.ts: every round), not the first labeller's.
  // --labels pooled-check: the real set's first round as the check's adjudicator (who also judged decoys) left it.
  const labelsFrom = flagValue(argv, '--labels') ?? 'first';
  if (!['first', 'pooled', 'pooled-check'].includes(labelsFrom)) throw new Error(`--labels ${labelsFrom}: first, pooled or pooled-check`);
  const adjudicated = Object.hasOwn(ADJUDICATED_SETS, set) ? set as AdjudicatedSet : undefined;
  if (labelsFrom !== 'first' && !adjudicated) throw new Error(`--labels ${labelsFrom}: only ${Object.keys(ADJUDICATED_SETS).join(', ')} have been adjudicated`);
  if (labelsFrom === 'pooled-check' && set !== 'real') throw new Error('--labels pooled-check: only the real set has a check');
  const restatementPrompts = flagValue(argv, '--restatement-prompts');
  const restatementAnswers = flagValue(argv, '--restatements');
  if ((restatementPrompts || restatementAnswers) && (!answers || !carryNotes)) throw new Error('--restatement-prompts / --restatements: with --answers DIR of carried notes');
  if (restatementPrompts && restatementAnswers) throw new Error('give one of --restatement-prompts RDIR, --restatements RDIR');
  // --restatement-prompt 2: write the candidate v2's prompts (restatements.ts) instead of the daemon's v1.
  const writtenRestatementPrompt = promptVersion<RestatementPrompt>(argv, '--restatement-prompt', '--restatement-prompts', restatementPrompts, RESTATEMENT_PROMPT_DEFAULT, [1, 2]);
  const ownerPrompts = flagValue(argv, '--owner-prompts');
  const ownerAnswers = flagValue(argv, '--owners');
  if ((ownerPrompts || ownerAnswers) && (!answers || !carryNotes)) throw new Error('--owner-prompts / --owners: with --answers DIR of carried notes');
  if (ownerPrompts && ownerAnswers) throw new Error('give one of --owner-prompts ODIR, --owners ODIR');
  // --owner-prompt 1: write the first prompt's (before ownerCheck.ts's WE_RULE_V2) instead of the daemon's v2.
  const writtenOwnerPrompt: OwnerPrompt = promptVersion<OwnerPrompt>(argv, '--owner-prompt', '--owner-prompts', ownerPrompts, OWNER_PROMPT_DEFAULT, [1, 2]);
  // The owner check at stop: as recorded answers were asked (their folder's mark; --no-check-owners replays them
  // without), else the daemon's default; never over the restatement check's recorded runs (measured without it).
  const noOwnerCheck = argv.includes('--no-check-owners');
  if (noOwnerCheck && (ownerPrompts || ownerAnswers)) throw new Error('--no-check-owners replays without the check: not with --owner-prompts / --owners');
  const checkOwners = !noOwnerCheck && !restatementPrompts && !restatementAnswers && carryNotes && (answersDir !== undefined ? answersCheckOwners(answersDir)
    : prompts !== undefined && answersCarryNotes(prompts) ? answersCheckOwners(prompts) : CHECK_OWNERS_DEFAULT);
  // The owner check's prompt for the answers beside the parts': as they were asked (the folder's mark: none is v1, the
  // first default), else the daemon's.
  const recordedOwnerPrompt: OwnerPrompt = answersDir !== undefined ? answersOwnerPrompt(answersDir)
    : prompts !== undefined && answersCarryNotes(prompts) ? answersOwnerPrompt(prompts) : OWNER_PROMPT_DEFAULT;
  // How a later part's noted owner is taken: as recorded answers were asked (their folder's mark), else the daemon's.
  const notedOwners: NotedOwners = answersDir !== undefined ? answersNotedOwners(answersDir)
    : prompts !== undefined && answersCarryNotes(prompts) ? answersNotedOwners(prompts) : 'replace';
  // The decision check at stop (the procedure check): --procedure-prompts PDIR writes its prompts, --procedure PDIR replays
  // answers of a folder of their own, over the lists the recorded answers (and their owner check) give.
  const procedurePrompts = flagValue(argv, '--procedure-prompts');
  const procedureAnswers = flagValue(argv, '--procedure');
  if ((procedurePrompts || procedureAnswers) && (!answers || !carryNotes)) throw new Error('--procedure-prompts / --procedure: with --answers DIR of carried notes');
  if (procedurePrompts && procedureAnswers) throw new Error('give one of --procedure-prompts PDIR, --procedure PDIR');
  // --procedure-prompt 1: write the first prompt's (the decisions alone) instead of the daemon's v2, the decision check;
  // --procedure-prompt 3: the candidate v3's.
  const writtenProcedurePrompt = promptVersion<ProcedurePrompt>(argv, '--procedure-prompt', '--procedure-prompts', procedurePrompts, PROCEDURE_PROMPT_DEFAULT, [1, 2, 3]);
  const tallies: AdjudicationTally[] = [];
  const selected = selectMeetings(all, argv);
  const meetings = labelsFrom === 'first' ? selected : withPooledLabels(selected, adjudicated!, labelsFrom === 'pooled' ? 'rounds' : 'check', tallies, flagValue(argv, '--trial-round'));
  const against = labelsFrom === 'first' ? 'first labeller' : labelsFrom === 'pooled' ? 'pooled labels' : 'pooled (check)';
  if (local && !fs.existsSync(local)) throw new Error(`--local ${local}: no such file`);
  // As `earshot notes --local` runs it: one model process for every meeting, closed at the end.
  const host = local ? new LocalModelHost({ modelPath: path.resolve(local), ...(threads ? { threads: Number(threads) } : {}), gpu: defaultGpu() !== false }) : undefined;
  const settings: EnhancementSettings = host ? localRunSettings({ provider: 'local', model: host.modelPath })
    : { provider: 'openai-compatible', endpoint: endpoint ?? 'http://127.0.0.1:1', ...(model ? { model } : {}) };
  const runs: MeetingRun[] = [];
  const started = performance.now();
  // The rolling summary is measured only where a model answers now (recorded answers hold none for its prompt).
  const summary: SummaryMeasure | undefined = record || answers || prompts ? undefined : { calls: 0, parsed: 0, cites: 0, realCites: 0, finalPoints: [] };
  const written: string[] = [];
  try {
    for (const m of meetings) {
      if (prompts) {
        const next = nextPromptChat(path.join(prompts, m.name));
        await runMeeting(m, next, settings, { carryNotes, notesPrompt, notedBound, checkOwners, notedOwners, ownerPrompt: recordedOwnerPrompt });
        if (next.pending()) written.push(`${m.name}/${next.pending()}`);
        continue;
      }
      const chat = record ? recordingChat(path.join(record, m.name)) : answers ? replayingChat(path.join(answers, m.name)) : host ? localChat(host) : undefined;
      const restatements = restatementPrompts ? recordingChat(path.join(restatementPrompts, m.name))
        : restatementAnswers ? replayingChat(path.join(restatementAnswers, m.name)) : undefined;
      // Prompts written now: the daemon's (v1), or v2 with --restatement-prompt 2; recorded answers replay as their folder says.
      const restatementPrompt = restatementAnswers ? answersRestatementPrompt(restatementAnswers) : writtenRestatementPrompt;
      const owners = ownerPrompts ? recordingChat(path.join(ownerPrompts, m.name)) : ownerAnswers ? replayingChat(path.join(ownerAnswers, m.name)) : undefined;
      const ownerPrompt = ownerAnswers ? answersOwnerPrompt(ownerAnswers) : ownerPrompts ? writtenOwnerPrompt : recordedOwnerPrompt;
      const procedure = procedurePrompts ? recordingChat(path.join(procedurePrompts, m.name)) : procedureAnswers ? replayingChat(path.join(procedureAnswers, m.name)) : undefined;
      const procedurePrompt = procedureAnswers ? answersProcedurePrompt(procedureAnswers) : writtenProcedurePrompt;
      const run = await runMeeting(m, chat ?? openAiCompatibleChat(settings), settings, {
        carryNotes, notesPrompt, notedBound, checkOwners, notedOwners, ...(restatements ? { restatements, restatementPrompt } : {}), ...(procedure ? { procedure, procedurePrompt } : {}), ...(owners ? { owners } : {}), ownerPrompt,
      });
      runs.push(run);
      process.stderr.write(`${m.name}: ${run.result.message}\n`);
      for (const e of run.errors) process.stderr.write(`  ${m.name}: ${e}\n`);
      if (summary) {
        const lines = withLineIds(withSpeakingTimes(readTurns(m.jsonlPath))).map((l, k) => toChunkLine({ segmentId: l.segmentId!, speaker: l.speaker ?? 'Speaker', t0: l.t0 ?? k, text: l.text }));
        await measureSummary(lines, { title: 'Transcript', date: `${m.labels.meetingDate}T09:00:00.000Z` }, chat ?? openAiCompatibleChat(settings), summary);
      }
    }
  } finally {
    host?.close();
  }
  if (host) process.stderr.write(`local model ${path.basename(host.modelPath)}: ${((performance.now() - started) / 1000).toFixed(1)} s for ${runs.length} meetings, ${host.threads} thread(s)\n`);
  if (record) {
    process.stdout.write(`prompts of ${runs.length} meetings written under ${record}\n`);
    return;
  }
  if (procedurePrompts) {
    markPromptVersion(procedurePrompts, writtenProcedurePrompt, {
      2: [PROCEDURE_PROMPT_V2_MARK, 'the procedure check\'s prompt v2, the decision check (each decision with its lines)'],
      3: [PROCEDURE_PROMPT_V3_MARK, 'the decision check\'s prompt v3 (v2, and one team\'s plan or a forecast nobody chose)'],
    });
    const asked = runs.filter((r) => fs.existsSync(path.join(procedurePrompts, r.meeting.name, 'procedure.prompt.txt')));
    process.stdout.write(`procedure check prompts of ${asked.length} meetings written under ${procedurePrompts} (the others have no decision: ${runs.filter((r) => !asked.includes(r)).map((r) => r.meeting.name).join(', ') || 'none'})\n`);
  }
  if (ownerPrompts) {
    markPromptVersion(ownerPrompts, writtenOwnerPrompt, OWNER_PROMPT_MARKS);
    const asked = runs.filter((r) => fs.existsSync(path.join(ownerPrompts, r.meeting.name, 'owners.prompt.txt')));
    process.stdout.write(`owner check prompts of ${asked.length} meetings written under ${ownerPrompts} (the others have no item without an owner: ${runs.filter((r) => !asked.includes(r)).map((r) => r.meeting.name).join(', ') || 'none'})\n`);
  }
  if (restatementPrompts) {
    markPromptVersion(restatementPrompts, writtenRestatementPrompt, { 2: [RESTATEMENT_PROMPT_V2_MARK, 'the restatement check\'s prompt v2 (fold only an entry the kept one already says whole)'] });
    const written = runs.filter((r) => fs.existsSync(path.join(restatementPrompts, r.meeting.name, 'restatements.prompt.txt')));
    process.stdout.write(`restatement check prompts of ${written.length} meetings written under ${restatementPrompts} (the others' lists are not worth a check: ${runs.filter((r) => !written.includes(r)).map((r) => r.meeting.name).join(', ') || 'none'})\n`);
    return;
  }
  if (prompts) {
    markCarriedNotes(prompts, notesPrompt, notedBound, checkOwners, notedOwners, recordedOwnerPrompt);
    process.stdout.write(written.length
      ? `${written.length} prompt(s) to answer under ${prompts} (then run this again): ${written.join(', ')}\n`
      : `every meeting is complete under ${prompts}: score it with --answers ${prompts}${notesPrompt >= 8 ? '' : ' --carry'}\n`);
    return;
  }
  const byName = new Map(runs.map((r) => [r.meeting.name, r.predictions]));
  const citedByName = new Map(runs.map((r) => [r.meeting.name, r.citedPredictions]));
  // The second labeller's labels: the real set's, or a set's own where it was labelled twice (ADJUDICATED_SETS).
  const ownSecond = adjudicated && ADJUDICATED_SETS[adjudicated].secondLabeller;
  const secondLabels = new Map((ownSecond ? loadDoublyLabelled(ownSecond, all, set) : loadDoublyLabelled()).map((p) => [p.meeting.name, p.second]));
  const doubly = meetings.filter((m) => secondLabels.has(m.name));
  const rows: [string, Awaited<ReturnType<typeof evaluate>>][] = [
    [`rules alone vs ${against}`, await evaluate(meetings, SETS.real.targets)],
    [`rules + model vs ${against}`, await evaluate(meetings, SETS.real.targets, (m) => byName.get(m.name)!)],
    ['  the same, any cited line', await evaluate(meetings, SETS.real.targets, (m) => citedByName.get(m.name)!)],
  ];
  if (doubly.length) {
    const relabelled = doubly.map((m) => ({ ...m, labels: secondLabels.get(m.name)! }));
    rows.push(['rules alone vs second labeller', await evaluate(relabelled, SETS.real.targets)]);
    rows.push(['rules + model vs second labeller', await evaluate(relabelled, SETS.real.targets, (m) => byName.get(m.name)!)]);
    rows.push(['  the same, any cited line', await evaluate(relabelled, SETS.real.targets, (m) => citedByName.get(m.name)!)]);
  }
  const failed = runs.filter((r) => r.errors.length);
  const out = failed.length ? [`CALLS FAILED in ${failed.length} meetings (the figures below leave those chunks out): ${failed.map((r) => `${r.meeting.name}: ${r.errors[0]}`).join('; ')}`, ''] : [];
  out.push(`Language-model extraction on ${meetings.length} ${set === 'real' ? 'real' : set} meetings (${doubly.length} with a second labeller): ${meetings.map((m) => m.name).join(', ')}`, '');
  if (labelsFrom !== 'first') {
    tallies.forEach((tally, i) => out.push(`Decisions, ${labelsFrom === 'pooled-check' ? 'the check of round 1' : `adjudication round ${i + 1}`}: pooled labels ${tally.pooled}: of ${tally.labels} ${i ? 'pooled before' : 'labelled'}, ${tally.labelsKept} kept; of ${tally.finds} finds of the answer runs outside them, ${tally.findsAccepted} judged decisions (${tally.findsSameAsLabel} the same as one already pooled, stated at another line).`));
    out.push('Action items: the first labeller\'s.');
    const a = tallies[0].agreement, tally = tallies[0];
    if (labelsFrom === 'pooled-check') out.push(`The check: ${tally.decoysAccepted} of ${tally.decoys} decoys accepted; with the first adjudication it agrees on ${a.both + a.neither} of ${a.both + a.firstOnly + a.checkOnly + a.neither} candidates (both accept ${a.both}, first only ${a.firstOnly}, check only ${a.checkOnly}, neither ${a.neither}; kappa ${kappa(a).toFixed(2)}).`);
    out.push('');
  }
  // "with standing": a matched decision counts only when its standing (decided / open / given) is the label's.
  out.push(`${''.padEnd(34)} ${'items P'.padStart(7)} ${'R'.padStart(7)} ${'owner'.padStart(7)}   ${'dec P'.padStart(7)} ${'R'.padStart(7)}   ${'+std P'.padStart(7)} ${'R'.padStart(7)}   found items/decisions`);
  for (const [name, e] of rows) {
    const i = e.overall.actionItems, d = e.overall.decisions;
    out.push(`${name.padEnd(34)} ${pct(i.precision)} ${pct(i.recall)} ${pct(i.ownerAccuracy)}   ${pct(d.precision)} ${pct(d.recall)}   ${pct(d.standingPrecision)} ${pct(d.standingRecall)}   ${i.predicted}/${d.predicted}`);
  }
  out.push('', 'Decisions by labelled standing (rules + model, strict):', ...standingLines(rows[1][1]));
  const added = runs.reduce((n, r) => n + r.result.actionItems.filter((i) => i.by).length + r.result.decisions.filter((d) => d.by).length, 0);
  const rewritten = runs.reduce((n, r) => n + r.result.actionItems.filter((i) => i.rewritten).length, 0);
  const judged = judgeDismissals(runs, (m) => m.labels);
  out.push('', `The model added ${added} items and decisions, rewrote ${rewritten} rule-based items and dismissed ${judged.right + judged.wrong} rule-based ones: ${judged.right} the first labeller had not labelled, ${judged.wrong} it had.`);
  out.push(...runs.map((r) => `  ${r.meeting.name}: ${r.result.message}`));
  if (carryNotes) {
    const t = runs.reduce((n, r) => ({ cited: n.cited + (r.result.carried?.cited ?? 0), model: n.model + (r.result.carried?.mergedByModel ?? 0),
      net: n.net + (r.result.carried?.mergedByNet ?? 0), standing: n.standing + (r.result.carried?.standingChanges ?? 0), refined: n.refined + (r.result.carried?.refined ?? 0) }),
    { cited: 0, model: 0, net: 0, standing: 0, refined: 0 });
    out.push(`Carried notes (v${notesPrompt}): ${t.cited} noted entries cited again, ${t.model} folded by the model's merges, ${t.net} new entries folded by the near-duplicate net, ${t.standing} standings changed by a later part${notesPrompt >= 8 ? `, ${t.refined} entries' words refined by a later part` : ''}.`);
    // Whenever they ran: from --procedure PDIR / --owners ODIR, or beside the parts' answers (the folder's marks).
    if (runs.some((r) => r.result.procedureCheck)) {
      const checked = runs.filter((r) => r.result.procedureCheck && 'dropped' in r.result.procedureCheck);
      out.push(`Procedure check at stop: ${checked.length} of ${runs.length} meetings asked, ${checked.reduce((n, r) => n + (r.result.carried?.procedure ?? 0), 0)} decisions dropped`
        + ` (${runs.filter((r) => (r.result.carried?.procedure ?? 0) > 0).map((r) => `${r.meeting.name} ${r.result.carried!.procedure}`).join(', ') || 'none'}).`);
    }
    if (runs.some((r) => r.result.ownerCheck)) {
      const checked = runs.filter((r) => r.result.ownerCheck && 'owned' in r.result.ownerCheck);
      out.push(`Owner check at stop: ${checked.length} of ${runs.length} meetings asked, ${checked.reduce((n, r) => n + (r.result.carried?.owned ?? 0), 0)} items given an owner`
        + ` (${runs.filter((r) => (r.result.carried?.owned ?? 0) > 0).map((r) => `${r.meeting.name} ${r.result.carried!.owned}`).join(', ') || 'none'}).`);
    }
    if (restatementAnswers) {
      const checked = runs.filter((r) => r.result.restatementCheck && 'folded' in r.result.restatementCheck);
      out.push(`Restatement check at stop: ${checked.length} of ${runs.length} meetings checked, ${checked.reduce((n, r) => n + (r.result.carried?.restated ?? 0), 0)} entries folded`
        + ` (${runs.filter((r) => (r.result.carried?.restated ?? 0) > 0).map((r) => `${r.meeting.name} ${r.result.carried!.restated}`).join(', ') || 'none'}).`);
    }
  }
  out.push(...summaryReport(summary));
  const duplicatesPrompts = flagValue(argv, '--duplicates-prompts');
  if (duplicatesPrompts) {
    for (const r of runs) writeDuplicatesPrompt(duplicatesPrompts, r.meeting.name, finalLists(r));
    out.push('', `${runs.length} prompts for a judge of repeats written under ${duplicatesPrompts}`);
  }
  const duplicatesAnswers = flagValue(argv, '--duplicates-answers');
  if (duplicatesAnswers) {
    const judged = runs.map((r) => [r.meeting.name, readRepeats(duplicatesAnswers, r.meeting.name, finalLists(r))] as const);
    const counted = judged.filter((j): j is readonly [string, { decisions: number; actionItems: number }] => typeof j[1] !== 'string');
    const total = counted.reduce((n, [, c]) => ({ d: n.d + c.decisions, a: n.a + c.actionItems }), { d: 0, a: 0 });
    const finals = runs.filter((r) => counted.some(([m]) => m === r.meeting.name));
    out.push('', `Repeats in the final lists, as the judge counted them (${counted.length} of ${runs.length} meetings judged): decisions ${total.d} of ${finals.reduce((n, r) => n + r.result.decisions.length, 0)}, action items ${total.a} of ${finals.reduce((n, r) => n + r.result.actionItems.length, 0)}; meetings with none: ${counted.filter(([, c]) => !c.decisions && !c.actionItems).length}`);
    out.push(...judged.map(([m, c]) => `  ${m}: ${typeof c === 'string' ? c : `${c.decisions} decisions, ${c.actionItems} action items repeat an earlier one`}`));
  }
  if (argv.includes('--decisions')) out.push('', ...strictDecisionDetail(runs));
  if (argv.includes('--detail')) {
    const model = rows[2][1];
    out.push('', 'Against the first labeller (rules + model, any cited line): misses, false finds and wrong owners');
    for (const f of model.findings.filter((x) => x.error === 'miss' || x.error === 'false positive' || x.error === 'wrong owner')) {
      out.push(`  ${f.meeting} #${f.turn} ${f.what} ${f.error}: ${f.text}${f.error === 'wrong owner' ? ` (labelled ${f.expected ?? 'no owner'}, noted ${f.got ?? 'no owner'})` : ''}`);
    }
    out.push('', 'Dismissed:');
    for (const r of runs) for (const d of r.result.dismissed) out.push(`  ${r.meeting.name} ${d.kind}: ${d.text}  [${d.reason}]`);
    out.push('', 'Rewritten (before → after):');
    for (const r of runs) {
      for (const i of r.result.actionItems.filter((x) => x.rewritten)) {
        const was = i.rewritten!.was;
        out.push(`  ${r.meeting.name}: ${was.text} @${was.owner ?? '-'} ${was.due ?? ''} → ${i.text} @${i.owner ?? '-'} ${i.due ?? ''}`);
      }
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stdout.write(`model notes eval failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }).finally(() => { process.exitCode = 0; });
}
