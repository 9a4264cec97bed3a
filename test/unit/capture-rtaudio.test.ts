/**
 * The audify helper read against RtAudio 6.0.1 as audify 1.10.1 vendors it (node_modules/audify/vendor/rtaudio):
 * its error types, the Windows default-output poll, device names shared by a render and a capture endpoint, the rate
 * a Core Audio device runs at, the guard against RtAudio's stale-buffer spin, and what WASAPI's refusals tell the user.
 * The RtAudio side that runs on Linux (the process-wide error callback) is exercised for real in
 * test/integration/capture-rtaudio.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cachedCoreAudioDevices, CORE_AUDIO_PROFILE_MS, coreAudioDeviceFor, coreAudioDeviceName, defaultOutputChange, parseCoreAudioDevices, planOpen, RTAUDIO_ERROR,
  rtAudioErrorHandler, RtDeviceInfo, StaleBufferGuard,
} from '../../daemon/capture/audifyHelper';
import { classifyEnd, FaultContext } from '../../daemon/capture/faults';
import { REPO_ROOT } from '../setup';

const dev = (id: number, name: string, inputs: number, outputs: number, extra: Partial<RtDeviceInfo> = {}): RtDeviceInfo => ({
  id, name, inputChannels: inputs, outputChannels: outputs, isDefaultInput: false, isDefaultOutput: false, preferredSampleRate: 48000,
  sampleRates: [16000, 44100, 48000], ...extra,
});

describe('RtAudio 6 as audify vendors it', () => {
  it("names its error types as RtAudio.h does (audify's JS enum is RtAudio 5's, off by one)", () => {
    const header = fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'audify', 'vendor', 'rtaudio', 'RtAudio.h'), 'utf8');
    const body = /enum RtAudioErrorType \{([\s\S]*?)\};/.exec(header)?.[1];
    assert.ok(body, 'RtAudio.h declares enum RtAudioErrorType');
    const names = [...body.matchAll(/RTAUDIO_(\w+)/g)].map((m) => m[1]);
    assert.deepEqual(names, Object.keys(RTAUDIO_ERROR), 'in declaration order, from 0');
    names.forEach((name, value) => assert.equal(RTAUDIO_ERROR[name as keyof typeof RTAUDIO_ERROR], value, name));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const audify = require('audify') as { RtAudioErrorType: Record<string, number> };
    assert.notEqual(audify.RtAudioErrorType.WARNING, RTAUDIO_ERROR.WARNING, 'audify.RtAudioErrorType.WARNING would miss every warning');
  });

  it("a warning (another RtAudio object's, collected) is told once and does not end capture; an error does", () => {
    const failed: string[] = [];
    const warned: string[] = [];
    const onError = rtAudioErrorHandler((m) => failed.push(m), (m) => warned.push(m));
    // What ~RtAudioWrap's closeStream on a never-opened object reports (WASAPI RtAudio.cpp:5241, ALSA the same way).
    for (let i = 0; i < 5; i++) onError(RTAUDIO_ERROR.WARNING, 'RtApiWasapi::closeStream: No open stream to close.');
    assert.deepEqual(failed, []);
    assert.deepEqual(warned, ['RtApiWasapi::closeStream: No open stream to close. (RtAudio warning; capture goes on)']);
    onError(RTAUDIO_ERROR.DRIVER_ERROR, 'RtApiWasapi::wasapiThread: Unable to initialize capture audio client.');
    assert.deepEqual(failed, ['RtApiWasapi::wasapiThread: Unable to initialize capture audio client. (RtAudio error 9)']);
  });
});

/**
 * audify's RtAudio with the WASAPI API, as far as the default-output poll reaches it, copied from the sources:
 * - one error callback for the whole process, the one the last openStream gave (src/rt_audio.cpp:8, :267-309), called
 *   through a thread-safe function: queued to the event loop, after the call that raised it returns (:164-179);
 * - getDevices() is getDeviceIds() then getDeviceInfo() of each (rt_audio.cpp:189-197); getDeviceIds() probes anew
 *   (RtAudio.cpp:801-803): each endpoint not yet listed is probed (:5063-5074), and one that fails raises
 *   RTAUDIO_DRIVER_ERROR with its text (probeDeviceInfo, :5134-5166, :5229-5232) and stays unlisted, so the next poll
 *   probes it again; a later endpoint's probe clears the text (:5130); a text left at the end empties the list and is
 *   raised once more (:5108-5113), so getDevices() returns nothing that time.
 */
