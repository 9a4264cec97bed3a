/**
 * Windows: which apps use the microphone now, from the privacy settings' consent store, where Windows records each
 * app's last use of the microphone (the "recently used" list of Settings › Privacy › Microphone):
 *
 *   HKCU\Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore\microphone
 *     <package family name>                     a packaged (Store) app, e.g. Microsoft.WindowsSoundRecorder_8wekyb3d8bbwe
 *     NonPackaged\<program path, \ written #>   a desktop program, e.g. C:#Program Files#Zoom#bin#Zoom.exe
 *       LastUsedTimeStart  REG_QWORD  FILETIME (100 ns since 1601-01-01 UTC) when it opened the microphone
 *       LastUsedTimeStop   REG_QWORD  when it closed it; 0 while it still records
 *
 * Read with `reg query <key> /s`, whose output (Microsoft's reg query documentation,
 * learn.microsoft.com/windows-server/administration/windows-commands/reg-query) is a key's full path on a line of its
 * own, then one line per value, four spaces in: `name    TYPE    data`, a REG_QWORD's data as 0x hex. The consent
 * store gives no process id. Wine 8.0's reg.exe prints the same layout but "(null)" for every REG_QWORD's data
 * (test/fixtures/calls/wine-8.0-reg-query-microphone.txt): such an entry is unknown, never "in use".
 */

export const CONSENT_STORE_MICROPHONE = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\microphone';

export interface ConsentEntry {
  /** A package family name, or a program's path (NonPackaged, # turned back into \). */
  app: string;
  /** FILETIMEs as 100 ns ticks since 1601; undefined when absent or unreadable. */
  start: bigint | undefined;
  stop: bigint | undefined;
}

/** Milliseconds between 1601-01-01 and 1970-01-01 (the FILETIME and Unix epochs). */
const FILETIME_EPOCH_MS = 11_644_473_600_000n;

/** A FILETIME as Unix milliseconds. */
export function filetimeToMs(ft: bigint): number {
  return Number(ft / 10_000n - FILETIME_EPOCH_MS);
}

/** The consent store's apps in `reg query … /s` output, each with its LastUsedTimeStart and LastUsedTimeStop where readable. */
export function parseRegQuery(text: string): ConsentEntry[] {
  const entries: ConsentEntry[] = [];
  const root = CONSENT_STORE_MICROPHONE.replace(/^HKCU\\/, 'HKEY_CURRENT_USER\\').toLowerCase();
  let current: ConsentEntry | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^HKEY_/i.test(line)) {
      const key = line.trim();
      const rest = key.toLowerCase().startsWith(root + '\\') ? key.slice(root.length + 1) : undefined;
      // The store itself and the NonPackaged folder hold no app.
      if (rest === undefined || rest === '' || /^nonpackaged$/i.test(rest)) {
        current = undefined;
        continue;
      }
      const app = /^nonpackaged\\/i.test(rest) ? rest.slice('NonPackaged\\'.length).replace(/#/g, '\\') : rest;
      current = { app, start: undefined, stop: undefined };
      entries.push(current);
      continue;
    }
    const value = /^ {4}(\S+) {4}(REG_\w+) {4}(.*)$/.exec(line);
    if (!value || !current || value[2] !== 'REG_QWORD') continue;
    const data = /^0x[0-9a-f]{1,16}$/i.test(value[3].trim()) ? BigInt(value[3].trim()) : undefined;
    if (value[1] === 'LastUsedTimeStart') current.start = data;
    else if (value[1] === 'LastUsedTimeStop') current.stop = data;
  }
  return entries;
}

/** The apps using the microphone now: started (a nonzero start) and not stopped (a stop of 0), with the start as ISO time. */
export function consentStoreApps(entries: ConsentEntry[]): { app: string; since: string }[] {
  return entries.filter((e) => e.start !== undefined && e.start > 0n && e.stop === 0n)
    .map((e) => ({ app: e.app, since: new Date(filetimeToMs(e.start!)).toISOString() }));
}
