/**
 * Call detection's parsers and detector: pactl's source-outputs and sources as a real pactl 16.1 prints them
 * (test/fixtures/calls/, captured from the private PulseAudio of test/support/pulse.ts with `parec --client-name zoom`
 * on the virtual microphone, a plain parec on it and one on speaker.monitor); Windows' `reg query` from Microsoft's
 * documented output and from Wine 8.0's real reg.exe; macOS from the capture app's JSON contract (daemon/calls/mac.ts,
 * the selectors of AudioHardware.h). The detector runs fake commands for what cannot run here, and a command that hangs.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CallsListResult } from '../../protocol/protocol';
import { validateCallsWatch } from '../../protocol/validate';
import { CallDetector, isOwnProcess } from '../../daemon/calls/detector';
import { macCallApps, parseMacProcesses } from '../../daemon/calls/mac';
import { parseSourceOutputsJson, parseSourceOutputsText, parseSourcesJson, parseSourcesText, pulseCallApps } from '../../daemon/calls/pulse';
import { CallWatcher, changes } from '../../daemon/calls/watcher';
import { isSourceOutputEvent, PulseSubscription } from '../../daemon/calls/pulseEvents';
import { consentStoreApps, filetimeToMs, parseRegQuery } from '../../daemon/calls/windows';
import { callsTable } from '../../daemon/cli/calls';
import { REPO_ROOT } from '../setup';
import { lostNote, watchLateness } from '../support/loop-lateness';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'calls');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
/** The pids in the captured fixtures: parec --client-name zoom on virtmic, parec on virtmic, parec on speaker.monitor. */
const ZOOM = 24820, PAREC_MIC = 24821, PAREC_MONITOR = 24822;
const nobody = () => false;

/**
 * `reg query HKCU\…\ConsentStore\microphone /s` as Windows prints it (learn.microsoft.com/windows-server/administration/
 * windows-commands/reg-query: the key's path on its own line, then `    name    TYPE    data`, REG_QWORD as 0x hex; a
 * blank line between keys, CRLF). Sound Recorder used the microphone and stopped; Zoom (a desktop program, its path
 * with # for \) still records: LastUsedTimeStop 0. 0x1daaa8bb6820000 = 2024-05-20T08:00:00Z, 0x1daaa8fe7643400 = 08:30,
 * 0x1daaa9418466800 = 09:00.
 */
const REG_QUERY_WINDOWS = [
  '',
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone',
  '    Value    REG_SZ    Allow',
  '',
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone\\Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe',
  '    Value    REG_SZ    Allow',
  '    LastUsedTimeStart    REG_QWORD    0x1daaa8bb6820000',
  '    LastUsedTimeStop    REG_QWORD    0x1daaa8fe7643400',
  '',
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone\\NonPackaged',
  '    Value    REG_SZ    Allow',
  '',
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone\\NonPackaged\\C:#Program Files#Zoom#bin#Zoom.exe',
  '    LastUsedTimeStart    REG_QWORD    0x1daaa9418466800',
  '    LastUsedTimeStop    REG_QWORD    0x0',
  '',
].join('\r\n');

