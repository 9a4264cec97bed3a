/**
 * Which machine listens, for the panel: Earshot hears the microphone and the call of the machine its extension host
 * runs on. In a remote window (vscode.env.remoteName: 'wsl', 'ssh-remote', 'dev-container', 'codespaces'…) it runs on
 * the user's side (package.json extensionKind, ui first) unless the user forced it onto the remote one
 * (remote.extensionKind) or there is no user's side (a Codespace in the browser): then it says plainly that it hears
 * that machine, not the user's microphone.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { PanelPlace } from '../../protocol/panel';

export interface PlaceFacts {
  /** vscode.env.remoteName: undefined in a local window. */
  remoteName: string | undefined;
  /** Where this extension host runs: 'ui' (the user's machine) or 'workspace' (the remote one, in a remote window). */
  kind: 'ui' | 'workspace';
  /** vscode.env.uiKind is Web: VS Code runs in a browser (no Node side on the user's machine). */
  web: boolean;
  hostname: string;
}

const REMOTE_LABELS: Record<string, string> = {
  wsl: 'WSL', 'ssh-remote': 'SSH', 'dev-container': 'dev container', 'attached-container': 'container', codespaces: 'Codespace', tunnel: 'tunnel',
};

/** A remote's name as people say it ('ssh-remote' → 'SSH'). */
export function remoteLabel(remoteName: string): string {
  return REMOTE_LABELS[remoteName] ?? remoteName;
}

export function listeningPlace(facts: PlaceFacts): PanelPlace {
  const host = facts.hostname || 'unknown host';
  const remote = facts.remoteName;
  // A server on this very computer (code-server or `code serve-web` on loopback: remoteName is its host:port) hears
  // this computer's devices: nothing to warn about.
  const onRemote = remote !== undefined && (facts.kind === 'workspace' || facts.web) && !servedFromThisComputer(remote);
  if (!onRemote) {
    const elsewhere = remote !== undefined && !servedFromThisComputer(remote);
    return { text: `Listening on this computer (${host})${elsewhere ? `; notes go to the ${remoteLabel(remote)} workspace` : ''}`, warning: null };
  }
  const fix = facts.web
    ? 'In a browser there is no side of VS Code on your computer for Earshot to run on: open this window in VS Code desktop to record your meetings.'
    : `Run Earshot on your computer: remove it from the remote.extensionKind setting, or use Install Locally on it in the Extensions view.`;
  return {
    text: `Listening on the ${remoteLabel(remote)} machine (${host})`,
    warning: `Earshot runs on the ${remoteLabel(remote)} machine, not on your computer: it hears that machine's audio devices (usually none), not your microphone or your calls. ${fix}`,
  };
}

/** A remote name that is a loopback host:port (a browser window on a server this computer runs). */
export function servedFromThisComputer(remoteName: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i.test(remoteName);
}

/** The facts of this window. */
export function placeFacts(context: Pick<vscode.ExtensionContext, 'extension'>): PlaceFacts {
  return {
    remoteName: vscode.env.remoteName,
    kind: context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'workspace' : 'ui',
    web: vscode.env.uiKind === vscode.UIKind.Web,
    hostname: os.hostname(),
  };
}
