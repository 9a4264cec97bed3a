/**
 * Figure 2 — CPU seconds per second of audio for a whole meeting: Earshot's live pipeline (realtime-paced session,
 * see live.ts) against whisper.cpp's `stream` example (sliding window: step 500 ms, length 5000 ms) built from the
 * same sources with the same flags, on the same audio and model. `stream` captures from an audio device through
 * SDL, so it is fed the fixture through a private PulseAudio virtual microphone (test/support/pulse.ts) in real time.
 */
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { LiveRun, liveMeetingRun } from './live';
import { startPulse } from '../support/pulse';
import { isPartialDecode, whatIfNote } from './session-run';
import {
  buildWhisperCpp, FigureReport, foreignLoad, processCpu, quiet, rel, spawnTracked, stopChild, table, THREADS, waitForLine,
} from './util';
import { setTimeout as sleep } from 'node:timers/promises';

interface StreamResult {
  foreignCores: number;
  cpuSec: number;
  audioSec: number;
  decodes: number;
  command: string;
}

async function runStream(model: string, fixture: string, audioSec: number): Promise<StreamResult> {
  const cpp = buildWhisperCpp();
  const bin = cpp.bin('stream');
  if (!bin) throw new Error('whisper.cpp stream was not built: SDL2 is missing (apt-get install libsdl2-dev, then rerun)');
  const pulse = await startPulse();
  try {
    // -nf: no temperature fallback, as Earshot (the generated model's repetitive text would otherwise trigger
    // fallback re-decodes on every step). -mt -R: Earshot's token cap, ceil(R × window seconds) + 4 tokens
    // (needs the bench patch of scripts/build-whisper-cpp.sh; stock stream ignores -mt in this mode).
    const rate = DEFAULT_STREAMING_OPTIONS.maxTokensPerSec;
    const args = ['-m', model, '-t', String(THREADS), '--step', '500', '--length', '5000', '-l', 'en', '-nf', '-mt', `-${rate}`];
    await quiet();
    const child = spawnTracked(bin, args, { env: { ...pulse.env, SDL_AUDIODRIVER: 'pulseaudio' } });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-3000); });
    try {
      await waitForLine(child, (l) => l.includes('[Start speaking]'), 120_000, 'stream').catch((e: Error) => {
        throw new Error(`${e.message}\n${stderr}`);
      });
      // Each decode clears the line it printed before: count those clears.
      let decodes = 0;
      child.stdout!.on('data', (d: Buffer) => { decodes += d.toString('latin1').split(' '.repeat(100)).length - 1; });
      await sleep(1000);
      if (child.exitCode !== null) throw new Error(`stream exited (${child.exitCode}): ${stderr}`);
      const cpu0 = processCpu(child.pid!);
      const decodes0 = decodes;
      const foreign = foreignLoad(() => processCpu(child.pid!));
      await pulse.playToMic(fixture);
      const cpu1 = processCpu(child.pid!);
      const foreignCores = foreign();
      if (!Number.isFinite(cpu1)) throw new Error(`stream exited during playback: ${stderr}`);
      return {
        cpuSec: cpu1 - cpu0, audioSec, decodes: decodes - decodes0, foreignCores,
        command: `SDL_AUDIODRIVER=pulseaudio ${rel(bin)} ${args.map((a) => (a.includes('/') ? rel(a) : a)).join(' ')}   # while: paplay -d mic_feed <fixture>`,
      };
    } finally {
      await stopChild(child, 'SIGKILL');
    }
  } finally {
    await pulse.stop();
  }
}

