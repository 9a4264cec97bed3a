/**
 * `earshot ask` (questions over the stored meetings, or over transcript files, answered with the lines that say it,
 * or by an OpenAI-compatible model citing them) and `earshot todo` (open action items across the stored meetings).
 *
 * Owns the two commands' flags, the question's prompt and their output (text from a file or a model printed inert:
 * common.ts). Ranking is memory/memoryIndex.ts's; reading a transcript is notes.ts's parseTranscript. Must not write
 * anything: the journals and notes are only read.
 */
import { constants, promises as fs, Stats } from 'node:fs';
import * as path from 'node:path';
import { MemoryLine, MemoryMeeting } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { defaultStorageDir } from '../config';
import { parseJournal } from '../journal/journal';
import { ASK_SYSTEM, askUserPrompt, citedNumbers, promptLines } from '../memory/askPrompt';
import { byMeaning, citedSearch, MeetingFile, meetingsAsked, NoSuchMeeting, storedFiles } from '../memory/askSearch';
import { meetingRecordOf } from '../memory/meetingRecord';
import { idleReadingThreads, MeaningSearch } from '../memory/meaningSearch';
import { MAX_LIMIT, MeetingRecord, MemoryIndex, SemanticQuery } from '../memory/memoryIndex';
import { defaultCacheDir } from '../models/modelCache';
import { StoredMemory } from '../memory/storedMemory';
import { openAiCompatibleChat } from '../understanding/providers';
import { args, inert, Io, jsonLine, UsageError } from './common';
import { llmSettings, parseTranscript } from './notes';

export async function ask(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'ask');
  for (const flag of ['since', 'until'] as const) {
    const day = values[flag];
    if (day !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) throw new UsageError(`--${flag} takes a date as YYYY-MM-DD, not "${day}"`);
  }
  // `--over a.txt b.txt` leaves b.txt a positional: a question of several words unquoted, or a second file without its --over.
  if (positionals.length > 1 && values.over?.length) throw new UsageError('ask takes one question (in quotes), and each transcript with its own --over FILE');
  if (positionals.length !== 1 || !positionals[0].trim()) throw new UsageError('ask takes one question (in quotes)');
  const question = positionals[0].trim();
  const limit = values.limit === undefined ? 5 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  const llm = values['llm-endpoint'] ? llmSettings(values['llm-endpoint'], values['llm-model'], values['llm-allow-remote']) : undefined;

  let index: MemoryIndex;
  let fileOf: Map<string, MeetingFile>;
  if (values.over?.length) {
    ({ index, files: fileOf } = await transcriptMemory(values.over));
  } else {
    const storageDir = defaultStorageDir();
    index = await new StoredMemory(storageDir).sync();
    fileOf = storedFiles(storageDir, index);
    if (!index.sessionCount) io.err(`earshot: no stored meetings in ${storageDir} (EARSHOT_STORAGE); ask over transcript files with --over FILE`);
  }
  const sessionIds = asked(() => meetingsAsked(index, values.meeting ?? [], values.since, values.until));
  if (sessionIds?.length === 0) io.err(`earshot: no meeting started${values.since ? ` since ${values.since}` : ''}${values.until ? ` until ${values.until}` : ''}`);
  const sessionsDir = values.over?.length ? undefined : path.join(defaultStorageDir(), 'sessions');
  const semantic = sessionIds?.length === 0 || values['words-only'] ? undefined
    : await askMeaning(index, question, values['cache-dir'] ?? defaultCacheDir(defaultStorageDir()), sessionsDir, io);
  const numbered = citedSearch(index, { query: question, limit, sessionIds }, semantic, fileOf).cited;

  let answer: string | null = null;
  let cited = numbered;
  if (llm && numbered.length) {
    // The question and these lines (the best ranked, as many as a prompt holds) go to the endpoint the user named;
    // progress on stderr carries no text.
    const sent = promptLines(numbered.map((c) => ({ ...c, meeting: meetingName(c.meeting) })));
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
    io.out(jsonLine({ answer, cited: cited.map(({ file, line, t0, speaker, text }) => ({ file, line, t0, speaker, text })) }));
    return 0;
  }
  if (answer !== null) io.out(inert(answer, { lines: true }) + (cited.length ? '\n' : ''));
  if (!numbered.length) {
    if (answer === null) io.out('Nothing in the meetings matches the question.');
    return 0;
  }
  let last = '';
  numbered.forEach((c, i) => {
    if (!cited.includes(c)) return;
    const name = meetingName(c.meeting);
    if (name !== last) io.out(`${last ? '\n' : ''}${inert(name)} — ${inert(c.file)}`);
    last = name;
    io.out(`  [${i + 1}] line ${c.line}, ${c.t0 === null ? '' : `${clock(c.t0)} `}${inert(c.speaker) || '?'}: ${inert(c.text)}`);
  });
  return 0;
}

/**
 * The meaning model's part in the search when the user has downloaded it (askSearch.ts byMeaning): loaded for this
 * one question, then closed; progress and failures on stderr, without any text.
 */
