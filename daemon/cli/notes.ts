/**
 * `earshot notes` (action items and decisions from a transcript, with the opt-in language model: an OpenAI-compatible
 * server with --llm-endpoint, or the local model with --local, which also writes the rolling summary) and `earshot
 * export` (a session's notes, JSON, subtitles or text from its journal).
 *
 * Owns reading a transcript file (parseTranscript) and the --llm-* and --local flags. Must not run a session or touch
 * the model cache; the extraction and the export formats themselves live in understanding/ and documents/.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CARRY_NOTES_DEFAULT, CHECK_OWNERS_DEFAULT, CHECK_PROCEDURE_DEFAULT, CHECK_RESTATEMENTS_DEFAULT, CHECK_STANDINGS_DEFAULT, chunkCharsInRange, DecisionKind, DecisionRewrite, DecisionStanding, decisionStanding, EnhancementSettings, FinalSegment, ItemRewrite, StandingStep, TemplateSection } from '../../protocol/protocol';
import { writeFileAtomic } from '../../protocol/atomicWrite';
import { validateEnhancement } from '../../protocol/validate';
import { clock, inline } from '../../protocol/markdownText';
import { JournaledTemplate, readJournal } from '../journal/journal';
import { EXPORT_FORMATS, exportSession, isExportFormat, parseExport, SessionExport } from '../documents/export';
import { DECISION_GROUPS, displayModel, historySuffix } from '../documents/notesText';
import { noSummary, PARTS_SHOWN_FROM, summaryLabel } from '../documents/summarySection';
import { NEEDS_MODEL } from '../documents/templateSections';
import { openQuestions } from '../understanding/questions';
import { templateForStart } from '../templates/choose';
import { isoDate } from '../understanding/dates';
import { extract, SpokenLine } from '../understanding/extract';
import { extractTranscriptWithModel, TranscriptModelResult, withLineIds } from '../understanding/modelTranscript';
import { SETTLE_DEFAULT } from '../understanding/modelSummary';
import { Chat } from '../understanding/providers';
import { LocalModelHost } from '../understanding/local/host';
import { localChat, localRunSettings } from '../understanding/local/localChat';
import { resolveLocalModel } from '../understanding/local/resolveModel';
import { defaultGpu, defaultStorageDir, defaultTemplatesDir } from '../config';
import { detectMachine } from '../models/capabilities';
import { defaultCacheDir } from '../models/modelCache';
import { recommendNotesModel } from '../models/notesCatalog';
import { notesCacheDir, notesStateDir } from '../models/notesModels';
import { args, inert, inertJson, Io, jsonLine, UsageError } from './common';

export async function notes(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'notes');
  // Carried notes (each part read with what the parts before it noted; prompt v8) as a meeting reads it by default; --no-carry-notes: v6.
  if (positionals.length !== 1) throw new UsageError('notes takes one transcript file');
  if (values.json && values.md) throw new UsageError('choose one of --json and --md');
  const given = values.date ? new Date(`${values.date}T09:00:00`) : undefined;
  if (given && (!/^\d{4}-\d{2}-\d{2}$/.test(values.date!) || Number.isNaN(given.getTime()))) throw new UsageError('--date must be YYYY-MM-DD');
  const text = await fs.readFile(positionals[0], 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${positionals[0]}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const transcript = readTranscript(text, positionals[0]);
  const when = given ? { date: given, from: 'option' as const } : await transcriptDate(transcript, positionals[0]);
  const meetingDate = when.date;
  if (when.from === 'file time') {
    io.err(`earshot: ${positionals[0]} says no meeting date: relative due dates are read from the day the file was last changed, ${day(meetingDate)}`
      + `${values.local || values['llm-endpoint'] ? ', and the language model is told that the date is not known' : ''} (give --date YYYY-MM-DD)`);
  }
  if (values.local && values['llm-endpoint']) throw new UsageError('choose one of --local and --llm-endpoint');
  if (values.model !== undefined && !values.local) throw new UsageError('--model goes with --local (for a server: --llm-model)');
  if (values.threads !== undefined && !values.local) throw new UsageError('--threads goes with --local');
  if (values['chunk-chars'] !== undefined && !values.local && !values['llm-endpoint']) throw new UsageError('--chunk-chars goes with --local or --llm-endpoint');
  const chunkChars = values['chunk-chars'] === undefined ? undefined : Number(values['chunk-chars']);
  if (chunkChars !== undefined && (!Number.isInteger(chunkChars) || !chunkCharsInRange(chunkChars))) throw new UsageError('--chunk-chars must be a whole number of characters from 1000 to 100000');
  if ((values['carry-notes'] || values['no-carry-notes']) && !values.local && !values['llm-endpoint']) throw new UsageError('--carry-notes and --no-carry-notes go with --local or --llm-endpoint');
  if (values['carry-notes'] && values['no-carry-notes']) throw new UsageError('choose one of --carry-notes and --no-carry-notes');
  const carryNotes = values['carry-notes'] || (!values['no-carry-notes'] && CARRY_NOTES_DEFAULT);
  const checkRestatements = checkAsked(values, 'check-restatements', CHECK_RESTATEMENTS_DEFAULT, carryNotes);
  const checkOwners = checkAsked(values, 'check-owners', CHECK_OWNERS_DEFAULT, carryNotes);
  const checkProcedure = checkAsked(values, 'check-procedure', CHECK_PROCEDURE_DEFAULT, carryNotes);
  // The standing check reads the settled summary and the final lists, carried or not.
  const checkStandings = checkAsked(values, 'check-standings', CHECK_STANDINGS_DEFAULT);
  const template = await cliTemplate(values);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UsageError('--threads must be a whole number from 1');
  // The model file for --local, checked before any model runs: a wrong path fails at once.
  const localModel = values.local ? await resolveLocalModel(localModelArgument(values.model), {
    notesCache: notesCacheDir(defaultCacheDir(defaultStorageDir())),
    recommended: async () => recommendNotesModel(await detectMachine({ storageDir: defaultStorageDir() })).model.id,
  }) : undefined;
  const chosen = values.local ? localRunSettings({ provider: 'local', model: localModel })
    : values['llm-endpoint'] ? llmSettings(values['llm-endpoint'], values['llm-model'], values['llm-allow-remote']) : undefined;
  const llm = chosen && chunkChars !== undefined ? { ...chosen, chunkChars } : chosen;
  const lines = llm ? withLineIds(transcript.lines) : transcript.lines;
  const found = extract(lines, meetingDate);
  let result: {
    actionItems: { text: string; owner: string | null; due: string | null; t0: number | null; rewritten?: ItemRewrite }[];
    decisions: { text: string; kind: DecisionKind; standing: DecisionStanding; t0: number | null; rewritten?: DecisionRewrite; standingHistory?: StandingStep[] }[];
    dismissed?: TranscriptModelResult['dismissed']; summary?: { text: string; cites: string[] }[]; summarySettled?: boolean; summaryUnsettled?: string;
    summaryParts?: { from: string; to: string; points: { text: string; cites: string[] }[] }[];
    sections?: { heading: string; points: { text: string; cites: string[] }[] }[];
  } = {
    actionItems: found.actionItems.map((i) => ({ text: i.text, owner: i.owner, due: i.due, t0: i.t0 })),
    decisions: found.decisions.map((d) => ({ text: d.text, kind: d.kind ?? 'decision', standing: decisionStanding(d), t0: d.t0 })),
  };
  let summaryBy: string | undefined;
  if (llm) {
    // The same language-model extraction as at the end of a meeting; progress on stderr, never text.
    // --local: the model runs in a process of its own (as in the daemon), closed when the notes are done.
    const host = localModel ? new LocalModelHost({
      modelPath: localModel, threads, gpu: defaultGpu() !== false, stateDir: notesStateDir(defaultCacheDir(defaultStorageDir())),
      onLoaded: (l) => io.err(`earshot: local model: ${l.model}, loaded in ${(l.loadMs / 1000).toFixed(1)} s, on ${l.device === 'cpu' ? `the CPU (${threads ?? 'cores less one'} thread${threads === 1 ? '' : 's'})` : l.device}`),
    }) : undefined;
    let withModel: TranscriptModelResult;
    try {
      const chat: Chat | undefined = host ? localChat(host) : undefined;
      withModel = await extractTranscriptWithModel(lines, found, { date: meetingDate, known: when.from !== 'file time' }, llm, (p) => { if (p.state === 'running' && p.finished) io.err(`earshot: language model: ${p.message}`); }, undefined, chat,
        // A summary call that failed: its chunk (or the settle) and why, never what was said or answered.
        { report: (r) => {
          if (r.outcome === 'applied') return;
          io.err(`earshot: language model: ${'restatements' in r ? 'checking the final lists for restatements' : 'procedure' in r ? 'checking each decision against its lines' : 'owners' in r ? 'checking who owns the items without an owner' : 'standings' in r ? 'checking the settled summary against the decisions\' standings' : 'settle' in r ? 'settling the summary against the final decisions and action items' : 'part' in r ? `the notes on part ${r.part}` : `the summary of chunk ${r.chunk}`} got no answer (${r.reason ?? r.outcome})`);
        } },
        // Each part read with what the parts before it noted (issue 56), and then the settle as at a meeting's stop (v9).
        { carryNotes, ...(carryNotes ? { settleVersion: SETTLE_DEFAULT } : {}), ...(checkRestatements ? { checkRestatements } : {}), ...(checkProcedure ? { checkProcedure } : {}), ...(checkOwners ? { checkOwners } : {}), ...(checkStandings ? { checkStandings } : {}), ...(template ? { template } : {}) });
    } finally {
      host?.close();
    }
    io.err(`earshot: language model: ${withModel.message}`);
    // What a check at stop could not read within its bounds stays as the parts left it: said, not hidden.
    if (withModel.procedureCheck?.unasked) io.err(`earshot: language model: ${withModel.procedureCheck.unasked} decision(s) did not fit the decision check's bounds and were not checked`);
    if (withModel.ownerCheck?.unasked) io.err(`earshot: language model: ${withModel.ownerCheck.unasked} item(s) without an owner did not fit the owner check's bounds and keep none`);
    const settle = withModel.summarySettle;
    if (settle && !settle.settled) io.err(`earshot: language model: the summary was not settled (${settle.unsettled}): it is the last rolling summary`);
    result = {
      actionItems: withModel.actionItems, decisions: withModel.decisions, dismissed: withModel.dismissed,
      summary: withModel.summary.map((p) => ({ text: p.text, cites: p.segmentIds })),
      // The notes on each part, as the notes file shows them (summarySection.ts: from two parts with notes).
      ...((withModel.summaryParts?.length ?? 0) >= PARTS_SHOWN_FROM
        ? { summaryParts: withModel.summaryParts!.map((p) => ({ from: p.from, to: p.to, points: p.points.map((x) => ({ text: x.text, cites: x.segmentIds })) })) } : {}),
      ...(settle ? { summarySettled: settle.settled, ...(settle.settled ? {} : { summaryUnsettled: settle.unsettled }) } : {}),
    };
    summaryBy = withModel.summaryBy;
    if (withModel.sections) result = { ...result, sections: withModel.sections.map((s) => ({ heading: s.heading, points: s.points.map((p) => ({ text: p.text, cites: p.segmentIds })) })) };
  }
  if (values.md && template) {
    const out = (line: string) => io.out(io.tty ? inert(line, { lines: true }) : line);
    const summary = [...summaryMarkdown(result.summary, summaryBy, lines, result.summarySettled === false ? result.summaryUnsettled : undefined), ...partsMarkdown(result.summaryParts, summaryBy, lines)];
    templateMarkdown(template, result, summary, lines).forEach(out);
  } else if (values.md) {
    // Every text of the transcript or the model goes through the notes' Markdown escape (inline: no controls, no
    // images, links or HTML), and on a terminal through inert too (security review 2, S5).
    const out = (line: string) => io.out(io.tty ? inert(line, { lines: true }) : line);
    out('## Summary\n');
    out(summaryMarkdown(result.summary, summaryBy, lines, result.summarySettled === false ? result.summaryUnsettled : undefined).join('\n'));
    partsMarkdown(result.summaryParts, summaryBy, lines).forEach(out);
    out('\n## Decisions\n');
    for (const { standing, heading } of DECISION_GROUPS) {
      const group = result.decisions.filter((d) => d.standing === standing);
      if (!group.length) continue;
      out(`### ${heading}\n`);
      group.forEach((d) => out(`- ${d.kind === 'negative' ? '**Not doing:** ' : ''}${inline(d.text)}${historySuffix(d.standingHistory)}${d.rewritten ? ` _(revised by ${displayModel(d.rewritten.by)})_` : ''}`));
      out('');
    }
    out('## Action items\n');
    result.actionItems.forEach((i) => out(`- [ ] ${inline(i.text)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${inline(i.due)}` : ''}${i.rewritten ? ` _(revised by ${displayModel(i.rewritten.by)})_` : ''}`));
    if (result.dismissed?.length) {
      out('\n## Dismissed by the language model\n');
      result.dismissed.forEach((d) => out(`- ~~${inline(d.text)}~~ — ${inline(d.reason)}`));
    }
  } else {
    io.out(jsonLine({ ...result, meetingDate: { date: day(meetingDate), from: when.from, known: when.from !== 'file time' } }));
  }
  return 0;
}

/** --template and --templates-dir: the template by id from the workspace's folder or the shipped ones (UsageError: unknown). */
async function cliTemplate(values: { template?: string; 'templates-dir'?: string }): Promise<JournaledTemplate | undefined> {
  if (values['templates-dir'] !== undefined && values.template === undefined) throw new UsageError('--templates-dir goes with --template');
  if (values.template === undefined) return undefined;
  try {
    return await templateForStart({ sources: ['file'], template: values.template, templatesDir: path.resolve(values['templates-dir'] ?? defaultTemplatesDir()) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * `notes --md` by a template: its sections in its order, under its headings (escaped), each with what this command
 * has for it (no transcript: the notes printed here have none); a 'model' section with the model's points, or the
 * line saying it needs one.
 */
export function templateMarkdown(template: JournaledTemplate, result: {
  actionItems: { text: string; owner: string | null; due: string | null }[]; decisions: { text: string; kind: DecisionKind; standing: DecisionStanding }[];
  sections?: { heading: string; points: { text: string; cites: string[] }[] }[];
}, summary: string[], lines: readonly SpokenLine[]): string[] {
  const where = new Map(lines.map((l, k) => [l.segmentId, l.t0 !== null ? clock(l.t0) : `line ${k + 1}`]));
  const none = ['_None recorded._'];
  const questions = openQuestions(lines.map((l) => ({ speaker: l.speaker, text: l.text, t0: l.t0 })));
  const part = (s: TemplateSection): string[] => {
    switch (s.fill) {
      case 'summary': return summary;
      case 'decisions': return result.decisions.length ? result.decisions.map((d) => `- ${d.kind === 'negative' ? '**Not doing:** ' : ''}${inline(d.text)} _(${DECISION_GROUPS.find((g) => g.standing === d.standing)?.heading ?? 'Decided'})_`) : none;
      case 'actionItems': return result.actionItems.length ? result.actionItems.map((i) => `- [ ] ${inline(i.text)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${inline(i.due)}` : ''}`) : none;
      case 'openQuestions': return questions.length ? questions.map((q) => `- ${inline(q.text)}${q.speaker ? ` — ${inline(q.speaker)}` : ''}`) : none;
      default: {
        const written = result.sections?.find((w) => w.heading === s.heading);
        return written?.points.length ? written.points.map((p) => `- ${inline(p.text)} _(${p.cites.map((id) => where.get(id) ?? id).join(', ')})_`) : [NEEDS_MODEL];
      }
    }
  };
  return template.sections.filter((s) => s.fill !== 'transcript').flatMap((s, k) => [`${k ? '\n' : ''}## ${inline(s.heading)}\n`, part(s).join('\n')]);
}

/** YYYY-MM-DD of a date in local time (how --date and Earshot's file names give it). */
const day = isoDate;

/** Where the meeting's date came from: --date, the transcript itself, its name as Earshot names notes, or (unknown) the file's time. */
export type MeetingDateSource = 'option' | 'transcript' | 'file name' | 'file time';

/**
 * The meeting's date for a transcript without --date: the one the format carries (an Earshot JSON export's start), else
 * the one in its name as Earshot names its notes and exports (`YYYY-MM-DD-HHMM-…`, local time), else the time the file
 * was last changed: a stand-in that is not the meeting's date (the language model is told so), but nearer to it than
 * the day the notes are read.
 */
export async function transcriptDate(transcript: ReadTranscript, file: string): Promise<{ date: Date; from: MeetingDateSource }> {
  if (transcript.startedAt) return { date: transcript.startedAt, from: 'transcript' };
  const named = /^(\d{4})-(\d{2})-(\d{2})(?:-(\d{2})(\d{2}))?(?!\d)/.exec(path.basename(file));
  if (named) {
    const [y, m, d, hh, mm] = named.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
    const date = new Date(y!, m! - 1, d!, hh ?? 9, mm ?? 0);
    if (date.getMonth() === m! - 1 && date.getDate() === d) return { date, from: 'file name' };
  }
  return { date: (await fs.stat(file)).mtime, from: 'file time' };
}

/**
 * The Summary section's lines for --md: the model's points, each citing its lines by their time in the meeting (or
 * their line number in the file when it gives no times); without a model, the notes' plain "no summary" line.
 * `unsettled`: why the summary was not settled against the final decisions and action items (it is the last rolling one).
 */
export function summaryMarkdown(points: { text: string; cites: string[] }[] | undefined, by: string | undefined, lines: readonly SpokenLine[], unsettled?: string): string[] {
  if (!points) return [noSummary('`--local` or `--llm-endpoint URL`')];
  if (!points.length) return ['_No summary: the language model wrote none (see the messages on stderr)._'];
  const where = lineWhere(lines);
  return [summaryLabel(displayModel(by ?? ''), { ended: true, settled: unsettled === undefined, ...(unsettled !== undefined ? { unsettled } : {}) }, 'each point ends with the lines it comes from'), '',
    ...points.map((p) => citedLine(p, where))];
}

/**
 * The notes on each part for --md, folded under the summary as the notes file folds them (summarySection.ts
 * partLines): each part by its first and last line's time (or line number), its points citing as the summary's.
 */
export function partsMarkdown(parts: { from: string; to: string; points: { text: string; cites: string[] }[] }[] | undefined, by: string | undefined, lines: readonly SpokenLine[]): string[] {
  if (!parts?.length) return [];
  const where = lineWhere(lines);
  return ['', `<details><summary>Part by part: the notes ${displayModel(by ?? '')} took on each of the meeting's ${parts.length} parts as it read them</summary>`,
    ...parts.flatMap((part) => ['', `**${where.get(part.from) ?? part.from}–${where.get(part.to) ?? part.to}**`, '', ...part.points.map((p) => citedLine(p, where))]),
    '', '</details>'];
}

/** Each line's place for --md: its time in the meeting, or its line number in the file when it gives no times. */
const lineWhere = (lines: readonly SpokenLine[]) => new Map(lines.map((l, k) => [l.segmentId, l.t0 !== null ? clock(l.t0) : `line ${k + 1}`]));

/** A point's bullet for --md: its words made inert, then where its cited lines are. */
const citedLine = (p: { text: string; cites: string[] }, where: ReadonlyMap<string | undefined, string>) => `- ${inline(p.text)} _(${p.cites.map((id) => where.get(id) ?? id).join(', ')})_`;

/**
 * `--model` for --local: a file path (made absolute) or, when it names no file and does not look like a path, an id
 * for the notes-model catalog (resolveLocalModel). Absent: the catalog's default.
 */
function localModelArgument(model: string | undefined): string {
  if (!model) return '';
  return /[\\/]|\.gguf$/i.test(model) ? path.resolve(model) : model;
}

/** `--llm-endpoint`: an openai-compatible server, checked as the extension's settings are (loopback unless allowed). */
export function llmSettings(endpoint: string, model: string | undefined, allowRemote: boolean): EnhancementSettings {
  try {
    return validateEnhancement({ provider: 'openai-compatible', endpoint, ...(model ? { model } : {}), ...(allowRemote ? { allowRemote } : {}) }, '--llm-endpoint');
  } catch (e) {
    throw new UsageError((e as Error).message.replace('earshot.enhancement.allowRemoteEndpoint', '--llm-allow-remote'));
  }
}

/**
 * A session's export from its journal. The format is --format, else --out's extension when it names one,
 * else md. A torn last line (the daemon died mid-write) is skipped with a warning: the rest exports.
 */
export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'export');
  if (positionals.length !== 1) throw new UsageError('export takes one journal file');
  const fromOut = values.out ? path.extname(values.out).slice(1).toLowerCase() : '';
  const format = values.format ?? (isExportFormat(fromOut) ? fromOut : 'md');
  if (!isExportFormat(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  const file = positionals[0];
  if (values.out && path.resolve(values.out) === path.resolve(file)) throw new UsageError('--out must not be the journal itself');
  const journal = await readJournal(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new Error(`cannot read journal ${file}: no such file`);
    if (e.code === 'EISDIR') throw new Error(`cannot read journal ${file}: it is a folder`);
    throw new Error(e.message.includes(file) ? e.message : `cannot read journal ${file}: ${e.message}`);
  });
  if (journal.tornTail) io.err(`earshot: ${file}: the last line was cut off mid-write (ignored); exporting the rest`);
  const content = exportSession(journal, format);
  if (values.out) {
    await writeFileAtomic(path.resolve(values.out), content);
    io.err(`Exported: ${path.resolve(values.out)}`);
  } else if (content) {
    // A terminal gets the transcript's and the model's text inert, as `notes --md` prints it (JSON stays JSON).
    const shown = !io.tty ? content : format === 'json' ? inertJson(content) : inert(content, { lines: true });
    io.out(shown.endsWith('\n') ? shown.slice(0, -1) : shown);
  }
  return 0;
}

/** A transcript file's lines, and the meeting's start when its format carries one. */
export interface ReadTranscript { lines: SpokenLine[]; startedAt?: Date }

/**
 * An Earshot JSON export (`earshot export --format json`: its segments, and its session's start), else JSON lines or
 * plain `Speaker: text` lines (parseTranscript), which carry no date.
 */
export function readTranscript(text: string, name: string): ReadTranscript {
  const exported = earshotExport(text);
  if (!exported) return { lines: parseTranscript(text, name) };
  const startedAt = new Date(exported.session?.startedAt ?? '');
  const lines = parseExport(text, 'json').map((s) => ({ speaker: s.speaker, text: s.text, t0: s.t0 }));
  return { lines, ...(Number.isNaN(startedAt.getTime()) ? {} : { startedAt }) };
}

/** The document when the text is one JSON object with a `segments` list (an Earshot JSON export), else undefined. */
function earshotExport(text: string): Partial<SessionExport> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const doc = JSON.parse(text) as unknown;
    return doc && typeof doc === 'object' && Array.isArray((doc as SessionExport).segments) ? doc as SessionExport : undefined;
  } catch {
    return undefined; // JSON lines (or broken JSON: parseTranscript names the line)
  }
}

/** JSON lines {"t0","t1","speaker","text"} or plain `Speaker: text` lines (the format is detected). */
export function parseTranscript(text: string, name: string): SpokenLine[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length > 0 && lines[0].startsWith('{')) {
    return lines.map((line, i) => {
      let o: Partial<FinalSegment> & { speaker?: unknown; text?: unknown; t0?: unknown };
      try {
        o = JSON.parse(line);
      } catch {
        throw new Error(`${name} line ${i + 1} is not valid JSON`);
      }
      if (typeof o.text !== 'string') throw new Error(`${name} line ${i + 1} has no "text" string`);
      return { speaker: typeof o.speaker === 'string' ? o.speaker : null, text: o.text, t0: typeof o.t0 === 'number' && Number.isFinite(o.t0) ? o.t0 : null };
    });
  }
  // A label may carry a role or a constituency in parentheses ("The Chair (Hon. Anthony Rota (Nipissing—Timiskaming,
  // Lib.))": 94 characters in a parliamentary record), so it may run to 120 characters before the first colon.
  return lines.map((line) => {
    const m = /^([^:]{1,120}):\s*(.*)$/.exec(line);
    return m ? { speaker: m[1].trim(), text: m[2], t0: null } : { speaker: null, text: line, t0: null };
  });
}

/**
 * A check at stop as `--<name>` and `--no-<name>` ask (each goes with a language model; not both; those that read the
 * carried notes' lists only with them): asked for, else its default unless turned off.
 */
function checkAsked(values: Record<string, unknown>, name: string, byDefault: boolean, carryNotes?: boolean): boolean {
  const on = values[name] === true, off = values[`no-${name}`] === true;
  if ((on || off) && !values.local && !values['llm-endpoint']) throw new UsageError(`--${name} and --no-${name} go with --local or --llm-endpoint`);
  if (on && off) throw new UsageError(`choose one of --${name} and --no-${name}`);
  if (on && carryNotes === false) throw new UsageError(`--${name} needs carried notes (not with --no-carry-notes)`);
  return on || ((carryNotes ?? true) && !off && byDefault);
}
