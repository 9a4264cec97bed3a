/**
 * What the editor tests can see and do beyond the VS Code API, through the code-server runner's hooks
 * (test/editor/runner/run-in-code-server.js): screenshots that must not be blank, the text of the
 * webviews, and script/keys inside the Earshot panel's webview. Under a desktop VS Code
 * (@vscode/test-electron) the hooks are absent: `available` is false and the DOM checks are skipped.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import type { SessionStateParams } from '../../../protocol/protocol';

const SHOT_URL = process.env.E2E_SHOT_URL;
const WEBVIEW_TEXT_URL = process.env.E2E_WEBVIEW_TEXT_URL;
const WEBVIEW_URL = process.env.E2E_WEBVIEW_URL;
/** An element only the Earshot panel's document has. */
const PANEL_MARKER = '#transcript';

export const available = Boolean(SHOT_URL && WEBVIEW_TEXT_URL && WEBVIEW_URL);

export interface ShotStats {
  path: string;
  width: number;
  height: number;
  colors: number;
  stddev: number;
}

/**
 * Saves `name`.png (the whole workbench, or the first element matching `selector`) and checks it is
 * not blank: a rendered panel has text (many colours from anti-aliasing) and contrast.
 */
export async function screenshot(name: string, selector?: string): Promise<ShotStats | undefined> {
  if (!SHOT_URL) return undefined;
  const response = await fetch(`${SHOT_URL}?name=${name}${selector ? `&selector=${encodeURIComponent(selector)}` : ''}`);
  const body = await response.text();
  assert.equal(response.status, 200, `screenshot ${name} failed: ${body}`);
  const stats = JSON.parse(body) as ShotStats;
  assert.ok(stats.width > 100 && stats.height > 100, `screenshot ${name} is ${stats.width}×${stats.height}`);
  assert.ok(stats.colors >= 16 && stats.stddev >= 8, `screenshot ${name} looks blank: ${stats.colors} colours, luminance σ ${stats.stddev.toFixed(1)}`);
  return stats;
}

/**
 * The text of every webview; with `contains` (and `matches`), waits until it appears (rejects with what was
 * shown). A check of what the text shows beside `contains` passes `matches`, since the webview may render
 * the two in separate updates (a session's 'Done' before its last lines).
 */
export async function webviewText(contains?: string, timeoutMs = 10_000, matches?: RegExp): Promise<string> {
  assert.ok(WEBVIEW_TEXT_URL, 'webview hooks are only there under code-server');
  const query = new URLSearchParams();
  if (contains !== undefined) query.set('contains', contains);
  if (matches !== undefined) query.set('matches', matches.source);
  if (matches?.flags) query.set('flags', matches.flags);
  if (contains !== undefined || matches !== undefined) query.set('timeout', String(timeoutMs));
  const search = query.toString();
  const response = await fetch(`${WEBVIEW_TEXT_URL}${search ? `?${search}` : ''}`);
  const text = await response.text();
  const wanted = [contains === undefined ? '' : JSON.stringify(contains), matches === undefined ? '' : String(matches)].filter(Boolean).join(' and ');
  assert.equal(response.status, 200, `the webviews never showed ${wanted}; they showed:\n${text}`);
  return text;
}

/** Evaluates a JavaScript expression in the panel's webview and returns its (JSON) value. */
export async function panelEval<T>(expression: string): Promise<T> {
  assert.ok(WEBVIEW_URL, 'webview hooks are only there under code-server');
  const response = await fetch(`${WEBVIEW_URL}/eval?marker=${encodeURIComponent(PANEL_MARKER)}&expr=${encodeURIComponent(expression)}`);
  const body = await response.text();
  assert.equal(response.status, 200, `evaluating in the panel failed: ${body}\n${expression}`);
  return JSON.parse(body) as T;
}

/** Polls an expression in the panel until it is truthy; returns that value. */
export async function panelWaitFor<T>(expression: string, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await panelEval<T>(expression);
    if (value) return value;
    assert.ok(Date.now() < deadline, `the panel never showed ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Focuses an element of the panel and presses a key with the browser's real keyboard. */
export async function panelPress(selector: string, key: string): Promise<void> {
  assert.ok(WEBVIEW_URL, 'webview hooks are only there under code-server');
  const response = await fetch(`${WEBVIEW_URL}/press?marker=${encodeURIComponent(PANEL_MARKER)}&selector=${encodeURIComponent(selector)}&key=${encodeURIComponent(key)}`);
  assert.equal(response.status, 200, `pressing ${key} on ${selector} failed: ${await response.text()}`);
}

/** Polls `probe` (sync or async) until it gives a truthy value, and returns it; fails with `what` after the timeout. */
export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Resolves with the next session state notification of that state. */
export function waitForState(api: EarshotApi, state: SessionStateParams['state'], timeoutMs = 120_000): Promise<SessionStateParams> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`no '${state}' session state within ${timeoutMs} ms`)); }, timeoutMs);
    const sub = api.onDidChangeSession((s) => {
      if (s.state !== state) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

/**
 * Earshot settings of the workspace, each put back as it was (its workspace value, or none) by `restore`: a suite that
 * changes a setting the suites after it rely on (the workspace's `earshot.model.path`) must not leave it changed.
 */
export class WorkspaceSettings {
  private readonly saved: [string, unknown][] = [];

  async set(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration('earshot');
    if (!this.saved.some(([k]) => k === key)) this.saved.push([key, config.inspect(key)?.workspaceValue]);
    await config.update(key, value, vscode.ConfigurationTarget.Workspace);
  }

  /** Puts every setting back, last set first; true when one of them was the whisper model (the daemon must restart). */
  async restore(): Promise<boolean> {
    const config = vscode.workspace.getConfiguration('earshot');
    const keys = this.saved.map(([k]) => k);
    for (const [key, value] of this.saved.splice(0).reverse()) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
    return keys.includes('model.path');
  }
}

/**
 * Records the committed sample meeting through the real daemon with `model` (a generated model that says a sentence)
 * under `title`, the rules alone writing its notes; the workspace's model and extraction settings are put back after,
 * whatever happens. Mentions link to workspace files only with the index in the daemon: it is sent first.
 */
export async function recordSampleMeeting(api: EarshotApi, audioFile: string, title: string, model: string): Promise<void> {
  const settings = new WorkspaceSettings();
  try {
    await settings.set('model.path', model);
    await settings.set('enhancement.provider', 'off');
    await api.client.restart();
    await until(async () => (await api.workspaceIndex.refresh(true))?.files.length, 'the workspace index sent to the daemon', 30_000);
    const done = waitForState(api, 'done', 240_000);
    await api.client.start({ sources: ['file'], audioFile, pace: 'fast', title });
    const ended = await done;
    assert.equal(ended.error, undefined, String(ended.error));
  } finally {
    if (await settings.restore()) await api.client.restart();
  }
}
