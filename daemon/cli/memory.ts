/**
 * `earshot ask` (questions over the stored meetings, or over transcript files, answered with the lines that say it,
 * or by an OpenAI-compatible model citing them) and `earshot todo` (open action items across the stored meetings).
 *
 * Owns the two commands' flags, the question's prompt and their output. Ranking is memory/memoryIndex.ts's; reading a
 * transcript is notes.ts's parseTranscript. Must not write anything: the journals and notes are only read.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MemoryLine, MemoryPassage } from '../../protocol/protocol';
import { defaultStorageDir } from '../config';
import { clock } from '../documents/notesText';
import { readJournal } from '../journal/journal';
import { ASK_SYSTEM, askUserPrompt, citedNumbers, promptLines } from '../memory/askPrompt';
import { meetingRecordOf } from '../memory/meetingRecord';
import { MAX_LIMIT, MeetingRecord, MemoryIndex } from '../memory/memoryIndex';
import { StoredMemory } from '../memory/storedMemory';
import { openAiCompatibleChat } from '../understanding/providers';
import { args, Io, UsageError } from './common';
import { llmSettings, parseTranscript } from './notes';

/** A line handed back by `ask`: where it is (`line`: 1-based line of a text transcript, or the segment's index in a journal). */
export interface CitedLine {
  file: string;
  line: number;
  /** Seconds into the meeting; null for a transcript without times. */
  t0: number | null;
  speaker: string;
  text: string;
}

export async function ask(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    over: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    limit: { type: 'string' },
    'llm-endpoint': { type: 'string' },
    'llm-model': { type: 'string' },
    'llm-allow-remote': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1 || !positionals[0].trim()) throw new UsageError('ask takes one question (in quotes)');
  const question = positionals[0].trim();
  const limit = values.limit === undefined ? 5 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  const llm = values['llm-endpoint'] ? llmSettings(values['llm-endpoint'], values['llm-model'], values['llm-allow-remote']) : undefined;

  const fileOf = new Map<string, { file: string; timed: boolean; lineOf: (l: MemoryLine) => number }>();
  let index: MemoryIndex;
  if (values.over?.length) {
    index = new MemoryIndex();
    for (const file of values.over) {
      const { record, timed, lineOf } = await readTranscriptFile(file);
      index.put(record);
      fileOf.set(record.meeting.sessionId, { file: path.resolve(file), timed, lineOf });
    }
  } else {
    const storageDir = defaultStorageDir();
    index = await new StoredMemory(storageDir).sync();
    for (const id of index.sessionIds()) fileOf.set(id, { file: path.join(storageDir, 'sessions', `${id}.jsonl`), timed: true, lineOf: (l) => l.index });
    if (!index.sessionCount) io.err(`earshot: no stored meetings in ${storageDir} (EARSHOT_STORAGE); ask over transcript files with --over FILE`);
  }
  const passages = index.search({ query: question, limit });
  const numbered: (CitedLine & { meeting: string })[] = [];
  const cite = (p: MemoryPassage, l: MemoryLine): CitedLine & { meeting: string } => {
    const where = fileOf.get(p.meeting.sessionId)!;
    return { meeting: meetingName(p), file: where.file, line: where.lineOf(l), t0: where.timed ? l.t0 : null, speaker: l.speaker, text: l.text };
  };
  for (const p of passages) for (const l of p.lines) numbered.push(cite(p, l));

  let answer: string | null = null;
  let cited = numbered;
  if (llm && numbered.length) {
    // The question and these lines (the best ranked, as many as a prompt holds) go to the endpoint the user named;
    // progress on stderr carries no text.
    const sent = promptLines(numbered);
    const user = askUserPrompt(question, sent);
    io.err(`earshot: asking the language model with ${sent.length} lines`);
    const reply = await openAiCompatibleChat(llm, { json: false })(ASK_SYSTEM, user, AbortSignal.timeout((llm.timeoutSec ?? 120) * 1000))
      .catch((e: Error) => { throw new Error(`the language model at ${llm.endpoint} gave no answer: ${e.name === 'TimeoutError' ? 'timeout' : e.message}`); });
    if (!reply.text.trim()) throw new Error(`the language model at ${llm.endpoint} gave an empty answer`);
    answer = reply.text.trim();
    const refs = citedNumbers(answer, sent.length);
    cited = numbered.filter((_, i) => refs.has(i + 1));
  } else if (llm) {
    answer = 'Nothing in the meetings matches the question.';
  }

  if (values.json) {
    io.out(JSON.stringify({ answer, cited: cited.map(({ file, line, t0, speaker, text }) => ({ file, line, t0, speaker, text })) }));
    return 0;
  }
  if (answer !== null) io.out(answer + (cited.length ? '\n' : ''));
  if (!numbered.length) {
    if (answer === null) io.out('Nothing in the meetings matches the question.');
    return 0;
  }
  let last = '';
  numbered.forEach((c, i) => {
    if (!cited.includes(c)) return;
    if (c.meeting !== last) io.out(`${last ? '\n' : ''}${c.meeting} — ${c.file}`);
    last = c.meeting;
    io.out(`  [${i + 1}] line ${c.line}, ${c.t0 === null ? '' : `${clock(c.t0)} `}${c.speaker || '?'}: ${c.text}`);
  });
  return 0;
}

