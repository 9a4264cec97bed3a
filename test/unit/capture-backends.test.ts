/**
 * The in-process backends' logic that cannot run on Linux CI: backend choice per OS, RtAudio device plans (Core
 * Audio, WASAPI loopback, PulseAudio monitors), the audify helper's arguments and format conversion, audiotee's
 * arguments, macOS version check, per-application process matching and permission messages. macOS and Windows
 * behaviour is checked here on documented formats only; it was not run on those systems.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { audifyCommand, rtAudioNameForPulseSource } from '../../daemon/capture/audify';
import { parseHelperArgs, planOpen, preferredApi, RtDeviceInfo, ToMono16k } from '../../daemon/capture/audifyHelper';
import { macosSupportsProcessTaps } from '../../protocol/macosCapture';
import {
  audioteeBinary, audioteeCommand, audioteeStatus, parseAppDevice, parsePs, processesOf,
} from '../../daemon/capture/audiotee';
import { rtAudioDeviceList } from '../../daemon/capture/devices';
import { classifyEnd } from '../../daemon/capture/faults';
import { defaultRecorder, recorderLauncher } from '../../daemon/capture/recorder';

const dev = (id: number, name: string, inputs: number, outputs: number, extra: Partial<RtDeviceInfo> = {}): RtDeviceInfo => ({
  id, name, inputChannels: inputs, outputChannels: outputs, isDefaultInput: false, isDefaultOutput: false, preferredSampleRate: 48000,
  sampleRates: [16000, 44100, 48000], ...extra,
});

describe('capture backends: choice per OS', () => {
  const only = (...names: string[]) => (n: string) => names.includes(n);

  it('prefers the in-process backends wherever they load, then the recorder programs', () => {
    for (const os of ['linux', 'darwin', 'win32'] as NodeJS.Platform[]) {
      assert.equal(defaultRecorder('mic', os, only('audify', 'sox', 'arecord')), 'audify', os);
    }
    assert.equal(defaultRecorder('system', 'linux', only('audify', 'parec')), 'audify');
    assert.equal(defaultRecorder('system', 'win32', only('audify', 'ffmpeg')), 'audify', 'WASAPI loopback before ffmpeg + Stereo Mix');
    assert.equal(defaultRecorder('system', 'darwin', only('audiotee', 'audify', 'ffmpeg')), 'audiotee', 'macOS 14.2+: the tap, no driver');
    assert.equal(defaultRecorder('system', 'darwin', only('audify', 'ffmpeg')), 'audify', 'older macOS: a loopback device through RtAudio');
    assert.equal(defaultRecorder('mic', 'linux', only('arecord', 'sox')), 'arecord', 'audify not built: the fallback');
    assert.equal(defaultRecorder('mic', 'darwin', only()), 'sox', 'nothing at all: the first program, whose start says what to install');
    assert.equal(defaultRecorder('system', 'win32', only()), 'ffmpeg');
  });

  it('turns the in-process backend off with EARSHOT_AUDIO_BACKEND=recorders, and keeps ALSA device names with arecord', () => {
    const env = { ...process.env, EARSHOT_AUDIO_BACKEND: 'recorders' };
    assert.notEqual(recorderLauncher({ kind: 'mic', env, platform: 'linux' }).recorder, 'audify');
    assert.notEqual(recorderLauncher({ kind: 'mic', device: 'hw:1,0', platform: 'linux' }).recorder, 'audify', 'RtAudio\'s PulseAudio API cannot open hw:1,0');
    assert.equal(recorderLauncher({ kind: 'system', recorder: 'audiotee' }).recorder, 'audiotee');
    assert.throws(() => recorderLauncher({ kind: 'mic', recorder: 'audiotee' as never }), /not a microphone recorder/);
  });

  it('an app:<name> source where there is no Core Audio tap says what it needs', async () => {
    const launcher = recorderLauncher({ kind: 'system', device: 'app:zoom.us', platform: 'linux', recorder: 'parec' });
    await assert.rejects(launcher.launch(), (e: Error & { fault?: { reason: string } }) => {
      assert.equal(e.fault?.reason, 'no-system-audio');
      assert.match(e.message, /only one application's audio \(app:zoom\.us\) needs macOS 14\.2 or later/);
      return true;
    });
  });

  it('audify runs as a helper on the daemon\'s own Node (Electron made a plain Node), following the helper contract', () => {
    const cmd = audifyCommand('system', 'Monitor of Speakers', '/opt/node', '/x/audifyHelper.js');
    assert.equal(cmd.command, '/opt/node');
    assert.deepEqual(cmd.args, ['/x/audifyHelper.js', '--kind', 'system', '--rate', '16000', '--channels', '1', '--format', 's16le', '--device', 'Monitor of Speakers']);
    assert.deepEqual(cmd.envOverrides, { ELECTRON_RUN_AS_NODE: '1' });
    assert.ok(!audifyCommand('mic', 'default', '/n', '/h').args.includes('--device'));
  });
});

describe('audify helper', () => {
  it('parses its arguments and rejects anything else clearly', () => {
    assert.deepEqual(parseHelperArgs(['--kind', 'system', '--rate', '16000', '--channels', '1', '--format', 's16le', '--device', 'X']), { list: false, kind: 'system', device: 'X' });
    assert.deepEqual(parseHelperArgs(['--list']), { list: true, kind: 'mic' });
    assert.throws(() => parseHelperArgs(['--rate', '44100']), /--rate 44100 is not supported \(only 16000\)/);
    assert.throws(() => parseHelperArgs(['--kind', 'speaker']), /--kind must be mic or system/);
    assert.throws(() => parseHelperArgs(['--device']), /--device needs a value/);
    assert.throws(() => parseHelperArgs(['--loud']), /unknown argument "--loud"/);
  });

  it('uses PulseAudio on Linux, Core Audio on macOS, WASAPI on Windows', () => {
    assert.equal(preferredApi('linux'), 'LINUX_PULSE');
    assert.equal(preferredApi('darwin'), 'MACOSX_CORE');
    assert.equal(preferredApi('win32'), 'WINDOWS_WASAPI');
  });

  it('PulseAudio: the default source, the default sink\'s monitor, at 16 kHz (the server resamples)', () => {
    const devices = [dev(1, 'Built-in Audio', 0, 2, { isDefaultOutput: true }), dev(2, 'Monitor of Built-in Audio', 2, 0), dev(3, 'USB Mic', 1, 0, { isDefaultInput: true })];
    assert.deepEqual(planOpen(devices, 'Pulse', 'mic', undefined, 'linux'), { device: devices[2], channels: 1, sampleRate: 16000, loopback: false });
    assert.deepEqual(planOpen(devices, 'Pulse', 'system', 'default', 'linux'), { device: devices[1], channels: 2, sampleRate: 16000, loopback: false });
    assert.throws(() => planOpen(devices.slice(0, 1), 'Pulse', 'system', undefined, 'linux'), /"Monitor of Built-in Audio" not found/);
    assert.throws(() => planOpen(devices, 'Pulse', 'mic', 'Nope', 'linux'), /device "Nope" not found/);
    assert.throws(() => planOpen([dev(1, 'Out', 0, 2, { isDefaultOutput: true })], 'Pulse', 'mic', undefined, 'linux'), /no default audio device/);
  });

  it('Windows: system audio is the default output opened as a WASAPI loopback input, at the device\'s own rate', () => {
    const devices = [dev(0, 'Speakers (Realtek)', 0, 2, { isDefaultOutput: true }), dev(1, 'Headset (USB)', 0, 2), dev(2, 'Microphone (Realtek)', 2, 0, { isDefaultInput: true })];
    assert.deepEqual(planOpen(devices, 'WASAPI', 'system', undefined, 'win32'), { device: devices[0], channels: 2, sampleRate: 48000, loopback: true });
    assert.deepEqual(planOpen(devices, 'WASAPI', 'system', 'Headset (USB)', 'win32'), { device: devices[1], channels: 2, sampleRate: 48000, loopback: true });
    assert.deepEqual(planOpen(devices, 'WASAPI', 'mic', undefined, 'win32'), { device: devices[2], channels: 1, sampleRate: 48000, loopback: false });
  });

  it('macOS: a microphone and a loopback device (BlackHole) through Core Audio, never changing the device\'s rate', () => {
    const devices = [dev(0, 'MacBook Pro Microphone', 1, 0, { isDefaultInput: true, preferredSampleRate: 44100 }), dev(1, 'BlackHole 2ch', 2, 2)];
    assert.deepEqual(planOpen(devices, 'Core', 'mic', undefined, 'darwin'), { device: devices[0], channels: 1, sampleRate: 44100, loopback: false });
    assert.deepEqual(planOpen(devices, 'Core', 'system', 'BlackHole 2ch', 'darwin'), { device: devices[1], channels: 2, sampleRate: 48000, loopback: false });
  });

  it('converts interleaved stereo at 48 kHz to 16 kHz mono s16le, across chunk boundaries', () => {
    const convert = new ToMono16k(2, 48000);
    // 0.1 s of a 440 Hz tone, equal in both channels, in odd-sized chunks.
    const frames = 4800;
    const input = Buffer.alloc(frames * 4);
    for (let i = 0; i < frames; i++) {
      const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
      input.writeInt16LE(v, i * 4);
      input.writeInt16LE(v, i * 4 + 2);
    }
    const out: Buffer[] = [];
    for (let at = 0; at < input.length; at += 1001) out.push(convert.push(input.subarray(at, Math.min(input.length, at + 1001))));
    const pcm = Buffer.concat(out);
    const n = pcm.length / 2;
    assert.ok(n > 1500 && n <= 1600, `${n} samples for 0.1 s`);
    let peak = 0;
    for (let i = 200; i < n - 200; i++) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i * 2)));
    assert.ok(peak > 7000 && peak < 8800, `peak ${peak}: the tone kept its level through the mixdown and resampling`);
    assert.deepEqual(new ToMono16k(1, 16000).push(Buffer.from([1, 0, 2])), Buffer.from([1, 0]), '16 kHz mono passes through; an odd byte waits');
  });

  it('maps PulseAudio source names to RtAudio\'s names (descriptions), refusing a source RtAudio cannot tell apart', () => {
    const sources = [
      { name: 'speaker.monitor', description: 'Monitor of Null Output' },
      { name: 'mic_feed.monitor', description: 'Monitor of Null Output' },
      { name: 'virtmic', description: 'Remapped Monitor of Null Output' },
    ];
    assert.deepEqual(rtAudioNameForPulseSource('virtmic', sources), { name: 'Remapped Monitor of Null Output' });
    assert.deepEqual(rtAudioNameForPulseSource('speaker.monitor', sources), { name: 'Monitor of Null Output' }, 'the first of twins is the one RtAudio keeps');
    assert.match((rtAudioNameForPulseSource('mic_feed.monitor', sources) as { error: string }).error, /same description/);
    assert.match((rtAudioNameForPulseSource('gone', sources) as { error: string }).error, /"gone" not found/);
  });
});

describe('RtAudio device lists (macOS, Windows)', () => {
  it('Windows: microphones, and every output as a loopback source with "the default output" first', () => {
    const list = rtAudioDeviceList('WASAPI', [
      dev(0, 'Speakers (Realtek)', 0, 2, { isDefaultOutput: true }), dev(1, 'Microphone (Realtek)', 2, 0, { isDefaultInput: true }), dev(2, 'Headset (USB)', 1, 2),
    ], 'win32');
    assert.deepEqual(list.microphones.map((d) => [d.id, d.isDefault]), [['default', true], ['Microphone (Realtek)', false], ['Headset (USB)', false]]);
    assert.match(list.microphones[0].label, /Microphone \(Realtek\)/);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['default', true], ['Speakers (Realtek)', false], ['Headset (USB)', false]]);
    assert.match(list.systemSources[0].label, /now Speakers \(Realtek\).*WASAPI loopback/);
    // Recording devices that carry system audio follow the loopbacks (Wine 8.0 lists PulseAudio monitors so).
    const withMix = rtAudioDeviceList('WASAPI', [
      dev(0, 'Speakers (Realtek)', 0, 2, { isDefaultOutput: true }), dev(1, 'Stereo Mix (Realtek)', 2, 0), dev(2, 'Monitor of Speaker', 1, 0), dev(3, 'Microphone (Realtek)', 2, 0, { isDefaultInput: true }),
    ], 'win32');
    assert.deepEqual(withMix.systemSources.map((d) => [d.id, d.label]), [
      ['default', 'Default output, as it changes (now Speakers (Realtek)) (WASAPI loopback)'], ['Speakers (Realtek)', 'Speakers (Realtek) (WASAPI loopback)'],
      ['Stereo Mix (Realtek)', 'Stereo Mix (Realtek) (recording device)'], ['Monitor of Speaker', 'Monitor of Speaker (recording device)'],
    ]);
  });

  it('macOS: loopback devices (BlackHole) are system sources, the rest microphones', () => {
    const list = rtAudioDeviceList('Core', [dev(0, 'MacBook Pro Microphone', 1, 0, { isDefaultInput: true }), dev(1, 'BlackHole 2ch', 2, 2), dev(2, 'MacBook Pro Speakers', 0, 2)], 'darwin');
    assert.deepEqual(list.microphones.map((d) => d.id), ['default', 'MacBook Pro Microphone']);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['BlackHole 2ch', true]]);
    // Core Audio's order (RtAudio.cpp:1145-1170) can put Zoom's virtual device first: BlackHole is still the default.
    const zoomFirst = rtAudioDeviceList('Core', [dev(0, 'ZoomAudioDevice', 2, 2), dev(1, 'MacBook Pro Microphone', 1, 0, { isDefaultInput: true }), dev(2, 'BlackHole 2ch', 2, 2)], 'darwin');
    assert.deepEqual(zoomFirst.systemSources.map((d) => [d.id, d.isDefault]), [['BlackHole 2ch', true], ['ZoomAudioDevice', false]]);
  });
});

describe('audiotee (macOS system audio without a driver)', () => {
  it('needs macOS 14.2 (Darwin 23.2) or later', () => {
    assert.equal(macosSupportsProcessTaps('23.2.0'), true);
    assert.equal(macosSupportsProcessTaps('24.1.0'), true);
    assert.equal(macosSupportsProcessTaps('23.1.0'), false, 'macOS 14.1');
    assert.equal(macosSupportsProcessTaps('22.6.0'), false, 'macOS 13');
    assert.deepEqual(audioteeStatus('darwin', '23.1.0', true).available, false);
    assert.match(audioteeStatus('darwin', '23.1.0', true).reason!, /macOS 14\.2 or later.*BlackHole/);
    assert.deepEqual(audioteeStatus('darwin', '24.0.0', true), { available: true });
    assert.match(audioteeStatus('darwin', '24.0.0', false).reason!, /not installed/);
    assert.equal(audioteeStatus('linux', '6.1.0', true).available, false);
  });

  it('finds the installed package\'s binary, whose exports forbid audiotee/package.json, executable and universal', () => {
    const installed = fs.realpathSync(path.join(__dirname, '..', '..', '..', 'node_modules', 'audiotee', 'bin', 'audiotee'));
    assert.equal(audioteeBinary(), installed);
    fs.accessSync(installed, fs.constants.X_OK); // a package (VSIX) must keep the mode: Earshot spawns it as it is
    const head = Buffer.alloc(4);
    const fd = fs.openSync(installed, 'r');
    fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    assert.equal(head.readUInt32BE(0), 0xcafebabe, 'a universal Mach-O: the real binary, not a stand-in');
    assert.deepEqual(audioteeStatus('darwin', '23.2.0'), { available: true }, 'macOS 14.2 with the defaults: the installed binary');
    assert.deepEqual(audioteeStatus('darwin', '25.0.0'), { available: true });
    assert.match(audioteeStatus('darwin', '23.1.0').reason!, /macOS 14\.2 or later/);
  });

  it('asks for 16 kHz mono in 20 ms chunks, all processes or only the chosen ones', () => {
    assert.deepEqual(audioteeCommand('default', undefined, '/m/audiotee'), {
      recorder: 'audiotee', command: '/m/audiotee', args: ['--sample-rate', '16000', '--chunk-duration', '0.02'], envOverrides: {}, device: 'default',
    });
    assert.deepEqual(audioteeCommand('app:zoom.us', [501, 502], '/m/audiotee').args, ['--sample-rate', '16000', '--chunk-duration', '0.02', '--include-processes', '501', '502']);
    assert.throws(() => audioteeCommand('app:zoom.us', [], '/m/audiotee'), /no process ids/);
  });

  it('per-application capture: app:<names>, matched with their helper processes', () => {
    assert.deepEqual(parseAppDevice('app:zoom.us, Google Chrome'), ['zoom.us', 'Google Chrome']);
    assert.throws(() => parseAppDevice('app:'), /names no application/);
    assert.throws(() => parseAppDevice('BlackHole 2ch'), /does not name applications/);
    const ps = parsePs([
      '  501 /Applications/zoom.us.app/Contents/MacOS/zoom.us',
      '  612 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '  613 /Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)',
      '  700 /usr/libexec/coreaudiod',
      'garbage',
    ].join('\n'));
    assert.equal(ps.length, 4);
    assert.deepEqual(processesOf('zoom.us', ps), [501]);
    assert.deepEqual(processesOf('Google Chrome', ps), [612, 613], 'the renderer helper plays a Meet call');
    assert.deepEqual(processesOf('Safari', ps), []);
  });

  it('a tap macOS refuses: the message names the pane and links to it', () => {
    // What audiotee 0.0.7 prints when macOS refuses the tap: AudioTee.swift:94, AudioTapManager.swift:85,
    // AudioTee.swift:125-126 and 79 at 71b0c45 (1852797029 = 'nope', kAudioHardwareNotPermittedError).
    const refused = [
      '{"timestamp":"2026-11-23T10:00:00.000Z","message_type":"info","data":{"message":"Starting AudioTee..."}}',
      '{"timestamp":"2026-11-23T10:00:00.012Z","message_type":"error","data":{"message":"Failed to create audio tap","context":{"status":"1852797029"}}}',
      '{"timestamp":"2026-11-23T10:00:00.012Z","message_type":"error","data":{"message":"Failed to setup audio tap","context":{"error":"tapCreationFailed(1852797029)"}}}',
      'Error: failure',
    ].join('\n') + '\n';
    const denied = classifyEnd({ kind: 'system', recorder: 'audiotee', device: 'default', platform: 'darwin' }, { code: 1, signal: null, stderr: refused });
    assert.equal(denied.reason, 'permission-denied');
    assert.match(denied.message, /Screen & System Audio Recording.*"System Audio Recording Only".*x-apple\.systempreferences:com\.apple\.preference\.security\?Privacy_ScreenCapture/);
  });
});