/** A shell script in a fresh folder, as a fake command. */
function fakeCommand(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-'));
  const file = path.join(dir, 'fake');
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('call detection', () => {
  describe('PulseAudio (pactl 16.1, real output)', () => {
    it('reads the source-outputs from JSON and from the text form alike', () => {
      const json = parseSourceOutputsJson(fixture('pactl-16.1-source-outputs.json'));
      const text = parseSourceOutputsText(fixture('pactl-16.1-source-outputs.txt'));
      assert.equal(json.length, 4);
      assert.deepEqual(text, json);
      const zoom = json.find((s) => s.properties['application.name'] === 'zoom')!;
      assert.equal(zoom.properties['application.process.id'], String(ZOOM));
      assert.equal(zoom.source, 2);
      // module-remap-source reads its master through a stream of its own, without a client.
      assert.equal(json.find((s) => s.properties['media.role'] === 'filter')!.client, undefined);
    });

    it('tells monitor sources from microphones, from JSON and from the text form alike', () => {
      const json = parseSourcesJson(fixture('pactl-16.1-sources.json'));
      assert.deepEqual(json.map((s) => [s.index, s.name, s.monitor]), [[0, 'speaker.monitor', true], [1, 'mic_feed.monitor', true], [2, 'virtmic', false]]);
      assert.deepEqual(parseSourcesText(fixture('pactl-16.1-sources.txt')), json);
    });

    it('lists the apps recording a microphone: not monitors, not the server\'s own streams, not Earshot\'s', () => {
      const streams = parseSourceOutputsJson(fixture('pactl-16.1-source-outputs.json'));
      const sources = parseSourcesJson(fixture('pactl-16.1-sources.json'));
      assert.deepEqual(pulseCallApps(streams, sources, nobody), [{ app: 'zoom', pid: ZOOM }, { app: 'parec', pid: PAREC_MIC }]);
      // The recorder on speaker.monitor is system-audio capture: never listed.
      assert.ok(!pulseCallApps(streams, sources, nobody).some((a) => a.pid === PAREC_MONITOR));
      assert.deepEqual(pulseCallApps(streams, sources, (pid) => pid === PAREC_MIC), [{ app: 'zoom', pid: ZOOM }]);
      const named = streams.map((s) => (s.properties['application.process.id'] === String(PAREC_MIC) ? { ...s, properties: { ...s.properties, 'media.name': 'Earshot' } } : s));
      assert.deepEqual(pulseCallApps(named, sources, nobody), [{ app: 'zoom', pid: ZOOM }]);
      const corked = streams.map((s) => ({ ...s, corked: s.properties['application.name'] === 'zoom' }));
      assert.deepEqual(pulseCallApps(corked, sources, nobody), [{ app: 'parec', pid: PAREC_MIC }]);
    });
  });

  describe('Windows (the consent store through reg query)', () => {
    it('FILETIME to Unix time', () => {
      assert.equal(new Date(filetimeToMs(133485408000000000n)).toISOString(), '2024-01-01T00:00:00.000Z');
    });

    it('lists the programs whose LastUsedTimeStop is 0, with their start as since', () => {
      const entries = parseRegQuery(REG_QUERY_WINDOWS);
      assert.deepEqual(entries.map((e) => e.app), ['Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe', 'C:\\Program Files\\Zoom\\bin\\Zoom.exe']);
      assert.deepEqual(consentStoreApps(entries), [{ app: 'C:\\Program Files\\Zoom\\bin\\Zoom.exe', since: '2024-05-20T09:00:00.000Z' }]);
    });

    it("reads Wine 8.0's real reg.exe output, whose REG_QWORDs are (null): nothing counts as in use", () => {
      const entries = parseRegQuery(fixture('wine-8.0-reg-query-microphone.txt'));
      assert.deepEqual(entries.map((e) => e.app), ['Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe', 'C:\\Users\\ana\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe']);
      assert.ok(entries.every((e) => e.start === undefined && e.stop === undefined));
      assert.deepEqual(consentStoreApps(entries), []);
    });
  });

  describe('macOS (earshot-audio-processes\'s line)', () => {
    // One object per kAudioHardwarePropertyProcessObjectList entry: kAudioProcessPropertyPID ('ppid'),
    // kAudioProcessPropertyBundleID ('pbid'), kAudioProcessPropertyIsRunningInput ('piri'): AudioHardware.h of the macOS
    // 14.2 SDK, the "Process Properties" enum (alexey-lysiuk/macos-sdk a79de83, MacOSX14.2.sdk/System/Library/Frameworks/
    // CoreAudio.framework/Versions/A/Headers/AudioHardware.h); earshot-audio-processes.cpp prints this line.
    const LINE = JSON.stringify({ processes: [
      { pid: 812, bundleId: 'us.zoom.xos', runningInput: true },
      { pid: 640, bundleId: 'com.apple.Music', runningInput: false },
      { pid: 977, bundleId: '', runningInput: true },
      { pid: 4242, bundleId: 'com.microsoft.VSCode', runningInput: true },
      { pid: -1, bundleId: 'bad', runningInput: true },
    ] });

    it('lists the processes running input, not Earshot\'s own', () => {
      assert.deepEqual(macCallApps(parseMacProcesses(LINE), (pid) => pid === 4242), [{ app: 'us.zoom.xos', pid: 812 }, { app: 'pid 977', pid: 977 }]);
    });

    it('refuses a line that is not the contract', () => {
      assert.throws(() => parseMacProcesses('{"devices":[]}'), /processes/);
      assert.throws(() => parseMacProcesses('usage: earshot-capture devices|microphone|system'));
    });
  });

  describe('the detector', () => {
    it('asks pactl once per look while nothing records, and the sources only when a stream names an unknown one', async () => {
      const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-')), 'calls');
      const pactl = fakeCommand(`echo "$@" >> ${log}\ncase "$*" in *source-outputs*) cat ${path.join(FIXTURES, 'pactl-16.1-source-outputs.json')};; *) cat ${path.join(FIXTURES, 'pactl-16.1-sources.json')};; esac`);
      let now = Date.parse('2026-01-01T10:00:00Z');
      const detector = new CallDetector({ platform: 'linux', commands: { pactl }, now: () => now });
      const first = await detector.detect();
      assert.deepEqual(first, { backend: 'pulse', apps: [
        { app: 'parec', pid: PAREC_MIC, since: '2026-01-01T10:00:00.000Z', sinceFrom: 'detector' },
        { app: 'zoom', pid: ZOOM, since: '2026-01-01T10:00:00.000Z', sinceFrom: 'detector' },
      ] });
      now += 5000;
      const second = await detector.detect();
      assert.deepEqual(second.apps.map((a) => a.since), ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:00.000Z'], 'since is when it was first seen');
      assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['-f json list source-outputs', '-f json list sources', '-f json list source-outputs']);
    });

    it('reads the text form from a pactl without JSON', async () => {
      const pactl = fakeCommand(`case "$1" in -f) echo "pactl: invalid option -- 'f'" >&2; exit 1;; esac\ncase "$*" in *source-outputs*) cat ${path.join(FIXTURES, 'pactl-16.1-source-outputs.txt')};; *) cat ${path.join(FIXTURES, 'pactl-16.1-sources.txt')};; esac`);
      const r = await new CallDetector({ platform: 'linux', commands: { pactl } }).detect();
      assert.deepEqual(r.apps.map((a) => [a.app, a.pid]), [['parec', PAREC_MIC], ['zoom', ZOOM]]);
    });

    it('kills a query that hangs at its bound and reports it as a fault', async () => {
      const pactl = fakeCommand('exec sleep 30');
      const loop = watchLateness();
      const started = performance.now();
      const r = await new CallDetector({ platform: 'linux', commands: { pactl }, limitMs: 300 }).detect();
      // Killed at the 300 ms bound, not after the query's 30 s: a generous margin for the shell's start and kill, later
      // by what the event loop lost meanwhile (loop-lateness.ts).
      const ms = performance.now() - started;
      const lost = loop.lostMs(started, started + ms);
      loop.stop();
      assert.ok(ms < 5000 + lost, `took ${ms.toFixed(0)} ms ${lostNote(lost)}`);
      assert.deepEqual(r.apps, []);
      assert.match(r.fault ?? '', /did not answer within 300 ms/);
    });

    it('says when the tool is missing', async () => {
      const r = await new CallDetector({ platform: 'linux', commands: { pactl: '/nonexistent/pactl' } }).detect();
      assert.match(r.fault ?? '', /pactl is not installed/);
    });

    it('Windows: reg query, with the OS\'s own start time', async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-')), 'reg.txt');
      fs.writeFileSync(out, REG_QUERY_WINDOWS);
      const reg = fakeCommand(`[ "$1" = query ] && [ "$3" = /s ] || exit 2\ncat ${out}`);
      const r = await new CallDetector({ platform: 'win32', commands: { reg } }).detect();
      assert.deepEqual(r, { backend: 'consent-store', apps: [{ app: 'C:\\Program Files\\Zoom\\bin\\Zoom.exe', since: '2024-05-20T09:00:00.000Z', sinceFrom: 'os' }] });
    });

    it('macOS: earshot-audio-processes\'s line, not the capture app; its fault line when it has none', async () => {
      // The daemon tells it which processes are its own (their parent chains are the OS's: the program walks them).
      const processes = fakeCommand(`[ "$1 $2 $3" = "--own-pid ${process.pid} --own-executable" ] && [ "$4" = /Applications/x/earshot-capture ] || exit 64\necho '{"processes":[{"pid":812,"bundleId":"us.zoom.xos","runningInput":true},{"pid":900,"bundleId":"dev.earshot.audio-capture","runningInput":true}]}'`);
      const r = await new CallDetector({ platform: 'darwin', ownExecutable: '/Applications/x/earshot-capture', commands: { processes } }).detect();
      assert.deepEqual(r.apps.map((a) => [a.app, a.pid, a.sinceFrom]), [['us.zoom.xos', 812, 'detector']]);
      // A macOS before 14.2 (no kAudioHardwarePropertyProcessObjectList): the program's own line, exit 2.
      const old = fakeCommand('echo "Core Audio has no process objects on this macOS (kAudioHardwarePropertyProcessObjectList arrived in macOS 14.2)" >&2; exit 2');
      const fault = (await new CallDetector({ platform: 'darwin', commands: { processes: old } }).detect()).fault ?? '';
      assert.match(fault, /^earshot-audio-processes failed \(2\): Core Audio has no process objects on this macOS/);
      const missing = await new CallDetector({ platform: 'darwin', commands: { processes: '/nonexistent/earshot-audio-processes' } }).detect();
      assert.equal(missing.fault, 'earshot-audio-processes is not installed');
    });

    it('knows its own process and its children', async () => {
      assert.equal(isOwnProcess(process.pid, process.pid), true);
      const child = spawn('sleep', ['5']);
      try {
        assert.equal(isOwnProcess(child.pid!, process.pid), true);
        assert.equal(isOwnProcess(process.ppid, process.pid), false);
      } finally {
        child.kill();
      }
    });
  });

  describe('changes and what is printed', () => {
    const zoom = { app: 'zoom', pid: 1, since: '2026-01-01T10:00:00.000Z', sinceFrom: 'detector' as const };
    const teams = { app: 'teams', pid: 2, since: '2026-01-01T10:00:00.000Z', sinceFrom: 'detector' as const };
    const list = (...apps: typeof zoom[]): CallsListResult => ({ apps, backend: 'pulse' });

    it('tells apps that started and stopped, and a fault without losing the apps seen before it', () => {
      assert.equal(changes(list(zoom), list(zoom)), undefined);
      assert.deepEqual(changes(list(zoom), list(teams)), { ...list(teams), started: [teams], stopped: [zoom] });
      const fault = { apps: [], backend: 'pulse' as const, fault: 'pactl did not answer' };
      assert.deepEqual(changes(list(zoom), fault), { ...fault, started: [], stopped: [] });
      assert.equal(changes({ ...fault, apps: [zoom] }, list(zoom))?.started.length, 0, 'after a fault, zoom is not new');
    });

    it('prints app names inert', () => {
      const lines = callsTable(list({ ...zoom, app: 'zo\x1b]0;owned\x07om' }));
      assert.equal(lines[0], 'APP                   PID  SINCE');
      assert.ok(lines[1].startsWith('zo\\x1b]0;owned\\x07om  1    '), lines[1]);
      assert.deepEqual(callsTable(list()), ['No app is using the microphone (pulse).']);
    });

    it('validates calls/watch params', () => {
      assert.deepEqual(validateCallsWatch({ on: true }), { on: true, intervalMs: 3000 });
      assert.throws(() => validateCallsWatch({ on: 'yes' }), /on must be a boolean/);
      assert.throws(() => validateCallsWatch({ on: true, intervalMs: 10 }), /intervalMs/);
      assert.throws(() => validateCallsWatch({ on: true, intervalMs: 1500.5 }), /intervalMs/);
    });
  });

  describe('events instead of polls (pactl subscribe)', () => {
    const waitUntil = async (what: string, check: () => boolean, ms = 5000) => {
      const deadline = performance.now() + ms;
      while (!check()) {
        if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    it("reads source-output events as pactl 16.1 prints them, and nothing else", () => {
      // Lines a real `pactl subscribe` printed on the private server while `parec --client-name zoom` started and ended.
      assert.equal(isSourceOutputEvent("Event 'new' on source-output #1"), true);
      assert.equal(isSourceOutputEvent("Event 'remove' on source-output #1"), true);
      assert.equal(isSourceOutputEvent("Event 'change' on source-output #12"), true);
      assert.equal(isSourceOutputEvent("Event 'new' on client #2"), false);
      assert.equal(isSourceOutputEvent("Event 'change' on source #2"), false);
      assert.equal(isSourceOutputEvent("Event 'new' on source-output #1 and more"), false);
    });

    it('tells each source-output event, drops an overlong line, and is live once it runs', async () => {
      const go = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-')), 'go');
      // Events come only once the test says (the file exists): after the subscription counts as live.
      const pactl = fakeCommand(`[ "$1" = subscribe ] || exit 2\nwhile [ ! -e ${go} ]; do sleep 0.05; done\necho "Event 'new' on client #2"\nhead -c 100000 /dev/zero | tr '\\0' x\necho\necho "Event 'new' on source-output #1"\nexec sleep 30`);
      const sub = new PulseSubscription({ pactl });
      let events = 0;
      const live: boolean[] = [];
      sub.start(() => { events++; }, (l) => { live.push(l); });
      try {
        await waitUntil('live', () => live.length > 0);
        assert.deepEqual(live, [true]);
        fs.writeFileSync(go, '');
        await waitUntil('the event', () => events > 0);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(events, 1, 'the client event and the long line are not source-output events');
      } finally {
        sub.stop();
      }
    });

    it('restarts a child that exits, with a doubling backoff, and stops for good', async () => {
      const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-')), 'starts');
      const pactl = fakeCommand(`echo start >> ${log}\necho "Connection failure: Connection refused" >&2\nexit 1`);
      const sub = new PulseSubscription({ pactl, backoffMs: { first: 50, max: 200 } });
      const live: boolean[] = [];
      const started = performance.now();
      sub.start(() => undefined, (l) => { live.push(l); });
      await waitUntil('four starts', () => sub.starts >= 4);
      // 50 + 100 + 200 ms of backoff at least between the first and the fourth.
      assert.ok(performance.now() - started >= 350, `${performance.now() - started} ms`);
      sub.stop();
      const after = sub.starts;
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(sub.starts, after, 'nothing starts after stop');
      assert.deepEqual(live, [], 'a child that exits at once was never live');
    });

    it('does not try again a pactl that is not installed', async () => {
      const sub = new PulseSubscription({ pactl: '/nonexistent/pactl', backoffMs: { first: 10, max: 20 } });
      sub.start(() => undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sub.starts, 1);
      sub.stop();
    });

    it('the watcher looks at each event and not between them; it polls while events do not come', async () => {
      let lookups = 0;
      const detector = { detect: async (): Promise<CallsListResult> => { lookups++; return { apps: [], backend: 'pulse' }; } };
      let fire: () => void = () => undefined;
      let setLive: (live: boolean) => void = () => undefined;
      const events = { start: (onEvent: () => void, onLive: (live: boolean) => void) => { fire = onEvent; setLive = onLive; }, stop: () => undefined };
      const watcher = new CallWatcher(detector, () => undefined, events);
      // Polls every 40 ms until events come.
      await watcher.start(40);
      await waitUntil('polls', () => lookups >= 3);
      setLive(true);
      assert.equal(watcher.eventDriven, true);
      await new Promise((r) => setTimeout(r, 20));
      const afterLive = lookups;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(lookups, afterLive, 'no poll while events come');
      fire();
      fire();
      await waitUntil('a look after the events', () => lookups === afterLive + 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(lookups, afterLive + 1, 'two events at once: one look');
      setLive(false);
      await waitUntil('polls again', () => lookups >= afterLive + 4);
      watcher.stop();
      const stopped = lookups;
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(lookups, stopped);
    });

    it('while detection fails it polls even though events come: they do not say when it recovers', async () => {
      let lookups = 0;
      let fault: string | undefined = 'pactl failed (1): Connection failure';
      const detector = { detect: async (): Promise<CallsListResult> => { lookups++; return { apps: [], backend: 'pulse', ...(fault ? { fault } : {}) }; } };
      let setLive: (live: boolean) => void = () => undefined;
      const events = { start: (_: () => void, onLive: (live: boolean) => void) => { setLive = onLive; }, stop: () => undefined };
      const told: CallsListResult[] = [];
      const watcher = new CallWatcher(detector, (c) => { told.push(c); }, events);
      await watcher.start(40);
      setLive(true);
      const at = lookups;
      await waitUntil('polls while it fails', () => lookups >= at + 3);
      fault = undefined;
      await waitUntil('the recovery told', () => told.some((c) => c.fault === undefined));
      const recovered = lookups;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(lookups, recovered, 'answers again: the events drive it');
      watcher.stop();
    });
  });
});