class FakeWasapiRtAudio {
  private static errorCallback: ((type: number, message: string) => void) | undefined;
  private listed = new Map<string, number>();
  private nextId = 0;
  private pending = 0;
  private drained: (() => void)[] = [];

  constructor(readonly endpoints: { name: string; isDefault?: boolean; probeFails?: string }[]) {}

  openStream(...args: unknown[]): number {
    FakeWasapiRtAudio.errorCallback = args[9] as (type: number, message: string) => void;
    return 0;
  }

  getDevices(): RtDeviceInfo[] {
    let errorText = '';
    for (const e of this.endpoints) {
      if (this.listed.has(e.name)) continue;
      errorText = e.probeFails ?? '';
      if (e.probeFails) this.raise(RTAUDIO_ERROR.DRIVER_ERROR, e.probeFails);
      else this.listed.set(e.name, this.nextId++);
    }
    if (errorText) {
      this.listed.clear();
      this.raise(RTAUDIO_ERROR.DRIVER_ERROR, errorText);
    }
    return this.endpoints.filter((e) => this.listed.has(e.name)).map((e) => dev(this.listed.get(e.name)!, e.name, 0, 2, { isDefaultOutput: !!e.isDefault }));
  }

  /** RtApi::error → the thread-safe function: the callback runs later, on the event loop. */
  raise(type: number, message: string): void {
    const callback = FakeWasapiRtAudio.errorCallback;
    this.pending++;
    setImmediate(() => {
      callback?.(type, message);
      if (--this.pending === 0) this.drained.splice(0).forEach((resolve) => resolve());
    });
  }

  /** Resolves once every error raised so far has reached the callback. */
  delivered(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.drained.push(resolve));
  }
}

