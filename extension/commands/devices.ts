/**
 * The commands about the machine's audio devices: choose the microphone or the system audio source (written to the
 * settings), test the microphone with a live level, on macOS open the pane where VS Code may record system audio, and
 * make the platform report a user sends with a problem on macOS or Windows.
 * The recording and the levels are the daemon's; this only asks and shows.
 */
import * as vscode from 'vscode';
import { DEVICE_TEST_SESSION_ID, DeviceTestResult, LiveSourceKind, MAC_CAPTURE_APP_RECORDER, PlatformReport } from '../../protocol/protocol';
import { MACOS_AUDIO_CAPTURE_SETTINGS } from '../../protocol/macosCapture';
import { EarshotSettings } from '../settings/settings';
import type { CommandDeps } from './registry';

/** How long the report's recording test records each source, and how long the rest may take before the notification gives up. */
const REPORT_RECORD_SECONDS = 5;
const REPORT_ANSWER_SECONDS = 120;

export function registerDeviceCommands({ client, session: current, command }: CommandDeps): void {
  // macOS: the pane where VS Code is allowed to record system audio (macOS never asks it: see panel/panelNotes.ts).
  command('earshot.openSystemAudioSettings', async () => {
    if (process.platform !== 'darwin') {
      void vscode.window.showInformationMessage('Earshot: only macOS asks you to allow system audio recording; here there is nothing to allow.');
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(MACOS_AUDIO_CAPTURE_SETTINGS));
  });

  command('earshot.chooseMicrophone', async () => chooseDevice('mic'));
  command('earshot.chooseSystemAudioSource', async () => chooseDevice('system'));

  /** A quick pick of the devices the daemon can record; the choice goes into the settings. */
  async function chooseDevice(kind: LiveSourceKind): Promise<string | undefined> {
    const list = await client.listDevices();
    const devices = kind === 'mic' ? list.microphones : list.systemSources;
    const setting = kind === 'mic' ? 'devices.microphone' : 'devices.systemAudio';
    const current = vscode.workspace.getConfiguration('earshot').get<string>(setting, '') || 'default';
    if (kind === 'system' && !list.systemAudio.available) void vscode.window.showWarningMessage(`Earshot: ${list.systemAudio.message ?? 'system audio cannot be recorded here.'}`);
    const items = [
      { label: 'System default', description: current === 'default' ? 'in use' : '', id: 'default' },
      ...devices.map((d) => ({ label: d.label, description: [d.isDefault ? 'default' : '', d.id === current ? 'in use' : ''].filter(Boolean).join(' · '), detail: d.id, id: d.id })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: kind === 'mic' ? 'Earshot: Choose Microphone' : 'Earshot: Choose System Audio Source',
      placeHolder: devices.length ? 'Applies to the next session' : `No devices found. ${list.notes.join(' ')}`,
    });
    if (!picked) return undefined;
    await vscode.workspace.getConfiguration('earshot').update(setting, picked.id === 'default' ? '' : picked.id, vscode.ConfigurationTarget.Global);
    return picked.id;
  }


  command('earshot.createPlatformReport', async (options?: { recordSeconds?: number }) => createPlatformReport(options?.recordSeconds));

  /**
   * The platform report (daemon/platform/report.ts), made by the daemon, so that its facts are those of the process
   * that records in VS Code; opened as an untitled Markdown document for the user to read before sending it.
   * Resolves with the report, or undefined when cancelled. `recordSeconds` (a link or a test) skips the question.
   */
  async function createPlatformReport(recordSeconds?: number): Promise<PlatformReport | undefined> {
    const recording = current() && current()!.state !== 'done';
    const choice = recordSeconds !== undefined ? { seconds: recordSeconds } : await vscode.window.showQuickPick([
      { label: 'Without recording', detail: 'The process, native modules, capture backends and devices, and the platform\'s permissions and policies.', seconds: 0 },
      ...(recording ? [] : [{ label: `Record ${REPORT_RECORD_SECONDS} s of each source too`, detail: 'Speak while the microphone records, then play something while system audio records. Nothing is kept.', seconds: REPORT_RECORD_SECONDS }]),
    ], { title: 'Earshot: Create Platform Report', placeHolder: 'No transcript and no audio go into the report; your home folder is shown as ~' });
    if (!choice) return undefined;
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Earshot: making the platform report', cancellable: true },
      async (progress, cancelled) => {
        progress.report({ message: choice.seconds ? 'Speak now: the microphone records first, then system audio…' : 'Asking the native modules, devices and system…' });
        // Each probe has its own bound in the daemon; this one keeps the notification from staying up if the daemon never answers.
        const cancel = new vscode.CancellationTokenSource();
        const boundMs = (REPORT_ANSWER_SECONDS + 2 * choice.seconds) * 1000;
        const timer = setTimeout(() => cancel.cancel(), boundMs);
        const onCancel = cancelled.onCancellationRequested(() => cancel.cancel());
        try {
          return await client.platformReport({ recordSeconds: choice.seconds }, cancel.token);
        } catch (e) {
          if (cancelled.isCancellationRequested) return undefined;
          if (cancel.token.isCancellationRequested) throw new Error(`The platform report got no answer from the daemon within ${boundMs / 1000} s.`);
          throw e;
        } finally {
          clearTimeout(timer);
          onCancel.dispose();
          cancel.dispose();
        }
      },
    );
    if (!report) return undefined;
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: report.markdown });
    await vscode.window.showTextDocument(document);
    void vscode.window.showInformationMessage('Earshot: read the report, then paste it into an issue with what you saw.', 'Copy to Clipboard').then(async (picked) => {
      if (picked) await vscode.env.clipboard.writeText(report.markdown);
    });
    return report;
  }

  command('earshot.testMicrophone', async (device?: string) => testMicrophone(device));

  /**
   * Records 5 s from the microphone (earshot.devices.microphone, or `device`) with the live level in a progress
   * notification, then says whether anything was heard and what to check if not. Resolves with the result without
   * waiting for the message to be dismissed.
   */
  async function testMicrophone(device?: string): Promise<DeviceTestResult | undefined> {
    const session = current();
    if (session && session.state !== 'done') {
      void vscode.window.showInformationMessage('Earshot: a session is recording: its level meter in the panel shows what the microphone hears. Test the microphone when it is over.');
      return undefined;
    }
    const mic = device ?? EarshotSettings.read().devices.mic;
    const seconds = 5;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Earshot: testing the microphone', cancellable: true },
      async (progress, cancelled) => {
        progress.report({ message: 'Starting…' });
        const started = Date.now();
        let loudest = -100;
        const sub = client.onInputLevel((l) => {
          if (l.sessionId !== DEVICE_TEST_SESSION_ID || l.source !== 'mic') return;
          loudest = Math.max(loudest, l.peakDbfs);
          const left = Math.max(0, Math.ceil(seconds - (Date.now() - started) / 1000));
          progress.report({ message: `Speak now… ${levelInWords(l.rmsDbfs)} (peak so far ${dbfs(loudest)}) ${left} s` });
        });
        // A recorder that never answers must not leave the notification up: give up a while after the test's end.
        const cancel = new vscode.CancellationTokenSource();
        const timer = setTimeout(() => cancel.cancel(), (seconds + 15) * 1000);
        const onCancel = cancelled.onCancellationRequested(() => cancel.cancel());
        try {
          return await client.testDevice({ source: 'mic', ...(mic ? { device: mic } : {}), seconds }, cancel.token);
        } catch (e) {
          if (cancelled.isCancellationRequested) return undefined;
          if (cancel.token.isCancellationRequested) throw new Error(`The microphone test got no answer from the recorder within ${seconds + 15} s.`);
          throw e;
        } finally {
          clearTimeout(timer);
          onCancel.dispose();
          cancel.dispose();
          sub.dispose();
        }
      },
    );
    if (!result) return undefined;
    const where = `${mic ? `"${mic}"` : 'the default microphone'}${result.recorder ? ` (${result.recorder})` : ''}`;
    if (result.heard) {
      void vscode.window.showInformationMessage(`Earshot heard you on ${where}: peak ${dbfs(result.peakDbfs)}. Meeting notes and dictation are ready.`,
        'Start Dictation').then((picked) => { if (picked) void vscode.commands.executeCommand('earshot.toggleDictation'); });
    } else {
      // On macOS the capture app records the microphone (daemon/capture/macMicrophone.ts): then macOS asked for Earshot, not VS Code.
      const allowed = result.recorder === MAC_CAPTURE_APP_RECORDER ? 'Earshot' : 'VS Code';
      const tips = process.platform === 'darwin'
        ? `Check that it is not muted and that ${allowed} may use the microphone (System Settings › Privacy & Security › Microphone).`
        : process.platform === 'win32'
          ? 'Check that it is not muted and that desktop apps may use the microphone (Settings › Privacy › Microphone).'
          : 'Check that it is not muted and that its input volume is up (pavucontrol or the sound settings).';
      void vscode.window.showWarningMessage(`Earshot heard nothing from ${where} (peak ${dbfs(result.peakDbfs)}). ${tips} Or choose another microphone.`,
        'Choose Microphone…', 'Test Again').then((picked) => {
        if (picked === 'Choose Microphone…') void vscode.commands.executeCommand('earshot.chooseMicrophone');
        else if (picked === 'Test Again') void vscode.commands.executeCommand('earshot.testMicrophone', device);
      });
    }
    return result;
  }
}

/** A level in words and a small meter, e.g. "good level −23 dBFS ▮▮▮▮▯▯". */
export function levelInWords(rmsDbfs: number): string {
  const words = rmsDbfs < -60 ? 'silence' : rmsDbfs < -45 ? 'very quiet' : rmsDbfs < -30 ? 'quiet' : rmsDbfs < -10 ? 'good level' : 'very loud';
  const bars = Math.max(0, Math.min(6, Math.round((rmsDbfs + 60) / 10)));
  return `${words} ${dbfs(rmsDbfs)} ${'▮'.repeat(bars)}${'▯'.repeat(6 - bars)}`;
}

function dbfs(value: number): string {
  return `${value < 0 ? '−' : ''}${Math.abs(Math.round(value))} dBFS`;
}
