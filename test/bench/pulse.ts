/**
 * A private, headless PulseAudio server with a virtual microphone, so that programs which capture from an audio
 * device (whisper.cpp's `stream`, through SDL) can be fed a WAV file in real time:
 *
 *   paplay -d mic_feed file.wav  →  null sink "mic_feed"  →  its monitor  →  remap-source "virtmic" (default source)
 *
 * Sinks run at 16 kHz mono, so a 16 kHz mono fixture reaches the capturing program without resampling. The server
 * runs as our child (not daemonized) with its own HOME and XDG_RUNTIME_DIR and is killed with the benchmark.
 * Needs Debian's pulseaudio and pulseaudio-utils (apt-get install pulseaudio pulseaudio-utils).
 */
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireTool, spawnTracked, stopChild, tempDir, removeTempDir, waitExit } from './util';

export interface Pulse {
  /** Environment for clients: PULSE_SERVER and a private XDG_RUNTIME_DIR/HOME. */
  env: NodeJS.ProcessEnv;
  /** Plays a WAV into the virtual microphone; resolves when playback ends. */
  playToMic(file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPulse(rate = 16000): Promise<Pulse> {
  requireTool('pulseaudio', 'apt-get install pulseaudio pulseaudio-utils');
  requireTool('pactl', 'apt-get install pulseaudio-utils');
  requireTool('paplay', 'apt-get install pulseaudio-utils');
  const dir = tempDir('pulse');
  const home = path.join(dir, 'home');
  const xdg = path.join(dir, 'xdg');
  fs.mkdirSync(path.join(home, '.config'), { recursive: true });
  fs.mkdirSync(xdg, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'bench.pa');
  fs.writeFileSync(config, [
    '.fail',
    'load-module module-native-protocol-unix auth-anonymous=1',
    `load-module module-null-sink sink_name=speaker rate=${rate} channels=1`,
    `load-module module-null-sink sink_name=mic_feed rate=${rate} channels=1`,
    'load-module module-remap-source master=mic_feed.monitor source_name=virtmic',
    'set-default-sink speaker',
    'set-default-source virtmic',
    '',
  ].join('\n'));
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOME: home, XDG_RUNTIME_DIR: xdg, XDG_CONFIG_HOME: path.join(home, '.config'),
    PULSE_SERVER: `unix:${path.join(xdg, 'pulse', 'native')}`,
  };
  const server = spawnTracked('pulseaudio', [
    '-n', '-F', config, '--daemonize=no', '--exit-idle-time=-1', '--realtime=no', '--high-priority=no', `--log-target=file:${path.join(dir, 'pulse.log')}`,
  ], { env });
  const kids: ChildProcess[] = [server];
  const stop = async () => {
    for (const k of kids.reverse()) await stopChild(k);
    removeTempDir(dir);
  };
  try {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      if (server.exitCode !== null) break;
      up = spawnSync('pactl', ['info'], { env, stdio: 'ignore' }).status === 0;
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`PulseAudio did not start: ${fs.existsSync(path.join(dir, 'pulse.log')) ? fs.readFileSync(path.join(dir, 'pulse.log'), 'utf8').slice(-600) : 'no log'}`);
    // An idle null sink starts with a long latency and the first seconds of a new recording can be lost: a
    // low-latency reader keeps the virtual microphone's chain running.
    kids.push(spawnTracked('parec', ['--latency-msec=10', '-d', 'mic_feed.monitor', '--raw'], { env, stdio: ['ignore', 'ignore', 'ignore'] }));
    await sleep(500);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    env,
    stop,
    playToMic: async (file) => {
      const player = spawnTracked('paplay', ['-d', 'mic_feed', file], { env });
      let err = '';
      player.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      const code = await waitExit(player);
      if (code !== 0) throw new Error(`paplay exited ${code}: ${err.trim()}`);
    },
  };
}