describe('audify helper on Windows (WASAPI)', () => {
  it("an endpoint that fails RtAudio's probe on every poll is told once and never ends capture; a stream error still does", async () => {
    const failed: string[] = [];
    const warned: string[] = [];
    const probe = 'RtApiWasapi::probeDeviceInfo: Unable to retrieve device audio client.';
    const rt = new FakeWasapiRtAudio([{ name: 'Speakers (Realtek)', isDefault: true }, { name: 'Headset (WH-1000XM4 Hands-Free)', probeFails: probe }]);
    rt.openStream(null, {}, 0, 48000, 480, 'Earshot', () => {}, null, 0, rtAudioErrorHandler((m) => failed.push(m), (m) => warned.push(m)));
    for (let poll = 0; poll < 5; poll++) {
      assert.equal(defaultOutputChange(rt, 'WASAPI', 'win32', 'Speakers (Realtek)'), undefined, 'an empty list keeps the stream in hand');
      await rt.delivered();
    }
    assert.deepEqual(failed, []);
    assert.deepEqual(warned, [`${probe} (RtAudio error 9 while listing devices; capture goes on)`], 'ten errors, one line');
    // The enumeration itself failing is the probe's too (RtAudio.cpp:4978-4982, :5108-5113).
    rt.raise(RTAUDIO_ERROR.DRIVER_ERROR, 'RtApiWasapi::probeDevices: Unable to retrieve render device collection.');
    await rt.delivered();
    assert.deepEqual(failed, []);
    // The endpoint becomes ready and the user makes it the default: the poll follows it.
    rt.endpoints[0].isDefault = false;
    Object.assign(rt.endpoints[1], { probeFails: undefined, isDefault: true });
    assert.equal(defaultOutputChange(rt, 'WASAPI', 'win32', 'Speakers (Realtek)')?.device.name, 'Headset (WH-1000XM4 Hands-Free)');
    // The stream's own failure (its thread, RtAudio.cpp:5718) and opening one (probeDeviceOpen, :5441) still end it.
    rt.raise(RTAUDIO_ERROR.DRIVER_ERROR, 'RtApiWasapi::wasapiThread: Unable to initialize capture audio client.');
    rt.raise(RTAUDIO_ERROR.DRIVER_ERROR, 'RtApiWasapi::probeDeviceOpen: Unable to retrieve render device audio client.');
    await rt.delivered();
    assert.deepEqual(failed, ['RtApiWasapi::wasapiThread: Unable to initialize capture audio client. (RtAudio error 9)',
      'RtApiWasapi::probeDeviceOpen: Unable to retrieve render device audio client. (RtAudio error 9)']);
  });

  it('polls the default output through the stream\'s own RtAudio object, and reopens only on a change', () => {
    let calls = 0;
    let defaultName = 'Speakers (Realtek)';
    const rt = {
      getDevices: () => {
        calls++;
        return [dev(10, 'Speakers (Realtek)', 0, 2, { isDefaultOutput: defaultName === 'Speakers (Realtek)' }),
          dev(11, 'Headphones (USB)', 0, 2, { isDefaultOutput: defaultName === 'Headphones (USB)' })];
      },
    };
    assert.equal(defaultOutputChange(rt, 'WASAPI', 'win32', 'Speakers (Realtek)'), undefined);
    defaultName = 'Headphones (USB)';
    const next = defaultOutputChange(rt, 'WASAPI', 'win32', 'Speakers (Realtek)');
    assert.deepEqual(next, { device: dev(11, 'Headphones (USB)', 0, 2, { isDefaultOutput: true }), channels: 2, sampleRate: 48000, loopback: true });
    assert.equal(calls, 2, 'one probe per poll, on the object given');
    // No output at all for a moment (a dock unplugged): the stream in hand is kept.
    assert.equal(defaultOutputChange({ getDevices: () => [] }, 'WASAPI', 'win32', 'Headphones (USB)'), undefined);
  });

  it('a name shared by the render and the capture endpoint opens the one the source needs', () => {
    // WASAPI lists render endpoints first (RtAudio.cpp:5031-5047), each named by its friendly name (:5155).
    const devices = [dev(0, 'Headset (Jabra Evolve2 65)', 0, 2, { isDefaultOutput: true }), dev(1, 'Headset (Jabra Evolve2 65)', 1, 0, { isDefaultInput: true })];
    assert.equal(planOpen(devices, 'WASAPI', 'mic', 'Headset (Jabra Evolve2 65)', 'win32').device.id, 1, 'the microphone is the capture endpoint');
    assert.deepEqual(planOpen(devices, 'WASAPI', 'system', 'Headset (Jabra Evolve2 65)', 'win32'), { device: devices[0], channels: 2, sampleRate: 48000, loopback: true });
    // A capture-only device chosen for system audio (Stereo Mix) is still recorded as an input.
    const stereoMix = dev(2, 'Stereo Mix (Realtek)', 2, 0);
    assert.deepEqual(planOpen([...devices, stereoMix], 'WASAPI', 'system', 'Stereo Mix (Realtek)', 'win32'), { device: stereoMix, channels: 2, sampleRate: 48000, loopback: false });
  });

  it("turns WASAPI's refusals into what to do: the privacy switch and exclusive mode, with the settings page", () => {
    const ctx = (kind: 'mic' | 'system'): FaultContext => ({ kind, recorder: 'audify', device: 'default', platform: 'win32' });
    // What the helper writes when RtAudio's stream thread fails (RtAudio.cpp:5718, RTAUDIO_DRIVER_ERROR = 9) …
    const thread = 'audify helper: RtApiWasapi::wasapiThread: Unable to initialize capture audio client. (RtAudio error 9)\n';
    const mic = classifyEnd(ctx('mic'), { code: 1, signal: null, stderr: thread });
    assert.equal(mic.reason, 'permission-denied');
    assert.match(mic.message, /Let desktop apps access your microphone.*exclusive mode.*ms-settings:privacy-microphone/);
    // … and when openStream throws (RtAudio.cpp:5441).
    const open = classifyEnd(ctx('mic'), { code: 1, signal: null, stderr: 'audify helper: RtApiWasapi::probeDeviceOpen: Unable to retrieve capture device audio client.\n' });
    assert.equal(open.reason, 'permission-denied');
    const loopback = classifyEnd(ctx('system'), { code: 1, signal: null, stderr: thread });
    assert.equal(loopback.reason, 'device-busy');
    assert.match(loopback.message, /exclusive mode/);
    assert.doesNotMatch(loopback.message, /Let desktop apps/, 'the microphone switch does not govern a loopback');
    // The same words on Linux are not WASAPI's: no Windows advice there.
    assert.doesNotMatch(classifyEnd({ ...ctx('mic'), platform: 'linux' }, { code: 1, signal: null, stderr: thread }).message, /Windows/);
  });

  it('a loopback the endpoint refuses (Wine before 9.12) says to choose a recording device for system audio', () => {
    // What the helper writes under Wine 8.0 for the default output (RtAudio.cpp:5722-5727; test/wine/capture.test.ts).
    const stderr = 'audify helper: WASAPI "PulseAudio" (loopback) at 16000 Hz, 1 ch\naudify helper: RtApiWasapi::wasapiThread: Unable to retrieve capture client handle. (RtAudio error 9)\n';
    const system = classifyEnd({ kind: 'system', recorder: 'audify', device: 'default', platform: 'win32' }, { code: 1, signal: null, stderr });
    assert.equal(system.reason, 'no-system-audio');
    assert.match(system.message, /^Windows would not capture what the default output plays \(WASAPI loopback refused.*Stereo Mix.*CABLE Output.*Monitor of.*earshot devices.*microphone keeps working/);
    const named = classifyEnd({ kind: 'system', recorder: 'audify', device: 'Speakers (Realtek)', platform: 'win32' }, { code: 1, signal: null, stderr });
    assert.match(named.message, /^Windows would not capture what "Speakers \(Realtek\)" plays/);
  });
});

describe('what a fault says, per OS (the audify helper runs on all three)', () => {
  const ctx = (platform: NodeJS.Platform, kind: 'mic' | 'system' = 'mic', device = 'default'): FaultContext => ({ kind, recorder: 'audify', device, platform });
  const end = (stderr: string) => ({ code: 1, signal: null, stderr });
  // What the helper writes when its guard against stale buffers trips, and when planOpen finds no device (audifyHelper.ts).
  const guard = 'audify helper: Connection terminated: RtAudio delivered audio faster than real time (stale buffers after a read error)\n';
  const noInput = 'audify helper: no default audio device: no input device\n';

  it('the stale-buffer guard: a sound server on Linux only; a device switched to another rate on macOS', () => {
    const linux = classifyEnd(ctx('linux'), end(guard));
    assert.equal(linux.reason, 'server-lost');
    assert.match(linux.message, /did PulseAudio\/PipeWire restart/);
    const mac = classifyEnd(ctx('darwin'), end(guard));
    assert.equal(mac.reason, 'server-lost');
    assert.match(mac.message, /^Lost microphone: .*another app change its sample rate.*Retrying\.$/);
    const win = classifyEnd(ctx('win32', 'system'), end(guard));
    assert.match(win.message, /^Lost system audio: .*disconnected.*Sound settings.*Retrying\.$/);
    for (const f of [mac, win]) assert.doesNotMatch(f.message, /PulseAudio|PipeWire|sound server/);
  });

  it('no device at all: start PulseAudio on Linux; connect or turn on a device on macOS and Windows', () => {
    const linux = classifyEnd(ctx('linux'), end(noInput));
    assert.equal(linux.reason, 'server-not-running');
    assert.match(linux.message, /systemctl --user start pulseaudio/);
    const mac = classifyEnd(ctx('darwin'), end(noInput));
    assert.equal(mac.reason, 'device-not-found');
    assert.equal(mac.message, 'Cannot capture microphone: macOS has no audio input device right now. Connect one or choose one in System Settings → Sound; Earshot retries on its own.');
    const win = classifyEnd(ctx('win32', 'system'), end('audify helper: no default audio device: no output device to capture\n'));
    assert.equal(win.reason, 'device-not-found');
    assert.match(win.message, /^Cannot capture system audio: Windows has no audio output device right now.*Settings → System → Sound/);
    for (const f of [mac, win]) assert.doesNotMatch(f.message, /systemctl|PulseAudio|pipewire/i);
  });

  it('Stereo Mix refused is the microphone privacy switch (a recording device), a loopback refused is exclusive mode', () => {
    // The helper's start line (audifyHelper.ts, open()), then its stream thread's failure (RtAudio.cpp:5718).
    const thread = 'audify helper: RtApiWasapi::wasapiThread: Unable to initialize capture audio client. (RtAudio error 9)\n';
    const stereoMix = classifyEnd(ctx('win32', 'system', 'Stereo Mix (Realtek)'), end(`audify helper: WASAPI "Stereo Mix (Realtek)" at 48000 Hz, 2 ch\n${thread}`));
    assert.equal(stereoMix.reason, 'permission-denied');
    assert.match(stereoMix.message, /^Windows would not open "Stereo Mix \(Realtek\)" for system audio\. It is a recording device.*Let desktop apps access your microphone.*ms-settings:privacy-microphone/);
    // Refused on opening: a capture endpoint says so (RtAudio.cpp:5441), a loopback names the render device (:5471).
    const opening = classifyEnd(ctx('win32', 'system', 'Stereo Mix (Realtek)'), end('audify helper: RtApiWasapi::probeDeviceOpen: Unable to retrieve capture device audio client.\n'));
    assert.equal(opening.reason, 'permission-denied');
    const named = classifyEnd(ctx('win32', 'system', 'Speakers (Realtek)'), end(`audify helper: WASAPI "Speakers (Realtek)" (loopback) at 48000 Hz, 2 ch\n${thread}`));
    assert.equal(named.reason, 'device-busy');
    assert.doesNotMatch(named.message, /Let desktop apps/);
    const loopbackOpening = classifyEnd(ctx('win32', 'system', 'Speakers (Realtek)'), end('audify helper: RtApiWasapi::probeDeviceOpen: Unable to retrieve render device audio client.\n'));
    assert.equal(loopbackOpening.reason, 'device-busy');
  });
});

describe('audify helper on macOS (Core Audio)', () => {
  /**
   * The shape of `system_profiler SPAudioDataType -json` as public code reads it (github.com/sebhildebrandt/systeminformation
   * lib/audio.js at 022c2fb: SPAudioDataType[0]._items[i] with _name, coreaudio_device_manufacturer,
   * coreaudio_device_transport; samburba/go-system-profiler type/audio/audio.go at 122bcd2 adds coreaudio_device_srate),
   * with names users have: the default AirPods naming with ’ and a German interface, at the rates such devices run at.
   */
  const PROFILER = JSON.stringify({
    SPAudioDataType: [{
      _name: 'coreaudio_device',
      _items: [
        { _name: 'BlackHole 2ch', coreaudio_device_input: 2, coreaudio_device_manufacturer: 'Existential Audio Inc.', coreaudio_device_output: 2, coreaudio_device_srate: 44100, coreaudio_device_transport: 'coreaudio_device_type_virtual' },
        { _name: 'MacBook Pro Microphone', coreaudio_default_audio_input_device: 'spaudio_yes', coreaudio_device_input: 1, coreaudio_device_manufacturer: 'Apple Inc.', coreaudio_device_srate: 48000, coreaudio_device_transport: 'coreaudio_device_type_builtin' },
        { _name: 'Scarlett 2i2 USB', coreaudio_device_input: 2, coreaudio_device_output: 2, coreaudio_device_srate: 96000, coreaudio_device_transport: 'coreaudio_device_type_usb' },
        { _name: 'Jane’s AirPods Pro', coreaudio_device_input: 1, coreaudio_device_manufacturer: 'Apple Inc.', coreaudio_device_srate: 24000, coreaudio_device_transport: 'coreaudio_device_type_bluetooth' },
        { _name: 'Büro-Mikrofon', coreaudio_device_input: 2, coreaudio_device_manufacturer: 'Behringer', coreaudio_device_srate: 44100, coreaudio_device_transport: 'coreaudio_device_type_usb' },
        { _name: 'Микрофон', coreaudio_device_input: 1, coreaudio_device_manufacturer: 'Октава', coreaudio_device_srate: 32000, coreaudio_device_transport: 'coreaudio_device_type_usb' },
      ],
    }],
  });
  /**
   * What audify hands JavaScript for a name RtAudio read through MacRoman (RtAudio.cpp:1244, :1265): the MacRoman bytes,
   * given here by hand from Apple's table (’ is 0xD5, ü 0x9F), decoded as UTF-8 (rt_audio_converter.cpp:11).
   */
  const audifyName = (...parts: (string | number)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from([p])))).toString('utf8');

  it('reads each device system_profiler lists (rate, transport), any nesting, nothing from garbage', () => {
    assert.deepEqual(parseCoreAudioDevices(PROFILER).slice(0, 2), [
      { name: 'BlackHole 2ch', manufacturer: 'Existential Audio Inc.', rate: 44100, transport: 'coreaudio_device_type_virtual' },
      { name: 'MacBook Pro Microphone', manufacturer: 'Apple Inc.', rate: 48000, transport: 'coreaudio_device_type_builtin' },
    ]);
    const nested = JSON.stringify({ SPAudioDataType: [{ _name: 'top', _items: [{ _name: 'Devices', _items: [{ _name: 'Studio Mic', coreaudio_device_srate: 44100 }] }] }] });
    assert.deepEqual(parseCoreAudioDevices(nested), [{ name: 'Studio Mic', rate: 44100 }]);
    assert.equal(parseCoreAudioDevices('system_profiler: not found').length, 0);
  });

  it("opens a device at the rate it runs at, not RtAudio's preferred rate, which would switch it", () => {
    // RtAudio names Core Audio devices "<manufacturer>: <name>" (RtAudio.cpp:1231-1268); preferredSampleRate is the
    // highest supported rate up to 48 kHz (:1379-1401).
    assert.equal(coreAudioDeviceName('Existential Audio Inc.: BlackHole 2ch'), 'BlackHole 2ch');
    assert.equal(coreAudioDeviceName(': BlackHole 2ch'), 'BlackHole 2ch');
    const blackHole = dev(1, 'Existential Audio Inc.: BlackHole 2ch', 2, 2, { sampleRates: [44100, 48000, 96000], preferredSampleRate: 48000 });
    const profile = parseCoreAudioDevices(PROFILER);
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin', profile).sampleRate, 44100, 'the 44.1 kHz Multi-Output stays at 44.1 kHz');
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin').sampleRate, 48000, 'without system_profiler: the preferred rate, as before');
    // A rate the device does not list (a stale answer) is not trusted.
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin', [{ name: 'BlackHole 2ch', rate: 22050 }]).sampleRate, 48000);
  });

  it('finds the rate of a device whose name RtAudio read through MacRoman (’, ü), or could not read at all', () => {
    const profile = parseCoreAudioDevices(PROFILER);
    const airpods = dev(2, audifyName('Apple Inc.: Jane', 0xd5, 's AirPods Pro'), 1, 0, { sampleRates: [16000, 24000, 48000], preferredSampleRate: 48000 });
    assert.equal(airpods.name, 'Apple Inc.: Jane\uFFFDs AirPods Pro', 'what JavaScript gets: U+FFFD for the MacRoman byte');
    assert.equal(planOpen([airpods], 'Core', 'mic', airpods.name, 'darwin', profile).sampleRate, 24000, 'the AirPods at the rate they run at');
    const buero = dev(3, audifyName('Behringer: B', 0x9f, 'ro-Mikrofon'), 2, 0, { sampleRates: [44100, 48000], preferredSampleRate: 48000 });
    assert.equal(planOpen([buero], 'Core', 'mic', buero.name, 'darwin', profile).sampleRate, 44100, 'the 44.1 kHz interface is not switched to 48 kHz');
    // Cyrillic is not in MacRoman: CFStringGetCString fails and leaves "" (CFString.c:2191-2199), the manufacturer too.
    assert.equal(coreAudioDeviceFor(': ', profile)?.rate, 32000, 'the one device neither of whose names MacRoman has');
    assert.equal(coreAudioDeviceFor(': ', [...profile, { name: 'Микрофон 2', manufacturer: 'Октава', rate: 16000 }]), undefined, 'two such devices: no guess');
    const russianMac = { name: 'Микрофон MacBook Pro', manufacturer: 'Apple Inc.', rate: 48000 };
    assert.equal(coreAudioDeviceFor('Apple Inc.: ', [...profile, russianMac])?.rate, 48000, 'an empty name, told by its manufacturer');
    // An ASCII skeleton catches a mangling other than the one above (e.g. a name in decomposed form).
    assert.equal(coreAudioDeviceFor('Behringer: B\uFFFD\uFFFDro-Mikrofon', profile)?.rate, 44100);
  });

  it('two devices of one name at different rates: no guess, the preferred rate', () => {
    const twins = [{ name: 'USB Audio', rate: 44100 }, { name: 'USB Audio', rate: 96000 }];
    const usb = dev(4, 'Generic: USB Audio', 2, 0, { sampleRates: [44100, 48000, 96000], preferredSampleRate: 48000 });
    assert.equal(planOpen([usb], 'Core', 'mic', usb.name, 'darwin', twins).sampleRate, 48000);
    assert.equal(planOpen([usb], 'Core', 'mic', usb.name, 'darwin', [twins[0], { ...twins[0] }]).sampleRate, 44100, 'twins that agree are one answer');
  });

  describe("system_profiler's answer, kept for the next start", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const runs = () => (fs.existsSync(path.join(dir, 'runs')) ? fs.readFileSync(path.join(dir, 'runs'), 'utf8').trim().split('\n').length : 0);
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-profiler-'));
      // A stand-in system_profiler: prints the JSON above (its format, see PROFILER) and counts its runs.
      fs.writeFileSync(path.join(dir, 'profiler.json'), PROFILER);
      fs.writeFileSync(path.join(dir, 'system_profiler'), `#!/bin/sh\necho "$*" >> "${dir}/runs"\ncat "${dir}/profiler.json"\n`, { mode: 0o755 });
      env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('runs system_profiler once while the devices stay the same, again when they change or after a while', async () => {
      const file = path.join(dir, 'cache', 'coreaudio-devices.json');
      const listed = ['73 Apple Inc.: MacBook Pro Microphone', '80 Existential Audio Inc.: BlackHole 2ch'];
      const t0 = 1_000_000;
      const first = await cachedCoreAudioDevices(listed, { file, now: t0, env });
      assert.equal(runs(), 1);
      assert.equal(first.length, 6);
      assert.deepEqual(await cachedCoreAudioDevices([...listed].reverse(), { file, now: t0 + 60_000, env }), first, 'the same devices a minute later: kept');
      assert.equal(runs(), 1, 'no second run');
      await cachedCoreAudioDevices([...listed, '91 Apple Inc.: Jane\uFFFDs AirPods Pro'], { file, now: t0 + 61_000, env });
      assert.equal(runs(), 2, 'AirPods connected: asked again');
      await cachedCoreAudioDevices([...listed, '91 Apple Inc.: Jane\uFFFDs AirPods Pro'], { file, now: t0 + 61_000 + CORE_AUDIO_PROFILE_MS, env });
      assert.equal(runs(), 3, 'after a while: asked again (a rate changed in Audio MIDI Setup)');
      fs.writeFileSync(file, '{"at":');
      assert.equal((await cachedCoreAudioDevices(listed, { file, now: t0, env })).length, 6, 'a broken file is asked again');
      assert.equal(runs(), 4);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, "the user's own");
    });

    it('keeps nothing when system_profiler says nothing', async () => {
      fs.writeFileSync(path.join(dir, 'profiler.json'), 'system_profiler: SPAudioDataType: unknown');
      const file = path.join(dir, 'cache', 'coreaudio-devices.json');
      assert.deepEqual(await cachedCoreAudioDevices(['1 a'], { file, env }), []);
      assert.equal(fs.existsSync(file), false);
      await cachedCoreAudioDevices(['1 a'], { file, env });
      assert.equal(runs(), 2);
    });
  });
});

