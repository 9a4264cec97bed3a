/**
 * The summary eval (`npm run eval:summary`, issue 40): the notes' summary of each real meeting (the rolling summary over
 * every chunk, then its settle at stop: `earshot notes --llm-endpoint`'s own code, modelTranscript.ts) against QMSum's
 * human summary of the whole meeting (test/fixtures/real-meetings/summaries.json, scripts/qmsum-summary-fixture.js).
 *
 * What it measures:
 *   - with no judge: points per summary, their length (against the prompt's bound and the grammar's), cites per point,
 *     points the parser had to end early (must be 0) and cites it dropped;
 *   - from recorded judgements (summaries/judgements/<meeting>.json): the share of the reference's facts the summary
 *     covers, the facts it contradicts, and its points that state a decision's standing otherwise than the notes'
 *     decisions list; for the settled summary and, beside it, the last rolling one it was settled from.
 *
 * The summary's prompts depend on the answers before them (each revision reads the summary so far), so they are
 * recorded in rounds:
 *   node out/test/eval/summary-eval.js --record DIR [--only a,b]
 *       replays the answers already in DIR/<meeting>/ and writes, for each meeting, the next prompt that has none:
 *       `summary-<k>.prompt.txt` (the revision after chunk k) or, once every chunk is read, `settle.prompt.txt`
 *       (system message, blank line, user message; its sha256 beside it). Answer each in `<same name>.answer.txt` and
 *       run it again, until it says every meeting is complete. A prompt that changed (an earlier answer, the extraction's
 *       answers or the prompt itself did) is written again, and the answers after it are removed: they answered another
 *       summary.
 *   node out/test/eval/summary-eval.js [--answers DIR] [--only a,b]
 *       replays (default DIR: test/fixtures/real-meetings/summaries/answers) and reports. A prompt whose recorded sha256
 *       differs is refused, never replayed.
 *   … --meetings real | silver-held-out | silver-development | committee | abstracts | core-devs | core-devs-cl | core-devs-el2
 *       the set (SUMMARY_SETS); abstracts: the six meetings the AMI and ICSI corpora summarised, against each corpus's
 *       own abstract and decisions (test/fixtures/real-meetings/abstracts/README.md); core-devs, core-devs-cl, core-devs-el2: Ethereum's
 *       developer calls against each call's note-taker's summary table.
 *   … --extraction-answers DIR | DIR,DIR | none | no-lists
 *       the extraction's answers the final decisions and items come from (default: the recorded ones,
 *       test/fixtures/real-meetings/model-answers; a changed extraction prompt is refused; a list: each meeting's from
 *       the first folder that has it, as the abstracts set's lie in two sets' folders); `none`: the rules' alone;
 *       `no-lists`: none at all, so that the settle reads no final lists (summary prompts compared on what they keep).
 *   … --carry
 *       the extraction's answers are prompt v7's (model-notes-eval.ts --prompts DIR --carry wrote and answered them):
 *       the final lists a settle reads are v7's, with each decision's standing history.
 *   … --prompt-version 8
 *       the extraction's answers are prompt v8's (model-notes-eval.ts --prompts DIR --prompt-version 8 marks them, and
 *       the mark alone chooses v8: this flag only checks it): the settle is v8's too (modelSummary.ts's SETTLE_RULES_V8).
 *   … --settle-version 9
 *       the settle of v9 (modelSummary.ts's SETTLE_RULES_V9): v8's rules, the points the rolling summary dropped, and a
 *       budget by the meeting's chunks; the revisions and the final lists as without it (their answers replay).
 *   … --settle-version 10
 *       the settle of v10 (summaryFromParts.ts, a candidate): notes on each part (`part-<k>`, every one written at once
 *       when recording: they read no earlier answer) and the summary composed from them and the final lists (`settle`);
 *       no rolling revision is asked (v10 reads none), so none is scored.
 *   … --settle-version 11
 *       the settle of v11 (summaryFromParts.ts, the default): the rolling revisions (`summary-<k>`) and the parts' notes
 *       (`part-<k>`) both, then v9's settle with the parts' notes beside it (`settle`).
 *   … --restatements DIR[,DIR] --procedure DIR[,DIR] --owners DIR[,DIR]
 *       the checks at stop as the daemon asks them (the restatement check, the decision check, the owner check), each
 *       from its recorded answers (model-notes-eval.ts's folders of the same names: DIR/<meeting>/), so that the settle
 *       reads the final lists the daemon's stop leaves; without them the lists are the parts' (and the owner check's
 *       where the extraction's folder was answered with it). With `--answers NEW,DIR` (or `--record NEW,DIR`) each
 *       prompt's answer comes from the first folder holding that very prompt: the settles the checks changed, answered
 *       in NEW, laid over the revisions and parts' notes recorded in DIR (new prompts are written in NEW).
 *   … --checks
 *       the same three from the folders recorded beside each extraction folder (model-answers-v8[-b]'s
 *       restatements/answers-v8[-b], procedure-v8[-b], owners-v8[-b]): the settles as they ship, e.g.
 *       `--settle-version 11 --checks --answers <set>/summaries/answers-v11-checks,<set>/summaries/answers-v11`.
 *   … --check-standings
 *       the standing check of the settled summary after the settle, as the daemon asks it (standingCheck.ts): recorded
 *       beside the settle as `standings` (its prompt and answer; with `--record NEW,DIR` in NEW, the settles beneath).
 *   … --no-check-owners
 *       the final lists without the owner check at stop even where the extraction's folder was answered with it
 *       (model-notes-eval.ts's OWNER_CHECK_MARK): how settles recorded before the check replay.
 *   … --judge-prompts DIR
 *       for the meetings whose summary is complete: writes DIR/<meeting>.facts.prompt.txt (split the reference summary
 *       into facts; once per meeting, before any judging, without the summary) where the meeting has no facts yet, else
 *       DIR/<meeting>.<settled|rolling>.judge.prompt.txt for an output not judged yet. Each is self-contained: answer it
 *       in `<same name>.answer.json`.
 *   … --with-parts
 *       with --judge-prompts, also judges the summary with the notes on each part folded under it, as the notes file
 *       shows them (`<meeting>.notes.judge.prompt.txt`: numbered on from the summary's points); scored apart ("summary
 *       with part by part"). Its standing contradictions are the summary's points' alone.
 *   … --reach-prompts DIR | --reach DIR
 *       which of the reference's facts the meeting's own words state (a write-up also draws on chat, links and earlier
 *       calls): writes DIR/<meeting>.reach.prompt.txt (the transcript and the filed facts), or reads the answers beside
 *       them and adds the settled coverage of the stated facts alone.
 *   … --file-judgements DIR
 *       checks each answer against the prompt it answers and files it in summaries/judgements/<meeting>.json (facts, and
 *       each judgement under the sha256 of what it judged: a changed summary is not judged until judged again).
 *
 * Meetings: the first twelve of the real set (DEVELOPMENT) may be read to choose prompts and rules; the other twenty
 * are reported apart and must not be. A measurement: the exit code is 0 unless the arguments or the recorded files are
 * wrong.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EnhancementSettings } from '../../protocol/protocol';
import { extractJsonObject } from '../../protocol/modelJson';
import { extract } from '../../daemon/understanding/extract';
import { chunkLines, NotedBound, NotesPrompt, toChunkLine } from '../../daemon/understanding/modelExtract';
import { parseSummaryAnswer, pointText, SettleVersion, standingWords, SUMMARY_BOUNDS, SummaryPoint } from '../../daemon/understanding/modelSummary';
import { extractTranscriptWithModel, TranscriptModelResult, withLineIds } from '../../daemon/understanding/modelTranscript';
import { PARTS_SHOWN_FROM } from '../../daemon/documents/summarySection';
import { isPartsPrompt, readsPartNotes } from '../../daemon/understanding/summaryFromParts';
import { NotedOwners } from '../../daemon/understanding/chunkMerge';
import { OWNER_CHECK_HEADING, OwnerPrompt } from '../../daemon/understanding/ownerCheck';
import { PROCEDURE_CHECK_HEADING, ProcedurePrompt } from '../../daemon/understanding/procedureCheck';
import { RESTATEMENT_HEADING, RestatementPrompt } from '../../daemon/understanding/restatements';
import { STANDING_CHECK_HEADING, STANDING_CHECK_SYSTEM_START } from '../../daemon/understanding/standingCheck';
import { Chat } from '../../daemon/understanding/providers';
import { answersNotesPrompt, answersOwnerPrompt, answersProcedurePrompt, answersRestatementPrompt, MODEL_ANSWERS_DIR, recordedHow, replayingChat, withSpeakingTimes } from './model-notes-eval';
import { kappa } from './adjudication';
import { ABSTRACTS_DIR, AMI_NATURAL_DIR, COMMITTEE_DIR, CORE_DEVS_CL_DIR, CORE_DEVS_DIR, CORE_DEVS_EL2_DIR, flagValue, loadMeetings, loadSilver, Meeting, readTurns, REAL_MEETINGS_DIR, selectMeetings, SILVER_DIR, silverDevelopment, silverHeldOut } from './notes-eval';

export const REFERENCES_FILE = path.join(REAL_MEETINGS_DIR, 'summaries.json');
export const SUMMARIES_DIR = path.join(REAL_MEETINGS_DIR, 'summaries');
export const SUMMARY_ANSWERS_DIR = path.join(SUMMARIES_DIR, 'answers');
export const JUDGEMENTS_DIR = path.join(SUMMARIES_DIR, 'judgements');
/** A second, independent judging of the same outputs against the same facts (how far two judges differ). */
export const CHECK_JUDGEMENTS_DIR = path.join(SUMMARIES_DIR, 'judgements-check');

