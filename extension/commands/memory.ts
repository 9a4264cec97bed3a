/**
 * The meeting-memory commands (memory/meetingMemory.ts does what each asks): the Action Items view's refresh, grouping,
 * mark done, reveal in notes and insert as TODO, opening a session's transcript at a line, the meetings' CodeLens on code,
 * and writing a decision as an ADR (decisions/decisionRecords.ts).
 */
import type { CodeMeetings } from '../code/codeLens';
import type { LineTarget } from '../code/meetingsOfCode';
import type { WriteDecisionRecordArgs } from '../decisions/adr';
import type { DecisionRecords } from '../decisions/decisionRecords';
import type { ActionItemsNode } from '../memory/actionItemsView';
import type { MeetingMemory } from '../memory/meetingMemory';
import type { RegisterCommand } from './registry';

export function registerMemoryCommands(command: RegisterCommand, memory: MeetingMemory, codeMeetings: CodeMeetings): void {
  command('earshot.actionItems.refresh', async () => memory.actionItems.refresh());
  command('earshot.actionItems.groupByOwner', async () => memory.actionItems.setGrouping('owner'));
  command('earshot.actionItems.groupByMeeting', async () => memory.actionItems.setGrouping('meeting'));
  command('earshot.actionItems.markDone', async (node?: ActionItemsNode) => memory.actionItems.markDone(node));
  command('earshot.actionItems.revealInNotes', async (node?: ActionItemsNode) => memory.revealInNotes(node));
  command('earshot.actionItems.insertAsTodo', async (node?: ActionItemsNode) => memory.insertAsTodo(node));
  command('earshot.connectCodingAgent', async () => memory.connectCodingAgent());
  command('earshot.openSessionTranscript', async (sessionId: string, index?: number) => memory.openTranscript(sessionId, index));
  // The meetings' CodeLens (a quick pick of a file's or symbol's meeting lines) and its hover's links (code/codeLens.ts).
  command('earshot.codeMeetings.show', async (uri?: string, symbol?: string) => codeMeetings.show(uri, symbol));
  command('earshot.codeMeetings.openLine', async (target: LineTarget) => codeMeetings.open(target));
}

export function registerDecisionRecordCommand(command: RegisterCommand, records: DecisionRecords): void {
  // decisions/adr.ts's WRITE_DECISION_RECORD_COMMAND (the literal here: the manifest test finds each registration).
  command('earshot.writeDecisionRecord', async (args?: Partial<WriteDecisionRecordArgs>) => records.write(args));
}
