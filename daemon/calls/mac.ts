/**
 * macOS: which apps use the microphone now, from Core Audio's process objects (macOS 14.0 and later). Earshot's capture
 * app (scripts/mac-capture/earshot-capture.cpp) is to answer `earshot-capture processes` with one JSON line:
 *
 *   {"processes":[{"pid":812,"bundleId":"us.zoom.xos","runningInput":true}, …]}
 *
 * one entry per object of kAudioHardwarePropertyProcessObjectList ('prs#') on kAudioObjectSystemObject: its
 * kAudioProcessPropertyPID ('ppid', a pid_t), kAudioProcessPropertyBundleID ('pbid', a CFString, empty for a process
 * without a bundle) and kAudioProcessPropertyIsRunningInput ('piri', a UInt32: the process runs IO with an input
 * stream) — the selectors of CoreAudio/AudioHardware.h in the macOS 14 SDK, as audiotee lists processes for its taps
 * (kAudioHardwarePropertyTranslatePIDToProcessObject, the same process objects). Core Audio gives no time a process
 * started recording: `since` is when detection first saw it.
 *
 * Not yet in the capture app: until it answers, detection on macOS reports a fault (detector.ts). The parser is tested
 * on the contract above (test/unit/calls.test.ts).
 */

export interface MacAudioProcess {
  pid: number;
  bundleId: string;
  runningInput: boolean;
}

/** The capture app's `processes` line. Throws on anything else. */
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