/**
 * Where a set's summary is measured: the real set (its first twelve meetings the development part), the silver set's
 * held-out part (`--meetings silver-held-out`: 45 meetings no prompt, rule or setting was chosen on; no development part),
 * or its development part (`--meetings silver-development`: 90 meetings to choose on).
 */
export interface SummarySet { meetings(): Meeting[]; references: string; answers: string; judgements: string; check: string; extraction: string; parts: 'development' | 'none' }
export const SUMMARY_SETS: Record<'real' | 'silver-held-out' | 'silver-development' | 'committee' | 'abstracts' | 'core-devs' | 'core-devs-cl' | 'core-devs-el2', SummarySet> = {
  real: { meetings: () => loadMeetings(REAL_MEETINGS_DIR), references: REFERENCES_FILE, answers: SUMMARY_ANSWERS_DIR, judgements: JUDGEMENTS_DIR, check: CHECK_JUDGEMENTS_DIR, extraction: MODEL_ANSWERS_DIR, parts: 'development' },
  'silver-held-out': {
    meetings: () => silverHeldOut(loadSilver()), references: path.join(SILVER_DIR, 'summaries.json'), answers: path.join(SILVER_DIR, 'summaries', 'answers'),
    judgements: path.join(SILVER_DIR, 'summaries', 'judgements'), check: path.join(SILVER_DIR, 'summaries', 'judgements-check'), extraction: path.join(SILVER_DIR, 'model-answers'), parts: 'none',
  },
  // The silver set's development part (90 meetings, QMSum's human summaries): where a rolling summary prompt may be
  // chosen on more meetings than the real set's twelve. No extraction answers are recorded there: its settles read the
  // rules' lists ('none'), so only its rolling summaries measure what ships.
  'silver-development': {
    meetings: () => silverDevelopment(loadSilver()), references: path.join(SILVER_DIR, 'summaries.json'), answers: path.join(SILVER_DIR, 'summaries', 'answers-development'),
    judgements: path.join(SILVER_DIR, 'summaries', 'judgements'), check: path.join(SILVER_DIR, 'summaries', 'judgements-check'), extraction: 'none', parts: 'none',
  },
  // QMSum's committee hearings (30 meetings, a domain nothing was chosen on: committee/README.md says what was read
  // when), the settle against prompt v8's recorded lists.
  committee: {
    meetings: () => loadSilver(COMMITTEE_DIR), references: path.join(COMMITTEE_DIR, 'summaries.json'), answers: path.join(COMMITTEE_DIR, 'summaries', 'answers'),
    judgements: path.join(COMMITTEE_DIR, 'summaries', 'judgements'), check: path.join(COMMITTEE_DIR, 'summaries', 'judgements-check'), extraction: path.join(COMMITTEE_DIR, 'model-answers-v8'), parts: 'none',
  },
  // The meetings the AMI and ICSI corpora summarised that nothing here had read for a summary (abstracts/README.md): two
  // meetings QMSum never took and the four ami-natural meetings with an abstract; the reference is each corpus's own
  // abstract and decisions. Its extraction answers lie in two sets' folders (a list: each meeting from the first that has it).
  abstracts: {
    meetings: () => [...loadSilver(ABSTRACTS_DIR), ...loadSilver(AMI_NATURAL_DIR).filter((m) => AMI_NATURAL_ABSTRACTS.includes(m.name))],
    references: path.join(ABSTRACTS_DIR, 'summaries.json'), answers: path.join(ABSTRACTS_DIR, 'summaries', 'answers'),
    judgements: path.join(ABSTRACTS_DIR, 'summaries', 'judgements'), check: path.join(ABSTRACTS_DIR, 'summaries', 'judgements-check'),
    extraction: [path.join(ABSTRACTS_DIR, 'model-answers-v8'), path.join(AMI_NATURAL_DIR, 'model-answers-v8')].join(','), parts: 'none',
  },
  // Ethereum's All Core Devs calls (core-devs/README.md): developer calls; the reference is the notes' own summary table.
  'core-devs': {
    meetings: () => loadSilver(CORE_DEVS_DIR), references: path.join(CORE_DEVS_DIR, 'summaries.json'), answers: path.join(CORE_DEVS_DIR, 'summaries', 'answers'),
    judgements: path.join(CORE_DEVS_DIR, 'summaries', 'judgements'), check: path.join(CORE_DEVS_DIR, 'summaries', 'judgements-check'), extraction: path.join(CORE_DEVS_DIR, 'model-answers-v8'), parts: 'none',
  },
  // The consensus-layer calls (core-devs-cl/README.md): the defaults' rolling summary and settle (answers/, answers-b/)
  // and v10's settle from the parts' notes (answers-v10/, -b/); the reference is each call's notes' own summary table.
  'core-devs-cl': {
    meetings: () => loadSilver(CORE_DEVS_CL_DIR), references: path.join(CORE_DEVS_CL_DIR, 'summaries.json'), answers: path.join(CORE_DEVS_CL_DIR, 'summaries', 'answers'),
    judgements: path.join(CORE_DEVS_CL_DIR, 'summaries', 'judgements'), check: path.join(CORE_DEVS_CL_DIR, 'summaries', 'judgements-check'), extraction: path.join(CORE_DEVS_CL_DIR, 'model-answers-v8'), parts: 'none',
  },
  // Eight more execution-layer calls (core-devs-el2/README.md): the defaults' settle (v9) and v10's, each measured once.
  'core-devs-el2': {
    meetings: () => loadSilver(CORE_DEVS_EL2_DIR), references: path.join(CORE_DEVS_EL2_DIR, 'summaries.json'), answers: path.join(CORE_DEVS_EL2_DIR, 'summaries', 'answers'),
    judgements: path.join(CORE_DEVS_EL2_DIR, 'summaries', 'judgements'), check: path.join(CORE_DEVS_EL2_DIR, 'summaries', 'judgements-check'), extraction: path.join(CORE_DEVS_EL2_DIR, 'model-answers-v8'), parts: 'none',
  },
};

/** Of a list of extraction answer folders, the one that holds `meeting`'s answers (the first; else the first folder). */
/**
 * The checks at stop a run replays from folders of their own (model-notes-eval.ts's --restatements, --procedure,
 * --owners): each asked as the daemon asks it, its answers from `<folder>/<meeting>/`. Absent: not asked (the owner
 * check's, where the extraction's folder was answered with it, from that folder as before).
 */
export interface ChecksAtStop {
  restatements?: Chat; restatementPrompt?: RestatementPrompt; procedure?: Chat; procedurePrompt?: ProcedurePrompt; owners?: Chat; ownerPrompt?: OwnerPrompt;
}

/** A meeting's recorded checks at stop from answer folders (each a list, as --extraction-answers: the first that has the meeting). */
export function checksFrom(meeting: string, folders: { restatements?: readonly string[]; procedure?: readonly string[]; owners?: readonly string[] }): ChecksAtStop {
  const at = (dirs: readonly string[]) => extractionFolderOf(dirs, meeting);
  return {
    ...(folders.restatements?.length ? { restatements: replayingChat(path.join(at(folders.restatements), meeting)), restatementPrompt: answersRestatementPrompt(at(folders.restatements)) } : {}),
    ...(folders.procedure?.length ? { procedure: replayingChat(path.join(at(folders.procedure), meeting)), procedurePrompt: answersProcedurePrompt(at(folders.procedure)) } : {}),
    ...(folders.owners?.length ? { owners: replayingChat(path.join(at(folders.owners), meeting)), ownerPrompt: answersOwnerPrompt(at(folders.owners)) } : {}),
  };
}

/**
 * The checks' answer folders recorded beside extraction folders (model-answers-v8[-b] → restatements/answers-v8[-b],
 * procedure-v8[-b], owners-v8[-b]): each set's layout, so `--checks` and the CI floors find them alike.
 */
