/**
 * When Earshot offers meeting notes for a call (extension/calls/callOffers.ts), with fakes for the window, the settings,
 * the other windows and the daemon: once per call, never while recording, withdrawn when the app stops first, "always"
 * remembered and then starting without asking, ignored apps never offered; one window of several offers; names inert.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CallApp } from '../../protocol/protocol';
import { appListed, callAppName } from '../../extension/calls/appNames';
import { CallOfferDeps, CallOffers, OfferAnswer, OfferPrompt } from '../../extension/calls/callOffers';
import { OfferClaims, STALE_MS } from '../../extension/calls/offerClaims';

const zoom: CallApp = { app: 'zoom', pid: 4242, since: '2026-11-27T21:00:00.000Z', sinceFrom: 'detector' };
const teams: CallApp = { app: 'MSTeams_8wekyb3d8bbwe', since: '2026-11-27T21:01:00.000Z', sinceFrom: 'os' };

interface FakePrompt extends OfferPrompt {
  app: string;
  name: string;
  withdrawn: boolean;
}

/** A window that records what it was asked to do; `answers` answer each offer as the user would (else it waits). */
function fakeWindow(options: { busy?: boolean; alwaysStart?: string[]; ignoreApps?: string[]; claim?: boolean } = {}) {
  const asked: FakePrompt[] = [];
  const started: { app: string; name: string; how: string }[] = [];
  const remembered: string[] = [];
  const tooLate: string[] = [];
  const released: string[] = [];
  const lists = { alwaysStart: options.alwaysStart ?? [], ignoreApps: options.ignoreApps ?? [] };
  const state = { busy: options.busy ?? false };
  const deps: CallOfferDeps = {
    lists: () => lists,
    busy: () => state.busy,
    claim: async () => options.claim ?? true,
    release: (key) => released.push(key),
    ask: (call, name) => {
      let choose!: (a: OfferAnswer) => void;
      const answer = new Promise<OfferAnswer | undefined>((resolve) => { choose = resolve; });
      const prompt: FakePrompt = { app: call.app, name, withdrawn: false, answer, choose, withdraw: () => { prompt.withdrawn = true; } };
      asked.push(prompt);
      return prompt;
    },
    start: async (call, name, how) => { started.push({ app: call.app, name, how }); state.busy = true; },
    rememberAlways: async (app) => { remembered.push(app); lists.alwaysStart = [...lists.alwaysStart, app]; },
    tooLate: (name) => tooLate.push(name),
    log: () => undefined,
  };
  return { deps, asked, started, remembered, tooLate, released, state, offers: new CallOffers(deps) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('call offers (extension/calls)', () => {
  it('offers a call once, naming the app, and Start starts the meeting for that call', async () => {
    const w = fakeWindow();
    void w.offers.changed({ started: [zoom], stopped: [] });
    await settle();
    // The same call again (a repeated notification, a daemon restart's first answer): no second offer.
    void w.offers.changed({ started: [zoom], stopped: [] });
    void w.offers.seen({ apps: [zoom], backend: 'pulse' });
    await settle();
    assert.equal(w.asked.length, 1);
    assert.equal(w.asked[0].name, 'Zoom');
    assert.deepEqual(w.offers.pending().map((o) => o.name), ['Zoom']);
    w.asked[0].choose('start');
    await settle();
    assert.deepEqual(w.started, [{ app: 'zoom', name: 'Zoom', how: 'yes' }]);
    assert.deepEqual(w.offers.pending(), []);
  });

  it('a new call of the same app (another process, or after the last one stopped) is offered again', async () => {
    const w = fakeWindow();
    void w.offers.changed({ started: [zoom], stopped: [] });
    await settle();
    w.asked[0].choose('notNow');
    await settle();
    await w.offers.changed({ started: [], stopped: [zoom] });
    void w.offers.changed({ started: [zoom], stopped: [] });
    void w.offers.changed({ started: [{ ...zoom, pid: 5000 }], stopped: [] });
    await settle();
    assert.equal(w.asked.length, 3);
    assert.deepEqual(w.started, [], 'Not now starts nothing');
  });

  it('withdraws the offer when the app stops before the answer; a late Start starts nothing and says so', async () => {
    const w = fakeWindow();
    void w.offers.changed({ started: [zoom], stopped: [] });
    await settle();
    await w.offers.changed({ started: [], stopped: [zoom] });
    assert.equal(w.asked[0].withdrawn, true);
    assert.deepEqual(w.offers.pending(), []);
    w.asked[0].choose('start');
    await settle();
    assert.deepEqual(w.started, []);
    assert.deepEqual(w.tooLate, ['Zoom']);
  });

  it('a watch restart that no longer lists the app ends its call (withdrawn)', async () => {
    const w = fakeWindow();
    void w.offers.seen({ apps: [zoom], backend: 'pulse' });
    await settle();
    await w.offers.seen({ apps: [], backend: 'pulse' });
    assert.equal(w.asked[0].withdrawn, true);
  });

  it('Always remembers the app and starts; its next call starts without asking', async () => {
    const w = fakeWindow();
    void w.offers.changed({ started: [zoom], stopped: [] });
    await settle();
    w.asked[0].choose('always');
    await settle();
    assert.deepEqual(w.remembered, ['zoom']);
    assert.deepEqual(w.started, [{ app: 'zoom', name: 'Zoom', how: 'yes' }]);
    w.state.busy = false; // that meeting ended
    await w.offers.changed({ started: [], stopped: [zoom] });
    await w.offers.changed({ started: [{ ...zoom, pid: 7 }], stopped: [] });
    assert.equal(w.asked.length, 1, 'not asked again');
    assert.deepEqual(w.started.at(-1), { app: 'zoom', name: 'Zoom', how: 'always' });
  });

  it('an app in alwaysStart matches without case; one in ignoreApps is never offered nor started', async () => {
    const always = fakeWindow({ alwaysStart: ['ZOOM'] });
    await always.offers.changed({ started: [zoom], stopped: [] });
    assert.deepEqual(always.started, [{ app: 'zoom', name: 'Zoom', how: 'always' }]);
    assert.equal(always.asked.length, 0);
    const ignored = fakeWindow({ alwaysStart: ['zoom'], ignoreApps: [' Zoom '] });
    await ignored.offers.changed({ started: [zoom], stopped: [] });
    assert.equal(ignored.asked.length, 0);
    assert.deepEqual(ignored.started, []);
  });

  it('no offer while a meeting or a dictation records, and that call is not offered later either', async () => {
    const w = fakeWindow({ busy: true, alwaysStart: ['MSTeams_8wekyb3d8bbwe'] });
    await w.offers.changed({ started: [zoom, teams], stopped: [] });
    w.state.busy = false;
    await w.offers.changed({ started: [zoom], stopped: [] });
    assert.equal(w.asked.length, 0);
    assert.deepEqual(w.started, [], 'not even an "always" app');
  });

  it('a call another window claimed is not offered here; this window releases its claims when the call ends', async () => {
    const other = fakeWindow({ claim: false });
    await other.offers.changed({ started: [zoom], stopped: [] });
    assert.equal(other.asked.length, 0);
    const w = fakeWindow();
    void w.offers.changed({ started: [teams], stopped: [] });
    await settle();
    await w.offers.changed({ started: [], stopped: [teams] });
    assert.equal(w.released.length, 1, 'the claim given up');
    await other.offers.changed({ started: [], stopped: [zoom] });
    assert.deepEqual(other.released, [], 'nothing to give up');
  });

  it('clear() (detection turned off) withdraws every offer', async () => {
    const w = fakeWindow();
    void w.offers.changed({ started: [zoom, teams], stopped: [] });
    await settle();
    w.offers.clear();
    assert.deepEqual(w.asked.map((p) => p.withdrawn), [true, true]);
    assert.deepEqual(w.offers.pending(), []);
  });
});

describe("a call app's name as shown (extension/calls/appNames)", () => {
  it('known apps by their usual name, from PulseAudio names, bundle ids, package families and paths', () => {
    assert.equal(callAppName('ZOOM VoiceEngine'), 'Zoom');
    assert.equal(callAppName('us.zoom.xos'), 'Zoom');
    assert.equal(callAppName('MSTeams_8wekyb3d8bbwe'), 'Microsoft Teams');
    assert.equal(callAppName('C:#Program Files#Google#Chrome#Application#chrome.exe'), 'Google Chrome');
    assert.equal(callAppName('Firefox'), 'Firefox');
  });

  it('any other name: its last path part, inert (no controls, no brackets a notification makes a link of), bounded', () => {
    assert.equal(callAppName('C:#Tools#Recorder#rec.exe'), 'rec');
    assert.equal(callAppName('/usr/bin/mumble'), 'mumble');
    const hostile = callAppName('[Open](command:earshot.deleteAllData)\u001b]0;x\u0007\u202e');
    assert.doesNotMatch(hostile, /[[\]\u0000-\u001f\u202e]/);
    assert.equal(hostile.includes('](command:'), false);
    assert.ok(callAppName('x'.repeat(500)).length <= 60);
    assert.equal(callAppName('\u0007'), 'An app');
  });

  it('lists match without case or blanks', () => {
    assert.equal(appListed('Zoom', [' zoom ']), true);
    assert.equal(appListed('zoom', ['teams']), false);
  });
});

describe('one offer per call across windows (extension/calls/offerClaims)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-claims-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the first window claims a call, a second does not; released, the next claim succeeds', async () => {
    const a = new OfferClaims(dir);
    const b = new OfferClaims(dir);
    assert.equal(await a.claim('zoom\n1'), true);
    assert.equal(await b.claim('zoom\n1'), false);
    assert.equal(await b.claim('zoom\n2'), true, 'another call');
    a.release('zoom\n1');
    assert.equal(await b.claim('zoom\n1'), true);
    b.dispose();
    assert.deepEqual(fs.readdirSync(dir), [], 'a closing window leaves no claim');
  });

  it("a claim left by a window that died stops counting after STALE_MS", async () => {
    let now = Date.now();
    const dead = new OfferClaims(dir);
    assert.equal(await dead.claim('zoom\n1'), true);
    const b = new OfferClaims(dir, () => now);
    assert.equal(await b.claim('zoom\n1'), false);
    now += STALE_MS + 1000;
    assert.equal(await b.claim('zoom\n1'), true);
  });
});
