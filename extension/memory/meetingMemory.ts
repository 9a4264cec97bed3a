// extension/memory/: meeting memory in the editor: the @earshot chat participant (chatParticipant.ts, prompt.ts,
// query.ts), the Action Items view (actionItemsView.ts, todo.ts), links into notes and transcripts (links.ts), and the
// tools for VS Code's agent mode (agentTools.ts, mcpServer.ts), wired in meetingMemory.ts. Imports client/, settings/
// and remote/.
/**
 * Meeting memory in the editor, wired: the @earshot chat participant, the Action Items view and the agent tools over
 * the daemon client, what refreshes the view (the memory changed, an item changed, "my names" changed), and what the
 * view's commands do. commands/memory.ts registers the commands (one line each); extension.ts disposes this with the extension.
 */
import * as vscode from 'vscode';
import type { DaemonClient } from '../client/client';
import { EarshotSettings } from '../settings/settings';
import { ACTION_ITEMS_VIEW_ID, ActionItemsNode, ActionItemsView, GROUPING_CONTEXT_KEY, todoInsertion } from './actionItemsView';
import { MemoryChat, registerMemoryChat } from './chatParticipant';
import { openNotesAt, openSessionTranscript } from './links';
import { MeetingTool, registerAgentTools, ToolRegistrar } from './agentTools';
import { connectCodingAgent } from './connectAgent';
import { EarshotMcpProvider, extensionMcpLaunch, McpApi, McpLaunch, MCP_SETTING, registerMcpServer } from './mcpServer';
import { shellFor } from './shellQuote';

/** A live meeting revises its items often: one refresh for a burst. */
const ITEM_BURST_MS = 1000;

export class MeetingMemory implements vscode.Disposable {
  readonly actionItems: ActionItemsView;
  readonly chat: MemoryChat;
  readonly participantRegistered: boolean;
  /** The agent tools registered as Language Model Tools (none where VS Code lacks the API). */
  readonly agentTools: readonly MeetingTool[];
  /** `earshot mcp` offered to VS Code's MCP support; undefined where VS Code lacks the API (before 1.101). */
  readonly mcpServer: EarshotMcpProvider | undefined;
  /** How `earshot mcp` runs from this extension: VS Code's MCP definition and the agents' copied configurations. */
  readonly mcpLaunch: McpLaunch;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(context: vscode.ExtensionContext, private readonly client: DaemonClient, output: vscode.LogOutputChannel) {
    const myNames = () => EarshotSettings.read().myNames;
    this.actionItems = new ActionItemsView(client, myNames, context.globalState, output);
    const tree = vscode.window.createTreeView(ACTION_ITEMS_VIEW_ID, { treeDataProvider: this.actionItems, showCollapseAll: true });
    this.chat = new MemoryChat({
      client, myNames, log: output, openDocument: () => vscode.window.activeTextEditor?.document.uri, liveMeeting: () => client.liveMeeting,
      readText: async (file) => Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8'),
    });
    const participant = registerMemoryChat(this.chat, context.extensionUri);
    this.participantRegistered = !!participant;
    // Agent mode: the tools as Language Model Tools, and `earshot mcp` for VS Code's MCP support (mcpServer.ts: one or
    // the other is shown, by a setting).
    const tools = registerAgentTools(vscode.lm as ToolRegistrar, { client, myNames });
    this.agentTools = tools.tools;
    this.mcpLaunch = extensionMcpLaunch(context, myNames, () => EarshotSettings.read().modelCacheDir);
    const mcp = registerMcpServer(vscode as unknown as McpApi, this.mcpLaunch, () => EarshotSettings.read().agentToolsMcpServer);
    this.mcpServer = mcp?.provider;
    this.disposables.push(...tools.disposables, ...(mcp?.disposables ?? []));
    void vscode.commands.executeCommand('setContext', GROUPING_CONTEXT_KEY, this.actionItems.grouping);
    this.disposables.push(this.actionItems, tree, ...(participant ? [participant] : []),
      this.actionItems.onDidLoad(() => { tree.message = this.actionItems.error && `Could not list action items: ${this.actionItems.error}`; }),
      client.onMemoryChanged(() => this.refreshSoon(0)),
      client.onActionItem(() => this.refreshSoon(ITEM_BURST_MS)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('earshot.memory.myNames') || e.affectsConfiguration('earshot.speakers.microphone')) this.refreshSoon(0);
      }),
    );
  }

  private refreshSoon(delayMs: number): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.actionItems.refresh(), delayMs);
  }

  /** Opens the item's notes file at its line, or the session's transcript when the notes lack it. */
  async revealInNotes(node?: ActionItemsNode): Promise<vscode.TextEditor | undefined> {
    if (node?.kind !== 'item') return undefined;
    const { meeting, notesLine } = node.item;
    return meeting.notesPath && notesLine ? openNotesAt(meeting.notesPath, notesLine) : openSessionTranscript(this.client, meeting.sessionId);
  }

  /** Inserts the item as a TODO comment at the active editor's cursor. */
  async insertAsTodo(node?: ActionItemsNode): Promise<boolean | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (node?.kind !== 'item') return undefined;
    if (!editor) {
      void vscode.window.showInformationMessage('Earshot: open a file and place the cursor where the TODO goes.');
      return undefined;
    }
    const { at, text } = todoInsertion(editor, node.item);
    return editor.edit((e) => e.insert(at, text));
  }

  /** Earshot: Connect a Coding Agent (MCP)…: copies the agent's configuration for `earshot mcp` (connectAgent.ts). */
  connectCodingAgent(): Promise<string | undefined> {
    const setting = MCP_SETTING.slice('earshot.'.length);
    return connectCodingAgent(this.mcpLaunch, shellFor(process.platform, vscode.env.shell), {
      pick: async (items) => (await vscode.window.showQuickPick(items, { title: 'Earshot: Connect a Coding Agent (MCP)', placeHolder: 'Which agent reads your meetings?' }))?.target,
      copy: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
      info: (message, ...buttons) => Promise.resolve(vscode.window.showInformationMessage(message, ...buttons)),
      warn: async (message) => { await vscode.window.showWarningMessage(message); },
      mcpServerSetting: {
        get: () => EarshotSettings.read().agentToolsMcpServer,
        // Where it is set for this workspace, there: a user setting would change nothing.
        set: (on) => {
          const config = vscode.workspace.getConfiguration('earshot');
          const target = config.inspect(setting)?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
          return Promise.resolve(config.update(setting, on, target));
        },
      },
      vscodeHasMcp: !!this.mcpServer,
    });
  }

  openTranscript(sessionId: string, index?: number): Promise<vscode.TextEditor> {
    return openSessionTranscript(this.client, sessionId, index);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}