export async function todo(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, { mine: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } });
  if (positionals.length) throw new UsageError('todo takes no arguments (names go with --mine)');
  const mine = values.mine ?? [];
  if (mine.some((n) => !n.trim())) throw new UsageError('--mine needs a name');
  const index = await new StoredMemory(defaultStorageDir()).sync();
  const items = index.todo(mine).filter((i) => !mine.length || i.mine);
  if (values.json) {
    io.out(JSON.stringify({ items }));
    return 0;
  }
  if (!items.length) io.out(mine.length ? 'No open action items for those names.' : 'No open action items.');
  let last = '';
  for (const { meeting, item, notesLine } of items) {
    const name = `${meeting.title} (${meeting.startedAt.slice(0, 10)})`;
    if (name !== last) io.out(`${last ? '\n' : ''}${name}${meeting.notesPath ? ` — ${meeting.notesPath}${notesLine ? `:${notesLine}` : ''}` : ''}`);
    last = name;
    io.out(`  - [ ] ${item.text}${item.owner ? ` — @${item.owner}` : ''}${item.due ? `, due ${item.due}` : ''} (${clock(item.t0)})`);
  }
  return 0;
}

function meetingName(p: MemoryPassage): string {
  return p.meeting.startedAt ? `${p.meeting.title} (${p.meeting.startedAt.slice(0, 10)})` : p.meeting.title;
}

/**
 * A transcript file as one meeting: a session journal (lines: segment indexes), or what `earshot notes` reads (JSON
 * lines or `Speaker: text` lines; lines: the file's 1-based line numbers, blank lines counted).
 */
export async function readTranscriptFile(file: string): Promise<{ record: MeetingRecord; timed: boolean; lineOf: (l: MemoryLine) => number }> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message}`);
  });
  const sessionId = path.resolve(file);
  if (/^\s*\{[^\n]*"type"\s*:\s*"session"/.test(text)) {
    const journal = await readJournal(file);
    const record = meetingRecordOf(journal);
    record.meeting = { ...record.meeting, sessionId };
    record.dictation = false; // named on the command line: searched, a dictation's too
    return { record, timed: true, lineOf: (l) => l.index };
  }
  const fileLines = text.split(/\r?\n/);
  const numbers = fileLines.flatMap((l, i) => (l.trim() ? [i + 1] : []));
  const spoken = parseTranscript(text, file);
  if (!spoken.length) throw new Error(`${file} holds no transcript lines`);
  const record: MeetingRecord = {
    meeting: { sessionId, title: path.basename(file), startedAt: '', notesPath: '', durationSec: null },
    segments: spoken.map((s, i) => ({ segmentId: `line-${numbers[i]}`, speaker: s.speaker ?? '', t0: s.t0 ?? 0, t1: s.t0 ?? 0, text: s.text })),
    actionItems: [],
    decisions: [],
  };
  return { record, timed: spoken.some((s) => s.t0 !== null), lineOf: (l) => numbers[l.index - 1] };
}
