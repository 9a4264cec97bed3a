/**
 * Device listing and its parsers, on outputs captured from PulseAudio 16.1 / alsa-utils 1.2.8 on Debian 12 (Linux), and
 * written from ffmpeg's documented avfoundation and DirectShow listings (macOS, Windows: not runnable here).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  isAlsaCapturePcm, isLoopbackDeviceName, listDevices, noSystemAudioMessage, parseArecordList, parseAvfoundationDevices, parseDshowDevices, parsePactlInfo,
  parsePactlJsonSources, parsePactlTextSources, pickLoopbackDevice, systemCaptureAvailability,
} from '../../daemon/capture/devices';

const PACTL_JSON = JSON.stringify([
  { index: 0, state: 'IDLE', name: 'speaker.monitor', description: 'Monitor of Null Output', driver: 'module-null-sink.c', sample_specification: 's16le 1ch 16000Hz', monitor_source: 'speaker', properties: { 'device.class': 'monitor' } },
  { index: 1, state: 'RUNNING', name: 'mic_feed.monitor', description: 'Monitor of Null Output', driver: 'module-null-sink.c', monitor_source: 'mic_feed' },
  { index: 2, state: 'IDLE', name: 'virtmic', description: 'Remapped Monitor of Null Output', driver: 'module-remap-source.c', monitor_source: '', properties: { 'device.master_device': 'mic_feed.monitor' } },
  { index: 3, state: 'SUSPENDED', name: 'alsa_input.usb-Blue_Yeti-00.analog-stereo', description: 'Yeti Stereo Microphone Analog Stereo', monitor_source: '' },
]);

const PACTL_TEXT = `Source #0
	State: IDLE
	Name: speaker.monitor
	Description: Monitor of Null Output
	Driver: module-null-sink.c
	Sample Specification: s16le 1ch 16000Hz
	Channel Map: mono
	Owner Module: 1
	Mute: no
	Volume: mono: 65536 / 100% / 0.00 dB
	        balance 0.00
	Base Volume: 65536 / 100% / 0.00 dB
	Monitor of Sink: speaker
	Latency: 0 usec, configured 2000000 usec
	Flags: DECIBEL_VOLUME LATENCY 
	Properties:
		device.description = "Monitor of Null Output"
		device.class = "monitor"
	Formats:
		pcm

Source #2
	State: IDLE
	Name: virtmic
	Description: Remapped Monitor of Null Output
	Driver: module-remap-source.c
	Monitor of Sink: n/a
	Latency: 0 usec, configured 2000000 usec
	Properties:
		device.master_device = "mic_feed.monitor"
`;

const PACTL_INFO = `Server String: /tmp/pa/xdg/pulse/native
Library Protocol Version: 35
Server Protocol Version: 35
Is Local: yes
Client Index: 0
Tile Size: 65472
User Name: root
Host Name: vm
Server Name: pulseaudio
Server Version: 16.1
Default Sample Specification: s16le 2ch 44100Hz
Default Channel Map: front-left,front-right
Default Sink: speaker
Default Source: virtmic
Cookie: e90e:39de
`;

const ARECORD_L = `null
    Discard all samples (playback) or generate zero samples (capture)
default
    Playback/recording through the PulseAudio sound server
pulse
    PulseAudio Sound Server
sysdefault:CARD=PCH
    HDA Intel PCH, ALC3246 Analog
    Default Audio Device
lavrate
    Rate Converter Plugin Using Libav/FFmpeg Library
upmix
    Plugin for channel upmix (4,6,8)
hw:CARD=PCH,DEV=0
    HDA Intel PCH, ALC3246 Analog
    Direct hardware device without any conversions
`;

const AVFOUNDATION = `[AVFoundation indev @ 0x7f8b4c704a40] AVFoundation video devices:
[AVFoundation indev @ 0x7f8b4c704a40] [0] FaceTime HD Camera
[AVFoundation indev @ 0x7f8b4c704a40] [1] Capture screen 0
[AVFoundation indev @ 0x7f8b4c704a40] AVFoundation audio devices:
[AVFoundation indev @ 0x7f8b4c704a40] [0] BlackHole 2ch
[AVFoundation indev @ 0x7f8b4c704a40] [1] MacBook Pro Microphone
[AVFoundation indev @ 0x7f8b4c704a40] [2] ZoomAudioDevice
: Input/output error
`;

/** The same Mac with Zoom and Teams installed: Core Audio lists their virtual devices before BlackHole. */
const AVFOUNDATION_ZOOM_FIRST = `[AVFoundation indev @ 0x7f8b4c704a40] AVFoundation video devices:
[AVFoundation indev @ 0x7f8b4c704a40] [0] FaceTime HD Camera
[AVFoundation indev @ 0x7f8b4c704a40] AVFoundation audio devices:
[AVFoundation indev @ 0x7f8b4c704a40] [0] ZoomAudioDevice
[AVFoundation indev @ 0x7f8b4c704a40] [1] Microsoft Teams Audio
[AVFoundation indev @ 0x7f8b4c704a40] [2] MacBook Pro Microphone
[AVFoundation indev @ 0x7f8b4c704a40] [3] BlackHole 2ch
: Input/output error
`;

