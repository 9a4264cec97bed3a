/**
 * `@earshot` in VS Code's chat: questions about past meetings answered from the lines the daemon's memory retrieves,
 * by the chat's own model (the one the user picked for this request), each citation a link to the line; /todo,
 * /decisions and /recap. With no model (none, or it refuses or fails), the retrieved lines themselves, quoted and
 * linked. Meeting text reaches a model only through the chat request the user made, bounded (prompt.ts), and the
 * chat says what it sends before sending it. Owns the chat's answers, not the retrieval (the daemon) nor the
 * prompt's wording (prompt.ts).
 */
import * as vscode from 'vscode';
import type {
  MemoryDecisionsParams, MemoryDecisionsResult, MemoryMeeting, MemorySearchParams, MemorySearchResult, MemoryTodoParams, MemoryTodoResult,
  ModelListResult, SessionTranscriptResult,
} from '../../protocol/protocol';
import { lineLink, meetingOfNotes, transcriptLinkMarkdown, notesLineFinder } from './links';
import {
  AnswerEscaper, buildAnswerPrompt, buildRecapPrompt, CitationSplitter, CitedLine, clock, describeSent, escapeMarkdown, meetingDate, numberPassages, numberSegments,
} from './prompt';
import { CHAT_PASSAGES, inMeetingQuestion, mayNameMeeting, NARROW_MEETINGS, parseDecisionsQuery, pickMeeting, QuestionScope, questionScope, searchQuery } from './query';
import { todoSections } from './todo';
import { ACTION_ITEMS_VIEW_ID } from './actionItemsView';
import { WRITE_DECISION_RECORD_COMMAND, WriteDecisionRecordArgs } from '../decisions/adr';

export const CHAT_PARTICIPANT_ID = 'earshot.memory';
/** /decisions gives the first this many decisions a "Write as ADR" button each (the others: one button that picks). */
export const ADR_BUTTONS_MAX = 10;

/** What the participant asks the daemon (DaemonClient; a fake in unit tests). */
export interface MemoryClient {
  memorySearch(params: MemorySearchParams): Promise<MemorySearchResult>;
  memoryTodo(params: MemoryTodoParams): Promise<MemoryTodoResult>;
  memoryDecisions(params: MemoryDecisionsParams): Promise<MemoryDecisionsResult>;
  memoryMeetings(): Promise<MemoryMeeting[]>;
  transcript(sessionId: string): Promise<SessionTranscriptResult>;
  /** The catalogs (the chat offers memory's meaning model from it). */
  listModels(): Promise<Pick<ModelListResult, 'memory'>>;
}

/** The command that downloads memory's meaning model (commands/models.ts). */
export const DOWNLOAD_MEMORY_MODEL_COMMAND = 'earshot.downloadMemoryModel';

export interface MemoryChatDeps {
  client: MemoryClient;
  /** Who "me" is (settings.myNames). */
  myNames: () => string[];
  /** A notes file's text, undefined when it cannot be read (a recap links its lines there). */
  readText: (path: string) => Promise<string | undefined>;
  log: Pick<vscode.LogOutputChannel, 'warn'>;
  now?: () => Date;
  /** The active editor's document (the chat searches a meeting whose notes these are first). */
  openDocument?: () => vscode.Uri | undefined;
  /** The meeting under way (searched first when no meeting's notes are open). */
  liveMeeting?: () => Pick<MemoryMeeting, 'sessionId' | 'title' | 'startedAt'> | undefined;
}

