/**
 * macOS: which apps use the microphone now, from Core Audio's process objects (macOS 14.2 and later). Earshot's
 * earshot-audio-processes (scripts/mac-capture/earshot-audio-processes.cpp, built beside the capture app into
 * out/mac-capture/, outside the app's signature: its header says why) answers with one JSON line:
 *
 *   {"processes":[{"pid":812,"bundleId":"us.zoom.xos","runningInput":true}, …]}
 *
 * one entry per object of kAudioHardwarePropertyProcessObjectList ('prs#') on kAudioObjectSystemObject: its
 * kAudioProcessPropertyPID ('ppid', a pid_t), kAudioProcessPropertyBundleID ('pbid', a CFString, empty for a process
 * without a bundle) and kAudioProcessPropertyIsRunningInput ('piri', a UInt32: the process runs IO with an input
 * stream): the selectors of CoreAudio/AudioHardware.h in the macOS 14.2 SDK (the 14.0 SDK has none of them), the same
 * process objects audiotee taps (kAudioHardwarePropertyTranslatePIDToProcessObject). Core Audio gives no time a
 * process started recording: `since` is when detection first saw it. On a macOS before 14.2 the program says so on
 * stderr and exits 2: detection reports that line as its fault (detector.ts). Earshot's own recorders are left out by
 * the program (`--own-pid` the daemon, `--own-executable` the capture app's recorder: they and their descendants, by
 * the parent chains only the OS has), since a tap's aggregate device runs input too and audiotee has no bundle id.
 *
 * The parser is tested on the contract above (test/unit/calls.test.ts) and on the program's own line, built for Linux
 * where it reads the same from PulseAudio (test/integration/calls-mac-processes.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The program's file name (scripts/mac-capture-app.js PROCESSES; test/unit/mac-capture-app.test.ts holds them together). */
export const MAC_PROCESSES = 'earshot-audio-processes';

/** The program in this installation (out/mac-capture/, beside out/daemon/), or undefined (a checkout that never packaged for macOS). */
export function macProcessesPath(): string | undefined {
  const file = path.join(__dirname, '..', '..', 'mac-capture', MAC_PROCESSES);
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

export interface MacAudioProcess {
  pid: number;
  bundleId: string;
  runningInput: boolean;
}

/** earshot-audio-processes's line. Throws on anything else. */
export function parseMacProcesses(text: string): MacAudioProcess[] {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const parsed = JSON.parse(line) as { processes?: unknown };
  if (!Array.isArray(parsed.processes)) throw new Error('no "processes" array');
  return parsed.processes.flatMap((p): MacAudioProcess[] => {
    const r = p as Record<string, unknown>;
    if (typeof r.pid !== 'number' || !Number.isSafeInteger(r.pid) || r.pid <= 0) return [];
    return [{ pid: r.pid, bundleId: typeof r.bundleId === 'string' ? r.bundleId : '', runningInput: r.runningInput === true }];
  });
}

/** The processes recording, not Earshot's own (`own(pid)`); a process without a bundle id is named by its pid. */
export function macCallApps(processes: MacAudioProcess[], own: (pid: number) => boolean): { app: string; pid: number }[] {
  return processes.filter((p) => p.runningInput && !own(p.pid)).map((p) => ({ app: p.bundleId || `pid ${p.pid}`, pid: p.pid }));
}
