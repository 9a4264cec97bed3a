/**
 * How `earshot mcp` runs from the installed extension, without the `vscode` module: VS Code's MCP server definition
 * (mcpServer.ts) and the configurations copied for other agents (connectAgent.ts) are both this command, so they
 * cannot drift apart, and tests can run it in plain node.
 */
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../../protocol/allocator';

export interface McpLaunch {
  /** This extension's `bin/earshot.js`. */
  cli: string;
  /** The daemon's storage folder (the extension's global storage): `earshot mcp` reads the same meetings. */
  storageDir: string;
  /** The extension's version: a new one tells VS Code the tools may have changed. */
  version: string;
  /** The executable that runs node scripts here: VS Code's own (Electron as node), as the daemon is forked with. */
  execPath?: string;
  /** The user's own names (settings.myNames), for `mine`: `--me` each. */
  owners: () => string[];
  /** earshot.model.cacheDir, where the meaning model is (the daemon's modelCacheDir). */
  cacheDir: () => string | undefined;
}

/**
 * The command VS Code runs: the editor's node with ELECTRON_RUN_AS_NODE, as vscode-languageclient forks the daemon
 * (client/client.ts), with its memory flags, over the daemon's storage and model cache, the user's names as `--me`.
 */
export function mcpServerCommand(launch: McpLaunch): { command: string; args: string[]; env: Record<string, string> } {
  const cacheDir = launch.cacheDir();
  return {
    command: launch.execPath ?? process.execPath,
    args: [...DAEMON_NODE_FLAGS, launch.cli, 'mcp', ...launch.owners().flatMap((name) => ['--me', name]), ...(cacheDir ? ['--cache-dir', cacheDir] : [])],
    env: { ELECTRON_RUN_AS_NODE: '1', ...DAEMON_ALLOCATOR_ENV, EARSHOT_STORAGE: launch.storageDir },
  };
}
