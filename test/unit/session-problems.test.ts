/**
 * What the extension does with a silent macOS tap's hint (extension/health/sessionProblems.ts), with a stand-in for VS
 * Code's messages and settings: the loopback device the daemon found is offered as an action, and taking it writes the
 * system-audio device setting.
 */
import { vscodeStub } from './vscode-stub';
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { COPY_COMMAND, useLoopbackLabel, watchSessionProblems } from '../../extension/health/sessionProblems';
import type { SourceStatusParams } from '../../protocol/protocol';

describe('session problems: a silent tap offers the loopback device that is there', () => {
  const saved = { window: vscodeStub.window, getConfiguration: vscodeStub.workspace.getConfiguration };
  afterEach(() => {
    vscodeStub.window = saved.window;
    vscodeStub.workspace.getConfiguration = saved.getConfiguration;
  });

  it('shows "Use BlackHole 2ch" with the hint; taking it records that device as system audio from the next session', async () => {
    const BLACKHOLE = 'Existential Audio Inc.: BlackHole 2ch';
    const warnings: { text: string; actions: string[] }[] = [];
    const infos: string[] = [];
    const updates: unknown[][] = [];
    vscodeStub.window = {
      showWarningMessage: async (text: string, ...actions: string[]) => { warnings.push({ text, actions }); return actions.find((a) => a.startsWith('Use ')); },
      showInformationMessage: async (text: string) => { infos.push(text); return undefined; },
    };
    vscodeStub.workspace.getConfiguration = () => ({ get: (_k: string, f?: unknown) => f, update: async (...args: unknown[]) => { updates.push(args); } });
    let onStatus!: (st: SourceStatusParams) => Promise<void>;
    const client = { onSourceStatus: (l: typeof onStatus) => { onStatus = l; return { dispose() {} }; }, onSessionState: () => ({ dispose() {} }) };
    const output = { warn: () => undefined, info: () => undefined, show: () => undefined };
    watchSessionProblems(client as never, output as never, async () => undefined);
    await onStatus({
      sessionId: 's1', source: 'system', state: 'capturing', recorder: 'audiotee', droppedSec: 0, gapSec: 0,
      hint: 'System audio has stayed completely silent… (x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture) Or record "Existential Audio Inc.: BlackHole 2ch" instead.',
      loopbackDevice: BLACKHOLE,
    });
    await sleep(10);
    assert.equal(useLoopbackLabel(BLACKHOLE), 'Use BlackHole 2ch');
    assert.deepEqual(warnings[0].actions, ['Open Settings', 'Use BlackHole 2ch']);
    assert.deepEqual(updates, [['devices.systemAudio', BLACKHOLE, vscodeStub.ConfigurationTarget.Global]]);
    assert.match(infos[0], /next session records system audio from "Existential Audio Inc\.: BlackHole 2ch"/);
  });
});

describe('session problems: a macOS grant to reset is offered as a Terminal command to copy', () => {
  const saved = { window: vscodeStub.window, env: vscodeStub.env };
  afterEach(() => {
    vscodeStub.window = saved.window;
    vscodeStub.env = saved.env;
  });

  it('a silent microphone recorded by the capture app: "Copy Terminal Command" puts `tccutil reset Microphone …` on the clipboard', async () => {
    const errors: { text: string; actions: string[] }[] = [];
    const infos: string[] = [];
    const clipboard: string[] = [];
    vscodeStub.window = {
      showErrorMessage: async (text: string, ...actions: string[]) => { errors.push({ text, actions }); return COPY_COMMAND; },
      showInformationMessage: async (text: string) => { infos.push(text); return undefined; },
    };
    vscodeStub.env = { ...saved.env, clipboard: { writeText: async (text: string) => { clipboard.push(text); } } } as typeof vscodeStub.env;
    let onStatus!: (st: SourceStatusParams) => Promise<void>;
    const client = { onSourceStatus: (l: typeof onStatus) => { onStatus = l; return { dispose() {} }; }, onSessionState: () => ({ dispose() {} }) };
    const output = { warn: () => undefined, info: () => undefined, show: () => undefined };
    watchSessionProblems(client as never, output as never, async () => undefined);
    await onStatus({
      sessionId: 's1', source: 'mic', state: 'stalled', recorder: 'earshot-capture', reason: 'permission-denied', droppedSec: 0, gapSec: 0,
      message: 'The microphone delivers only digital silence… turn on Earshot, then retry (x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone). … run `tccutil reset Microphone dev.earshot.audio-capture` in Terminal…',
      copyCommand: 'tccutil reset Microphone dev.earshot.audio-capture',
    });
    await sleep(10);
    assert.deepEqual(errors[0].actions, ['Open Settings', COPY_COMMAND, 'Retry Now', 'Choose Device…', 'Show Log']);
    assert.deepEqual(clipboard, ['tccutil reset Microphone dev.earshot.audio-capture']);
    assert.match(infos[0], /copied `tccutil reset Microphone dev\.earshot\.audio-capture`\. Paste it into Terminal/);
  });
});