export function checkFoldersBeside(extractions: readonly string[]): { restatements: string[]; procedure: string[]; owners: string[] } {
  const beside = (name: string) => extractions.map((e) => {
    const run = /^model-answers-v8(.*)$/.exec(path.basename(e));
    if (!run) throw new Error(`${e}: the checks at stop are recorded beside prompt v8's extraction folders (model-answers-v8[-b])`);
    return path.join(path.dirname(e), 'restatements', `${name}-v8${run[1]}`);
  });
  return { restatements: beside('answers'), procedure: beside('procedure'), owners: beside('owners') };
}

export const extractionFolderOf = (folders: readonly string[], meeting: string) => folders.find((d) => fs.existsSync(path.join(d, meeting))) ?? folders[0];

/** The ami-natural meetings the AMI corpus wrote an abstractive summary of (its other non-scenario meetings have none). */
export const AMI_NATURAL_ABSTRACTS = ['IB4003', 'IB4005', 'IB4010', 'IB4011'];

/** What the report calls each set's meetings. */
const SET_WORDS: Record<keyof typeof SUMMARY_SETS, string> = {
  real: 'real meetings', 'silver-held-out': 'meetings of the silver set\'s held-out part', 'silver-development': 'meetings of the silver set\'s development part',
  committee: 'committee hearings', abstracts: 'meetings the AMI and ICSI corpora summarised', 'core-devs': 'All Core Devs calls', 'core-devs-cl': 'All Core Devs consensus-layer calls', 'core-devs-el2': 'more All Core Devs execution-layer calls',
};

/** The real set's first twelve meetings: prompts and rules may be chosen on their figures; the rest are held out. */
export const DEVELOPMENT = ['ES2002a', 'TS3005a', 'IS1001d', 'ES2007d', 'IS1008c', 'ES2009b', 'TS3010b', 'Bro007', 'Bro008', 'Bro013', 'Bed017', 'Bmr025'];

/**
 * A meeting's human summary. QMSum's: the answer to its general query, from its train or val split. A corpus's own
 * (abstracts/summaries.json): `split` "none" (QMSum never took the meeting) and `origin` saying whose summary it is.
 */
export interface Reference { id: string; domain: string; split: string; query: string; summary: string; origin?: string }

