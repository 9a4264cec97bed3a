/**
 * Who reads partial transcripts (issue 41): the bookkeeping the daemon keeps across its clients (PartialsDemand) and
 * the extension's watcher that tells the daemon when its panel shows or hides and when a dictation starts or stops.
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import { PartialsDemand } from '../../protocol/partialsDemand';
import { watchPartialsReaders } from '../../extension/panel/partialsReaders';

type Emitter<T> = { event: (listener: (e: T) => void) => { dispose(): void }; fire(e: T): void };
const Emitter = vscodeStub.EventEmitter as unknown as new <T>() => Emitter<T>;

describe('PartialsDemand: partials are wanted while any reader reads them', () => {
  it('before anyone says, the default decides (the daemon: yes, for clients that never say; the extension: no)', () => {
    assert.equal(new PartialsDemand(true).wanted, true);
    assert.equal(new PartialsDemand(false).wanted, false);
  });

  it('across readers: wanted while any of them reads; a reader that leaves counts no more', () => {
    const changes: boolean[] = [];
    const demand = new PartialsDemand(true, (wanted) => changes.push(wanted));
    demand.set('a', false);
    assert.equal(demand.wanted, false, 'the only reader that said reads none: the default no longer applies');
    demand.set('b', true);
    assert.equal(demand.wanted, true);
    demand.set('a', true);
    demand.set('b', false);
    assert.equal(demand.wanted, true, 'a still reads');
    demand.forget('a');
    assert.equal(demand.wanted, false, 'b said no, a is gone');
    demand.forget('b');
    assert.equal(demand.wanted, true, 'nobody left who said: back to the default');
    assert.deepEqual(changes, [false, true, false, true], 'told only when the answer changes');
  });
});

describe('watchPartialsReaders: the extension tells the daemon who reads the transcript live', () => {
  function harness() {
    const panelChanged = new Emitter<boolean>(), dictationChanged = new Emitter<boolean>(), daemonStarted = new Emitter<void>();
    const readers = {
      panel: { visible: false, onDidChangeVisibility: panelChanged.event },
      dictation: { active: false, onDidChangeActive: dictationChanged.event },
    };
    const sent: boolean[] = [];
    const watcher = watchPartialsReaders(readers, async (wanted) => { sent.push(wanted); }, daemonStarted.event);
    return { readers, sent, watcher, panelChanged, dictationChanged, daemonStarted };
  }

  it('says "not wanted" at once while the panel is hidden, "wanted" when it shows, and again to each new daemon', () => {
    const h = harness();
    assert.deepEqual(h.sent, [false]);
    h.readers.panel.visible = true;
    h.panelChanged.fire(true);
    assert.deepEqual(h.sent, [false, true]);
    h.daemonStarted.fire();
    assert.deepEqual(h.sent, [false, true, true], 'a fresh daemon is told what this window wants');
    h.readers.panel.visible = false;
    h.panelChanged.fire(false);
    assert.deepEqual(h.sent, [false, true, true, false]);
    h.watcher.dispose();
    h.readers.panel.visible = true;
    h.panelChanged.fire(true);
    assert.equal(h.sent.length, 4, 'nothing once disposed');
  });

  it('a dictation reads the transcript while it runs; the panel and the dictation together', () => {
    const h = harness();
    h.readers.dictation.active = true;
    h.dictationChanged.fire(true);
    h.readers.panel.visible = true;
    h.panelChanged.fire(true); // already wanted: nothing new to say
    h.readers.dictation.active = false;
    h.dictationChanged.fire(false); // the panel still shows
    h.readers.panel.visible = false;
    h.panelChanged.fire(false);
    assert.deepEqual(h.sent, [false, true, false]);
    h.watcher.dispose();
  });
});