// ffmpeg ≥ 5 prints one line per device with its type.
const DSHOW_NEW = `[dshow @ 0000020d5c6b8f40] "Integrated Camera" (video)
[dshow @ 0000020d5c6b8f40]   Alternative name "@device_pnp_\\\\?\\usb#vid_04f2&pid_b6d9&mi_00"
[dshow @ 0000020d5c6b8f40] "Microphone Array (Realtek(R) Audio)" (audio)
[dshow @ 0000020d5c6b8f40]   Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{4A9F3D1C-0000}"
[dshow @ 0000020d5c6b8f40] "Stereo Mix (Realtek(R) Audio)" (audio)
[dshow @ 0000020d5c6b8f40]   Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{5B1E2F3A-0000}"
[dshow @ 0000020d5c6b8f40] "OBS Virtual Camera" (none)
dummy: Immediate exit requested
`;

// ffmpeg ≤ 4 prints sections.
const DSHOW_OLD = `[dshow @ 000001a2b3c4d5e6] DirectShow video devices (some may be both video and audio devices)
[dshow @ 000001a2b3c4d5e6]  "Integrated Webcam"
[dshow @ 000001a2b3c4d5e6]     Alternative name "@device_pnp_\\\\?\\usb#vid_0bda"
[dshow @ 000001a2b3c4d5e6] DirectShow audio devices
[dshow @ 000001a2b3c4d5e6]  "Headset Microphone (Jabra EVOLVE 20)"
[dshow @ 000001a2b3c4d5e6]     Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{AAAA}"
[dshow @ 000001a2b3c4d5e6]  "CABLE Output (VB-Audio Virtual Cable)"
[dshow @ 000001a2b3c4d5e6]     Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{BBBB}"
dummy: Immediate exit requested
`;