/** What a request's result says (tests read it; VS Code keeps it with the turn). */
export interface MemoryChatMetadata {
  command: string;
  /** 'model': the chat's model answered; 'retrieval': the lines were shown instead (why in `noModel`). */
  answeredBy?: 'model' | 'retrieval';
  noModel?: string;
  cited?: number[];
  /** The meetings a question was searched in when it named them (questionScope), as the chat said. */
  scope?: { named: string; sessionIds: string[] };
  /** The meeting searched first: its notes were the active editor, or it was under way (the question named none, none was attached). */
  viewing?: string;
  /** A question that named no meeting and was answered from several: one follow-up per meeting offered (at most 3). */
  narrow?: { label: string; prompt: string }[];
  /** The meaning model's part in the search (as the daemon said), or 'offered': none downloaded, its download offered. */
  meaning?: MemorySearchResult['meaning'] | 'offered';
}

export class MemoryChat {
  /** The meaning model's download is offered once a window (under the first answer found by words alone). */
  private meaningOffered = false;

  constructor(private readonly deps: MemoryChatDeps) {}

  readonly handle = async (request: vscode.ChatRequest, _context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> => {
    const metadata: MemoryChatMetadata = { command: request.command ?? 'ask' };
    switch (request.command) {
      case 'todo': await this.todo(stream); break;
      case 'decisions': await this.decisions(request.prompt, stream); break;
      case 'recap': await this.recap(request, stream, token, metadata); break;
      default: await this.ask(request, stream, token, metadata);
    }
    return { metadata };
  };

  private async ask(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, token: vscode.CancellationToken, metadata: MemoryChatMetadata): Promise<void> {
    const question = request.prompt.trim();
    if (!question) {
      stream.markdown('Ask about your past meetings, e.g. *what did we decide about the login timeout?* Or try `/todo`, `/decisions last week`, `/recap yesterday`.');
      return;
    }
    stream.progress('Searching your meetings…');
    // Notes attached to the question (#file) scope it as a named meeting does; notes open in the editor lead it.
    const attached = (request.references ?? []).flatMap((r) => (r.value instanceof vscode.Uri ? [r.value] : r.value instanceof vscode.Location ? [r.value.uri] : []));
    const open = this.deps.openDocument?.();
    const named = mayNameMeeting(question);
    const meetings = named || attached.length || open?.path.toLowerCase().endsWith('.md') ? await this.deps.client.memoryMeetings() : [];
    const notesScope = attachedScope(attached, meetings);
    const asked = notesScope ? withoutReferences(request) : question;
    const scope = notesScope ?? (named ? questionScope(question, meetings, this.deps.now?.() ?? new Date()) : undefined);
    const sessionIds = this.sayScope(scope, stream, metadata);
    const notesOpen = !scope && open ? meetingOfNotes(open, meetings) : undefined;
    const live = !scope && !notesOpen ? this.deps.liveMeeting?.() : undefined;
    const viewing = notesOpen ?? live;
    if (viewing) {
      const why = notesOpen ? 'its notes are open' : 'it is under way';
      stream.markdown(`*Searching all your meetings, “${escapeMarkdown(viewing.title)}” (${meetingDate(viewing.startedAt)}) first: ${why}.*\n\n`);
      metadata.viewing = viewing.sessionId;
    }
    const found = await this.deps.client.memorySearch({
      query: searchQuery(scope?.searchText || asked), limit: CHAT_PASSAGES, ...(sessionIds ? { sessionIds } : {}), ...(viewing ? { viewing: viewing.sessionId } : {}),
    });
    const lines = numberPassages(found.passages);
    if (lines.length === 0) {
      stream.markdown(sessionIds ? `Nothing in ${sessionIds.length === 1 ? 'that meeting' : 'those meetings'} matches that.` : `Nothing in your ${found.sessions} meeting${found.sessions === 1 ? '' : 's'} matches that.`);
      return;
    }
    if (!sessionIds) metadata.narrow = narrowing(asked, found.passages.map((p) => p.meeting));
    const answered = await this.answerWithModel(request, buildAnswerPrompt(asked, lines), lines, 'to answer your question', stream, token, metadata);
    if (!answered && !token.isCancellationRequested) this.showLines(lines, stream, metadata, `The lines of your ${found.sessions} meetings that match, best first:`);
    if (!token.isCancellationRequested) await this.sayMeaning(found, stream, metadata);
  }

  /**
   * Under an answer: how far the meaning model has read the meetings, or why it was not used; with none downloaded,
   * once a window, a button to download it.
   */
  private async sayMeaning(found: MemorySearchResult, stream: vscode.ChatResponseStream, metadata: MemoryChatMetadata): Promise<void> {
    const meaning = found.meaning;
    if (meaning) {
      metadata.meaning = meaning;
      if (meaning.error) stream.markdown(`\n\n*Searched by words alone: ${escapeMarkdown(meaning.error)}.*`);
      else if (meaning.embedded < meaning.blocks) stream.markdown(`\n\n*The meeting search model has read ${meaning.embedded} of ${meaning.blocks} parts of your meetings so far: the others were searched by their words alone.*`);
      return;
    }
    if (this.meaningOffered) return;
    this.meaningOffered = true;
    const entry = (await this.deps.client.listModels().catch(() => undefined))?.memory?.models[0];
    if (!entry || entry.state === 'ready') return;
    stream.button({ command: DOWNLOAD_MEMORY_MODEL_COMMAND, title: `Also search by meaning (download ${Math.round(entry.bytes / 1_048_576)} MiB)` });
    metadata.meaning = 'offered';
  }

  /** Says which meetings a question that named some is searched in (or that none matched), and gives their ids. */
  private sayScope(scope: QuestionScope | undefined, stream: vscode.ChatResponseStream, metadata: MemoryChatMetadata): string[] | undefined {
    if (!scope) return undefined;
    if (!scope.meetings.length) {
      stream.markdown(`*No meeting ${escapeMarkdown(scope.named)}: searching all your meetings.*\n\n`);
      return undefined;
    }
    const [first] = scope.meetings;
    const which = scope.meetings.length === 1 ? `“${escapeMarkdown(first.title)}” (${meetingDate(first.startedAt)})` : `the ${scope.meetings.length} meetings ${escapeMarkdown(scope.named)}`;
    stream.markdown(`*Searching ${which} only.*\n\n`);
    metadata.scope = { named: scope.named, sessionIds: scope.meetings.map((m) => m.sessionId) };
    return metadata.scope.sessionIds;
  }

  /**
   * Sends the prompt (which carries `lines` and no other meeting text) to the request's model, first saying in the
   * chat how many lines of which meetings go to which model, and streams its answer, made inert as Markdown, with
   * citations as links. False when no model answered (none, it refused, it failed before a word): the caller shows
   * what it has instead.
   */
  private async answerWithModel(request: vscode.ChatRequest, prompt: string, lines: readonly CitedLine[], purpose: string, stream: vscode.ChatResponseStream, token: vscode.CancellationToken, metadata: MemoryChatMetadata): Promise<boolean> {
    const model = request.model as vscode.LanguageModelChat | undefined;
    if (!model) {
      metadata.noModel = 'no language model is selected';
      return false;
    }
    stream.markdown(`*Sending ${describeSent(lines, escapeMarkdown)} to ${escapeMarkdown(model.name || model.id)}.*\n\n`);
    let streamed = false;
    const cited = new Set<number>();
    try {
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], {
        justification: `Earshot sends ${describeSent(lines)} ${purpose}.`,
      }, token);
      const splitter = new CitationSplitter();
      const escaper = new AnswerEscaper();
      for await (const chunk of response.text) {
        for (const part of splitter.push(chunk)) streamed = this.emit(part, lines, stream, cited, escaper) || streamed;
      }
      for (const part of splitter.flush()) streamed = this.emit(part, lines, stream, cited, escaper) || streamed;
    } catch (e) {
      if (token.isCancellationRequested) return true;
      const reason = e instanceof Error ? e.message : String(e);
      this.deps.log.warn(`chat: the language model did not answer: ${reason}`);
      if (streamed) {
        stream.markdown(`\n\n*(The model stopped: ${escapeMarkdown(reason)})*`);
        return true;
      }
      metadata.noModel = reason;
      return false;
    }
    if (!streamed) {
      metadata.noModel = 'the model answered nothing';
      return false;
    }
    // The cited lines, listed under the answer too (VS Code shows references above it).
    for (const n of cited) {
      const c = lines[n - 1];
      const link = lineLink(c.meeting, c.line.notesLine, c.line.index);
      if (link.kind === 'notes') stream.reference(link.location);
    }
    metadata.answeredBy = 'model';
    metadata.cited = [...cited];
    return true;
  }

  /** One piece of the answer: text made inert, a citation as links to its lines. True when something was shown. */
  private emit(part: { text: string } | { cite: number[] }, lines: readonly CitedLine[], stream: vscode.ChatResponseStream, cited: Set<number>, escaper: AnswerEscaper): boolean {
    if ('text' in part) {
      if (part.text) stream.markdown(escaper.push(part.text));
      return part.text.length > 0;
    }
    for (const n of part.cite) {
      const c = lines[n - 1];
      if (!c) {
        stream.markdown(`\\[${n}\\]`); // a number the prompt never gave: shown as the model wrote it, not linked
        continue;
      }
      cited.add(n);
      this.link(c, `[${n}]`, stream);
    }
    return true;
  }

  private link(c: CitedLine, label: string, stream: vscode.ChatResponseStream): void {
    const link = lineLink(c.meeting, c.line.notesLine, c.line.index);
    if (link.kind === 'notes') stream.anchor(link.location, label);
    else stream.markdown(transcriptLinkMarkdown(label, link));
  }

  /** The retrieval-only answer: the lines quoted, each linked, grouped by meeting. */
  private showLines(lines: readonly CitedLine[], stream: vscode.ChatResponseStream, metadata: MemoryChatMetadata, heading: string): void {
    metadata.answeredBy = 'retrieval';
    stream.markdown(`*No language model answered (${escapeMarkdown(metadata.noModel ?? 'none')}).* ${heading}\n\n`);
    let meeting = '';
    for (const c of lines) {
      if (c.meeting.sessionId !== meeting) {
        meeting = c.meeting.sessionId;
        stream.markdown(`\n**${escapeMarkdown(c.meeting.title)}** · ${meetingDate(c.meeting.startedAt)}\n\n`);
      }
      const text = `${clock(c.line.t0)} ${escapeMarkdown(c.line.speaker)}: ${escapeMarkdown(c.line.text)}`;
      stream.markdown(`> ${c.line.hit ? `**${text}**` : text} `);
      this.link(c, `[${c.n}]`, stream);
      stream.markdown('\n\n');
    }
  }

  private async todo(stream: vscode.ChatResponseStream): Promise<void> {
    const { items } = await this.deps.client.memoryTodo({ owners: this.deps.myNames() });
    if (items.length === 0) stream.markdown('No open action items in your meetings.\n\n');
    for (const section of todoSections(items)) {
      stream.markdown(`### ${section.title}\n\n`);
      for (const group of section.groups) {
        stream.markdown(`**${escapeMarkdown(group.label)}**\n\n`);
        for (const i of group.items) {
          const owner = i.item.owner ? ` — ${escapeMarkdown(i.item.owner)}` : '';
          const due = i.item.due ? ` (due ${i.item.due})` : '';
          stream.markdown(`- ${escapeMarkdown(i.item.text)}${owner}${due} `);
          if (i.meeting.notesPath && i.notesLine) this.link({ n: 0, meeting: i.meeting, line: lineOf(i.notesLine) }, 'notes', stream);
          stream.markdown('\n');
        }
        stream.markdown('\n');
      }
    }
    stream.button({ command: `${ACTION_ITEMS_VIEW_ID}.focus`, title: 'Open the Action Items view' });
  }

  private async decisions(text: string, stream: vscode.ChatResponseStream): Promise<void> {
    const query = parseDecisionsQuery(text, this.deps.now?.() ?? new Date());
    const { decisions } = await this.deps.client.memoryDecisions(query);
    const range = [query.since && `since ${query.since}`, query.until && `until ${query.until}`, query.topic && `about “${escapeMarkdown(query.topic)}”`].filter(Boolean).join(', ');
    if (decisions.length === 0) {
      stream.markdown(`No decisions${range ? ` ${range}` : ''} in your meetings.`);
      return;
    }
    stream.markdown(`Decisions${range ? ` ${range}` : ''}:\n\n`);
    let meeting = '';
    for (const [n, d] of decisions.entries()) {
      if (d.meeting.sessionId !== meeting) {
        meeting = d.meeting.sessionId;
        stream.markdown(`\n**${escapeMarkdown(d.meeting.title)}** · ${meetingDate(d.meeting.startedAt)}\n\n`);
      }
      const kind = d.decision.kind === 'deferral' ? ' *(deferred)*' : d.decision.kind === 'negative' ? ' *(will not be done)*' : '';
      stream.markdown(`- ${escapeMarkdown(d.decision.text)}${kind} `);
      if (d.meeting.notesPath && d.notesLine) this.link({ n: 0, meeting: d.meeting, line: lineOf(d.notesLine) }, 'notes', stream);
      stream.markdown('\n');
      const args: WriteDecisionRecordArgs = { sessionId: d.meeting.sessionId, decisionId: d.decision.id };
      if (n < ADR_BUTTONS_MAX) stream.button({ command: WRITE_DECISION_RECORD_COMMAND, title: 'Write as ADR', arguments: [args] });
    }
    if (decisions.length > ADR_BUTTONS_MAX) stream.button({ command: WRITE_DECISION_RECORD_COMMAND, title: 'Write another decision as an ADR…' });
  }

  private async recap(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, token: vscode.CancellationToken, metadata: MemoryChatMetadata): Promise<void> {
    const meetings = await this.deps.client.memoryMeetings();
    const meeting = pickMeeting(meetings, request.prompt, this.deps.now?.() ?? new Date());
    if (!meeting) {
      stream.markdown(meetings.length === 0 ? 'No meetings recorded yet.' : `No meeting matches “${escapeMarkdown(request.prompt)}”. The latest: ${meetings.slice(0, 5).map((m) => `${escapeMarkdown(m.title)} (${meetingDate(m.startedAt)})`).join(', ')}.`);
      return;
    }
    stream.progress(`Reading ${meeting.title}…`);
    const transcript = await this.deps.client.transcript(meeting.sessionId);
    const notes = meeting.notesPath ? await this.deps.readText(meeting.notesPath) : undefined;
    // The notes split and normalized once for all the lines (not once per line: a long meeting froze the host).
    const notesLineOf = notes ? notesLineFinder(notes) : () => undefined;
    const lines = numberSegments(meeting, transcript.segments, notesLineOf);
    stream.markdown(`**${escapeMarkdown(meeting.title)}** · ${meetingDate(meeting.startedAt)}\n\n`);
    if (lines.length === 0) {
      stream.markdown('Nothing was transcribed in this meeting.');
      return;
    }
    const total = Math.max(transcript.segments.length, lines.length);
    if (await this.answerWithModel(request, buildRecapPrompt(meeting, lines, total), lines, 'for a recap of the meeting', stream, token, metadata)) return;
    if (token.isCancellationRequested) return;
    // No model: what the notes already hold.
    metadata.answeredBy = 'retrieval';
    stream.markdown(`*No language model answered (${escapeMarkdown(metadata.noModel ?? 'none')}); from the meeting's notes:*\n\n`);
    const bullets = transcript.summary?.bullets ?? [];
    if (bullets.length) stream.markdown(`Summary:\n${bullets.map((b) => `- ${escapeMarkdown(b)}`).join('\n')}\n\n`);
    const decisions = transcript.decisions.filter((d) => !d.removed);
    if (decisions.length) stream.markdown(`Decisions:\n${decisions.map((d) => `- ${escapeMarkdown(d.text)}`).join('\n')}\n\n`);
    const items = transcript.actionItems.filter((i) => !i.removed);
    if (items.length) stream.markdown(`Action items:\n${items.map((i) => `- [${i.done ? 'x' : ' '}] ${escapeMarkdown(i.text)}${i.owner ? ` — ${escapeMarkdown(i.owner)}` : ''}`).join('\n')}\n\n`);
    if (!bullets.length && !decisions.length && !items.length) stream.markdown('The notes have no summary, decisions or action items.');
  }
}