export async function streamCpu(): Promise<FigureReport> {
  // Nobody watching (finals only), then the panel visible (partials): the same fixture, model and machine.
  const runs = [await liveMeetingRun(false), await liveMeetingRun(true)];
  const { fixture, model, modelNote } = runs[1];
  const perSec = (r: LiveRun) => r.run.cpuSec / r.run.audioSec;
  const [unwatched, watched] = runs.map(perSec);
  const rows: (string | number)[][] = runs.map((r) => {
    const partials = r.run.decodes.filter(isPartialDecode).length;
    return [
      `Earshot, ${r.watched ? 'partials watched (panel visible)' : 'nobody watching (finals only)'}`, `${r.run.audioSec.toFixed(1)} s`, `${r.run.cpuSec.toFixed(1)} s`,
      `**${perSec(r).toFixed(3)}**`, `${r.run.decodes.length} (${partials} partial, ${r.run.decodes.length - partials} final; ${r.run.aborted.length} stopped)`,
      r.run.foreignCores.toFixed(2),
    ];
  });
  const notes = [
    ...(whatIfNote() ? [`**${whatIfNote()}**`] : []),
    ...(modelNote ? [`**${modelNote}** whisper.cpp stream's side runs the same model.`] : []),
    `Audio: ${fixture.recipe} = ${fixture.durationSec.toFixed(1)} s, ${fixture.turns.length} turns. Model: generated base.en dimensions ` +
      `(${rel(model)}), ${THREADS} threads, greedy, no temperature fallback, the same token cap rule on both sides ` +
      `(ceil(${DEFAULT_STREAMING_OPTIONS.maxTokensPerSec} tokens/s × audio) + 4).`,
    'Earshot: EarshotService in this process, pace realtime; process CPU (user + system, every thread: whisper, Silero VAD, Node) from STREAMING to DONE, ' +
      'final decode included; model loading excluded. "Nobody watching": the client said it shows no partials (earshot/partials ' +
      '{wanted: false}, as the extension does while its panel is hidden); "watched": it shows them. "stopped": decodes stopped before their end ' +
      '(a stale partial at a drop, an early final whose speech resumed). stream: CPU of its process while the fixture plays into the virtual microphone (PulseAudio ' +
      'itself not counted on either side; Earshot reads the file directly). "other load": cores other processes kept busy meanwhile ' +
      '(a busy machine slows whisper\'s spinning thread pool and inflates CPU on both sides).',
  ];
  const targets: FigureReport['targets'] = [
    { metric: 'CPU-s per audio-s, nobody watching', value: unwatched.toFixed(3), target: '≤ 0.3', met: unwatched <= 0.3 },
    { metric: 'CPU-s per audio-s, partials watched', value: watched.toFixed(3), target: '≤ 0.6', met: watched <= 0.6 },
  ];
  const commands = ['npm run bench -- stream'];
  try {
    const theirs = await runStream(model, fixture.file, fixture.durationSec);
    const streamPerSec = theirs.cpuSec / theirs.audioSec;
    rows.push([
      'whisper.cpp stream (--step 500 --length 5000)', `${theirs.audioSec.toFixed(1)} s`, `${theirs.cpuSec.toFixed(1)} s`, streamPerSec.toFixed(3),
      `${theirs.decodes} (every one full-window; ${(theirs.decodes / theirs.audioSec).toFixed(2)}/s of audio, 2/s nominal)`, theirs.foreignCores.toFixed(2),
    ]);
    rows.push(['**ratio Earshot nobody watching / stream**', '', '', `**${(unwatched / streamPerSec).toFixed(3)}**`, '', '']);
    rows.push(['**ratio Earshot watched / stream**', '', '', `**${(watched / streamPerSec).toFixed(3)}**`, '', '']);
    commands.push(theirs.command);
    targets.unshift({ metric: 'CPU-s per audio-s, Earshot nobody watching / whisper.cpp stream', value: (unwatched / streamPerSec).toFixed(3), target: '≤ 0.3', met: unwatched / streamPerSec <= 0.3 });
    notes.push('stream decodes a 30 s encoder window each step and drops the audio that arrives while it is busy (it only ever takes ' +
      'the newest step), so when it cannot keep up its CPU figure is a lower bound of what the sliding window would cost.');
  } catch (e) {
    rows.push(['whisper.cpp stream', '–', '–', '–', `not run: ${(e as Error).message.split('\n')[0]}`, '']);
    targets.unshift({ metric: 'CPU-s per audio-s, Earshot nobody watching / whisper.cpp stream', value: `Earshot alone ${unwatched.toFixed(3)}`, target: '≤ 0.3', met: null });
    notes.push(`stream could not run: ${(e as Error).message}`);
  }
  return {
    title: 'CPU per second of meeting audio: Earshot live pipeline (nobody watching, partials watched) vs whisper.cpp stream',
    commands,
    lines: table(['pipeline', 'audio', 'CPU', 'CPU-s per audio-s', 'whisper decodes', 'other load (cores)'], rows),
    notes,
    targets,
  };
}