describe('device listing parsers', () => {
  it('pactl JSON: monitors are system audio, the rest microphones', () => {
    assert.deepEqual(parsePactlJsonSources(PACTL_JSON), [
      { name: 'speaker.monitor', description: 'Monitor of Null Output', monitorOf: 'speaker' },
      { name: 'mic_feed.monitor', description: 'Monitor of Null Output', monitorOf: 'mic_feed' },
      { name: 'virtmic', description: 'Remapped Monitor of Null Output', monitorOf: '' },
      { name: 'alsa_input.usb-Blue_Yeti-00.analog-stereo', description: 'Yeti Stereo Microphone Analog Stereo', monitorOf: '' },
    ]);
    assert.equal(parsePactlJsonSources('Unknown format json'), undefined, 'older pactl: fall back to text');
    assert.equal(parsePactlJsonSources('{"not":"a list"}'), undefined);
  });

  it('pactl text listing', () => {
    assert.deepEqual(parsePactlTextSources(PACTL_TEXT), [
      { name: 'speaker.monitor', description: 'Monitor of Null Output', monitorOf: 'speaker' },
      { name: 'virtmic', description: 'Remapped Monitor of Null Output', monitorOf: '' },
    ]);
    assert.deepEqual(parsePactlTextSources(''), []);
  });

  it('pactl info: the default sink and source', () => {
    assert.deepEqual(parsePactlInfo(PACTL_INFO), { defaultSink: 'speaker', defaultSource: 'virtmic' });
    assert.deepEqual(parsePactlInfo('Connection failure: Connection refused'), { defaultSink: undefined, defaultSource: undefined });
  });

  it('arecord -L: names with their descriptions; only capture PCMs are microphones', () => {
    const list = parseArecordList(ARECORD_L);
    assert.deepEqual(list.map((d) => d.name), ['null', 'default', 'pulse', 'sysdefault:CARD=PCH', 'lavrate', 'upmix', 'hw:CARD=PCH,DEV=0']);
    assert.equal(list[3].description, 'HDA Intel PCH, ALC3246 Analog — Default Audio Device');
    assert.deepEqual(list.filter((d) => isAlsaCapturePcm(d.name)).map((d) => d.name), ['default', 'pulse', 'sysdefault:CARD=PCH', 'hw:CARD=PCH,DEV=0']);
  });

  it('ffmpeg avfoundation (macOS): audio devices with their indexes', () => {
    const d = parseAvfoundationDevices(AVFOUNDATION);
    assert.deepEqual(d.video.map((v) => v.name), ['FaceTime HD Camera', 'Capture screen 0']);
    assert.deepEqual(d.audio, [{ index: 0, name: 'BlackHole 2ch' }, { index: 1, name: 'MacBook Pro Microphone' }, { index: 2, name: 'ZoomAudioDevice' }]);
    // Newer ffmpeg prefixes lines with the input's name instead.
    const v7 = AVFOUNDATION.replace(/\[AVFoundation indev @ 0x7f8b4c704a40\]/g, '[in#0 @ 0x600000c3c000]');
    assert.deepEqual(parseAvfoundationDevices(v7).audio.map((a) => a.name), ['BlackHole 2ch', 'MacBook Pro Microphone', 'ZoomAudioDevice']);
  });

  it('ffmpeg DirectShow (Windows), both listing formats', () => {
    assert.deepEqual(parseDshowDevices(DSHOW_NEW), { video: ['Integrated Camera'], audio: ['Microphone Array (Realtek(R) Audio)', 'Stereo Mix (Realtek(R) Audio)'] });
    assert.deepEqual(parseDshowDevices(DSHOW_OLD), { video: ['Integrated Webcam'], audio: ['Headset Microphone (Jabra EVOLVE 20)', 'CABLE Output (VB-Audio Virtual Cable)'] });
  });

  it('recognizes loopback devices by name, per OS', () => {
    for (const n of ['BlackHole 2ch', 'BlackHole 16ch', 'Soundflower (2ch)', 'Loopback Audio', 'ZoomAudioDevice']) assert.ok(isLoopbackDeviceName(n, 'darwin'), n);
    for (const n of ['MacBook Pro Microphone', 'External Microphone', 'AirPods Pro']) assert.ok(!isLoopbackDeviceName(n, 'darwin'), n);
    for (const n of ['Stereo Mix (Realtek(R) Audio)', 'CABLE Output (VB-Audio Virtual Cable)', 'virtual-audio-capturer', 'What U Hear (Sound Blaster)']) {
      assert.ok(isLoopbackDeviceName(n, 'win32'), n);
    }
    for (const n of ['Microphone Array (Realtek(R) Audio)', 'Headset Microphone (Jabra EVOLVE 20)']) assert.ok(!isLoopbackDeviceName(n, 'win32'), n);
    assert.ok(isLoopbackDeviceName('alsa_output.pci-0000_00_1f.3.analog-stereo.monitor', 'linux'));
    assert.ok(!isLoopbackDeviceName('alsa_input.pci-0000_00_1f.3.analog-stereo', 'linux'));
  });

  it('macOS: a loopback driver is recorded before a meeting app\'s own virtual device, whatever Core Audio\'s order', () => {
    assert.equal(pickLoopbackDevice(['ZoomAudioDevice', 'Microsoft Teams Audio', 'MacBook Pro Microphone', 'BlackHole 2ch'], 'darwin'), 'BlackHole 2ch');
    assert.equal(pickLoopbackDevice(['ZoomAudioDevice', 'Loopback Audio'], 'darwin'), 'Loopback Audio', "Rogue Amoeba's Loopback");
    assert.equal(pickLoopbackDevice(['ZoomAudioDevice', 'MacBook Pro Microphone', 'Soundflower (2ch)'], 'darwin'), 'ZoomAudioDevice', 'then the rest, in order');
    assert.equal(pickLoopbackDevice(['MacBook Pro Microphone'], 'darwin'), undefined);
  });
});