/** A notes line as a MemoryLine for linking (index 0: a notes entry has no transcript fallback of its own). */
function lineOf(notesLine: number): CitedLine['line'] {
  return { segmentId: '', index: 0, speaker: '', t0: 0, t1: 0, text: '', notesLine, hit: false };
}

/** The follow-ups a result offers: its question asked in one meeting alone (`narrow`). */
export function followupsOf(result: vscode.ChatResult): vscode.ChatFollowup[] {
  const narrow = (result.metadata as MemoryChatMetadata | undefined)?.narrow ?? [];
  return narrow.map((n) => ({ prompt: n.prompt, label: n.label }));
}

/**
 * For a question that named no meeting answered from several: asking it again in each of the first few alone, since a
 * question can fit several meetings (the same subject discussed again, or by another team) and only the asker knows
 * which one they meant (BENCHMARKS.md, issue 40: 112 of QMSum's 253 train and val questions are answered in another
 * meeting too).
 */
export function narrowing(question: string, found: readonly MemoryMeeting[]): { label: string; prompt: string }[] | undefined {
  const meetings: MemoryMeeting[] = [];
  for (const m of found) if (!meetings.some((x) => x.sessionId === m.sessionId)) meetings.push(m);
  if (meetings.length < 2) return undefined;
  const offers = meetings.slice(0, NARROW_MEETINGS).flatMap((m) => {
    const prompt = inMeetingQuestion(question, m);
    return prompt ? [{ label: `Only in “${m.title.trim()}” (${meetingDate(m.startedAt)})`, prompt }] : [];
  });
  return offers.length ? offers : undefined;
}

