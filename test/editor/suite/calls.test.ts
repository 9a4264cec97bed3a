/**
 * Calls in a real VS Code (issue 58): the real extension, the real daemon watching the editor suite's PulseAudio
 * (test/editor/run.ts), a fake call app (parec recording the microphone as "zoom", as test/integration/calls.test.ts
 * does) → the offer names it → Start → the meeting runs, shown in the panel → the app ends → the panel counts down →
 * the meeting stops and its notes are written. Then a meeting written with a workspace template chosen at Start.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import type { AutoStopStateParams, SessionStartResult } from '../../../protocol/protocol';
import { available as hooksAvailable, panelPress, panelWaitFor, screenshot, until, waitForState, webviewText, WorkspaceSettings } from './hooks';

const TEMPLATE = [
  '---',
  'name: Review for the editor test',
  'titleMatch: nothing-matches-this',
  '---',
  'Keep it short.',
  '',
  '## Context',
  '<!-- earshot: summary -->',
  'What was reviewed, in two lines.',
  '',
  '## Follow-ups',
  '<!-- earshot: actionItems -->',
  '',
  '## Risks',
  'What could go wrong.',
  '',
].join('\n');

describe('Calls in a real VS Code: the offer, auto-stop, a workspace template', () => {
  let api: EarshotApi;
  const settings = new WorkspaceSettings();
  const pulseServer = process.env.EARSHOT_TEST_PULSE_SERVER;
  const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const templatesDir = path.join(workspace, '.earshot', 'templates');
  let callApp: ChildProcess | undefined;

  before(async function () {
    if (!pulseServer) this.skip(); // a desktop run without the suite's PulseAudio server
    const extension = vscode.extensions.getExtension<EarshotApi>('earshot.earshot');
    assert.ok(extension);
    api = await extension.activate();
    // A short silence and a countdown long enough to see.
    await settings.set('calls.autoStopSilenceSeconds', 5);
    await settings.set('calls.autoStopCountdownSeconds', 10);
    await until(() => api.calls.watching, 'the calls watch on (earshot.calls.detect is on by default)');
  });

  after(async () => {
    callApp?.kill('SIGKILL');
    // Later suites start meetings without a template pick.
    fs.rmSync(templatesDir, { recursive: true, force: true });
    await settings.restore();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('earshot.calls.detect off stops the watch; on again, a call already under way is offered, and Not now starts nothing', async function () {
    this.timeout(90_000);
    await settings.set('calls.detect', false);
    await until(() => !api.calls.watching, 'the watch off');
    const app = spawn('parec', ['--client-name', 'zoom', '--raw'], { env: { ...process.env, PULSE_SERVER: pulseServer }, stdio: 'ignore' });
    callApp = app;
    await settings.set('calls.detect', true);
    const offer = await until(() => api.calls.pending().find((o) => o.call.app === 'zoom' && o.call.pid === app.pid), 'the offer from the watch\'s first answer', 30_000);
    offer.prompt.choose('notNow');
    await until(() => api.calls.pending().length === 0, 'the offer answered');
    assert.equal(api.session?.state === 'streaming', false, 'Not now starts nothing');
    app.kill('SIGTERM');
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('a call app opens the microphone → the offer names it → Start → the panel shows the meeting → the app ends → a countdown → the notes', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('earshot.showPanel');
    const autoStop: AutoStopStateParams[] = [];
    const sub = api.client.onAutoStop((s) => autoStop.push(s));
    try {
      callApp = spawn('parec', ['--client-name', 'zoom', '--raw'], { env: { ...process.env, PULSE_SERVER: pulseServer }, stdio: 'ignore' });
      const offer = await until(() => api.calls.pending().find((o) => o.call.app === 'zoom'), 'the offer for "zoom"', 30_000);
      assert.equal(offer.name, 'Zoom');
      assert.equal(typeof offer.call.pid, 'number', 'the call is told apart by its process');
      // The notifications list (toasts do not show in this headless workbench): "Zoom is using the microphone: take
      // notes?" with Start / Not now / Always for this app.
      await vscode.commands.executeCommand('notifications.showList');
      await new Promise((r) => setTimeout(r, 800));
      await screenshot('calls-offer');
      await vscode.commands.executeCommand('notifications.hideList');

      const streaming = waitForState(api, 'streaming');
      const done = waitForState(api, 'done', 150_000);
      const started = new Promise<SessionStartResult | undefined>((resolve) => {
        const s = api.calls.onDidStart((e) => { s.dispose(); resolve(e.result); });
      });
      offer.prompt.choose('start'); // as the notification's Start button does
      const result = await started;
      assert.ok(result?.sessionId, 'a meeting started (an error was shown instead: see the log above)');
      const running = await streaming;
      assert.equal(running.mode ?? 'meeting', 'meeting');
      assert.match(running.title, /^Zoom call /);
      await webviewText('Listening — Zoom call', 20_000);
      assert.deepEqual(api.calls.pending(), [], 'no offer while the meeting runs');
      await until(() => autoStop.some((s) => s.sessionId === result.sessionId && s.state === 'watching'), "the auto-stop 'watching' the call", 30_000);
      if (hooksAvailable) await panelWaitFor<boolean>("document.querySelector('#auto-stop')?.dataset.state === 'watching'", 'the auto-stop line');

      callApp.kill('SIGTERM'); // the call ends
      if (hooksAvailable) {
        const shown = await panelWaitFor<string>(
          "(() => { const b = document.querySelector('#auto-stop'); return b && b.dataset.state === 'countdown' && !b.hidden && !document.querySelector('#auto-stop-cancel').hidden && b.textContent; })()",
          'the countdown with Cancel', 60_000);
        assert.match(shown, /Stopping in \d+ s — the call ended/);
        await screenshot('calls-countdown', '.part.sidebar');
      } else {
        await until(() => autoStop.some((s) => s.state === 'countdown'), 'the countdown', 60_000);
      }
      const finished = await done;
      assert.equal(finished.error, undefined, String(finished.error));
      assert.deepEqual(autoStop.filter((s) => s.sessionId === result.sessionId).map((s) => s.state).filter((s, i, a) => s !== a[i - 1]).slice(-3),
        ['silent', 'countdown', 'stopped']);
      assert.match(fs.readFileSync(finished.notesPath, 'utf8'), /^# Zoom call /);
      // The notes open when it is done (waited for: the editor opening would take the focus from what follows).
      await until(() => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === finished.notesPath), 'the notes opened', 20_000);
      if (hooksAvailable) await webviewText('Stopped by itself', 20_000);
    } finally {
      sub.dispose();
      // A meeting this test left running would stand in the way of the next one.
      if (api.session && api.session.state !== 'done') await vscode.commands.executeCommand('earshot.stop');
    }
  });

  it("the panel's Cancel during the countdown: the meeting runs on until stopped by hand", async function () {
    if (!hooksAvailable) this.skip(); // the button is pressed in the panel's webview
    this.timeout(180_000);
    const autoStop: AutoStopStateParams[] = [];
    const sub = api.client.onAutoStop((s) => autoStop.push(s));
    try {
      callApp = spawn('parec', ['--client-name', 'zoom', '--raw'], { env: { ...process.env, PULSE_SERVER: pulseServer }, stdio: 'ignore' });
      const pid = callApp.pid;
      const offer = await until(() => api.calls.pending().find((o) => o.call.app === 'zoom' && o.call.pid === pid), 'the offer for the new call', 30_000);
      const streaming = waitForState(api, 'streaming');
      offer.prompt.choose('start');
      const { sessionId } = await streaming;
      await until(() => autoStop.some((s) => s.sessionId === sessionId && s.state === 'watching'), "the auto-stop 'watching' the call", 30_000);
      callApp.kill('SIGTERM');
      await panelWaitFor<boolean>("(() => { const b = document.querySelector('#auto-stop-cancel'); return !!b && !b.hidden; })()", 'the Cancel button', 60_000);
      await panelPress('#auto-stop-cancel', 'Enter');
      await until(() => autoStop.some((s) => s.sessionId === sessionId && s.state === 'cancelled'), "the auto-stop 'cancelled'", 15_000);
      await webviewText('Auto-stop cancelled', 10_000);
      // Past the countdown's end it still records.
      await new Promise((r) => setTimeout(r, 11_000));
      assert.equal(api.session?.state, 'streaming', 'a cancelled auto-stop stops nothing');
      assert.ok(!autoStop.some((s) => s.sessionId === sessionId && s.state === 'stopped'));
    } finally {
      sub.dispose();
      if (api.session && api.session.state === 'streaming') {
        const done = waitForState(api, 'done');
        await vscode.commands.executeCommand('earshot.stop');
        const { notesPath } = await done;
        // The notes open when it is done: waited for, or their editor takes the focus from the next test's pick.
        await until(() => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === notesPath), 'the notes opened', 20_000);
      }
    }
  });

  it('Start Meeting Notes offers the workspace template; the notes are written in its sections', async function () {
    this.timeout(180_000);
    fs.mkdirSync(templatesDir, { recursive: true });
    fs.writeFileSync(path.join(templatesDir, 'review.md'), TEMPLATE);
    const shown = new Promise<Parameters<Parameters<EarshotApi['onDidShowTemplatePick']>[0]>[0]>((resolve) => {
      const s = api.onDidShowTemplatePick((pick) => { s.dispose(); resolve(pick); });
    });
    const streaming = waitForState(api, 'streaming');
    const done = waitForState(api, 'done', 150_000);
    const command = vscode.commands.executeCommand<SessionStartResult | undefined>('earshot.startMeetingNotes');
    const pick = await Promise.race([shown, Promise.resolve(command).then(() => undefined)]);
    assert.ok(pick, 'Start Meeting Notes started without a template pick: the daemon listed no workspace template (see the log)');
    const review = pick.items.find((i) => i.id === 'review');
    assert.ok(review, `the workspace template is offered: ${pick.items.map((i) => i.label).join(', ')}`);
    assert.equal(review.label, 'Review for the editor test');
    assert.match(review.detail ?? '', /Context · Follow-ups · Risks/);
    pick.value = 'editor test'; // as the user types, leaving that one template
    await until(() => pick.activeItems[0]?.id === 'review' && pick.activeItems[0], 'the typed template active in the pick', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('calls-template-pick');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const result = await command;
    assert.ok(result?.sessionId, 'a meeting started (an error was shown instead: see the log above)');
    assert.deepEqual(result.template, { id: 'review', name: 'Review for the editor test', chosenBy: 'user' });
    await streaming;
    await new Promise((r) => setTimeout(r, 2000)); // a short meeting: the sections are what is checked
    await vscode.commands.executeCommand('earshot.stop');
    const finished = await done;
    assert.equal(finished.error, undefined, String(finished.error));
    const notes = fs.readFileSync(finished.notesPath, 'utf8');
    const at = ['## Context', '## Follow-ups', '## Risks'].map((h) => notes.indexOf(`\n${h}\n`));
    assert.ok(at.every((i) => i > 0) && at[0] < at[1] && at[1] < at[2], `the template's sections in its order:\n${notes}`);
    await vscode.window.showTextDocument(vscode.Uri.file(finished.notesPath));
    await new Promise((r) => setTimeout(r, 700));
    await screenshot('calls-template-notes');
  });

  it('Earshot: New Notes Template copies a shipped template into .earshot/templates', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('earshot.newNotesTemplate', 'our-standup', 'standup');
    assert.equal(uri?.fsPath, path.join(templatesDir, 'our-standup.md'), 'the command wrote the template (an error was shown instead: see the log)');
    const listed = await api.client.listTemplates(templatesDir);
    assert.ok(listed.templates.some((t) => t.id === 'our-standup' && t.source === 'workspace'), JSON.stringify(listed));
  });
});
