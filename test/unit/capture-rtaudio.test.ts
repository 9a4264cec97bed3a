/**
 * The audify helper read against RtAudio 6.0.1 as audify 1.10.1 vendors it (node_modules/audify/vendor/rtaudio):
 * its error types, the Windows default-output poll, device names shared by a render and a capture endpoint, the rate
 * a Core Audio device runs at, the guard against RtAudio's stale-buffer spin, and what WASAPI's refusals tell the user.
 * The RtAudio side that runs on Linux (the process-wide error callback) is exercised for real in
 * test/integration/capture-rtaudio.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  coreAudioDeviceName, defaultOutputChange, parseMacosCurrentRates, planOpen, RTAUDIO_ERROR, rtAudioErrorHandler, RtDeviceInfo, StaleBufferGuard,
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

describe('audify helper on Windows (WASAPI)', () => {
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

describe('audify helper on macOS (Core Audio)', () => {
  /** The shape of `system_profiler SPAudioDataType -json` (macOS 14 and 15, as public projects' tests record it). */
  const PROFILER = JSON.stringify({
    SPAudioDataType: [{
      _name: 'coreaudio_device',
      _items: [
        { _name: 'BlackHole 2ch', coreaudio_device_input: 2, coreaudio_device_manufacturer: 'Existential Audio Inc.', coreaudio_device_output: 2, coreaudio_device_srate: 44100, coreaudio_device_transport: 'coreaudio_device_type_virtual' },
        { _name: 'MacBook Pro Microphone', coreaudio_default_audio_input_device: 'spaudio_yes', coreaudio_device_input: 1, coreaudio_device_manufacturer: 'Apple Inc.', coreaudio_device_srate: 48000, coreaudio_device_transport: 'coreaudio_device_type_builtin' },
        { _name: 'Scarlett 2i2 USB', coreaudio_device_input: 2, coreaudio_device_output: 2, coreaudio_device_srate: 96000, coreaudio_device_transport: 'coreaudio_device_type_usb' },
      ],
    }],
  });

  it('reads the rate each device runs at now from system_profiler, any nesting, nothing from garbage', () => {
    assert.deepEqual([...parseMacosCurrentRates(PROFILER)], [['BlackHole 2ch', 44100], ['MacBook Pro Microphone', 48000], ['Scarlett 2i2 USB', 96000]]);
    const nested = JSON.stringify({ SPAudioDataType: [{ _name: 'top', _items: [{ _name: 'Devices', _items: [{ _name: 'Studio Mic', coreaudio_device_srate: 44100 }] }] }] });
    assert.deepEqual([...parseMacosCurrentRates(nested)], [['Studio Mic', 44100]]);
    assert.equal(parseMacosCurrentRates('system_profiler: not found').size, 0);
  });

  it("opens a device at the rate it runs at, not RtAudio's preferred rate, which would switch it", () => {
    // RtAudio names Core Audio devices "<manufacturer>: <name>" (RtAudio.cpp:1231-1268); preferredSampleRate is the
    // highest supported rate up to 48 kHz (:1379-1401).
    assert.equal(coreAudioDeviceName('Existential Audio Inc.: BlackHole 2ch'), 'BlackHole 2ch');
    assert.equal(coreAudioDeviceName(': BlackHole 2ch'), 'BlackHole 2ch');
    const blackHole = dev(1, 'Existential Audio Inc.: BlackHole 2ch', 2, 2, { sampleRates: [44100, 48000, 96000], preferredSampleRate: 48000 });
    const rates = parseMacosCurrentRates(PROFILER);
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin', rates).sampleRate, 44100, 'the 44.1 kHz Multi-Output stays at 44.1 kHz');
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin').sampleRate, 48000, 'without system_profiler: the preferred rate, as before');
    // A rate the device does not list (a stale answer) is not trusted.
    assert.equal(planOpen([blackHole], 'Core', 'system', blackHole.name, 'darwin', new Map([['BlackHole 2ch', 22050]])).sampleRate, 48000);
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
