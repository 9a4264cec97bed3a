/**
 * The opt-in language-model extraction through VS Code's Language Model API, in a real VS Code: the model is a chat
 * model that test/editor/language-model registers with vscode.lm.registerLanguageModelChatProvider, so Earshot finds
 * it with vscode.lm.selectChatModels and calls model.sendRequest exactly as it does Copilot's. Only the model's
 * answers are scripted; the daemon, its prompts, the panel, the notes file and the cancellation path are the real
 * ones. Covers: nothing is sent while the user has not opted in (with a model on offer); opted in, the meeting goes
 * to the model, its progress shows in the panel, a rule-based item it dismisses is struck through with its reason
 * and restored by the panel's Restore button, what it adds is marked as the model's; Cancel in the panel cancels the
 * request in flight in the model provider, and the rules' notes stand; a model that refuses (no consent) stops the
 * run at once with a message that says so.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { wavHeader } from '../../../daemon/capture/debugAudio';
import { readWavFormat } from '../../../daemon/capture/wav';
import type { EarshotApi } from '../../../extension/extension';
import { ExtractionProgressParams, SessionStateParams } from '../../../protocol/protocol';
import { available as hooksAvailable, panelEval, panelWaitFor, screenshot, until, waitForState } from './hooks';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SAMPLE = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');
const MEETING_MODEL = process.env.EARSHOT_TEST_MEETING_MODEL;
const MEETING_TEXT = 'Alice, can you fix auth.ts by Friday?';
const SIDEBAR = '.part.sidebar';
/** The scripted model as Earshot names it: `vendor/family`. */
const MODEL_NAME = 'earshot-test/scripted';
const SUMMARY_POINT = 'Alice was asked to fix auth.ts by Friday.';
const DISMISS_REASON = 'asked as an example in the room, not work after the meeting';
const ADDED_ITEM = 'Write the release notes for the auth fix';
const ADDED_DECISION = 'The auth fix ships in the Friday release';
/** What the scripted model notes on each part of a meeting (the settle reads it; the notes fold it under the summary). */
const PART_POINT = 'The part went over the fix';

/**
 * The sample said `times` times over, as one WAV in a temporary folder: a meeting long enough to be read in parts
 * (the sample alone is six lines, one part at any chunk size). Its samples (16 kHz mono 16-bit, as wavHeader writes)
 * are repeated under a header of the daemon's own.
 */
async function repeatedSample(times: number): Promise<string> {
  const format = await readWavFormat(SAMPLE);
  assert.deepEqual([format.sampleRate, format.channels, format.bitsPerSample, format.encoding], [16_000, 1, 16, 'int'], 'the sample is what wavHeader writes');
  const data = fs.readFileSync(SAMPLE).subarray(format.dataOffset, format.dataOffset + format.dataBytes);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-long-meeting-')), 'standup-repeated.wav');
  fs.writeFileSync(file, Buffer.concat([wavHeader(data.length * times), ...Array.from({ length: times }, () => data)]));
  return file;
}

/** What test/editor/language-model/extension.js exports. */
interface ScriptedModel {
  requests: { model: string; messages: string[]; cancelled: boolean; outcome: 'waiting' | 'answered' | 'cancelled' | 'refused' }[];
  setAnswer(answer: (messages: string[]) => string): void;
  hold(only?: (texts: string[]) => boolean): void;
  release(): void;
}

/**
 * The scripted answer to one chunk: dismiss the first rule-based action item, add an item owned by the speaker of
 * the first line and a decision on the last line. Ids and labels come from the prompt, as a model's would.
 */