describe('how to enable system audio, per OS', () => {
  it('says what to install or turn on, and that the microphone keeps working', () => {
    const cases: [NodeJS.Platform, 'no-recorder' | 'no-server' | 'no-loopback', RegExp][] = [
      ['linux', 'no-recorder', /apt install pulseaudio-utils.*pipewire-pulse/],
      ['linux', 'no-server', /PulseAudio or PipeWire-Pulse/],
      ['darwin', 'no-loopback', /before 14\.2.*BlackHole.*brew install blackhole-2ch.*Multi-Output Device.*14\.2 and later .* without a driver/],
      ['darwin', 'no-recorder', /brew install ffmpeg/],
      ['win32', 'no-loopback', /Stereo Mix.*VB-CABLE/],
      ['win32', 'no-recorder', /winget install Gyan\.FFmpeg/],
    ];
    for (const [platform, missing, pattern] of cases) {
      const message = noSystemAudioMessage(platform, missing);
      assert.match(message, pattern, `${platform} ${missing}: ${message}`);
      assert.match(message, /microphone keeps working/);
    }
  });
});

/**
 * listDevices and systemCaptureAvailability with fake tools on PATH (shell scripts printing the outputs above):
 * which tool is asked, and what happens when it is missing, old, or finds no server.
 */
describe('device listing with fake tools', () => {
  let dir: string;
  const files: Record<string, string> = { 'json.txt': PACTL_JSON, 'text.txt': PACTL_TEXT, 'info.txt': PACTL_INFO, 'arecord.txt': ARECORD_L, 'avf.txt': AVFOUNDATION, 'dshow.txt': DSHOW_NEW };
  /** A folder holding only the given fake tools: `PATH` set to it hides the real ones. */
  const tools = (scripts: Record<string, string>): NodeJS.ProcessEnv => {
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'));
    for (const [name, body] of Object.entries(scripts)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\ncd "${dir}"\n${body}\n`, { mode: 0o755 });
    // The recorder programs are under test: the in-process backend (which may load here) is turned off.
    return { PATH: bin, EARSHOT_AUDIO_BACKEND: 'recorders' };
  };
  const pactl = (json: boolean) => `case "$*" in
  "-f json list sources") ${json ? '/bin/cat json.txt' : 'echo "Invalid format value json" >&2; exit 1'} ;;
  "list sources") /bin/cat text.txt ;;
  "info") /bin/cat info.txt ;;
  *) echo "No valid command specified." >&2; exit 1 ;;