describe("the guard against RtAudio's stale-buffer spin", () => {
  it('lets a device clock 100 ppm fast run for hours', () => {
    const rate = 48000;
    const guard = new StaleBufferGuard(rate, 0);
    const period = 960; // 20 ms periods
    const fast = 1.0001;
    // Three hours of callbacks, each a 20 ms buffer delivered 20 ms / 1.0001 after the last.
    for (let i = 1; i <= 3 * 3600 * 50; i++) {
      assert.equal(guard.isAhead(period, (i * 20) / fast), false, `tripped after ${(i / 50 / 60).toFixed(1)} min`);
    }
  });

  it('trips on a spin within a second, also after an hour of good audio', () => {
    const rate = 48000;
    const guard = new StaleBufferGuard(rate, 0);
    for (let i = 1; i <= 3600 * 50; i++) guard.isAhead(960, i * 20);
    // The spin: buffers as fast as RtAudio can call back, here 20 ms of audio every 0.5 ms.
    let t = 3600 * 1000;
    let spun = 0;
    while (!guard.isAhead(960, (t += 0.5))) spun += 0.5;
    assert.ok(spun < 1000, `the spin ran ${spun} ms before it was caught`);
  });

  it('does not trip on a frozen server\'s burst, which only gives back time that passed', () => {
    const guard = new StaleBufferGuard(16000, 0);
    for (let i = 1; i <= 50; i++) assert.equal(guard.isAhead(320, i * 20), false);
    // 3 s frozen, then 3 s of audio at once.
    assert.equal(guard.isAhead(16000 * 3, 1000 + 3000 + 5), false);
  });
});
