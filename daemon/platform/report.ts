/**
 * The platform report: what Earshot finds on this machine, for a user on a platform the project cannot run (macOS,
 * Windows) to send with a problem (docs/platforms.md, "Not verified without a Mac or a Windows PC"). `earshot report` prints it;
 * in the editor, **Earshot: Create Platform Report…** asks the daemon for it (earshot/platform/report), so that its
 * facts are those of the process that records in VS Code (on macOS, `Code Helper (Plugin)`), not of a terminal.
 *
 * It says, for each unknown docs/platforms.md lists: which process records and how it was started; whether each native
 * module loads (and why not: a Windows policy, a missing library); the capture backends and devices; on macOS the
 * capture app's signature (CDHash: the identity macOS keeps a grant for), its versions and its device names against
 * audify's, and what TCC logged about the microphone and system audio; on Windows Smart App Control's state and what
 * Code Integrity blocked of Earshot; and with a recording test, what each source delivered (exact zeros: a refused
 * permission). It holds no transcript and no audio; the home folder and the user name are replaced, and every value
 * is cut and stripped of control characters, so the user can read all of it before sending it.
 *
 * Every probe has a bound (PROBE_TIMEOUT_MS, the recording's own); a probe that fails or runs out is a fact too.
 */
import { plainLine } from '../../protocol/plainText';
import type { PlatformReport, PlatformReportFact, PlatformReportSection } from '../../protocol/protocol';

/** How long one command of a probe may run. `log show` over ten minutes of a Mac's log takes a few seconds. */
export const PROBE_TIMEOUT_MS = 20_000;
/** The longest value a fact keeps: a report is read by a person. */
const MAX_VALUE_CHARS = 600;
/** At most this many log lines (TCC, Code Integrity) per section. */
const MAX_LOG_LINES = 30;

/** What a command gave: exit code (null: did not start, or ran out of time), its output, and why it did not start. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

export interface RecordingOutcome {
  recorder: string;
  peakDbfs: number;
  rmsDbfs: number;
  heard: boolean;
}

/** Where the report's facts come from; platform-specific commands run through `run`, so a test can answer for macOS or Windows. */
export interface PlatformProbes {
  platform: NodeJS.Platform;
  arch: string;
  /** os.release(), os.version() */
  release: string;
  osVersion: string;
  earshotVersion: string;
  /** process.execPath and whether it runs as Node inside Electron. */
  execPath: string;
  runtime: string;
  homedir: string;
  username: string;
  run(command: string, args: string[], timeoutMs: number): Promise<CommandResult>;
  readFile(file: string): string | undefined;
  /** Each native module: loaded, with a detail (the CPU variant, the API), or the reason it does not load. */
  nativeModules(): { name: string; loaded: boolean; detail: string }[];
  /** The capture backends, device lists and notes (earshot/devices/list). */
  devices(): Promise<{ backends: { microphone: string; systemAudio: string }; microphones: { id: string; label: string; isDefault: boolean }[]; systemSources: { id: string; isDefault: boolean }[]; systemAudio: { available: boolean; message?: string }; notes: string[] }>;
  /** macOS: the capture app in this installation. */
  captureApp?: string;
  /** macOS: the input devices the capture app lists (names), or why it could not list them. */
  captureAppDevices?(): Promise<string[] | { error: string }>;
  /** audify's input device names (macOS: to compare with the app's). */
  audifyInputNames?(): Promise<string[] | undefined>;
  /** The device test of a source; throws with the fault a session would report. */
  record?(source: 'mic' | 'system', seconds: number): Promise<RecordingOutcome>;
}

export interface ReportOptions {
  /** Seconds of each source to record (0: none). */
  recordSeconds?: number;
  now?: Date;
}

