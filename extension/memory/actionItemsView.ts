/**
 * The "Action Items" tree view in the Earshot container: the open action items of every stored meeting (the
 * daemon's earshot/memory/todo), grouped by meeting or by owner, yours marked; its actions Mark Done (the daemon
 * ticks the notes file), Reveal in Notes and Insert as TODO. Refreshes when the memory or an item changes. Owns the
 * view's tree, not the commands' registration (commands/memory.ts).
 */
import * as vscode from 'vscode';
import type { ActionItem, MemoryTodoItem, MemoryTodoParams, MemoryTodoResult } from '../../protocol/protocol';
import { Grouping, groupTodo, TodoGroup, todoComment } from './todo';
import { meetingDate } from './prompt';

export const ACTION_ITEMS_VIEW_ID = 'earshot.actionItems';
/** The context key the title bar's grouping toggle reads. */
export const GROUPING_CONTEXT_KEY = 'earshot.actionItemsGrouping';
const GROUPING_STATE_KEY = 'earshot.actionItems.grouping';

export type ActionItemsNode = { kind: 'group'; group: TodoGroup } | { kind: 'item'; item: MemoryTodoItem };

export interface ActionItemsClient {
  memoryTodo(params: MemoryTodoParams): Promise<MemoryTodoResult>;
  setActionItemDone(sessionId: string, id: string, done: boolean): Promise<ActionItem>;
}

export class ActionItemsView implements vscode.TreeDataProvider<ActionItemsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ActionItemsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loadedEmitter = new vscode.EventEmitter<void>();
  /** Fired after each load (the view's message shows `error`). */
  readonly onDidLoad = this.loadedEmitter.event;
  private items: MemoryTodoItem[] = [];
  private loaded: Promise<void> | undefined;
  /** Why the last load failed (shown as the view's message), e.g. a daemon without meeting memory. */
  error: string | undefined;
  private groupingNow: Grouping;

  constructor(
    private readonly client: ActionItemsClient,
    private readonly myNames: () => string[],
    private readonly state: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly log: Pick<vscode.LogOutputChannel, 'warn'>,
  ) {
    this.groupingNow = state.get<Grouping>(GROUPING_STATE_KEY) === 'owner' ? 'owner' : 'meeting';
  }

  get grouping(): Grouping {
    return this.groupingNow;
  }

  /** The items shown (after the last load). */
  get current(): readonly MemoryTodoItem[] {
    return this.items;
  }

  async setGrouping(by: Grouping): Promise<void> {
    this.groupingNow = by;
    await this.state.update(GROUPING_STATE_KEY, by);
    void vscode.commands.executeCommand('setContext', GROUPING_CONTEXT_KEY, by);
    this.changed.fire(undefined);
  }

  /** Loads the items again and redraws; resolves when loaded. */
  refresh(): Promise<void> {
    this.loaded = this.load();
    this.changed.fire(undefined);
    return this.loaded;
  }

  private async load(): Promise<void> {
    try {
      this.items = (await this.client.memoryTodo({ owners: this.myNames() })).items;
      this.error = undefined;
    } catch (e) {
      this.items = [];
      this.error = e instanceof Error ? e.message : String(e);
      this.log.warn(`action items: ${this.error}`);
    }
    this.loadedEmitter.fire();
  }

  async getChildren(node?: ActionItemsNode): Promise<ActionItemsNode[]> {
    if (node?.kind === 'item') return [];
    if (node?.kind === 'group') return node.group.items.map((item) => ({ kind: 'item', item }));
    await (this.loaded ??= this.load());
    return groupTodo(this.items, this.groupingNow).map((group) => ({ kind: 'group', group }));
  }

  getTreeItem(node: ActionItemsNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const t = new vscode.TreeItem(node.group.label, vscode.TreeItemCollapsibleState.Expanded);
      t.description = `${node.group.items.length}`;
      t.iconPath = new vscode.ThemeIcon(node.group.meeting ? 'calendar' : 'person');
      t.contextValue = 'earshot.actionItemGroup';
      return t;
    }
    const { item, meeting, mine } = node.item;
    const t = new vscode.TreeItem(item.text, vscode.TreeItemCollapsibleState.None);
    const where = this.groupingNow === 'meeting' ? item.owner ?? '' : `${meeting.title} · ${meetingDate(meeting.startedAt)}`;
    t.description = [mine ? 'mine' : '', where, item.due ? `due ${item.due}` : ''].filter((s) => s).join(' · ');
    t.tooltip = `${item.text}\n${item.owner ? `Owner: ${item.owner}\n` : ''}${item.due ? `Due: ${item.due}${item.duePhrase ? ` (“${item.duePhrase}”)` : ''}\n` : ''}${meeting.title}, ${meetingDate(meeting.startedAt)}`;
    t.iconPath = new vscode.ThemeIcon(mine ? 'account' : 'circle-large-outline');
    t.contextValue = 'earshot.actionItem';
    t.id = `${item.sessionId}/${item.id}`;
    if (meeting.notesPath && node.item.notesLine) t.command = { command: 'earshot.actionItems.revealInNotes', title: 'Reveal in Notes', arguments: [node] };
    return t;
  }

  dispose(): void {
    this.changed.dispose();
    this.loadedEmitter.dispose();
  }

  /** Ticks the item: the daemon journals it and rewrites the notes' `- [x]`; the view drops it. */
  async markDone(node: ActionItemsNode | undefined): Promise<ActionItem | undefined> {
    if (node?.kind !== 'item') return undefined;
    const done = await this.client.setActionItemDone(node.item.item.sessionId, node.item.item.id, true);
    await this.refresh();
    return done;
  }
}

/** The TODO line for an item at the editor's cursor, indented as the cursor's line. */
export function todoInsertion(editor: Pick<vscode.TextEditor, 'document' | 'selection'>, item: MemoryTodoItem): { at: vscode.Position; text: string } {
  const line = editor.document.lineAt(editor.selection.active.line);
  const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
  const comment = todoComment(editor.document.languageId, item);
  // On an empty line the comment fills it; otherwise it goes on a new line above the cursor's, so code is not split.
  if (line.isEmptyOrWhitespace) return { at: new vscode.Position(line.lineNumber, line.text.length), text: comment };
  return { at: new vscode.Position(line.lineNumber, 0), text: `${indent}${comment}\n` };
}
