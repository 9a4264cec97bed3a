/**
 * Recorder command lines per OS and recorder (macOS and Windows ones cannot run here: only their construction is
 * tested), the choice of recorder, and fault messages from the recorders' real stderr texts (captured on Debian 12
 * with PulseAudio 16.1, sox 14.4.2, alsa-utils 1.2.8; macOS/Windows texts from ffmpeg's sources and bug reports).
 */
import * as assert from 'node:assert/strict';
import { classifyEnd, FaultContext, installHint, isFatalStderrLine, RecorderEnd } from '../../daemon/capture/faults';
import { defaultRecorder, isAlsaDeviceName, micCommand, recorderLauncher, systemCommand } from '../../daemon/capture/recorder';

describe('recorder commands', () => {
  it('microphone on Linux: sox and rec get the pulseaudio driver, the device through AUDIODEV and PULSE_SOURCE', () => {
    const sox = micCommand('sox', undefined, 'linux');
    assert.equal(sox.command, 'sox');
    assert.deepEqual(sox.args, ['--default-device', '--no-show-progress', '--rate', '16000', '--channels', '1', '--encoding', 'signed-integer', '--bits', '16', '--type', 'raw', '-']);
    assert.deepEqual(sox.envOverrides, { AUDIODRIVER: 'pulseaudio', PULSE_PROP_OVERRIDE: 'application.name=Earshot' });
    assert.equal(sox.device, 'default');
    assert.deepEqual(sox.recordOptions, { recorder: 'sox', sampleRate: 16000, channels: 1, audioType: 'raw' });

    const chosen = micCommand('sox', 'alsa_input.usb-Blue_Yeti-00.analog-stereo', 'linux');
    assert.deepEqual(chosen.envOverrides, {
      AUDIODRIVER: 'pulseaudio', AUDIODEV: 'alsa_input.usb-Blue_Yeti-00.analog-stereo', PULSE_SOURCE: 'alsa_input.usb-Blue_Yeti-00.analog-stereo', PULSE_PROP_OVERRIDE: 'application.name=Earshot',
    });
    assert.deepEqual(micCommand('sox', 'hw:1,0', 'linux').envOverrides, { AUDIODRIVER: 'alsa', AUDIODEV: 'hw:1,0', PULSE_PROP_OVERRIDE: 'application.name=Earshot' });
    assert.deepEqual(micCommand('sox', 'default', 'linux').envOverrides, { AUDIODRIVER: 'pulseaudio', PULSE_PROP_OVERRIDE: 'application.name=Earshot' }, '"default" is no device choice');

    const rec = micCommand('rec', 'virtmic', 'linux');
    assert.equal(rec.command, 'rec');
    assert.ok(rec.args.includes('raw') && rec.args.includes('16000'));
    assert.equal(rec.envOverrides.AUDIODEV, 'virtmic', 'node-record-lpcm16 does not pass a device to rec: AUDIODEV does');
  });

  it('microphone on Linux with arecord: an ALSA device with -D, a PulseAudio source through the pulse plugin', () => {
    const plain = micCommand('arecord', undefined, 'linux');
    assert.equal(plain.command, 'arecord');
    assert.deepEqual(plain.args, ['-q', '-r', '16000', '-c', '1', '-t', 'raw', '-f', 'S16_LE', '-']);
    assert.deepEqual(plain.envOverrides, { PULSE_PROP_OVERRIDE: 'application.name=Earshot' }, 'call detection knows the stream as Earshot\'s (daemon/calls/)');
    const pulse = micCommand('arecord', 'virtmic', 'linux');
    assert.deepEqual(pulse.args.slice(0, 2), ['-D', 'pulse']);
    assert.deepEqual(pulse.envOverrides, { PULSE_SOURCE: 'virtmic', PULSE_PROP_OVERRIDE: 'application.name=Earshot' });
    assert.deepEqual(micCommand('arecord', 'plughw:CARD=USB,DEV=0', 'linux').args.slice(0, 2), ['-D', 'plughw:CARD=USB,DEV=0']);
  });

  it('microphone on macOS (coreaudio) and Windows (waveaudio) through sox', () => {
    assert.deepEqual(micCommand('sox', undefined, 'darwin').envOverrides, { AUDIODRIVER: 'coreaudio' });
    assert.deepEqual(micCommand('sox', 'MacBook Pro Microphone', 'darwin').envOverrides, { AUDIODRIVER: 'coreaudio', AUDIODEV: 'MacBook Pro Microphone' });
    assert.deepEqual(micCommand('sox', 'Microphone Array (Realtek(R) Audio)', 'win32').envOverrides, {
      AUDIODRIVER: 'waveaudio', AUDIODEV: 'Microphone Array (Realtek(R) Audio)',
    });
  });

  it('system audio on Linux: parec at 20 ms latency, ffmpeg pulse input, or sox', () => {
    const parec = systemCommand('parec', 'speaker.monitor', 'linux');
    assert.equal(parec.command, 'parec');
    assert.deepEqual(parec.args, ['--latency-msec=20', '--format=s16le', '--rate=16000', '--channels=1', '--raw', '-d', 'speaker.monitor']);
    const ffmpeg = systemCommand('ffmpeg', 'speaker.monitor', 'linux');
    assert.equal(ffmpeg.command, 'ffmpeg');
    assert.deepEqual(ffmpeg.args.slice(ffmpeg.args.indexOf('-f'), ffmpeg.args.indexOf('-i') + 2),
      ['-f', 'pulse', '-sample_rate', '16000', '-channels', '1', '-fragment_size', '640', '-i', 'speaker.monitor']);
    assert.deepEqual(ffmpeg.args.slice(-9), ['-ac', '1', '-ar', '16000', '-acodec', 'pcm_s16le', '-f', 's16le', '-']);
    const sox = systemCommand('sox', 'speaker.monitor', 'linux');
    assert.deepEqual(sox.envOverrides, { AUDIODRIVER: 'pulseaudio', AUDIODEV: 'speaker.monitor', PULSE_SOURCE: 'speaker.monitor' });
    assert.ok(sox.args.includes('--default-device'));
  });

  it('system audio on macOS: a loopback device through avfoundation or sox', () => {
    const ffmpeg = systemCommand('ffmpeg', 'BlackHole 2ch', 'darwin');
    assert.deepEqual(ffmpeg.args.slice(ffmpeg.args.indexOf('-f'), ffmpeg.args.indexOf('-i') + 2), ['-f', 'avfoundation', '-i', ':BlackHole 2ch']);
    assert.deepEqual(systemCommand('sox', 'BlackHole 2ch', 'darwin').envOverrides, { AUDIODRIVER: 'coreaudio', AUDIODEV: 'BlackHole 2ch' });
  });

  it('system audio on Windows: a DirectShow loopback device with a small buffer', () => {
    const ffmpeg = systemCommand('ffmpeg', 'Stereo Mix (Realtek(R) Audio)', 'win32');
    assert.deepEqual(ffmpeg.args.slice(ffmpeg.args.indexOf('-f'), ffmpeg.args.indexOf('-i') + 2),
      ['-f', 'dshow', '-audio_buffer_size', '50', '-i', 'audio=Stereo Mix (Realtek(R) Audio)']);
  });

  it('a native helper gets the PCM format (and a device when one is chosen)', () => {
    assert.deepEqual(systemCommand('helper', 'default', 'darwin', '/opt/earshot/audio-tap'), {
      recorder: 'helper', command: '/opt/earshot/audio-tap', args: ['--rate', '16000', '--channels', '1', '--format', 's16le'], envOverrides: {}, device: 'default',
    });
    assert.deepEqual(systemCommand('helper', 'Speakers', 'win32', 'C:\\earshot\\loopback.exe').args.slice(-2), ['--device', 'Speakers']);
    assert.throws(() => systemCommand('helper', 'default', 'darwin'), /helperPath/);
  });

  it('chooses the lowest-latency recorder installed, per OS', () => {
    const only = (...names: string[]) => (n: string) => names.includes(n);
    assert.equal(defaultRecorder('mic', 'linux', only('sox', 'arecord')), 'arecord');
    assert.equal(defaultRecorder('mic', 'linux', only('sox', 'rec')), 'sox');
    assert.equal(defaultRecorder('mic', 'linux', only()), 'arecord', 'none installed: the first, whose start then says what to install');
    assert.equal(defaultRecorder('system', 'linux', only('parec', 'ffmpeg', 'sox')), 'parec');
    assert.equal(defaultRecorder('system', 'linux', only('ffmpeg', 'sox')), 'ffmpeg');
    assert.equal(defaultRecorder('system', 'linux', only('sox')), 'sox');
    assert.equal(defaultRecorder('mic', 'darwin', only('sox', 'rec')), 'sox');
    assert.equal(defaultRecorder('system', 'darwin', only('sox', 'ffmpeg')), 'ffmpeg');
    assert.equal(defaultRecorder('system', 'win32', only('ffmpeg')), 'ffmpeg');
    assert.equal(defaultRecorder('system', 'darwin', only('ffmpeg'), '/opt/earshot/audio-tap'), 'helper');
  });

  it('tells ALSA device names from PulseAudio source names', () => {
    for (const n of ['default', 'pulse', 'hw:0,0', 'plughw:CARD=USB,DEV=0', 'sysdefault:CARD=PCH']) assert.ok(isAlsaDeviceName(n), n);
    for (const n of ['virtmic', 'alsa_input.pci-0000_00_1f.3.analog-stereo', 'bluez_source.00_11_22_33_44_55.handsfree_head_unit']) assert.ok(!isAlsaDeviceName(n), n);
  });

  it('refuses a recorder that cannot record that kind of audio', () => {
    assert.throws(() => recorderLauncher({ kind: 'mic', recorder: 'parec' }), /not a microphone recorder/);
    assert.throws(() => recorderLauncher({ kind: 'system', recorder: 'arecord' }), /not a system-audio recorder/);
  });
});