export async function platformReport(probes: PlatformProbes, options: ReportOptions = {}): Promise<PlatformReport> {
  const clean = redactor(probes);
  const sections: PlatformReportSection[] = [];
  const add = (title: string, facts: [string, string][]) => sections.push({ title, facts: facts.map(([name, value]): PlatformReportFact => ({ name, value: clean(value) })) });

  add('This machine', [
    ['Earshot', probes.earshotVersion],
    ['operating system', `${probes.osVersion} (${probes.platform} ${probes.release}, ${probes.arch})`],
    ['host process', probes.execPath],
    ['runtime', probes.runtime],
  ]);
  add('Native modules', probes.nativeModules().map((m): [string, string] => [m.name, `${m.loaded ? 'loads' : 'does not load'}: ${m.detail}`]));
  add('Capture', await captureFacts(probes));
  if (probes.platform === 'darwin') {
    add('macOS capture app', await captureAppFacts(probes));
    add('macOS privacy log (TCC, last 10 minutes)', await tccFacts(probes));
  }
  if (probes.platform === 'win32') add('Windows application control', await applicationControlFacts(probes));
  const seconds = options.recordSeconds ?? 0;
  if (seconds > 0 && probes.record) add(`Recording test (${seconds} s each)`, await recordingFacts(probes, seconds));
  return { generated: (options.now ?? new Date()).toISOString(), sections, markdown: renderMarkdown(sections, options.now ?? new Date()) };
}

async function captureFacts(probes: PlatformProbes): Promise<[string, string][]> {
  try {
    const d = await probes.devices();
    const defaultMic = d.microphones.find((m) => m.isDefault);
    return [
      ['microphone backend', d.backends.microphone],
      ['system audio backend', d.backends.systemAudio],
      ['microphones', `${d.microphones.length}${defaultMic ? `; default: ${defaultMic.label}` : ''}`],
      ['system audio sources', String(d.systemSources.length)],
      ['system audio', d.systemAudio.available ? 'available' : `unavailable: ${d.systemAudio.message ?? ''}`],
      ...d.notes.map((note, i): [string, string] => [`note ${i + 1}`, note]),
    ];
  } catch (e) {
    return [['devices', `could not be listed: ${(e as Error).message}`]];
  }
}

/** The keys of the app's Info.plist that say which build it is (scripts/mac-capture-app.js writes them). */
const PLIST_KEYS = ['CFBundleIdentifier', 'CFBundleVersion', 'EarshotRecorderVersion', 'EarshotAudioteeVersion', 'LSMinimumSystemVersion'];

async function captureAppFacts(probes: PlatformProbes): Promise<[string, string][]> {
  const app = probes.captureApp;
  if (!app) return [['app', 'missing from this installation: the microphone is recorded inside the editor\'s process and system audio by audiotee directly']];
  const facts: [string, string][] = [['app', app]];
  const plist = probes.readFile(`${app}/Contents/Info.plist`);
  for (const key of PLIST_KEYS) facts.push([key, plist ? plistString(plist, key) ?? '(not set)' : '(Info.plist unreadable)']);
  // codesign prints the signature's description on stderr (codesign(1): -d "display information"; -vvv adds CDHash).
  const sig = await probes.run('codesign', ['-dvvv', app], PROBE_TIMEOUT_MS);
  const described = `${sig.stdout}\n${sig.stderr}`;
  for (const field of ['Identifier', 'CDHash', 'Signature', 'TeamIdentifier']) {
    facts.push([`signature ${field}`, described.match(new RegExp(`^${field}=(.*)$`, 'm'))?.[1] ?? (sig.error ? `codesign did not run: ${sig.error}` : '(not shown)')]);
  }
  const verify = await probes.run('codesign', ['--verify', '--strict', app], PROBE_TIMEOUT_MS);
  facts.push(['signature verifies', verify.code === 0 ? 'yes' : `no: ${firstLine(verify.stderr) || verify.error || `exit ${verify.code}`}`]);
  // Gatekeeper assesses a quarantined app at its launch (a prompt, or a refusal for an ad-hoc signature); VS Code's
  // extraction of a VSIX sets no quarantine (platform review 3). xattr -p exits 1 when the attribute is not there (xattr(1)).
  const quarantine = await probes.run('xattr', ['-p', 'com.apple.quarantine', app], PROBE_TIMEOUT_MS);
  facts.push(['quarantine', quarantine.code === 0 ? `set: ${quarantine.stdout.trim()}` : quarantine.error ? `not read: ${quarantine.error}` : 'none']);
  const appDevices = probes.captureAppDevices ? await probes.captureAppDevices() : { error: 'not asked' };
  if ('error' in appDevices) facts.push(['app\'s input devices', `could not be listed: ${appDevices.error}`]);
  else {
    facts.push(['app\'s input devices', appDevices.join('; ') || '(none)']);
    const audify = probes.audifyInputNames ? await probes.audifyInputNames() : undefined;
    if (audify) {
      const onlyApp = appDevices.filter((n) => !audify.includes(n));
      const onlyAudify = audify.filter((n) => !appDevices.includes(n));
      facts.push(['names as audify lists them', onlyApp.length + onlyAudify.length === 0 ? 'the same' : `differ: only the app ${JSON.stringify(onlyApp)}, only audify ${JSON.stringify(onlyAudify)}`]);
    }
  }
  return facts;
}

