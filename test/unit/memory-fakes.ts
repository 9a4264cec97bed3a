/**
 * Fakes for the meeting-memory unit tests (extension/memory/): stored meetings, a daemon client answering the
 * memory requests from them and recording what it was asked, a chat response stream that records what was shown,
 * and a chat model that records its prompt and streams a scripted answer (or throws).
 */
import type { ActionItem, MemoryDecisionsResult, MemoryLine, MemoryMeeting, MemoryPassage, MemoryTodoItem, SessionTranscriptResult } from '../../protocol/protocol';

export function meeting(n: number, over: Partial<MemoryMeeting> = {}): MemoryMeeting {
  return { sessionId: `s${n}`, title: `Meeting ${n}`, startedAt: `2026-11-0${n}T10:00:00`, notesPath: `/notes/meeting-${n}.md`, durationSec: 600, ...over };
}

export function line(index: number, text: string, over: Partial<MemoryLine> = {}): MemoryLine {
  return { segmentId: `seg${index}`, index, speaker: 'Alice', t0: 60 * index, t1: 60 * index + 5, text, hit: false, ...over };
}

export function passage(m: MemoryMeeting, lines: MemoryLine[]): MemoryPassage {
  return { meeting: m, score: 1, hit: { kind: 'segment', id: lines[0].segmentId, text: lines[0].text }, lines };
}

export function todoItem(m: MemoryMeeting, id: string, text: string, owner: string | null, mine: boolean, notesLine?: number): MemoryTodoItem {
  const item: ActionItem = { sessionId: m.sessionId, id, revision: 1, text, owner, due: null, duePhrase: null, segmentId: 'seg1', t0: 3 };
  return { meeting: m, item, mine, ...(notesLine ? { notesLine } : {}) };
}

/** A daemon client answering from fixed data; `calls` records each request and its params. */
export class FakeMemoryClient {
  calls: { method: string; params: unknown }[] = [];
  passages: MemoryPassage[] = [];
  todo: MemoryTodoItem[] = [];
  meetings: MemoryMeeting[] = [];
  transcripts = new Map<string, SessionTranscriptResult>();
  failWith: Error | undefined;

  private record(method: string, params: unknown): void {
    this.calls.push({ method, params });
    if (this.failWith) throw this.failWith;
  }
  async memorySearch(params: { query: string }) {
    this.record('search', params);
    // As the daemon's params check (service/memory.ts).
    if (params.query.length > 2000) throw new Error('Invalid params: memory/search.query is longer than 2000 characters');
    return { passages: this.passages, sessions: 3, segments: 40 };
  }
  async memoryTodo(params: { owners?: string[] }) {
    this.record('todo', params);
    return { items: this.todo.filter((i) => !i.item.done) };
  }
  decisions: MemoryDecisionsResult['decisions'] = [];
  async memoryDecisions(params: unknown) { this.record('decisions', params); return { decisions: this.decisions }; }
  async memoryMeetings() { this.record('meetings', {}); return this.meetings; }
  /** Memory's meaning model as the daemon lists it (undefined: a daemon without one). */
  memoryModel: { id: string; name: string; file: string; bytes: number; sha256: string; licence: string; note: string; state: 'ready' | 'missing' | 'partial' | 'corrupt' } | undefined;
  modelLists = 0;
  async listModels() { this.modelLists++; return { memory: this.memoryModel ? { cacheDir: '/cache/memory', models: [this.memoryModel] } : undefined }; }
  async transcript(sessionId: string) { this.record('transcript', sessionId); return this.transcripts.get(sessionId)!; }
  async setActionItemDone(sessionId: string, id: string, done: boolean): Promise<ActionItem> {
    this.record('setDone', { sessionId, id, done });
    const found = this.todo.find((i) => i.item.sessionId === sessionId && i.item.id === id)!;
    found.item = { ...found.item, done, revision: found.item.revision + 1 };
    return found.item;
  }
}

/** A part the participant streamed. */
export type StreamPart =
  | { kind: 'markdown'; value: string; trusted?: unknown }
  | { kind: 'anchor'; uri: string; line: number; title?: string }
  | { kind: 'reference'; uri: string; line: number }
  | { kind: 'button'; command: string; args?: unknown[] }
  | { kind: 'progress'; value: string };

type StubLocation = { uri: { toString(): string }; range: { line: number } };

export class RecordingStream {
  parts: StreamPart[] = [];
  markdown(value: string | { value: string; isTrusted?: unknown }): void {
    this.parts.push(typeof value === 'string' ? { kind: 'markdown', value } : { kind: 'markdown', value: value.value, trusted: value.isTrusted });
  }
  anchor(value: StubLocation, title?: string): void { this.parts.push({ kind: 'anchor', uri: value.uri.toString(), line: value.range.line, title }); }
  reference(value: StubLocation): void { this.parts.push({ kind: 'reference', uri: value.uri.toString(), line: value.range.line }); }
  button(command: { command: string; title?: string; arguments?: unknown[] }): void { this.parts.push({ kind: 'button', command: command.command, ...(command.arguments ? { args: command.arguments } : {}) }); }
  progress(value: string): void { this.parts.push({ kind: 'progress', value }); }
  /** Everything shown as text (anchors as their titles). */
  get text(): string {
    return this.parts.map((p) => (p.kind === 'markdown' ? p.value : p.kind === 'anchor' ? p.title ?? '' : '')).join('');
  }
}

/**
 * A chat model: records each prompt and its justification; answers `answer` in chunks of `chunk` characters (or
 * the given parts), or throws `error`. `onSend` runs as a request is sent (before the answer).
 */
export function fakeModel(answer: string | string[], options: { chunk?: number; error?: Error; onSend?: () => void } = {}) {
  const prompts: string[] = [];
  const justifications: (string | undefined)[] = [];
  return {
    prompts,
    justifications,
    model: {
      id: 'fake', vendor: 'test', family: 'fake', name: 'Fake Model',
      async sendRequest(messages: { text: string }[], requestOptions?: { justification?: string }) {
        prompts.push(messages.map((m) => m.text).join('\n'));
        justifications.push(requestOptions?.justification);
        options.onSend?.();
        if (options.error) throw options.error;
        const size = options.chunk ?? 5;
        const parts = typeof answer === 'string' ? Array.from({ length: Math.ceil(answer.length / size) }, (_, i) => answer.slice(i * size, (i + 1) * size)) : answer;
        return { text: (async function* () { yield* parts; })() };
      },
    },
  };
}

export const noCancel = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