describe('recorder fault messages', () => {
  const mic: FaultContext = { kind: 'mic', recorder: 'sox', device: 'default', platform: 'linux' };
  const end = (stderr: string, code: number | null = 1, extra: Partial<RecorderEnd> = {}): RecorderEnd => ({ code, signal: null, stderr, ...extra });

  it('a recorder that is not installed: names the package', () => {
    const enoent = Object.assign(new Error('spawn sox ENOENT'), { code: 'ENOENT' });
    const f = classifyEnd(mic, end('', null, { spawnError: enoent }));
    assert.equal(f.reason, 'recorder-missing');
    assert.match(f.message, /"sox" is not installed.*sudo apt install sox libsox-fmt-pulse/);
    assert.match(classifyEnd({ ...mic, recorder: 'arecord' }, end('', null, { spawnError: enoent })).message, /apt install alsa-utils/);
    assert.match(classifyEnd({ ...mic, kind: 'system', recorder: 'parec' }, end('', null, { spawnError: enoent })).message, /system audio.*apt install pulseaudio-utils/);
    assert.match(classifyEnd({ ...mic, platform: 'darwin' }, end('', null, { spawnError: enoent })).message, /brew install sox/);
    assert.match(classifyEnd({ ...mic, recorder: 'ffmpeg', platform: 'win32' }, end('', null, { spawnError: enoent })).message, /winget install Gyan\.FFmpeg/);
    assert.equal(installHint('unknown-tool', 'linux'), 'install unknown-tool');
  });

  it('the sound server died mid-capture: sox (exit 0!), parec and arecord', () => {
    const sox = classifyEnd(mic, end("sox FAIL sox: `default' error reading from pulse audio device: Connection terminated: Operation not permitted", 0));
    assert.equal(sox.reason, 'server-lost', 'not "permission denied": the words "not permitted" are part of the server error');
    assert.equal(sox.detail, "sox FAIL sox: `default' error reading from pulse audio device: Connection terminated: Operation not permitted");
    assert.equal(classifyEnd({ ...mic, recorder: 'parec' }, end('Connection failure: Connection terminated\nStream error: Connection terminated')).reason, 'server-lost');
    assert.equal(classifyEnd({ ...mic, recorder: 'arecord' }, end('overrun!!! (at least 2999.862 ms long)\narecord: xrun:1672: xrun: prepare error: Input/output error')).reason, 'server-lost');
    assert.equal(classifyEnd({ ...mic, recorder: 'arecord' }, end('arecord: pcm_read:2221: read error: Input/output error')).reason, 'server-lost');
  });

  it('no sound server to connect to', () => {
    const cases = [
      "sox FAIL formats: can't open input  `default': can not open audio device: Connection refused",
      'Connection failure: Connection refused',
      'ALSA lib confmisc.c:855:(parse_card) cannot find card \'0\'\nALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default\narecord: main:831: audio open error: No such file or directory',
    ];
    for (const stderr of cases) {
      const f = classifyEnd(mic, end(stderr, 2));
      assert.equal(f.reason, 'server-not-running', stderr);
      assert.match(f.message, /sound server \(PulseAudio or PipeWire\) is not running/);
    }
  });

  it('a device that does not exist or was unplugged', () => {
    const cases = [
      "sox FAIL formats: can't open input  `nosuch': can not open audio device: No such entity",
      'Stream error: No such entity',
      'ALSA lib pcm_pulse.c:758:(pulse_prepare) PulseAudio: Unable to create stream: No such entity',
      'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM nosuch\narecord: main:831: audio open error: No such file or directory',
      'arecord: pcm_read:2221: read error: No such device',
      '[dshow @ 0000020d5c6b8f40] Could not find audio only device with name [Headset] among source devices of type audio.',
    ];
    for (const stderr of cases) {
      const f = classifyEnd({ ...mic, device: 'nosuch' }, end(stderr));
      assert.equal(f.reason, 'device-not-found', stderr);
      assert.match(f.message, /"nosuch" was not found \(unplugged\?\).*earshot devices/);
    }
  });

  it('permission denied: macOS microphone and screen recording, Windows privacy, Linux device files', () => {
    const macMic = classifyEnd({ ...mic, recorder: 'ffmpeg', platform: 'darwin' }, end('[in#0 @ 0x1] Failed to create AV capture input device: Not authorized'));
    assert.equal(macMic.reason, 'permission-denied');
    assert.match(macMic.message, /Privacy & Security → Microphone/);
    const tap = classifyEnd({ kind: 'system', recorder: 'helper', device: 'default', platform: 'darwin' },
      end('Failed to start capture: The user declined TCCs for application, window, display capture (domain: com.apple.ScreenCaptureKit.SCStreamErrorDomain, code: -3801)'));
    assert.equal(tap.reason, 'permission-denied');
    assert.match(tap.message, /Screen & System Audio Recording, allow the app Earshot runs in \(Visual Studio Code or your terminal\)/);
    // Recorded by Earshot's own app (macCaptureApp.ts): macOS asked about Earshot, so that is the one to allow.
    const appMic = classifyEnd({ ...mic, recorder: 'earshot-capture', platform: 'darwin', asEarshot: true }, end('[in#0 @ 0x1] Failed to create AV capture input device: Not authorized'));
    assert.match(appMic.message, /Privacy & Security → Microphone, allow Earshot, then retry \(x-apple\.systempreferences:com\.apple\.preference\.security\?Privacy_Microphone\)/);
    const win = classifyEnd({ ...mic, recorder: 'ffmpeg', platform: 'win32' }, end('[dshow @ 000001] Could not run graph (sometimes caused by a device already in use by other application)'));
    assert.equal(win.reason, 'permission-denied');
    assert.match(win.message, /Privacy & security → Microphone/);
    const linux = classifyEnd({ ...mic, recorder: 'arecord' }, end('arecord: main:831: audio open error: Permission denied'));
    assert.equal(linux.reason, 'permission-denied');
    assert.match(linux.message, /"audio" group/);
  });

  it('a busy device, and an exit without a reason', () => {
    assert.equal(classifyEnd({ ...mic, recorder: 'arecord', device: 'hw:0,0' }, end('arecord: main:831: audio open error: Device or resource busy')).reason, 'device-busy');
    const silent = classifyEnd(mic, end('', 0));
    assert.equal(silent.reason, 'recorder-exited');
    assert.match(silent.message, /stopped unexpectedly \(it exited with code 0\)/);
    assert.equal(silent.detail, undefined);
    assert.match(classifyEnd(mic, end('', null, { signal: 'SIGKILL' })).message, /was killed \(SIGKILL\)/);
  });

  it('knows which stderr lines end capture even if the recorder lingers', () => {
    for (const line of ['Stream error: Connection terminated', 'Connection failure: Connection refused', 'arecord: pcm_read:2221: read error: Input/output error',
      "sox FAIL formats: can't open input  `x': can not open audio device: No such entity"]) {
      assert.ok(isFatalStderrLine(line), line);
    }
    for (const line of ['overrun!!! (at least 1.2 ms long)', 'sox WARN alsa: over-run', 'sox WARN rate: rate clipped 3 samples']) assert.ok(!isFatalStderrLine(line), line);
  });
});
