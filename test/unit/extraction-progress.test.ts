/**
 * The language model's progress notification (extension/panel/extractionProgress.ts) with the vscode stub: chunks read
 * while the meeting still records show in the panel only (a notification would stand open for the whole meeting); the
 * notification opens once the meeting has stopped and its last chunks are read, and closes when the run ends.
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import { EXTRACTION_STEP_WORDS, type ExtractionProgressParams } from '../../protocol/protocol';

const stub = vscodeStub as unknown as Record<string, unknown> & { window: Record<string, unknown> };
const opened: { title: string; reports: string[]; closed: boolean }[] = [];
const warnings: string[] = [];
stub.ProgressLocation ??= { Notification: 15 };
stub.window.withProgress = (options: { title: string }, task: (progress: { report(r: { message: string }): void }, token: { onCancellationRequested(f: () => void): void }) => Promise<void>) => {
  const entry = { title: options.title, reports: [] as string[], closed: false };
  opened.push(entry);
  return task({ report: (r) => entry.reports.push(r.message) }, { onCancellationRequested: () => undefined }).then(() => { entry.closed = true; });
};
stub.window.showWarningMessage = (message: string) => { warnings.push(message); return Promise.resolve(undefined); };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExtractionProgressView, progressWords } = require('../../extension/panel/extractionProgress') as typeof import('../../extension/panel/extractionProgress');

const progress = (state: ExtractionProgressParams['state'], finished: number, chunks: number): ExtractionProgressParams =>
  ({ sessionId: 's1', state, chunks, finished, failed: 0, tokens: 0, tokenBudget: 200_000, message: `${finished} of ${chunks}` });

describe('the language model\'s progress notification', () => {
  beforeEach(() => { opened.length = 0; warnings.length = 0; });

  it('while the meeting records: the panel only; after the stop: one notification until the run ends', async () => {
    const view = new ExtractionProgressView(() => Promise.resolve());
    view.show(progress('running', 0, 1), true);
    view.show(progress('running', 1, 2), true);
    assert.equal(opened.length, 0, 'no notification while the meeting records');
    view.show(progress('running', 2, 3), false);
    assert.equal(opened.length, 1, 'the stop opens it for the last chunks');
    view.show(progress('running', 2, 3), true);
    assert.equal(opened.length, 1, 'an open notification is updated, not opened again');
    assert.deepEqual(opened[0].reports, ['chunk 3 of 3', 'chunk 3 of 3']);
    view.show(progress('done', 3, 3), false);
    await new Promise((r) => setImmediate(r));
    assert.equal(opened[0].closed, true, 'closed when the run ends');
    assert.equal(view.running, undefined);
    assert.deepEqual(warnings, []);
  });

  it('after the chunks, each step at stop in the daemon\'s words; open until the run ends', async () => {
    const view = new ExtractionProgressView(() => Promise.resolve());
    view.show(progress('running', 2, 3));
    // The chunks' end held back (still running), then the steps (protocol.ts EXTRACTION_STEP_WORDS).
    view.show({ ...progress('running', 3, 3), message: '3 chunks done' });
    view.show({ ...progress('running', 3, 3), step: 'decisions', message: EXTRACTION_STEP_WORDS.decisions });
    view.show({ ...progress('running', 3, 3), step: 'settle', message: EXTRACTION_STEP_WORDS.settle });
    await new Promise((r) => setImmediate(r));
    assert.equal(opened.length, 1);
    assert.deepEqual(opened[0].reports, ['chunk 3 of 3', 'chunk 3 of 3', 'checking each decision against its lines', 'settling the summary against the final lists']);
    assert.equal(opened[0].closed, false, 'open while a step runs');
    view.show({ ...progress('done', 3, 3), message: '3 chunks done' });
    await new Promise((r) => setImmediate(r));
    assert.equal(opened[0].closed, true);
    assert.equal(progressWords({ ...progress('running', 1, 3), step: 'owners', message: EXTRACTION_STEP_WORDS.owners }), 'finding owners for the items without one');
  });

  it('without the recording flag (a run at stop, a stored session): the notification at once, as before', () => {
    const view = new ExtractionProgressView(() => Promise.resolve());
    view.show(progress('running', 0, 4));
    assert.equal(opened.length, 1);
    assert.equal(opened[0].title, 'Earshot: language model reading the meeting');
  });
});