/** A <string> value of an XML property list (the plist DTD's <key>K</key><string>V</string>). */
export function plistString(xml: string, key: string): string | undefined {
  return xml.match(new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`))?.[1];
}

/**
 * What tccd logged in the last ten minutes about the microphone and system audio, for Earshot or the editor. tccd logs
 * under subsystem com.apple.TCC (`log stream --predicate 'subsystem == "com.apple.TCC"'`); its lines name
 * the service (kTCCServiceMicrophone, kTCCServiceAudioCapture) and the requesting and responsible processes
 * ("ACC:{…}", "RESP:{…}", microsoft/live-share#3254), which is what settles whom macOS asked.
 */
async function tccFacts(probes: PlatformProbes): Promise<[string, string][]> {
  const result = await probes.run('log', ['show', '--last', '10m', '--style', 'compact', '--predicate',
    'subsystem == "com.apple.TCC" AND (eventMessage CONTAINS "Microphone" OR eventMessage CONTAINS "AudioCapture")'], PROBE_TIMEOUT_MS);
  if (result.code !== 0) return [['log', `not read: ${firstLine(result.stderr) || result.error || `exit ${result.code}`}`]];
  const ours = /earshot|vscode|visual studio code|code helper|electron/i;
  const lines = result.stdout.split('\n').filter((l) => ours.test(l));
  if (lines.length === 0) return [['log', 'nothing about Earshot or VS Code (start a dictation or a meeting, then make the report again)']];
  return lines.slice(-MAX_LOG_LINES).map((line, i): [string, string] => [`line ${i + 1}`, line]);
}

/** Smart App Control's states, as Microsoft documents the registry value (Test your app's signature with Smart App Control: 0 Off, 1 On (Enforcement), 2 Evaluation). */
const SAC_STATES: Record<number, string> = { 0: 'off', 1: 'on (enforcement): unsigned native files are blocked', 2: 'evaluation: nothing is blocked yet' };

/**
 * Smart App Control's state (HKLM\SYSTEM\CurrentControlSet\Control\CI\Policy, VerifiedAndReputablePolicyState; Microsoft,
 * "Test your app's signature with Smart App Control") and the Code Integrity events that name Earshot's files: 3077
 * (blocked) and 3076 (would be blocked, evaluation), in Microsoft-Windows-CodeIntegrity/Operational (same page).
 */
async function applicationControlFacts(probes: PlatformProbes): Promise<[string, string][]> {
  const reg = await probes.run('reg', ['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CI\\Policy', '/v', 'VerifiedAndReputablePolicyState'], PROBE_TIMEOUT_MS);
  const value = reg.stdout.match(/VerifiedAndReputablePolicyState\s+REG_DWORD\s+0x([0-9a-f]+)/i);
  const state = value ? Number.parseInt(value[1], 16) : undefined;
  const facts: [string, string][] = [['Smart App Control', state === undefined ? `not found (${firstLine(reg.stderr) || reg.error || 'no such value'}): Windows 10, or never set`
    : SAC_STATES[state] ?? `state ${state}`]];
  const events = await probes.run('wevtutil', ['qe', 'Microsoft-Windows-CodeIntegrity/Operational', '/q:*[System[(EventID=3076 or EventID=3077)]]', '/c:200', '/rd:true', '/f:text'], PROBE_TIMEOUT_MS);
  if (events.code !== 0) facts.push(['Code Integrity events', `not read: ${firstLine(events.stderr) || events.error || `exit ${events.code}`}`]);
  else {
    const ours = codeIntegrityEvents(events.stdout).filter((e) => /earshot/i.test(e.description));
    facts.push(['Code Integrity events naming Earshot', ours.length === 0 ? 'none' : String(ours.length)]);
    for (const [i, e] of ours.slice(0, MAX_LOG_LINES).entries()) facts.push([`event ${i + 1}`, `${e.id} ${e.date}: ${e.description}`]);
  }
  return facts;
}

/** wevtutil's text rendering: one "Event[N]:" block per event with "Date:", "Event ID:" and "Description:" lines (wevtutil qe /f:text). */
export function codeIntegrityEvents(text: string): { id: string; date: string; description: string }[] {
  return text.split(/^Event\[\d+\]:/m).slice(1).map((block) => ({
    id: block.match(/^\s*Event ID:\s*(\d+)/m)?.[1] ?? '?',
    date: block.match(/^\s*Date:\s*(.+)$/m)?.[1].trim() ?? '?',
    description: block.match(/^\s*Description:\s*\n?([\s\S]*)$/m)?.[1].replace(/\s+/g, ' ').trim() ?? '',
  }));
}

async function recordingFacts(probes: PlatformProbes, seconds: number): Promise<[string, string][]> {
  const facts: [string, string][] = [];
  for (const source of ['mic', 'system'] as const) {
    const name = source === 'mic' ? 'microphone' : 'system audio';
    try {
      const r = await probes.record!(source, seconds);
      // Exact zeros (no sample above the floor at all) are what a refused permission delivers on macOS and Windows.
      const zeros = !Number.isFinite(r.peakDbfs) || r.peakDbfs <= -100;
      facts.push([name, `${r.recorder}: peak ${r.peakDbfs} dBFS, loudest level ${r.rmsDbfs} dBFS; ${zeros ? 'exact zeros (digital silence)' : r.heard ? 'sound heard' : 'only noise'}`]);
    } catch (e) {
      facts.push([name, `failed: ${(e as Error).message}`]);
    }
  }
  return facts;
}

/**
 * Replaces the home folder and the user's names, drops control characters and bidi overrides, and cuts a value. The
 * home folder in its own spelling, then the user name and the home folder's last part (on Windows the profile folder
 * often differs from the account name) wherever they stand as a word of their own: in NT device paths of Code
 * Integrity events (`\Device\HarddiskVolume3\Users\<name>\…`), /private/var/folders/… and the like, not inside other
 * words.
 */
function redactor(probes: Pick<PlatformProbes, 'homedir' | 'username'>): (value: string) => string {
  const home = probes.homedir;
  const names = [...new Set([probes.username, home.split(/[\\/]/).filter(Boolean).pop() ?? ''])].filter((n) => n.length > 1);
  const asWords = names.map((n) => new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(n)}(?![\\p{L}\\p{N}_])`, 'giu'));
  return (value) => {
    let v = value;
    if (home.length > 1) v = v.split(home).join('~');
    for (const word of asWords) v = v.replace(word, '<user>');
    v = plainLine(v);
    return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}…` : v;
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const firstLine = (s: string) => s.split('\n').find((l) => l.trim())?.trim() ?? '';

/** The report as Markdown a user pastes into an issue: values in code spans, so nothing in them is read as Markdown. */
export function renderMarkdown(sections: PlatformReportSection[], now: Date): string {
  const code = (v: string) => {
    const ticks = Math.max(0, ...[...v.matchAll(/`+/g)].map((m) => m[0].length)) + 1;
    const fence = '`'.repeat(ticks);
    return `${fence}${ticks > 1 || v.startsWith('`') || v.endsWith('`') ? ` ${v} ` : v}${fence}`;
  };
  const lines = [
    '# Earshot platform report',
    '',
    `Made ${now.toISOString()}. It holds no transcript and no audio; the home folder is shown as \`~\` and the user name as \`<user>\`. Device names are as the system gives them (they can hold a person's name). Read it before you send it.`,
  ];
  for (const section of sections) {
    lines.push('', `## ${section.title}`, '');
    for (const fact of section.facts) lines.push(`- ${fact.name}: ${code(fact.value)}`);
  }
  return lines.join('\n') + '\n';
}
