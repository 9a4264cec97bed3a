/**
 * A RecorderLauncher that spawns the fake recorder (fake-recorder.ts) directly, for LiveSource and device-test unit
 * tests: the n-th start follows plans[n] (the last plan repeats); it counts the starts and records the pids.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { RecorderLauncher } from '../../daemon/capture/recorder';
import { RunningRecorder } from '../../daemon/capture/runningRecorder';
import { Plan } from './fake-recorder';

export const FAKE_RECORDER = path.join(__dirname, 'fake-recorder.js');

export function fakeLauncher(plans: Plan[]): RecorderLauncher & { starts: number; pids: number[] } {
  const launcher = {
    recorder: 'fake',
    starts: 0,
    pids: [] as number[],
    launch: async () => {
      const plan = plans[Math.min(launcher.starts++, plans.length - 1)];
      const child = spawn(process.execPath, [FAKE_RECORDER], { env: { ...process.env, FAKE_RECORDER_PLAN: JSON.stringify(plan) }, stdio: ['ignore', 'pipe', 'pipe'] });
      launcher.pids.push(child.pid!);
      return new RunningRecorder({ recorder: 'fake', command: 'node', args: [FAKE_RECORDER], device: 'fake-device' }, child, child.stdout!);
    },
  };
  return launcher;
}

/** Whether a process is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
