/**
 * `earshot mcp` offered to VS Code's own MCP support (`contributes.mcpServerDefinitionProviders`): the same tools as
 * agentTools.ts, over the Model Context Protocol, run by the node and storage this window's daemon uses.
 *
 * Offered only when `earshot.agentTools.mcpServer` is on, and then the Language Model Tools are hidden (their `when` in
 * package.json): agent mode lists MCP tools and extension tools side by side, so both at once would show every Earshot
 * tool twice and let the agent ask twice (VS Code 1.139 applies a tool's `when` to agent mode's list,
 * LanguageModelToolsService.getTools, though `vscode.lm.tools` lists all). The Language Model Tools are the default:
 * they work from VS Code 1.95, and their confirmation says what leaves for the model, where VS Code runs an MCP tool
 * marked read-only (ours are: readOnlyHint) without asking (1.139 workbench.js, McpToolImplementation
 * prepareToolInvocation: a confirmation title only when `!annotations.readOnlyHint`); the MCP server is there for those
 * who manage their tools as MCP servers (start, stop, per-tool enablement in VS Code's MCP views).
 *
 * The API is newer than our engines.vscode floor (1.95): declared here, as far as used, from @types/vscode 1.101
 * index.d.ts (`McpStdioServerDefinition` at line 20228, then `McpServerDefinitionProvider` and
 * `lm.registerMcpServerDefinitionProvider`; finalized in VS Code 1.101, microsoft/vscode#243522; code-server 4.139.1's
 * extension host exposes `lm.registerMcpServerDefinitionProvider` without a proposal check), and used only where the
 * running VS Code has it.
 */
import * as vscode from 'vscode';
import { McpLaunch, mcpServerCommand } from './mcpCommand';

export { McpLaunch, mcpServerCommand };

/** package.json's `contributes.mcpServerDefinitionProviders[].id`. */
export const MCP_PROVIDER_ID = 'earshot.meetings';
export const MCP_SERVER_LABEL = 'Earshot meetings';
export const MCP_SETTING = 'earshot.agentTools.mcpServer';

/** vscode.McpStdioServerDefinition (1.101): a server VS Code spawns from the extension host, speaking on stdio. */
export interface McpStdioServerDefinition {
  readonly label: string;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
}
type McpStdioServerDefinitionClass = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioServerDefinition;

export interface McpServerDefinitionProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition[]>;
}

/** What of the `vscode` module this needs: absent members mean a VS Code before 1.101. */
export interface McpApi {
  lm?: { registerMcpServerDefinitionProvider?: (id: string, provider: McpServerDefinitionProvider) => vscode.Disposable };
  McpStdioServerDefinition?: McpStdioServerDefinitionClass;
}

/** This extension's launch, as the MCP definition and the copied agent configurations (connectAgent.ts) run it. */
export function extensionMcpLaunch(context: vscode.ExtensionContext, owners: () => string[], cacheDir: () => string | undefined): McpLaunch {
  return {
    cli: context.asAbsolutePath('bin/earshot.js'), storageDir: context.globalStorageUri.fsPath, version: String(context.extension.packageJSON.version),
    owners, cacheDir,
  };
}

/** Settings the definition is made of: VS Code is told it changed when one does. */
const DEFINITION_SETTINGS = [MCP_SETTING, 'earshot.memory.myNames', 'earshot.speakers.microphone', 'earshot.model.cacheDir'];

/** Earshot's MCP server definition, offered while the setting is on. */
export class EarshotMcpProvider implements McpServerDefinitionProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changed.event;
  private readonly watcher: vscode.Disposable;

  constructor(private readonly api: Required<Pick<McpApi, 'McpStdioServerDefinition'>>, private readonly launch: McpLaunch, private readonly enabled: () => boolean) {
    this.watcher = vscode.workspace.onDidChangeConfiguration((e) => { if (DEFINITION_SETTINGS.some((s) => e.affectsConfiguration(s))) this.changed.fire(); });
  }

  provideMcpServerDefinitions(): McpStdioServerDefinition[] {
    return this.enabled() ? [this.definition()] : [];
  }

  /** The definition whether offered or not (tests start it). */
  definition(): McpStdioServerDefinition {
    const { command, args, env } = mcpServerCommand(this.launch);
    return new this.api.McpStdioServerDefinition(MCP_SERVER_LABEL, command, args, env, this.launch.version);
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }
}

/** Registers the provider where VS Code has the MCP API (1.101+); undefined where it does not. */
export function registerMcpServer(api: McpApi, launch: McpLaunch, enabled: () => boolean): { provider: EarshotMcpProvider; disposables: vscode.Disposable[] } | undefined {
  const register = api.lm?.registerMcpServerDefinitionProvider;
  const Definition = api.McpStdioServerDefinition;
  if (typeof register !== 'function' || typeof Definition !== 'function') return undefined;
  const provider = new EarshotMcpProvider({ McpStdioServerDefinition: Definition }, launch, enabled);
  return { provider, disposables: [provider, register.call(api.lm, MCP_PROVIDER_ID, provider)] };
}