esac`;
  const noServer = 'echo "Connection failure: Connection refused" >&2; exit 1';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-devices-'));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Linux: PulseAudio sources from pactl JSON, defaults from pactl info', async () => {
    const list = await listDevices({ platform: 'linux', env: tools({ pactl: pactl(true) }) });
    assert.deepEqual(list.microphones.map((d) => [d.id, d.isDefault, d.backend]), [['virtmic', true, 'pulse'], ['alsa_input.usb-Blue_Yeti-00.analog-stereo', false, 'pulse']]);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault, d.label]), [['speaker.monitor', true, 'Monitor of Null Output'], ['mic_feed.monitor', false, 'Monitor of Null Output']]);
  });

  it('Linux: an older pactl without JSON is read from its text listing', async () => {
    const list = await listDevices({ platform: 'linux', env: tools({ pactl: pactl(false) }) });
    assert.deepEqual(list.microphones.map((d) => d.id), ['virtmic']);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['speaker.monitor', true]]);
  });

  it('Linux: no sound server, or no pactl: ALSA capture devices from arecord -L, and a note why', async () => {
    const down = await listDevices({ platform: 'linux', env: tools({ pactl: noServer, arecord: '/bin/cat arecord.txt' }) });
    assert.deepEqual(down.microphones.map((d) => [d.id, d.isDefault, d.backend]), [['default', true, 'alsa'], ['pulse', false, 'alsa'], ['sysdefault:CARD=PCH', false, 'alsa'], ['hw:CARD=PCH,DEV=0', false, 'alsa']]);
    assert.deepEqual(down.systemSources, []);
    assert.match(down.notes.join(), /not running/);
    const noPactl = await listDevices({ platform: 'linux', env: tools({ arecord: '/bin/cat arecord.txt' }) });
    assert.equal(noPactl.microphones.length, 4);
    assert.match(noPactl.notes.join(), /pactl is not installed \(sudo apt install pulseaudio-utils/);
    const nothing = await listDevices({ platform: 'linux', env: tools({}) });
    assert.deepEqual([nothing.microphones, nothing.systemSources], [[], []]);
    assert.match(nothing.notes.join(), /arecord is not installed either \(sudo apt install alsa-utils/);
  });

  it('Linux: system capture is available with parec on the default sink monitor, or says what is missing', async () => {
    assert.deepEqual(await systemCaptureAvailability({ platform: 'linux', env: tools({ pactl: pactl(true), parec: 'exit 0' }) }),
      { available: true, recorder: 'parec', device: 'speaker.monitor' });
    assert.deepEqual(await systemCaptureAvailability({ platform: 'linux', env: tools({ pactl: pactl(true), ffmpeg: 'exit 0' }) }),
      { available: true, recorder: 'ffmpeg', device: 'speaker.monitor' }, 'no parec: ffmpeg');
    const noRecorder = await systemCaptureAvailability({ platform: 'linux', env: tools({ pactl: pactl(true) }) });
    assert.equal(noRecorder.available, false);
    assert.match(noRecorder.message!, /install it \(sudo apt install pulseaudio-utils\)/);
    const noServerYet = await systemCaptureAvailability({ platform: 'linux', env: tools({ pactl: noServer, parec: 'exit 0' }) });
    assert.equal(noServerYet.available, false);
    assert.match(noServerYet.message!, /needs a running PulseAudio or PipeWire-Pulse server/);
  });

  it('macOS: avfoundation devices from ffmpeg, BlackHole as the system source', async () => {
    const env = tools({ ffmpeg: '/bin/cat avf.txt >&2; exit 1' });
    const list = await listDevices({ platform: 'darwin', env });
    assert.deepEqual(list.microphones.map((d) => [d.id, d.isDefault]), [['default', true], ['MacBook Pro Microphone', false]]);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['BlackHole 2ch', true], ['ZoomAudioDevice', false]]);
    assert.deepEqual(await systemCaptureAvailability({ platform: 'darwin', env }), { available: true, recorder: 'ffmpeg', device: 'BlackHole 2ch' });
    const noFfmpeg = await systemCaptureAvailability({ platform: 'darwin', env: tools({}) });
    assert.equal(noFfmpeg.available, false);
    assert.match(noFfmpeg.message!, /brew install ffmpeg.*BlackHole/);
    assert.deepEqual(await systemCaptureAvailability({ platform: 'darwin', env: tools({ 'audio-tap': 'exit 0' }), helperPath: 'audio-tap' }),
      { available: true, recorder: 'helper', device: 'default' }, 'a native helper needs no loopback driver');
  });

  it('macOS: with Zoom\'s and Teams\' devices listed first, BlackHole is still the system source', async () => {
    fs.writeFileSync(path.join(dir, 'avf-zoom.txt'), AVFOUNDATION_ZOOM_FIRST);
    const env = tools({ ffmpeg: '/bin/cat avf-zoom.txt >&2; exit 1' });
    assert.deepEqual(await systemCaptureAvailability({ platform: 'darwin', env }), { available: true, recorder: 'ffmpeg', device: 'BlackHole 2ch' });
    const list = await listDevices({ platform: 'darwin', env });
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['BlackHole 2ch', true], ['ZoomAudioDevice', false], ['Microsoft Teams Audio', false]]);
  });

  it('Windows: DirectShow devices from ffmpeg; without a loopback device, how to enable Stereo Mix', async () => {
    const env = tools({ ffmpeg: '/bin/cat dshow.txt >&2; exit 1' });
    const list = await listDevices({ platform: 'win32', env });
    assert.deepEqual(list.microphones.map((d) => d.id), ['default', 'Microphone Array (Realtek(R) Audio)']);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]), [['Stereo Mix (Realtek(R) Audio)', true]]);
    const micOnly = tools({ ffmpeg: '/bin/grep -v "Stereo Mix" dshow.txt >&2; exit 1' });
    const availability = await systemCaptureAvailability({ platform: 'win32', env: micOnly });
    assert.equal(availability.available, false);
    assert.match(availability.message!, /enable "Stereo Mix".*VB-CABLE/);
  });
});