/** The meetings whose notes files are attached to a question, as a scope; undefined when none is. */
function attachedScope(attached: readonly vscode.Uri[], meetings: readonly MemoryMeeting[]): QuestionScope | undefined {
  const found: MemoryMeeting[] = [];
  for (const uri of attached) {
    const m = meetingOfNotes(uri, meetings);
    if (m && !found.includes(m)) found.push(m);
  }
  return found.length ? { meetings: found, named: found.length === 1 ? 'in the attached notes' : 'of the attached notes' } : undefined;
}

/** The question without the text of its references (#file:…), what is searched when attached notes scope it. */
function withoutReferences(request: vscode.ChatRequest): string {
  let text = request.prompt;
  for (const r of [...(request.references ?? [])].filter((x) => x.range).sort((a, b) => b.range![0] - a.range![0])) text = text.slice(0, r.range![0]) + ' ' + text.slice(r.range![1]);
  return text.replace(/\s+/g, ' ').trim() || request.prompt.trim();
}

/** Registers the participant (VS Code without the chat API: nothing, and the view still works). */
export function registerMemoryChat(chat: MemoryChat, extensionUri: vscode.Uri): vscode.Disposable | undefined {
  if (typeof vscode.chat?.createChatParticipant !== 'function') return undefined;
  const participant = vscode.chat.createChatParticipant(CHAT_PARTICIPANT_ID, chat.handle);
  participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'earshot.svg');
  participant.followupProvider = { provideFollowups: (result) => followupsOf(result) };
  return participant;
}