function scriptedAnswer(messages: string[]): string {
  const user = messages[messages.length - 1];
  // The check for restatements at stop (on by default): nothing is said twice.
  if (/^You check the final notes of a meeting/.test(messages[0])) return JSON.stringify({ same: [] });
  // The decision check at stop (on by default): every decision stands.
  if (/^You check the decisions noted in a meeting/.test(messages[0])) return JSON.stringify({ notDecisions: [] });
  // The standing check of the settled summary (on by default): every point agrees with the decisions.
  if (/^You check the settled summary of a meeting/.test(messages[0])) return JSON.stringify({ fixes: [] });
  // A part's notes (the settle at stop reads them, issue 56): one point citing the part's first line.
  if (/^You take notes on one part of a meeting/.test(messages[0])) {
    const first = /^\[([\w-]+)\] /m.exec(user)?.[1];
    return JSON.stringify({ points: [{ text: PART_POINT, cites: first ? [first] : [] }] });
  }
  // The rolling summary's request (after each chunk): one point citing the first new line.
  if (/^You keep the summary of a meeting/.test(messages[0])) {
    // The settle at stop (issue 40): the summary so far, kept as it is (its outcomes agree with the final lists).
    if (user.includes('The meeting has ended: settle its summary')) {
      const lines = user.split('\n');
      const sofar = JSON.parse(lines[lines.indexOf('Summary so far (JSON):') + 1]) as { points: { text: string; cites: string[] }[] };
      return JSON.stringify(sofar);
    }
    const first = /^\[([\w-]+)\] /m.exec(user.slice(user.indexOf('New lines:')))?.[1];
    return JSON.stringify({ points: [{ text: SUMMARY_POINT, cites: first ? [first] : [] }] });
  }
  const lines = user.split('\n');
  const rules = JSON.parse(lines[lines.indexOf('Already extracted by rules (JSON):') + 1]) as { id: string; kind: string }[];
  const transcript = lines.map((l) => /^\[([^\]]+)\] \d\d:\d\d ([^:]+): /.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const first = transcript[0], last = transcript[transcript.length - 1];
  const ruleItem = rules.find((r) => r.kind === 'actionItem');
  return JSON.stringify({
    actionItems: [{ text: ADDED_ITEM, owner: first[2], due: null, segments: [first[1]] }],
    decisions: [{ text: ADDED_DECISION, kind: 'decision', segments: [last[1]] }],
    dismiss: ruleItem ? [{ id: ruleItem.id, reason: DISMISS_REASON }] : [],
    owners: [],
  });
}