export function loadReferences(file = REFERENCES_FILE): Map<string, Reference> {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { meetings: Reference[] };
  for (const m of data.meetings) {
    const corpus = m.split === 'none' && m.origin !== undefined;
    if (m.split !== 'train' && m.split !== 'val' && !corpus) throw new Error(`${file}: ${m.id} is from QMSum's ${m.split} split: only train and val may be used`);
  }
  return new Map(data.meetings.map((m) => [m.id, m]));
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const promptText = (system: string, user: string) => `${system}\n\n${user}\n`;
const SETTLE = 'settle';
const STANDINGS = 'standings';

/** A summary prompt not answered yet (recording: just written; replaying: missing). */
export class PendingPrompt extends Error {}

/**
 * The names a meeting's summary prompts go by, in the order they are asked: the revisions summary-1 … summary-n (v10
 * reads none), the parts' notes part-1 … part-n (the settles that read them: readsPartNotes), then settle.
 */
export function promptOrder(chunks: number, settleVersion?: SettleVersion, checkStandings = false): string[] {
  const named = (kind: string) => Array.from({ length: chunks }, (_, k) => `${kind}-${k + 1}`);
  return [...(settleVersion === 10 ? [] : named('summary')), ...(readsPartNotes(settleVersion) ? named('part') : []), SETTLE, ...(checkStandings ? [STANDINGS] : [])];
}

/**
 * A summary prompt's name: the settle, or the revision after the chunk whose lines it reads (known by its first new
 * line; a revision reads one chunk in this eval, as `earshot notes` rolls it).
 */
export function promptName(user: string, chunkOfFirstLine: ReadonlyMap<string, number>): string {
  // The standing check of the settled summary (standingCheck.ts): after the settle, reading its answer.
  if (user.startsWith(STANDING_CHECK_HEADING)) return STANDINGS;
  if (/^The meeting has ended/m.test(user)) return SETTLE;
  // The settle of v10's notes on one part (summaryFromParts.ts): asked apart from the revisions, each of one chunk.
  const part = /^Part (\d+) of the meeting/m.exec(user)?.[1];
  if (part !== undefined) return `part-${part}`;
  const first = /^New lines:\n\[([\w-]+)\]/m.exec(user)?.[1];
  const chunk = first === undefined ? undefined : chunkOfFirstLine.get(first);
  if (chunk === undefined) throw new Error('a summary prompt whose new lines start no chunk');
  return `summary-${chunk + 1}`;
}

/** A raw answer the summary's parser read (for the structural figures), by the prompt it answered. */
export interface RawAnswer { name: string; text: string; /** Points of the answer the product cannot use (a cite of no line in the prompt, no text). */ unusable?: number }

/**
 * How many of an answer's points the product drops: each must cite a line the prompt shows (`[l-12]`). A recording
 * says so, so that a stand-in's answer the product would not use is written again rather than silently replayed.
 */
export function unusablePoints(answer: string, prompt: string): number {
  const value = extractJsonObject(answer) as { points?: unknown } | undefined;
  if (!value || !Array.isArray(value.points)) return 1;
  const known = new Set([...prompt.matchAll(/\[(l-\d+)\]|"(l-\d+)"/g)].map((m) => m[1] ?? m[2]));
  return value.points.length - (parseSummaryAnswer(answer, known, Number.MAX_SAFE_INTEGER)?.length ?? 0);
}

/**
 * The Chat for a meeting's summary prompts, from `dir`: a prompt answered there (its sha256 the same) is replayed;
 * otherwise, recording, it is written there (with the answers after it removed) and the meeting waits for it
 * (PendingPrompt); replaying, a changed prompt is an error and a missing answer leaves the meeting incomplete.
 */
export function summaryPromptChat(dirs: string | readonly string[], record: boolean, nameOf: (user: string) => string, order: readonly string[], raw: RawAnswer[]): Chat {
  // Several folders: each prompt's answer from the first that holds that very prompt (a folder of the answers that
  // changed laid over the one they were recorded beside); a prompt answered in none is recorded in the first.
  const folders = typeof dirs === 'string' ? [dirs] : dirs;
  const hashIn = (dir: string, name: string) => {
    const file = path.join(dir, `${name}.prompt.sha256`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
  };
  return async (system, user) => {
    const name = nameOf(user);
    const text = promptText(system, user);
    const holding = folders.find((d) => hashIn(d, name) === sha256(text) && fs.existsSync(path.join(d, `${name}.answer.txt`)));
    const dir = holding ?? folders[0];
    const hashFile = path.join(dir, `${name}.prompt.sha256`);
    const answerFile = path.join(dir, `${name}.answer.txt`);
    const recorded = hashIn(dir, name);
    if (holding) {
      const answer = fs.readFileSync(answerFile, 'utf8');
      // The standing check's answer holds fixes, not points: the summary it leaves is what is measured.
      if (name !== STANDINGS) raw.push({ name, text: answer, ...(record ? { unusable: unusablePoints(answer, text) } : {}) });
      return { text: answer, model: 'recorded answers' };
    }
    if (!record) {
      if (recorded !== undefined && recorded !== sha256(text)) {
        throw new Error(`${hashFile}: the prompt is not the one the answer was written for (a summary answer before it, the extraction's answers or the prompt changed): record and answer again`);
      }
      throw new PendingPrompt(`${answerFile}: no answer`);
    }
    if (recorded !== sha256(text)) {
      // Whatever was answered from here on answered another summary.
      for (const later of order.slice(order.indexOf(name))) {
        for (const ext of ['prompt.txt', 'prompt.sha256', 'answer.txt']) fs.rmSync(path.join(dir, `${later}.${ext}`), { force: true });
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.prompt.txt`), text);
      fs.writeFileSync(hashFile, `${sha256(text)}\n`);
    }
    throw new PendingPrompt(path.join(dir, `${name}.prompt.txt`));
  };
}

/** One meeting's summary as the notes would show it, and what it was settled from. */
export interface SummaryRun {
  meeting: Meeting;
  /** Complete: every summary prompt answered (the settle, when there was a summary to settle). */
  pending?: string;
  /** The summary the notes show: settled, or the last rolling one where the settle failed. */
  summary: SummaryPoint[];
  settle: TranscriptModelResult['summarySettle'];
  /** The last rolling summary, as the settle read it (empty: no settle was asked). */
  rolling: SummaryPoint[];
  /** The notes' final decisions with their standing (what the settle read, what the judge checks standing against). */
  decisions: { text: string; standing: string }[];
  /** The notes taken on each part as the notes fold them under the summary (summarySection.ts: from two parts with notes), each part's point texts. */
  parts?: string[][];
  raw: RawAnswer[];
}

/**
 * One meeting through `earshot notes`' model path (modelTranscript.ts): the extraction's answers from `extraction`
 * (a Chat; null: none, the rules' items alone), the summary's from `summaries` (summaryPromptChat). Throws on a wrong
 * recorded file (a changed prompt); a prompt with no answer leaves it `pending`.
 */
export async function runSummary(meeting: Meeting, extraction: Chat | null, summaryDir: string | readonly string[], record: boolean,
  how: { carryNotes?: boolean; notesPrompt?: NotesPrompt; notedBound?: NotedBound; settleVersion?: SettleVersion; noLists?: boolean; checkOwners?: boolean; ownerPrompt?: OwnerPrompt; notedOwners?: NotedOwners; checkStandings?: boolean } = {},
  checks: ChecksAtStop = {}): Promise<SummaryRun> {
  const lines = withLineIds(withSpeakingTimes(readTurns(meeting.jsonlPath)));
  // 09:00 UTC, as model-notes-eval.ts dates it: the prompts replay in any time zone.
  const date = new Date(`${meeting.labels.meetingDate}T09:00:00Z`);
  const settings: EnhancementSettings = { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1' };
  const chunks = chunkLines(lines.map((l, k) => toChunkLine({ segmentId: l.segmentId!, speaker: l.speaker ?? 'Speaker', t0: l.t0 ?? k, text: l.text })).filter((l) => l.text));
  const chunkOfFirstLine = new Map(chunks.map((c, k) => [c[0].segmentId, k]));
  const fromParts = how.settleVersion === 10;
  const order = promptOrder(chunks.length, how.settleVersion, how.checkStandings);
  const raw: RawAnswer[] = [];
  const stop = new AbortController();
  /** The prompts the meeting waits for (a settle or revision: one; the parts' notes of v10: each one not answered). */
  const pending: string[] = [];
  let rolling: SummaryPoint[] = [];
  const errors: string[] = [];
  const answers = summaryPromptChat(summaryDir, record, (user) => promptName(user, chunkOfFirstLine), order, raw);
  const chat: Chat = async (system, user, signal, constraint) => {
    if (!system.startsWith('You keep the summary') && !isPartsPrompt(system) && !system.startsWith(STANDING_CHECK_SYSTEM_START)) {
      // The checks at stop with answers of their own (the restatement and decision checks; the owner check's where given).
      const check = user.startsWith(RESTATEMENT_HEADING) ? checks.restatements : user.startsWith(PROCEDURE_CHECK_HEADING) ? checks.procedure
        : user.startsWith(OWNER_CHECK_HEADING) ? checks.owners : undefined;
      const answering = check ?? extraction;
      if (!answering) throw new Error('no extraction answers (--extraction-answers none)');
      try {
        return await answering(system, user, signal, constraint);
      } catch (e) {
        errors.push((e as Error).message);
        throw e;
      }
    }
    const sofar = /^The meeting has ended/m.test(user) ? /^Summary so far \(JSON\):\n(.*)$/m.exec(user)?.[1] : undefined;
    if (sofar !== undefined) {
      rolling = (JSON.parse(sofar) as { points: { text: string; cites: string[] }[] }).points.map((p) => ({ text: p.text, segmentIds: p.cites }));
    }
    try {
      return await answers(system, user, signal, constraint);
    } catch (e) {
      if (!(e instanceof PendingPrompt)) {
        errors.push((e as Error).message);
        throw e;
      }
      // The meeting waits for this answer: nothing after it is asked (but the other parts' notes, which do not read it).
      if (!pending.includes(e.message)) pending.push(e.message);
      if (!/^Part \d+ of the meeting/m.test(user)) stop.abort();
      throw e;
    }
  };
  // noLists: the settle reads no final decisions or items (prompts compared on what the summary alone keeps).
  const found = how.noLists ? { actionItems: [], decisions: [], openQuestions: [] } : extract(lines, date);
  // v10's settle reads no rolling summary: its revisions are not asked (a set may have none recorded).
  const result = await extractTranscriptWithModel(lines, found, date, settings, () => undefined, stop.signal, chat, { report: () => undefined }, {
    ...how, ...(fromParts ? { rolling: false as const } : {}),
    ...(checks.restatements ? { checkRestatements: true, restatementPrompt: checks.restatementPrompt ?? 1 } : {}),
    ...(checks.procedure ? { checkProcedure: true, procedurePrompt: checks.procedurePrompt ?? 2 } : {}),
    ...(checks.owners ? { checkOwners: true, ownerPrompt: checks.ownerPrompt ?? 2 } : {}),
  });
  if (errors.length) throw new Error(`${meeting.name}: ${[...new Set(errors)].join('; ')}`);
  return {
    meeting, ...(pending.length ? { pending: pending.join('\n  ') } : {}), summary: result.summary, settle: result.summarySettle, rolling, raw,
    decisions: result.decisions.map((d) => ({ text: d.text, standing: standingWords(d) })),
    parts: (result.summaryParts?.length ?? 0) >= PARTS_SHOWN_FROM ? result.summaryParts!.map((p) => p.points.map((x) => x.text)) : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Structural figures (no judge)

export interface Structure {
  summaries: number;
  /** Points of each meeting's summary as the notes show it. */
  points: number[];
  /** Their texts' lengths, and their cites' counts. */
  lengths: number[];
  cites: number[];
  /** Over every raw answer (revisions and settles): points, points longer than the prompt asks, points the parser ended early or refused, cites past the limit (dropped). */
  answerPoints: number;
  overPromptBound: number;
  cut: number;
  citesOverLimit: number;
}

export function structureOf(runs: readonly SummaryRun[]): Structure {
  const s: Structure = { summaries: 0, points: [], lengths: [], cites: [], answerPoints: 0, overPromptBound: 0, cut: 0, citesOverLimit: 0 };
  for (const run of runs) {
    if (run.pending) continue;
    s.summaries++;
    s.points.push(run.summary.length);
    for (const p of run.summary) {
      s.lengths.push(p.text.length);
      s.cites.push(p.segmentIds.length);
    }
    for (const answer of run.raw) {
      const value = extractJsonObject(answer.text) as { points?: unknown } | undefined;
      if (!value || !Array.isArray(value.points)) continue;
      for (const p of value.points as { text?: unknown; cites?: unknown }[]) {
        if (!p || typeof p.text !== 'string') continue;
        s.answerPoints++;
        const said = p.text.replace(/\s+/g, ' ').trim();
        if (said.length > SUMMARY_BOUNDS.text) s.overPromptBound++;
        const kept = pointText(p.text);
        if (!kept || kept.trimmed) s.cut++;
        const cites = Array.isArray(p.cites) ? [...new Set(p.cites)] : [];
        if (cites.length > SUMMARY_BOUNDS.citations) s.citesOverLimit += cites.length - SUMMARY_BOUNDS.citations;
      }
    }
  }
  return s;
}

const quantile = (xs: readonly number[], q: number) => {
  if (!xs.length) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
};
const spread = (xs: readonly number[]) => `min ${quantile(xs, 0)}, median ${quantile(xs, 0.5)}, p90 ${quantile(xs, 0.9)}, max ${quantile(xs, 1)}`;

export function structureReport(s: Structure): string[] {
  const at = (n: number) => s.cites.filter((c) => c === n).length;
  return [
    `Structure (no judge) of ${s.summaries} summaries as the notes show them:`,
    // The notes show the settled summary (up to settledPoints; a summary not settled keeps the rolling bound, below it).
    `  points per summary: ${spread(s.points)}; ${s.points.filter((n) => n >= 3 && n <= SUMMARY_BOUNDS.settledPoints).length} of ${s.summaries} within 3–${SUMMARY_BOUNDS.settledPoints}`,
    `  characters per point: ${spread(s.lengths)}; over the prompt's ${SUMMARY_BOUNDS.text}: ${s.lengths.filter((n) => n > SUMMARY_BOUNDS.text).length} of ${s.lengths.length}`,
    `  cites per point: ${spread(s.cites)}; at the limit of ${SUMMARY_BOUNDS.citations}: ${at(SUMMARY_BOUNDS.citations)}; past the old limit of 4: ${s.cites.filter((n) => n > 4).length}`,
    `Every answer (revisions and settles): ${s.answerPoints} points, ${s.overPromptBound} longer than the prompt asks (kept whole below ${SUMMARY_BOUNDS.textMax}), `
      + `points cut: ${s.cut} (must be 0), cites past the limit dropped: ${s.citesOverLimit}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Judgements

export type Verdict = 'covered' | 'not covered' | 'contradicted';
export interface FactVerdict { fact: number; verdict: Verdict; points?: number[]; why?: string }
export interface StandingError { point: number; decision: string; why?: string }
export interface Judgement { summary: string[]; verdicts: FactVerdict[]; standing: StandingError[] }
/** summaries/judgements/<meeting>.json: the reference's facts (split once) and each judged output by the sha256 of what was judged. */
export interface JudgementFile { meeting: string; reference: string; facts: string[]; judgements: Record<string, Judgement> }

/**
 * What a judge reads of one output: the summary's point texts and the decisions list with standing; with `parts`, the
 * notes on each part folded under the summary (the notes file's "Part by part"). Its sha256 keys the judgement.
 */
export interface JudgeMaterial { summary: string[]; decisions: { text: string; standing: string }[]; parts?: string[][] }
export const materialKey = (m: JudgeMaterial) => sha256(JSON.stringify(m));
/** The points a judge may cite: the summary's, then the parts' numbered on. */
const pointsOf = (m: JudgeMaterial) => m.summary.length + (m.parts ?? []).reduce((n, p) => n + p.length, 0);

type Which = 'settled' | 'rolling' | 'notes';

/**
 * The outputs of a run to judge: the summary the notes show and the last rolling one (once where they are the same);
 * with `withParts` (and parts the notes show), also `notes`: the summary the notes show with the parts folded under it.
 */
export function outputsOf(run: SummaryRun, withParts = false): { which: Which; material: JudgeMaterial }[] {
  const settled: JudgeMaterial = { summary: run.summary.map((p) => p.text), decisions: run.decisions };
  const rolling: JudgeMaterial = { summary: run.rolling.map((p) => p.text), decisions: run.decisions };
  const outs: { which: Which; material: JudgeMaterial }[] = [{ which: 'settled', material: settled }];
  if (run.rolling.length && materialKey(rolling) !== materialKey(settled)) outs.push({ which: 'rolling', material: rolling });
  if (withParts && run.parts?.length) outs.push({ which: 'notes', material: { ...settled, parts: run.parts } });
  return outs;
}

export function readJudgements(meeting: string, dir = JUDGEMENTS_DIR): JudgementFile | undefined {
  const file = path.join(dir, `${meeting}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as JudgementFile : undefined;
}

function writeJudgements(j: JudgementFile, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${j.meeting}.json`), `${JSON.stringify(j, null, 1)}\n`);
}

/** The prompt that splits a reference summary into facts (it never sees the summary being judged). */
export function factsPrompt(ref: Reference): string {
  return [
    'You are helping evaluate automatic meeting notes. Below is a summary of a meeting written by a person',
    ref.origin !== undefined ? `(${ref.origin}).` : `(from the QMSum dataset, answering the request "${ref.query}").`,
    'Split it into the facts it states: the separate pieces of information a reader learns from it, each of which another',
    'summary of the same meeting could state or miss on its own.',
    '',
    'Rules:',
    '- One fact per piece of information: split a sentence that says several things ("A and B presented X and Y" may be',
    '  several facts); keep together what cannot be checked apart.',
    '- Each fact a short sentence in the summary\'s own words and terms that stands on its own (say who or what it is about;',
    '  resolve "they", "it", "this").',
    '- Only what the summary says: add nothing, infer nothing, leave out no information. Leave out words that carry none',
    '  ("This was a meeting.", "In conclusion,").',
    '- Keep each outcome\'s standing as the summary gives it: what it says was decided, proposed, left open or only',
    '  discussed stays so.',
    '',
    'The summary:',
    '"""',
    ref.summary,
    '"""',
    '',
    'Answer with one JSON object and nothing else: {"facts": ["…", "…"]}',
  ].join('\n');
}

/** The prompt that judges one output against the facts (and its standing against the decisions list). */
export function judgePrompt(facts: readonly string[], material: JudgeMaterial): string {
  return [
    'You are evaluating a meeting summary written by an automatic note-taker. You do not see the meeting. You see (1) the',
    `facts of a summary of the same meeting written by a person, (2) the note-taker's summary${material.parts ? ', with its notes on each part of the meeting under it,' : ''} and (3) the note-taker's list`,
    'of the meeting\'s decisions, each with its standing. Judge only from these texts.',
    '',
    'Facts of the person\'s summary:',
    ...facts.map((f, k) => `${k + 1}. ${f}`),
    '',
    'The note-taker\'s summary:',
    ...(material.summary.length ? material.summary.map((p, k) => `${k + 1}. ${p}`) : ['(no points)']),
    '',
    ...partsShown(material),
    'The note-taker\'s decisions list:',
    ...(material.decisions.length ? material.decisions.map((d) => `- ${d.standing}: ${d.text}`) : ['(none)']),
    '',
    'Task 1. For each fact, in order, one verdict:',
    ...(material.parts ? [
      '- "covered": the note-taker\'s summary or its notes on the parts state it, in any words, or state something that plainly',
      '  includes it (it may be more specific). A point on the same topic that does not give the fact\'s information does not cover it.',
      '- "contradicted": the summary, or a part\'s note that nothing after it corrects, states something that cannot be true if',
      '  the fact is, including an outcome\'s standing (it calls suggested, proposed, considered or left open what the fact says',
      '  was decided, or decided what the fact says was left open or only discussed).',
    ] : [
      '- "covered": the note-taker\'s summary states it, in any words, or states something that plainly includes it (it may be',
      '  more specific). A point on the same topic that does not give the fact\'s information does not cover it.',
      '- "contradicted": the summary states something that cannot be true if the fact is, including an outcome\'s standing (it',
      '  calls suggested, proposed, considered or left open what the fact says was decided, or decided what the fact says was',
      '  left open or only discussed).',
    ]),
    '- "not covered": otherwise.',
    `Give the numbers of the ${material.parts ? '' : 'summary\'s '}points you relied on and a few words why.`,
    '',
    `Task 2. List every point of the note-taker's summary${material.parts ? ` (points 1 to ${material.summary.length} only)` : ''} that states the standing of a listed decision otherwise than the`,
    'list: it calls suggested, proposed, considered, discussed or left open what the list gives as decided; says was decided',
    'what the list gives as left open or deferred; or says will be done what a listed decision says will not be done. A point that',
    'agrees with the list, or is about nothing on it, is not listed.',
    '',
    'Answer with one JSON object and nothing else, one entry per fact in order:',
    '{"facts": [{"fact": 1, "verdict": "covered", "points": [2], "why": "…"}], "standing": [{"point": 3, "decision": "the listed decision\'s text", "why": "…"}]}',
  ].join('\n');
}

/**
 * The notes on each part as a judging prompt shows them (with `parts`): under the summary, numbered on from its points,
 * each part under its number, said to be taken as the part was read (as the notes file's fold says).
 */
function partsShown(material: JudgeMaterial): string[] {
  if (!material.parts) return [];
  let n = material.summary.length;
  return ['Under the summary, folded, the note-taker\'s notes on each part of the meeting, taken as each part was read, in meeting',
    'order (numbered on from the summary\'s points; a later part may settle what an earlier one left open):',
    ...material.parts.flatMap((part, k) => [`Part ${k + 1}:`, ...part.map((p) => `${++n}. ${p}`)]), ''];
}

/** The sidecar of a judging prompt: what its answer is filed as. */
type PromptMeta = { meeting: string; kind: 'facts'; reference: string } | { meeting: string; kind: 'judge'; which: string; key: string; facts: number; material: JudgeMaterial };

/** Writes the judging prompts due for `runs` into `dir`; answers the files written. */
export function writeJudgePrompts(runs: readonly SummaryRun[], refs: ReadonlyMap<string, Reference>, dir: string, judgementsDir = JUDGEMENTS_DIR, withParts = false): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (base: string, prompt: string, meta: PromptMeta) => {
    fs.writeFileSync(path.join(dir, `${base}.prompt.txt`), `${prompt}\n`);
    fs.writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify(meta)}\n`);
    written.push(path.join(dir, `${base}.prompt.txt`));
  };
  for (const run of runs) {
    if (run.pending) continue;
    const ref = refs.get(run.meeting.name)!;
    const judged = readJudgements(run.meeting.name, judgementsDir);
    if (judged && judged.reference !== sha256(ref.summary)) throw new Error(`${run.meeting.name}: its judgements split another reference summary: remove ${path.join(judgementsDir, `${run.meeting.name}.json`)} to split this one`);
    if (!judged) {
      write(`${run.meeting.name}.facts`, factsPrompt(ref), { meeting: run.meeting.name, kind: 'facts', reference: sha256(ref.summary) });
      continue;
    }
    for (const out of outputsOf(run, withParts)) {
      const key = materialKey(out.material);
      if (judged.judgements[key]) continue;
      write(`${run.meeting.name}.${out.which}.judge`, judgePrompt(judged.facts, out.material),
        { meeting: run.meeting.name, kind: 'judge', which: out.which, key, facts: judged.facts.length, material: out.material });
    }
  }
  return written;
}

const VERDICTS: readonly Verdict[] = ['covered', 'not covered', 'contradicted'];

/** A facts answer, checked: a non-empty list of non-empty strings. */
export function parseFactsAnswer(text: string): string[] {
  const value = extractJsonObject(text) as { facts?: unknown } | undefined;
  const facts = value?.facts;
  if (!Array.isArray(facts) || !facts.length || !facts.every((f) => typeof f === 'string' && f.trim())) throw new Error('not {"facts": ["…", …]} with at least one fact');
  return (facts as string[]).map((f) => f.trim());
}

/** A judge's answer, checked against what it judged: one verdict per fact in order, points and standing within range. */
export function parseJudgeAnswer(text: string, facts: number, points: number): { verdicts: FactVerdict[]; standing: StandingError[] } {
  const value = extractJsonObject(text) as { facts?: unknown; standing?: unknown } | undefined;
  if (!value || !Array.isArray(value.facts)) throw new Error('no "facts" list');
  if (value.facts.length !== facts) throw new Error(`${value.facts.length} verdicts for ${facts} facts`);
  const verdicts = (value.facts as Record<string, unknown>[]).map((v, k): FactVerdict => {
    if (!v || v.fact !== k + 1) throw new Error(`verdict ${k + 1} is not for fact ${k + 1}`);
    if (!VERDICTS.includes(v.verdict as Verdict)) throw new Error(`fact ${k + 1}: verdict ${JSON.stringify(v.verdict)}, not one of ${VERDICTS.join(', ')}`);
    const cited = Array.isArray(v.points) ? v.points : [];
    if (!cited.every((p) => Number.isInteger(p) && p >= 1 && p <= points)) throw new Error(`fact ${k + 1}: points ${JSON.stringify(v.points)} outside 1–${points}`);
    return { fact: k + 1, verdict: v.verdict as Verdict, points: cited as number[], ...(typeof v.why === 'string' ? { why: v.why } : {}) };
  });
  const standing = (Array.isArray(value.standing) ? value.standing : []) as Record<string, unknown>[];
  for (const s of standing) {
    if (!s || !Number.isInteger(s.point) || (s.point as number) < 1 || (s.point as number) > points || typeof s.decision !== 'string') throw new Error(`standing entry ${JSON.stringify(s)}: a point 1–${points} and a decision's text`);
  }
  return { verdicts, standing: standing.map((s) => ({ point: s.point as number, decision: s.decision as string, ...(typeof s.why === 'string' ? { why: s.why } : {}) })) };
}

/** Files the answers in `dir` (beside their prompts) into the judgement files; answers what was filed and what was refused. */
export function fileJudgements(dir: string, refs: ReadonlyMap<string, Reference>, judgementsDir = JUDGEMENTS_DIR): { filed: string[]; refused: string[] } {
  const filed: string[] = [];
  const refused: string[] = [];
  const metas = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.answer.json')).sort();
  // Facts first: a judgement needs its meeting's facts filed.
  const ordered = [...metas.filter((f) => f.endsWith('.facts.json')), ...metas.filter((f) => !f.endsWith('.facts.json'))];
  for (const f of ordered) {
    const base = f.slice(0, -'.json'.length);
    const answerFile = path.join(dir, `${base}.answer.json`);
    if (!fs.existsSync(answerFile)) continue;
    const meta = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as PromptMeta;
    const answer = fs.readFileSync(answerFile, 'utf8');
    try {
      const ref = refs.get(meta.meeting);
      if (!ref) throw new Error(`no reference summary for ${meta.meeting}`);
      const current = readJudgements(meta.meeting, judgementsDir);
      if (meta.kind === 'facts') {
        if (meta.reference !== sha256(ref.summary)) throw new Error('the reference summary changed since the prompt was written');
        const facts = parseFactsAnswer(answer);
        if (current && JSON.stringify(current.facts) !== JSON.stringify(facts)) {
          throw new Error(`${meta.meeting} has other facts filed already (${current.facts.length}): remove its judgement file to split again`);
        }
        if (!current) writeJudgements({ meeting: meta.meeting, reference: meta.reference, facts, judgements: {} }, judgementsDir);
      } else {
        if (!current || current.facts.length !== meta.facts || current.reference !== sha256(ref.summary)) throw new Error('the facts it was judged on are not the filed ones');
        if (materialKey(meta.material) !== meta.key) throw new Error('its prompt\'s sidecar was edited');
        const parsed = parseJudgeAnswer(answer, meta.facts, pointsOf(meta.material));
        current.judgements[meta.key] = { summary: meta.material.summary, ...parsed };
        writeJudgements(current, judgementsDir);
      }
      filed.push(base);
    } catch (e) {
      refused.push(`${answerFile}: ${(e as Error).message}`);
    }
  }
  return { filed, refused };
}

// ---------------------------------------------------------------------------------------------
// Scores

export interface Score { meetings: number; facts: number; covered: number; contradicted: number; standing: number; coverage: number[] }
const emptyScore = (): Score => ({ meetings: 0, facts: 0, covered: 0, contradicted: 0, standing: 0, coverage: [] });

/**
 * Which of the reference's facts the meeting's own words state (issue 56: a note-taker's write-up also draws on the
 * call's chat, links and earlier calls): one prompt per meeting, the transcript and the facts numbered, answered blind
 * elsewhere ("stated" or "absent" for each fact); --reach DIR then scores coverage of the stated facts alone.
 */
export function reachPrompt(lines: readonly string[], facts: readonly string[]): string {
  return [
    'You check which facts of a note-taker\'s summary of a meeting the meeting\'s own words state. Below are the meeting\'s transcript (one turn a line) and the facts, numbered.',
    'For each fact answer "stated" when the transcript says it or plainly implies it (in any words; who said it may differ slightly), else "absent" (the note-taker added it from elsewhere: background, links, the chat, earlier calls).',
    'Answer with one JSON object and nothing else: {"facts": [{"n": 1, "verdict": "stated"}, ...]}, one entry per fact, in order.', '',
    'Transcript:', ...lines.map((l, i) => `[${i}] ${l}`), '', 'Facts:', ...facts.map((f, k) => `${k + 1}. ${f}`), '',
  ].join('\n');
}

function writeReachPrompt(dir: string, m: Meeting, facts: readonly string[] | undefined): void {
  if (!facts) throw new Error(`${m.name}: no facts filed yet (--judge-prompts, --file-judgements)`);
  fs.mkdirSync(dir, { recursive: true });
  const prompt = reachPrompt(fs.readFileSync(m.txtPath, 'utf8').trim().split('\n'), facts);
  fs.writeFileSync(path.join(dir, `${m.name}.reach.prompt.txt`), prompt);
  fs.writeFileSync(path.join(dir, `${m.name}.reach.prompt.sha256`), `${sha256(prompt)}\n`);
}

/**
 * Each meeting's stated facts from DIR's answers, checked against the prompt they answer (its sha256, made again from the
 * transcript and the facts filed now) and the facts (one verdict per fact, in order).
 */
export function readReach(dir: string, meetings: readonly Meeting[], judgementsDir: string): Map<string, boolean[]> {
  const out = new Map<string, boolean[]>();
  for (const m of meetings) {
    const name = m.name;
    const facts = readJudgements(name, judgementsDir)?.facts;
    const [answerFile, hashFile] = ['answer.txt', 'prompt.sha256'].map((ext) => path.join(dir, `${name}.reach.${ext}`));
    if (!fs.existsSync(answerFile) || !fs.existsSync(hashFile)) throw new Error(`${name}: no answer or prompt sha256 in ${dir} (--reach-prompts DIR writes the prompts)`);
    if (!facts || fs.readFileSync(hashFile, 'utf8').trim() !== sha256(reachPrompt(fs.readFileSync(m.txtPath, 'utf8').trim().split('\n'), facts))) {
      throw new Error(`${name}: ${dir}'s answer is to another prompt than the transcript and the facts filed now give`);
    }
    const value = extractJsonObject(fs.readFileSync(answerFile, 'utf8')) as { facts?: { n?: unknown; verdict?: unknown }[] } | undefined;
    const verdicts = Array.isArray(value?.facts) ? value!.facts : [];
    if (!facts || verdicts.length !== facts.length || verdicts.some((v, k) => v.n !== k + 1 || (v.verdict !== 'stated' && v.verdict !== 'absent'))) {
      throw new Error(`${name}: ${dir}'s answer does not give "stated" or "absent" for each of the ${facts?.length ?? 0} facts filed, in order`);
    }
    out.set(name, verdicts.map((v) => v.verdict === 'stated'));
  }
  return out;
}

/** Scores the judged outputs of `runs` (by which: the settled summary, the last rolling one); unjudged ones are listed. */
export function scoreRuns(runs: readonly SummaryRun[], judgementsDir = JUDGEMENTS_DIR, stated?: ReadonlyMap<string, readonly boolean[]>): { settled: Score; rolling: Score; notes: Score; unjudged: string[] } {
  const scores = { settled: emptyScore(), rolling: emptyScore(), notes: emptyScore() };
  const unjudged: string[] = [];
  for (const run of runs) {
    if (run.pending) continue;
    const file = readJudgements(run.meeting.name, judgementsDir);
    const outs = outputsOf(run, true);
    // v10's settle reads no rolling summary (none was asked): only the settled one is scored. The summary with the
    // parts' notes under it (`notes`) where they were judged (--with-parts), apart.
    const whiches = run.rolling.length || !run.settle?.settled ? ['settled', 'rolling'] as const : ['settled'] as const;
    const notes = outs.find((o) => o.which === 'notes');
    for (const which of [...whiches, ...(notes && file?.judgements[materialKey(notes.material)] ? ['notes' as const] : [])]) {
      // Where the settle changed nothing (or failed), the last rolling summary is the one shown.
      const out = outs.find((o) => o.which === which) ?? outs[0];
      const judged = file?.judgements[materialKey(out.material)];
      if (!judged) {
        if (which === out.which) unjudged.push(`${run.meeting.name} (${which})`);
        continue;
      }
      const s = scores[which];
      // With `stated` (--reach): only the facts the meeting's own words state.
      const said = stated?.get(run.meeting.name);
      if (said && said.length !== judged.verdicts.length) throw new Error(`${run.meeting.name}: ${said.length} facts told stated or absent, ${judged.verdicts.length} judged`);
      const verdicts = said ? judged.verdicts.filter((_v, k) => said[k]) : judged.verdicts;
      const covered = verdicts.filter((v) => v.verdict === 'covered').length;
      s.meetings++;
      s.facts += verdicts.length;
      s.covered += covered;
      s.contradicted += verdicts.filter((v) => v.verdict === 'contradicted').length;
      s.standing += judged.standing.length;
      if (verdicts.length) s.coverage.push(covered / verdicts.length); // a meeting none of whose facts the call states has no mean
    }
  }
  return { ...scores, unjudged };
}

/**
 * Two judgings of the same outputs against the same facts: the facts given the same verdict, Cohen's kappa on
 * "covered" against the rest, and the outputs both judged.
 */
export function judgingAgreement(runs: readonly SummaryRun[], a = JUDGEMENTS_DIR, b = CHECK_JUDGEMENTS_DIR): { outputs: number; facts: number; same: number; kappa: number } {
  let outputs = 0, facts = 0, same = 0;
  const pairs: [Verdict, Verdict][] = [];
  for (const run of runs) {
    if (run.pending) continue;
    const [x, y] = [readJudgements(run.meeting.name, a), readJudgements(run.meeting.name, b)];
    for (const out of outputsOf(run)) {
      const key = materialKey(out.material);
      const [ja, jb] = [x?.judgements[key], y?.judgements[key]];
      if (!ja || !jb) continue;
      outputs++;
      ja.verdicts.forEach((v, k) => {
        const w = jb.verdicts[k].verdict;
        facts++;
        if (v.verdict === w) same++;
        pairs.push([v.verdict, w]);
      });
    }
  }
  return { outputs, facts, same, kappa: coveredKappa(pairs) };
}

/** Cohen's kappa on "covered" over two judgings' verdicts of the same facts, a pair per fact (adjudication.ts's kappa). */
export function coveredKappa(pairs: Iterable<readonly [Verdict, Verdict | undefined]>): number {
  const tally = { both: 0, firstOnly: 0, checkOnly: 0, neither: 0 };
  for (const [first, check] of pairs) {
    tally[first === 'covered' ? (check === 'covered' ? 'both' : 'firstOnly') : (check === 'covered' ? 'checkOnly' : 'neither')]++;
  }
  return kappa(tally);
}

export function scoreLine(name: string, s: Score): string {
  if (!s.meetings) return `${name.padEnd(40)} not judged`;
  const mean = s.coverage.reduce((a, b) => a + b, 0) / s.coverage.length;
  return `${name.padEnd(40)} ${String(s.meetings).padStart(3)} meetings  coverage ${(s.covered / s.facts).toFixed(3)} (${s.covered}/${s.facts} facts; `
    + `mean per meeting ${mean.toFixed(3)})  contradicted ${s.contradicted}  standing contradictions ${s.standing}`;
}

async function main(argv: string[]): Promise<void> {
  const setName = flagValue(argv, '--meetings') ?? 'real';
  if (!Object.hasOwn(SUMMARY_SETS, setName)) throw new Error(`--meetings ${setName}: ${Object.keys(SUMMARY_SETS).join(', ')}`);
  const set = SUMMARY_SETS[setName as keyof typeof SUMMARY_SETS];
  const record = flagValue(argv, '--record');
  const answers = flagValue(argv, '--answers') ?? set.answers;
  const extractionDir = flagValue(argv, '--extraction-answers') ?? set.extraction;
  const judgePromptsDir = flagValue(argv, '--judge-prompts');
  const fileDir = flagValue(argv, '--file-judgements');
  const judgementsDir = flagValue(argv, '--judgements') ?? set.judgements;
  // --check-judgements DIR: the second judging of the outputs judged in --judgements (by default the set's own).
  const checkDir = flagValue(argv, '--check-judgements') ?? (judgementsDir === set.judgements ? set.check : undefined);
  const refs = loadReferences(set.references);
  const reachPrompts = flagValue(argv, '--reach-prompts');
  if (reachPrompts !== undefined) {
    const named = selectMeetings(set.meetings(), argv);
    for (const m of named) writeReachPrompt(reachPrompts, m, readJudgements(m.name, judgementsDir)?.facts);
    process.stdout.write(`${named.length} prompts written under ${reachPrompts}: answer each in <meeting>.reach.answer.txt\n`);
    return;
  }
  if (fileDir !== undefined) {
    const { filed, refused } = fileJudgements(fileDir, refs, judgementsDir);
    process.stdout.write(`filed ${filed.length} answers into ${judgementsDir}${refused.length ? `; refused ${refused.length}:\n  ${refused.join('\n  ')}` : ''}\n`);
    if (refused.length) process.exitCode = 1;
    return;
  }
  const meetings = selectMeetings(set.meetings(), argv);
  // Prompt v8 (issue 56): the extraction's answers say which (model-notes-eval.ts's mark); v8's settle has its rules too.
  const version = flagValue(argv, '--prompt-version');
  // A list of folders (DIR,DIR): each meeting's answers from the first that has them; all must hold one prompt's.
  const extractionDirs = extractionDir.split(',');
  const prompts = new Set(extractionDirs.filter((d) => d === 'none' || d === 'no-lists' || fs.existsSync(d)).map((d) => (d === 'none' || d === 'no-lists' ? 7 : answersNotesPrompt(d))));
  if (prompts.size !== 1) throw new Error(`--extraction-answers ${extractionDir}: ${prompts.size ? 'the folders hold different prompts\' answers' : 'no such folder'}`);
  const recordedPrompt = [...prompts][0];
  if (version !== undefined && version !== String(recordedPrompt)) throw new Error(`--prompt-version ${version}: ${extractionDir} holds prompt v${recordedPrompt}'s answers`);
  const notesPrompt: NotesPrompt = recordedPrompt;
  // --settle-version 9 (issue 56): v9's settle over the same final lists and rolling revisions (the settle prompt alone
  // changes, so a directory of v8's settles, copied, keeps its revisions and has its settle asked anew).
  const settleFlag = flagValue(argv, '--settle-version');
  if (settleFlag !== undefined && !['9', '10', '11'].includes(settleFlag) && settleFlag !== String(notesPrompt)) throw new Error(`--settle-version ${settleFlag}: 9, 10, 11, or the extraction's prompt v${notesPrompt}`);
  const settleVersion: SettleVersion | undefined = settleFlag === '9' ? 9 : settleFlag === '10' ? 10 : settleFlag === '11' ? 11 : undefined;
  // --extraction-answers no-lists: no extraction, and the settle reads no final lists.
  const noLists = extractionDir === 'no-lists';
  // --answers DIR,DIR (or --record DIR,DIR): each prompt's answer from the first folder holding that prompt (the
  // answers that changed laid over those they were recorded beside); --record writes new prompts in the first.
  const summaryDirs = (record ?? answers).split(',').filter(Boolean);
  const summaryDir = summaryDirs[summaryDirs.length - 1];
  if (!record && !fs.existsSync(summaryDir)) {
    process.stdout.write(`No recorded summary answers in ${summaryDir}: record them with --record DIR (test/fixtures/real-meetings/README.md, "Summary answers").\n`);
    return;
  }
  // --restatements DIR[,DIR] --procedure DIR[,DIR] --owners DIR[,DIR]: the checks at stop as they ship, from their
  // recorded answers (model-notes-eval.ts's folders), so that the settle reads the lists the daemon's stop leaves.
  const listFlag = (name: string) => flagValue(argv, name)?.split(',').filter(Boolean);
  // --checks: all three from the folders recorded beside the extraction's (checkFoldersBeside).
  const beside = argv.includes('--checks') ? checkFoldersBeside(extractionDirs) : undefined;
  const checkFolders = { restatements: listFlag('--restatements') ?? beside?.restatements, procedure: listFlag('--procedure') ?? beside?.procedure, owners: listFlag('--owners') ?? beside?.owners };
  if ((checkFolders.restatements || checkFolders.procedure || checkFolders.owners) && (noLists || extractionDir === 'none')) throw new Error('--restatements, --procedure, --owners: with the extraction\'s answers');
  const runs: SummaryRun[] = [];
  for (const m of meetings) {
    if (!refs.has(m.name)) throw new Error(`${m.name}: no reference summary in ${set.references} (node scripts/qmsum-summary-fixture.js)`);
    const from = extractionFolderOf(extractionDirs, m.name);
    const extraction = extractionDir === 'none' || noLists ? null : replayingChat(path.join(from, m.name));
    // The lists as the extraction's folder was answered (its bound of the notes; the owner check at stop where it was
    // answered with it, unless --no-check-owners: settles recorded before the check, answers-v8's and the experiments).
    const recorded = recordedHow(from);
    runs.push(await runSummary(m, extraction, summaryDirs.map((d) => path.join(d, m.name)), record !== undefined, {
      ...recorded, carryNotes: argv.includes('--carry') || notesPrompt >= 8 || recorded.carryNotes, notesPrompt, ...(settleVersion ? { settleVersion } : {}),
      checkOwners: recorded.checkOwners && !noLists && !argv.includes('--no-check-owners'),
      ...(noLists ? { noLists } : {}), ...(argv.includes('--check-standings') ? { checkStandings: true } : {}),
    }, checksFrom(m.name, checkFolders)));
  }
  const waiting = runs.filter((r) => r.pending);
  if (record) {
    process.stdout.write(`${runs.length - waiting.length} of ${runs.length} meetings complete in ${record}.\n`);
    const unusable = runs.flatMap((r) => r.raw.filter((a) => a.unusable).map((a) => `  ${path.join(record, r.meeting.name, `${a.name}.answer.txt`)}: ${a.unusable} point(s) the product drops (no JSON "points", or no cite of a line the prompt shows, or no text)`));
    if (unusable.length) process.stdout.write(`Answers to write again (then run --record again):\n${unusable.join('\n')}\n`);
    if (waiting.length) process.stdout.write(`Answer these prompts (each in <name>.answer.txt beside it), then run --record again:\n${waiting.map((r) => `  ${r.pending}`).join('\n')}\n`);
    return;
  }
  // The summary with the notes on each part folded under it, as the notes file shows them: judged and scored apart.
  const withParts = argv.includes('--with-parts');
  if (judgePromptsDir !== undefined) {
    const written = writeJudgePrompts(runs, refs, judgePromptsDir, judgementsDir, withParts);
    process.stdout.write(`${written.length} judging prompts written in ${judgePromptsDir}${written.length ? ': answer each X.prompt.txt in X.answer.json, then --file-judgements DIR' : ''}\n`);
    for (const w of written) process.stdout.write(`  ${w}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`Summary eval on ${meetings.length} ${SET_WORDS[setName as keyof typeof SUMMARY_SETS]} (${setName === 'abstracts' ? 'reference: each corpus\'s abstract and decisions of the meeting' : setName.startsWith('core-devs') ? 'reference: each call\'s note-taker\'s summary table' : 'QMSum train/val; reference: each meeting\'s human summary of the whole meeting'})`);
  if (waiting.length) out.push(`INCOMPLETE: ${waiting.length} meetings lack summary answers (left out below): ${waiting.map((r) => r.meeting.name).join(', ')}`);
  const settleFailed = runs.filter((r) => !r.pending && r.settle && !r.settle.settled);
  out.push(`Settled at stop: ${runs.filter((r) => !r.pending && r.settle?.settled).length}; not settled: ${settleFailed.length}${settleFailed.length ? ` (${settleFailed.map((r) => `${r.meeting.name}: ${r.settle && !r.settle.settled ? r.settle.unsettled : ''}`).join(', ')})` : ''}`, '');
  out.push(...structureReport(structureOf(runs)), '');
  const dev = new Set(DEVELOPMENT);
  const parts: [string, SummaryRun[]][] = set.parts === 'development'
    ? [['all', runs], ['development (12)', runs.filter((r) => dev.has(r.meeting.name))], ['held out (20)', runs.filter((r) => !dev.has(r.meeting.name))]]
    : [['all', runs]];
  out.push('Judged (summaries/judgements): facts of the reference covered, contradicted; points stating a decision\'s standing otherwise than the decisions list');
  for (const [name, part] of parts) {
    const scores = scoreRuns(part, judgementsDir);
    out.push(scoreLine(`settled summary, ${name}`, scores.settled), ...(scores.rolling.meetings ? [scoreLine(`last rolling summary, ${name}`, scores.rolling)] : []),
      ...(withParts ? [scoreLine(`summary with part by part, ${name}`, scores.notes)] : []));
  }
  if (checkDir && fs.existsSync(checkDir)) {
    // The second judging, and both together: each fact counted once per judging.
    out.push('', 'Second judging (summaries/judgements-check: the same outputs and facts, other judges), and both judgings pooled:');
    for (const [name, part] of parts) {
      const [first, second] = [scoreRuns(part, judgementsDir), scoreRuns(part, checkDir)];
      const [a, b] = [first.settled, second.settled];
      out.push(scoreLine(`settled, ${name}, second judging`, b),
        `${`settled, ${name}, both judgings`.padEnd(40)} coverage ${((a.covered + b.covered) / (a.facts + b.facts || 1)).toFixed(3)} (${a.covered + b.covered}/${a.facts + b.facts} verdicts)`);
      if (withParts) {
        const [x, y] = [first.notes, second.notes];
        out.push(scoreLine(`with parts, ${name}, second judging`, y),
          `${`with parts, ${name}, both judgings`.padEnd(40)} coverage ${((x.covered + y.covered) / (x.facts + y.facts || 1)).toFixed(3)} (${x.covered + y.covered}/${x.facts + y.facts} verdicts)`);
      }
    }
    const a = judgingAgreement(runs, judgementsDir, checkDir);
    out.push(`The two judgings: the same verdict on ${a.same} of ${a.facts} facts (${a.outputs} outputs); Cohen's kappa on "covered" ${a.kappa.toFixed(2)}`);
  }
  const reachDir = flagValue(argv, '--reach');
  if (reachDir) {
    const stated = readReach(reachDir, runs.map((r) => r.meeting), judgementsDir);
    const facts = [...stated.values()].flat();
    out.push('', `The reference's facts the meeting's own words state (${reachDir}): ${facts.filter(Boolean).length} of ${facts.length}; coverage of those alone:`);
    for (const [name, dir] of [['first judging', judgementsDir], ['second judging', checkDir]] as const) {
      if (dir && fs.existsSync(dir)) out.push(scoreLine(`settled, stated facts, ${name}`, scoreRuns(runs, dir, stated).settled));
    }
  }
  const { unjudged } = scoreRuns(runs, judgementsDir);
  if (unjudged.length) out.push(`Not judged yet (--judge-prompts DIR writes their prompts): ${unjudged.join(', ')}`);
  if (argv.includes('--detail')) {
    for (const run of runs.filter((r) => !r.pending)) {
      out.push('', `${run.meeting.name}:`, ...run.summary.map((p, k) => `  ${k + 1}. ${p.text}`));
      const judged = readJudgements(run.meeting.name, judgementsDir);
      const j = judged?.judgements[materialKey(outputsOf(run)[0].material)];
      if (judged && j) out.push(...j.verdicts.filter((v) => v.verdict !== 'covered').map((v) => `  ${v.verdict}: ${judged.facts[v.fact - 1]}`));
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stdout.write(`summary eval failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