async function askMeaning(index: MemoryIndex, question: string, cacheDir: string, sessionsDir: string | undefined, io: Io): Promise<SemanticQuery | undefined> {
  const meaning = new MeaningSearch(() => cacheDir, (message) => io.err(`earshot: ${message}; searching by words alone`), {
    sessionsDir, onNotKept: (message) => io.err(`earshot: ${message}; the next ask reads those meetings again`),
    // The user waits for this reading: the threads a daemon gives it while no meeting records.
    threads: () => idleReadingThreads(),
  });
  try {
    return await byMeaning(meaning, index, question, (message) => io.err(`earshot: ${message}`));
  } finally {
    await meaning.dispose();
  }
}

/** A --meeting that names none is a usage error (its message names it and the latest titles). */
function asked<T>(choose: () => T): T {
  try {
    return choose();
  } catch (e) {
    throw e instanceof NoSuchMeeting ? new UsageError(e.message) : e;
  }
}

export async function todo(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'todo');
  if (positionals.length) throw new UsageError('todo takes no arguments (names go with --mine)');
  const mine = values.mine ?? [];
  if (mine.some((n) => !n.trim())) throw new UsageError('--mine needs a name');
  const index = await new StoredMemory(defaultStorageDir()).sync();
  const items = index.todo(mine).filter((i) => !mine.length || i.mine);
  if (values.json) {
    io.out(jsonLine({ items }));
    return 0;
  }
  if (!items.length) io.out(mine.length ? 'No open action items for those names.' : 'No open action items.');
  let last = '';
  for (const { meeting, item, notesLine } of items) {
    const name = inert(`${meeting.title} (${meeting.startedAt.slice(0, 10)})`);
    if (name !== last) io.out(`${last ? '\n' : ''}${name}${meeting.notesPath ? ` — ${inert(meeting.notesPath)}${notesLine ? `:${notesLine}` : ''}` : ''}`);
    last = name;
    io.out(`  - [ ] ${inert(item.text)}${item.owner ? ` — @${inert(item.owner)}` : ''}${item.due ? `, due ${inert(item.due)}` : ''} (${clock(item.t0)})`);
  }
  return 0;
}

function meetingName(m: MemoryMeeting): string {
  return m.startedAt ? `${m.title} (${m.startedAt.slice(0, 10)})` : m.title;
}

/** Transcript files (`--over`) as memory: one meeting each, its lines cited in its file. */
export async function transcriptMemory(files: readonly string[]): Promise<{ index: MemoryIndex; files: Map<string, MeetingFile> }> {
  const index = new MemoryIndex();
  const where = new Map<string, MeetingFile>();
  for (const file of files) {
    const { record, timed, lineOf } = await readTranscriptFile(file);
    index.put(record);
    where.set(record.meeting.sessionId, { file: path.resolve(file), timed, lineOf });
  }
  return { index, files: where };
}

/** The largest file `ask --over` reads: hundreds of hours of speech as text; anything bigger is not a transcript. */
export const MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024;

/**
 * A transcript file as one meeting: a session journal (lines: segment indexes), or what `earshot notes` reads (JSON
 * lines or `Speaker: text` lines; lines: the file's 1-based line numbers, blank lines counted).
 */
export async function readTranscriptFile(file: string): Promise<{ record: MeetingRecord; timed: boolean; lineOf: (l: MemoryLine) => number }> {
  const text = await readTranscriptText(file);
  const sessionId = path.resolve(file);
  if (/^\s*\{[^\n]*"type"\s*:\s*"session"/.test(text)) {
    const record = meetingRecordOf(parseJournal(text, file));
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

/**
 * A regular file's text, at most MAX_TRANSCRIPT_BYTES. Anything else is refused before it is opened: a FIFO would block
 * the command forever, a device (/dev/zero) never ends. What was opened is checked again (the path may have been
 * replaced meanwhile; O_NONBLOCK: a FIFO put there does not block the open), and the read stops at the cap.
 */
async function readTranscriptText(file: string): Promise<string> {
  const cannot = (why: string) => new Error(`cannot read ${file}: ${why}`);
  const tooBig = () => cannot(`it is larger than ${MAX_TRANSCRIPT_BYTES / 2 ** 20} MB, more than a transcript holds`);
  const check = (stat: Stats) => {
    if (stat.isDirectory()) throw cannot('it is a folder');
    if (!stat.isFile()) throw cannot(`it is ${stat.isFIFO() ? 'a pipe (FIFO)' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : stat.isSocket() ? 'a socket' : 'not a regular file'}, not a transcript file`);
    if (stat.size > MAX_TRANSCRIPT_BYTES) throw tooBig();
  };
  const failed = (e: NodeJS.ErrnoException) => cannot(e.code === 'ENOENT' ? 'no such file' : e.message);
  check(await fs.stat(file).catch((e: NodeJS.ErrnoException) => { throw failed(e); }));
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: NodeJS.ErrnoException) => { throw failed(e); });
  try {
    const opened = await handle.stat();
    check(opened);
    // A small file in one read (and one more to see its end), a large one by the MiB.
    const chunk = Math.min(opened.size + 1, 1 << 20);
    const chunks: Buffer[] = [];
    let total = 0;
    // Bounded: each pass reads at least one byte, and the total is capped (a file growing while it is read included).
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(chunk), 0, chunk, null);
      if (!bytesRead) break;
      total += bytesRead;
      if (total > MAX_TRANSCRIPT_BYTES) throw tooBig();
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}