describe('A language model through VS Code\'s Language Model API (opt-in)', function () {
  let api: EarshotApi;
  let model: ScriptedModel;
  let originalModel: string | undefined;
  const progress: ExtractionProgressParams[] = [];
  let progressSubscription: vscode.Disposable | undefined;

  before(async function () {
    const scripted = vscode.extensions.getExtension<ScriptedModel>('earshot-test.scripted-language-model');
    if (!MEETING_MODEL || !scripted) this.skip(); // started without test/editor/run.ts
    api = await vscode.extensions.getExtension<EarshotApi>('earshot.earshot')!.activate();
    model = await scripted.activate();
    model.setAnswer(scriptedAnswer);
    originalModel = vscode.workspace.getConfiguration('earshot').get<string>('model.path');
    progressSubscription = api.client.onExtractionProgress((p) => progress.push(p));
  });

  after(async () => {
    progressSubscription?.dispose();
    if (!api) return;
    model.release();
    const config = vscode.workspace.getConfiguration('earshot');
    await config.update('enhancement.provider', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('enhancement.model', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('enhancement.timeoutSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('enhancement.chunkCharacters', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('model.path', originalModel, vscode.ConfigurationTarget.Workspace);
    await api.client.restart();
  });

  /** Sets earshot.* settings (workspace) and restarts the daemon with them. */
  async function configure(values: Record<string, unknown>): Promise<void> {
    const config = vscode.workspace.getConfiguration('earshot');
    for (const [key, value] of Object.entries(values)) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
    await api.client.restart();
  }

  /** Transcribes the sample (the model says MEETING_TEXT for every turn); resolves when it streams, with its end. */
  async function meeting(title: string, audioFile = SAMPLE): Promise<{ sessionId: string; done: Promise<SessionStateParams> }> {
    const streaming = waitForState(api, 'streaming');
    const done = waitForState(api, 'done', 180_000);
    const { sessionId } = await api.client.start({ sources: ['file'], audioFile, pace: 'fast', title });
    await streaming;
    return { sessionId, done };
  }

  it('sends nothing while earshot.enhancement.provider is off, though VS Code offers a model', async () => {
    const offered = await vscode.lm.selectChatModels({ vendor: 'earshot-test' });
    assert.deepEqual(offered.map((m) => `${m.vendor}/${m.id}`), ['earshot-test/scripted-notes'], 'VS Code offers the scripted model');
    await configure({ 'model.path': MEETING_MODEL, 'enhancement.provider': 'off' });
    const { sessionId, done } = await meeting('Rules only');
    const finished = await done;
    assert.equal(finished.error, undefined);
    assert.ok(api.panel.snapshot().actionItems.some((i) => i.sessionId === sessionId && i.owner === 'Alice'), 'the rules found the request to Alice');
    assert.equal(model.requests.length, 0, 'no request reached the model');
    assert.ok(!progress.some((p) => p.sessionId === sessionId), 'no extraction ran');
    assert.doesNotMatch(fs.readFileSync(finished.notesPath!, 'utf8'), /found by earshot-test|Dismissed by/);
  });

  it('opted in: the meeting goes to the model, its dismissal is struck through with its reason and Restore brings the item back; its additions are marked', async function () {
    // A held request must not reach the per-call time limit on a loaded machine (the daemon would retry it).
    await configure({ 'enhancement.provider': 'vscode-lm', 'enhancement.model': 'scripted-notes', 'enhancement.timeoutSeconds': 120 });
    await vscode.commands.executeCommand('earshot.showPanel');
    model.hold();
    const { sessionId, done } = await meeting('Model sync');

    // At stop the daemon asks through the extension; the request waits in the model while the panel shows progress.
    const request = await until(() => model.requests.find((r) => r.outcome === 'waiting'), 'a request to the model', 120_000);
    assert.equal(request.model, 'scripted-notes', 'the model named in earshot.enhancement.model');
    assert.equal(request.messages.length, 2, 'the instructions, then the chunk');
    assert.match(request.messages[0], /^You extract action items and decisions/);
    assert.match(request.messages[1], /^Meeting: Model sync$/m);
    assert.ok(request.messages[1].includes(`: ${MEETING_TEXT}`), 'the transcript lines are in the prompt');
    const running = await until(() => progress.find((p) => p.sessionId === sessionId && p.state === 'running'), 'extraction progress');
    assert.equal(running.finished, 0);
    if (hooksAvailable) {
      const shown = await panelWaitFor<string>('(() => { const b = document.getElementById("extraction"); return !b.hidden && b.dataset.state === "running" && b.textContent; })()',
        'the extraction in progress');
      assert.match(shown, /Language model: chunk 1 of \d+/);
      assert.equal(await panelEval('document.querySelector("#extraction button").hidden'), false, 'a Cancel button while it runs');
      await screenshot('model-01-extraction-running', SIDEBAR);
    }
    // After the chunks, each step at stop is said while it runs, with Cancel: the settle held until seen.
    const isSettleRequest = (texts: string[]) => /The meeting has ended: settle its summary/.test(texts[1] ?? '');
    model.release();
    model.hold(isSettleRequest);
    await until(() => model.requests.find((r) => isSettleRequest(r.messages) && r.outcome === 'waiting'), 'the settle asked', 120_000);
    const settling = await until(() => progress.find((p) => p.sessionId === sessionId && p.step === 'settle'), 'the settle said as a step');
    assert.deepEqual([settling.state, settling.message], ['running', 'settling the summary against the final lists']);
    assert.ok(!progress.some((p) => p.sessionId === sessionId && p.state !== 'running'), 'no end while a step runs');
    if (hooksAvailable) {
      const shown = await panelWaitFor<string>('(() => { const b = document.getElementById("extraction"); return !b.hidden && b.dataset.state === "running" && /settling/.test(b.textContent) && b.textContent; })()',
        'the settle in progress');
      assert.match(shown, /Language model: settling the summary against the final lists/);
      assert.equal(await panelEval('document.querySelector("#extraction button").hidden'), false, 'a Cancel button while a step runs');
    }
    model.release();

    const finished = await done;
    assert.equal(finished.error, undefined);
    const end = await until(() => progress.find((p) => p.sessionId === sessionId && p.state !== 'running'), 'the end of the extraction');
    assert.equal(end.state, 'done');
    assert.equal(end.failed, 0);
    // One extraction request per chunk, none repeated; after each, one request revises the rolling summary; at stop
    // the decision check reads the final decisions once (and the check for restatements the lists, answered as every
    // request is: the last assertion below).
    const isSummary = (r: { messages: string[] }) => /^You keep the summary of a meeting/.test(r.messages[0]);
    const isExtraction = (r: { messages: string[] }) => /^You extract action items and decisions/.test(r.messages[0]);
    assert.equal(model.requests.filter(isExtraction).length, end.chunks, 'one extraction request per chunk, none repeated');
    assert.equal(model.requests.filter((r) => /^You check the decisions noted in a meeting/.test(r.messages[0])).length, 1, 'one decision check at stop');
    // After each chunk one request revises the rolling summary; at stop one more settles it (issue 40).
    const isSettle = (r: { messages: string[] }) => isSummary(r) && /The meeting has ended: settle its summary/.test(r.messages[1] ?? '');
    const revisions = model.requests.filter((r) => isSummary(r) && !isSettle(r)).length;
    const settles = model.requests.filter(isSettle).length;
    assert.deepEqual({ revisions, settles }, { revisions: end.chunks, settles: 1 }, 'one summary revision per chunk, then one settle at stop');
    const parts = model.requests.filter((r) => /^You take notes on one part of a meeting/.test(r.messages[0]));
    assert.equal(parts.length, end.chunks, 'one part\'s notes per chunk, which the settle reads');
    assert.ok(model.requests.filter(isSettle).every((r) => /^Notes on each part \(JSON, in meeting order\):$/m.test(r.messages[1] ?? '')));
    assert.ok(model.requests.every((r) => r.outcome === 'answered' && !r.cancelled));

    // The panel: the rule-based item dismissed (kept, with the model and its reason), the model's item and decision added.
    const snapshot = api.panel.snapshot();
    const dismissed = snapshot.actionItems.find((i) => i.removed && i.dismissed);
    assert.ok(dismissed, `a dismissed item in the panel: ${JSON.stringify(snapshot.actionItems)}`);
    assert.deepEqual(dismissed.dismissed, { by: MODEL_NAME, reason: DISMISS_REASON });
    assert.equal(dismissed.owner, 'Alice', 'the request to Alice was the rules\' item');
    const added = snapshot.actionItems.find((i) => i.text === ADDED_ITEM);
    assert.ok(added && !added.removed, 'the model\'s action item');
    assert.equal(added.refinedBy, MODEL_NAME);
    assert.match(added.id, /^am\d+$/);
    const decision = snapshot.decisions.find((d) => d.text === ADDED_DECISION);
    assert.equal(decision?.refinedBy, MODEL_NAME, 'the model\'s decision');
    const notes = await until(() => { const text = fs.readFileSync(finished.notesPath!, 'utf8'); return text.includes(DISMISS_REASON) && text; }, 'the notes with the dismissal');
    assert.match(notes, new RegExp(`^- \\[ \\] ${ADDED_ITEM} — @Speaker \\d+ _\\(found by ${MODEL_NAME}, 00:00[,)]`, 'm'), 'the model\'s item, said to be found by it');
    assert.match(notes, new RegExp(`^- ${ADDED_DECISION} _\\(found by ${MODEL_NAME}, \\d\\d:\\d\\d[,)]`, 'm'));
    assert.match(notes, new RegExp(`^_Dismissed by ${MODEL_NAME} \\(opt-in language model\\)`, 'm'));
    assert.match(notes, /^- ~~.*fix auth\.ts.*~~ — asked as an example in the room/m, 'the dismissed item struck through with its reason');
    assert.match(notes, new RegExp(`^- ${SUMMARY_POINT} _\\(\\[\\d\\d:\\d\\d\\]\\(#line-`, 'm'), 'the model\'s summary point, citing its line');

    if (hooksAvailable) {
      const row = `#action-items li[data-id="${dismissed.id}"]`;
      const meta = await panelWaitFor<string>(`(() => { const li = document.querySelector('${row}'); return li && li.classList.contains('dismissed') && li.querySelector('.item-meta').textContent; })()`,
        'the dismissed row struck through');
      assert.equal(meta, `dismissed by ${MODEL_NAME}: ${DISMISS_REASON}`);
      const addedMeta = await panelEval<string>(`document.querySelector('#action-items li[data-id="${added.id}"] .item-meta').textContent`);
      assert.match(addedMeta, /language model/);
      await screenshot('model-02-dismissed-and-added', SIDEBAR);
      await panelEval(`document.querySelector('${row} button.restore').click(), true`);
    } else {
      await api.client.restoreItem(sessionId, 'actionItem', dismissed.id);
    }

    // Restored: back in the list as it was, and out of the notes' dismissed lines.
    const restored = await until(() => api.panel.snapshot().actionItems.find((i) => i.id === dismissed.id && !i.removed), 'the item restored in the panel');
    assert.equal(restored.restored, true);
    assert.equal(restored.owner, 'Alice');
    await until(() => !fs.readFileSync(finished.notesPath!, 'utf8').includes(DISMISS_REASON), 'the notes without the dismissal');
    if (hooksAvailable) {
      await panelWaitFor(`(() => { const li = document.querySelector('#action-items li[data-id="${dismissed.id}"]'); return li && !li.classList.contains('dismissed') && li.querySelector('button.restore').hidden; })()`,
        'the row no longer dismissed');
      await screenshot('model-03-restored', SIDEBAR);
    }
  });

  it('a meeting read in parts (earshot.enhancement.chunkCharacters): the notes on each part fold under the summary in the panel and the notes file', async () => {
    const long = await repeatedSample(5);
    try {
      await configure({ 'model.path': MEETING_MODEL, 'enhancement.provider': 'vscode-lm', 'enhancement.model': 'scripted-notes', 'enhancement.timeoutSeconds': 120, 'enhancement.chunkCharacters': 1000 });
      await vscode.commands.executeCommand('earshot.showPanel');
      const before = model.requests.length;
      const { sessionId, done } = await meeting('Parted sync', long);
      const finished = await done;
      assert.equal(finished.error, undefined);
      const end = await until(() => progress.find((p) => p.sessionId === sessionId && p.state !== 'running'), 'the end of the extraction');
      assert.equal(end.state, 'done');
      assert.ok(end.chunks >= 2, `the setting cut the meeting into parts: ${end.chunks}`);
      const partRequests = model.requests.slice(before).filter((r) => /^You take notes on one part of a meeting/.test(r.messages[0]));
      assert.equal(partRequests.length, end.chunks, 'notes taken on each part');
      // Each part's prompt holds at most the chunk's characters of transcript (the lines cited by id).
      for (const r of partRequests) {
        const lines = r.messages[1].split('\n').filter((l) => /^\[[\w-]+\] \d\d:\d\d /.test(l));
        assert.ok(lines.length >= 2 && lines.join('\n').length <= 1000 + 100, `a part of at most about 1000 characters: ${lines.length} lines`);
      }

      // The notes file: the summary, then the fold with each part's span and its point citing its line.
      const notes = await until(() => { const text = fs.readFileSync(finished.notesPath!, 'utf8'); return text.includes('Part by part') && text; }, 'the notes with the parts');
      const fold = new RegExp(`^<details><summary>Part by part: the notes ${MODEL_NAME} took on each of the meeting's ${end.chunks} parts as it read them</summary>$`, 'm');
      assert.match(notes, fold);
      assert.ok(notes.indexOf(SUMMARY_POINT) < notes.search(fold), 'the summary first, the fold under it');
      const foldText = notes.slice(notes.search(fold), notes.indexOf('</details>', notes.search(fold)));
      assert.equal(foldText.match(/^\*\*\d\d:\d\d–\d\d:\d\d\*\*$/gm)?.length, end.chunks, 'each part\'s span');
      assert.equal(foldText.match(new RegExp(`^- ${PART_POINT} _\\(\\[\\d\\d:\\d\\d\\]\\(#line-`, 'gm'))?.length, end.chunks, 'each part\'s point, citing its line');

      // The panel: the same parts, folded under the summary on its tab.
      const shownInPanel = api.panel.snapshot();
      assert.equal(shownInPanel.session?.sessionId, sessionId, 'the panel shows this meeting');
      const summary = shownInPanel.summary;
      assert.equal(summary?.final, true);
      assert.equal(summary?.parts?.length, end.chunks);
      assert.ok(summary!.parts!.every((p) => p.points.length === 1 && p.points[0].text === PART_POINT && p.t1 >= p.t0));
      if (hooksAvailable) {
        await panelEval('document.getElementById("tab-summary").click(), true');
        const title = await panelWaitFor<string>('(() => { const d = document.getElementById("summary-parts"); return !d.hidden && !d.closest("[hidden]") && document.getElementById("summary-parts-title").textContent; })()',
          'the parts folded under the summary');
        assert.equal(title, `Part by part: what each of the ${end.chunks} parts dealt with`);
        assert.equal(await panelEval<boolean>('document.getElementById("summary-parts").open'), false, 'folded until clicked');
        await panelEval('document.getElementById("summary-parts-title").click(), true');
        const shown = await panelWaitFor<string[]>('document.getElementById("summary-parts").open && [...document.querySelectorAll("#summary-parts-list li")].map((li) => li.textContent)', 'the fold opened');
        assert.equal(shown.length, end.chunks);
        assert.ok(shown.every((t) => t.includes(PART_POINT)), JSON.stringify(shown));
        assert.equal(await panelEval<number>('document.querySelectorAll("#summary-parts-list .summary-part-time").length'), end.chunks, 'each part\'s span');
        // The meeting has ended: its notes may take most of the view (a live meeting's keep under half, for the transcript).
        const share = await panelEval<number>('document.getElementById("notes").getBoundingClientRect().height / document.querySelector("main").getBoundingClientRect().height');
        assert.ok(share > 0.5, `the ended meeting's notes take ${share.toFixed(2)} of the view`);
        await panelEval('document.getElementById("summary-parts").scrollIntoView({ block: "start" }), true');
        await screenshot('model-04-summary-part-by-part', SIDEBAR);
        await panelEval('document.getElementById("tab-actionItems").click(), true');
      }
    } finally {
      await configure({ 'enhancement.chunkCharacters': undefined });
      fs.rmSync(path.dirname(long), { recursive: true, force: true });
    }
  });

  it('Cancel in the panel cancels the request in flight in the model provider; the rules\' notes stand', async () => {
    const before = model.requests.length;
    model.hold();
    const { sessionId, done } = await meeting('Cancelled sync');
    const request = await until(() => model.requests.length > before && model.requests.find((r, k) => k >= before && r.outcome === 'waiting'), 'a request to the model', 120_000);
    if (hooksAvailable) {
      await panelWaitFor('!document.getElementById("extraction").hidden && !document.querySelector("#extraction button").hidden', 'the Cancel button');
      await panelEval('document.querySelector("#extraction button").click(), true');
    } else {
      await vscode.commands.executeCommand('earshot.cancelExtraction');
    }
    const finished = await done;
    assert.equal(finished.error, undefined);
    await until(() => request.outcome === 'cancelled' && request, 'the provider to see the cancellation');
    assert.equal(request.cancelled, true);
    const end = await until(() => progress.find((p) => p.sessionId === sessionId && p.state !== 'running'), 'the end of the extraction');
    assert.equal(end.state, 'cancelled');
    model.release();

    const items = api.panel.snapshot().actionItems.filter((i) => i.sessionId === sessionId);
    assert.ok(items.some((i) => i.owner === 'Alice' && !i.removed), 'the rules\' item stands');
    assert.ok(!items.some((i) => i.refinedBy || i.dismissed), 'nothing from the model');
    const notes = fs.readFileSync(finished.notesPath!, 'utf8');
    assert.doesNotMatch(notes, /found by earshot-test|Dismissed by/);
    if (hooksAvailable) {
      const state = await panelWaitFor<string>('document.getElementById("extraction").dataset.state !== "running" && document.getElementById("extraction").dataset.state', 'the extraction ended');
      assert.equal(state, 'cancelled');
    }
  });

  it('a model that refuses (the user declined VS Code\'s consent prompt): the run stops and says so; the rules\' notes stand', async () => {
    const before = model.requests.length;
    model.setAnswer(() => { throw vscode.LanguageModelError.NoPermissions('declined in the test'); });
    try {
      const { sessionId, done } = await meeting('Declined sync');
      const finished = await done;
      assert.equal(finished.error, undefined);
      const end = await until(() => progress.find((p) => p.sessionId === sessionId && p.state !== 'running'), 'the end of the extraction');
      assert.match(end.message, /declined/);
      assert.deepEqual(model.requests.slice(before).map((r) => r.outcome), ['refused'], 'asked once, not again for every chunk or attempt');
      const items = api.panel.snapshot().actionItems.filter((i) => i.sessionId === sessionId);
      assert.ok(items.some((i) => i.owner === 'Alice' && !i.removed), 'the rules\' item stands');
      assert.doesNotMatch(fs.readFileSync(finished.notesPath!, 'utf8'), /found by earshot-test|Dismissed by/);
      if (hooksAvailable) {
        const shown = await panelWaitFor<string>('(() => { const b = document.getElementById("extraction"); return !b.hidden && b.dataset.state === "done" && b.textContent; })()', 'how the run ended');
        assert.match(shown, /declined/);
      }
    } finally {
      model.setAnswer(scriptedAnswer);
    }
  });
});
