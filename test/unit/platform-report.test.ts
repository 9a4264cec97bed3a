/**
 * The platform report (daemon/platform/report.ts) on macOS and Windows, whose commands this machine cannot run: the
 * probes answer as those commands print, each from its documentation —
 * - `codesign -dvvv`: "Identifier=", "CDHash=", "Signature=adhoc", "TeamIdentifier=not set" lines on stderr
 *   (codesign(1) -d; the shape cavaldos/Ice#14 and platform review 3's P1 quote);
 * - `log show --style compact`: one line per record, the process and message (log(1)); tccd's messages name
 *   "ACC:{…}" and "RESP:{…}" (microsoft/live-share#3254, adoptium/temurin-build#1720);
 * - `reg query`: "    VerifiedAndReputablePolicyState    REG_DWORD    0x1" (reg query's output), with Microsoft's values
 *   0 Off, 1 On (Enforcement), 2 Evaluation ("Test your app's signature with Smart App Control",
 *   MicrosoftDocs/windows-dev-docs hub/apps/develop/smart-app-control/test-your-app-with-smart-app-control.md);
 * - `wevtutil qe … /f:text`: "Event[N]:" blocks with "Date:", "Event ID:" and "Description:" (wevtutil's text
 *   rendering); 3077 blocked, 3076 would be blocked (the same Microsoft page).
 */
import * as assert from 'node:assert/strict';
import { codeIntegrityEvents, CommandResult, platformReport, PlatformProbes, plistString, renderMarkdown } from '../../daemon/platform/report';
import type { PlatformReport } from '../../protocol/protocol';

const HOME = '/Users/dana';
const APP = `${HOME}/.vscode/extensions/earshot.earshot-0.3.0-darwin-arm64/out/mac-capture/Earshot Audio Capture.app`;

const PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
	<key>CFBundleIdentifier</key>
	<string>dev.earshot.audio-capture</string>
	<key>CFBundleVersion</key>
	<string>1.0.0</string>
	<key>EarshotRecorderVersion</key>
	<string>1.0.0</string>
	<key>EarshotAudioteeVersion</key>
	<string>0.0.7</string>
	<key>LSMinimumSystemVersion</key>
	<string>14.2</string>
</dict>
</plist>
`;

const CODESIGN = `Executable=${APP}/Contents/MacOS/earshot-capture
Identifier=dev.earshot.audio-capture
Format=app bundle with Mach-O thin (arm64)
CodeDirectory v=20400 size=1234 flags=0x2(adhoc) hashes=30+7 location=embedded
Hash type=sha256 size=32
CDHash=4f1c2a9be07d35a8c3f0e6b2d19a7c5e8b3f0a11
Signature=adhoc
Info.plist entries=14
TeamIdentifier=not set
Sealed Resources version=2 rules=13 files=1
Internal requirements count=0 size=12
`;

const TCC_LOG = [
  'Timestamp               Ty Process[PID:TID]',
  '2026-11-27 09:14:02.118 Df tccd[512:1a2f] [com.apple.TCC:access] AUTHREQ_SUBJECT: msgID=512.11, subject=dev.earshot.audio-capture, service=kTCCServiceMicrophone',
  `2026-11-27 09:14:02.120 Df tccd[512:1a2f] [com.apple.TCC:access] ACC:{ID: com.microsoft.VSCode.helper.plugin, binary_path: ${HOME}/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app}, REQ:{…} service=kTCCServiceMicrophone \u001b]0;x\u0007`,
  '2026-11-27 09:14:03.001 Df tccd[512:1a2f] [com.apple.TCC:access] AUTHREQ_SUBJECT: subject=us.zoom.xos, service=kTCCServiceMicrophone',
].join('\n');

const REG_ON = '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CI\\Policy\r\n    VerifiedAndReputablePolicyState    REG_DWORD    0x1\r\n\r\n';

const WEVTUTIL = `Event[0]:
  Log Name: Microsoft-Windows-CodeIntegrity/Operational
  Source: Microsoft-Windows-CodeIntegrity
  Date: 2026-11-27T08:01:12.4410000Z
  Event ID: 3077
  Level: Error
  Description: 
Code Integrity determined that a process (\\Device\\HarddiskVolume3\\Users\\dana\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe) attempted to load \\Device\\HarddiskVolume3\\Users\\dana\\.vscode\\extensions\\earshot.earshot-0.3.0-win32-x64\\node_modules\\smart-whisper\\build\\Release\\smart-whisper.node that did not meet the Enterprise signing level requirements or violated code integrity policy.

Event[1]:
  Log Name: Microsoft-Windows-CodeIntegrity/Operational
  Source: Microsoft-Windows-CodeIntegrity
  Date: 2026-11-26T17:40:00.0000000Z
  Event ID: 3077
  Level: Error
  Description: 
Code Integrity determined that a process (\\Device\\HarddiskVolume3\\Program Files\\Other\\other.exe) attempted to load \\Device\\HarddiskVolume3\\Program Files\\Other\\plugin.dll that did not meet the Enterprise signing level requirements.
`;

type Commands = Record<string, CommandResult | (() => Promise<CommandResult>)>;

function probes(platform: NodeJS.Platform, commands: Commands, extra: Partial<PlatformProbes> = {}): PlatformProbes & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    platform,
    arch: 'arm64',
    release: platform === 'darwin' ? '24.1.0' : '10.0.26100',
    osVersion: platform === 'darwin' ? 'macOS 15.1 (24B83)' : 'Windows 11 Pro',
    earshotVersion: '0.3.0',
    execPath: platform === 'darwin' ? '/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin)' : 'C:\\Users\\dana\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe',
    runtime: 'Electron 37.2.0 (Node 22.17.0, run as Node)',
    homedir: platform === 'darwin' ? HOME : 'C:\\Users\\dana',
    username: 'dana',
    run: async (command, args) => {
      const key = `${command} ${args[0]}`;
      ran.push(key);
      const answer = commands[key];
      if (!answer) return { code: null, stdout: '', stderr: '', error: `spawn ${command} ENOENT` };
      return typeof answer === 'function' ? answer() : answer;
    },
    readFile: (file) => (file === `${APP}/Contents/Info.plist` ? PLIST : undefined),
    nativeModules: () => [
      { name: 'whisper (smart-whisper.node)', loaded: true, detail: 'CPU module ggml-cpu-apple_m1.so; GPU devices: Metal Apple M2' },
      { name: 'audify (audify.node)', loaded: true, detail: 'in-process capture' },
    ],
    devices: async () => ({
      backends: { microphone: 'earshot-capture (Earshot Audio Capture.app: macOS asks for Earshot)', systemAudio: 'audiotee (Core Audio tap)' },
      microphones: [{ id: 'Apple Inc.: MacBook Pro Microphone', label: 'MacBook Pro Microphone', isDefault: true }],
      systemSources: [{ id: 'default', isDefault: true }],
      systemAudio: { available: true },
      notes: [],
    }),
    ...extra,
  };
}

const section = (report: PlatformReport, title: string) => {
  const found = report.sections.find((s) => s.title.startsWith(title));
  assert.ok(found, `no section "${title}" in ${report.sections.map((s) => s.title).join(', ')}`);
  return Object.fromEntries(found.facts.map((f) => [f.name, f.value]));
};

describe('platform report: macOS (codesign, Info.plist, TCC log answered as documented)', () => {
  const mac = (extra: Partial<PlatformProbes> = {}, commands: Commands = {}) => probes('darwin', {
    'codesign -dvvv': { code: 0, stdout: '', stderr: CODESIGN },
    'codesign --verify': { code: 0, stdout: '', stderr: '' },
    'log show': { code: 0, stdout: TCC_LOG, stderr: '' },
    'xattr -p': { code: 1, stdout: '', stderr: `xattr: ${APP}: No such xattr: com.apple.quarantine\n` },
    ...commands,
  }, { captureApp: APP, captureAppDevices: async () => ['Apple Inc.: MacBook Pro Microphone', 'Existential Audio Inc.: BlackHole 2ch'], audifyInputNames: async () => ['Apple Inc.: MacBook Pro Microphone', 'Existential Audio Inc.: BlackHole 2ch'], ...extra });

  it('names the capture app\'s identity macOS keeps a grant for (CDHash, identifier, ad-hoc), its versions, and whether its device names are audify\'s', async () => {
    const report = await platformReport(mac());
    const app = section(report, 'macOS capture app');
    assert.equal(app['signature CDHash'], '4f1c2a9be07d35a8c3f0e6b2d19a7c5e8b3f0a11');
    assert.equal(app['signature Identifier'], 'dev.earshot.audio-capture');
    assert.equal(app['signature Signature'], 'adhoc');
    assert.equal(app['signature TeamIdentifier'], 'not set');
    assert.equal(app['signature verifies'], 'yes');
    assert.equal(app.CFBundleVersion, '1.0.0');
    assert.equal(app.EarshotAudioteeVersion, '0.0.7');
    assert.equal(app['names as audify lists them'], 'the same');
    assert.equal(app.quarantine, 'none');
    assert.equal(app.app, '~/.vscode/extensions/earshot.earshot-0.3.0-darwin-arm64/out/mac-capture/Earshot Audio Capture.app', 'the home folder is ~');
    const machine = section(report, 'This machine');
    assert.match(machine['host process'], /Code Helper \(Plugin\)$/, 'which process records: what P2 turns on');
  });

  it('says where the app\'s names differ from audify\'s, and a signature that does not verify', async () => {
    const report = await platformReport(mac({ audifyInputNames: async () => ['Apple Inc.: MacBook Pro Microphone', 'Existential Audio Inc.: BlackHole 2ch', 'Jane\uFFFDs AirPods'] },
      { 'codesign --verify': { code: 1, stdout: '', stderr: `${APP}: a sealed resource is missing or invalid\n` } }));
    const app = section(report, 'macOS capture app');
    assert.match(app['names as audify lists them'], /^differ: only the app \[\], only audify \["Jane\uFFFDs AirPods"\]$/);
    assert.match(app['signature verifies'], /^no: ~\/\.vscode\/.*a sealed resource is missing or invalid$/);
    const quarantined = await platformReport(mac({}, { 'xattr -p': { code: 0, stdout: '0083;6745a1b2;Safari;\n', stderr: '' } }));
    assert.equal(section(quarantined, 'macOS capture app').quarantine, 'set: 0083;6745a1b2;Safari;');
  });

  it("keeps TCC's lines about Earshot and VS Code only, with the home folder and the user name replaced and no terminal controls", async () => {
    const report = await platformReport(mac());
    const tcc = Object.values(section(report, 'macOS privacy log'));
    assert.equal(tcc.length, 2, 'the Zoom line is left out');
    assert.match(tcc[0], /subject=dev\.earshot\.audio-capture, service=kTCCServiceMicrophone/);
    assert.match(tcc[1], /ACC:\{ID: com\.microsoft\.VSCode\.helper\.plugin, binary_path: ~\/Applications/);
    for (const line of tcc) {
      assert.doesNotMatch(line, /dana/);
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/, 'no control character survives');
    }
  });

  it('a missing app, a codesign that is not there and a log that cannot be read are facts, not failures', async () => {
    const withoutApp = await platformReport(probes('darwin', { 'log show': { code: 1, stdout: '', stderr: 'log: Cannot run while sandboxed\n' } }));
    assert.match(section(withoutApp, 'macOS capture app').app, /missing from this installation/);
    assert.equal(section(withoutApp, 'macOS privacy log').log, 'not read: log: Cannot run while sandboxed');
    const noCodesign = await platformReport(mac({}, { 'codesign -dvvv': { code: null, stdout: '', stderr: '', error: 'spawn codesign ENOENT' } }));
    assert.equal(section(noCodesign, 'macOS capture app')['signature CDHash'], 'codesign did not run: spawn codesign ENOENT');
    const quiet = await platformReport(mac({}, { 'log show': { code: 0, stdout: 'Timestamp Ty Process\n', stderr: '' } }));
    assert.match(section(quiet, 'macOS privacy log').log, /^nothing about Earshot or VS Code/);
  });

  it('reads a plist string by its key, and nothing for a key that is not there', () => {
    assert.equal(plistString(PLIST, 'EarshotRecorderVersion'), '1.0.0');
    assert.equal(plistString(PLIST, 'CFBundleShortVersionString'), undefined);
  });
});

describe('platform report: Windows (reg query, wevtutil answered as documented)', () => {
  it("says Smart App Control's state and the Code Integrity events that name Earshot's files, not another program's", async () => {
    const report = await platformReport(probes('win32', {
      'reg query': { code: 0, stdout: REG_ON, stderr: '' },
      'wevtutil qe': { code: 0, stdout: WEVTUTIL, stderr: '' },
    }));
    const control = section(report, 'Windows application control');
    assert.equal(control['Smart App Control'], 'on (enforcement): unsigned native files are blocked');
    assert.equal(control['Code Integrity events naming Earshot'], '1');
    assert.match(control['event 1'], /^3077 2026-11-27T08:01:12\.4410000Z: Code Integrity determined .*earshot\.earshot-0\.3\.0-win32-x64.*smart-whisper\.node that did not meet/);
    assert.doesNotMatch(control['event 1'], /dana/, 'the user name is replaced');
    assert.equal(report.sections.some((s) => s.title.startsWith('macOS')), false);
  });

  it('each documented state by its value; none set (Windows 10), and an event log that cannot be read', async () => {
    const state = async (stdout: string) => section(await platformReport(probes('win32', { 'reg query': { code: stdout ? 0 : 1, stdout, stderr: stdout ? '' : 'ERROR: The system was unable to find the specified registry key or value.' } })), 'Windows application control');
    assert.equal((await state(REG_ON.replace('0x1', '0x0')))['Smart App Control'], 'off');
    assert.equal((await state(REG_ON.replace('0x1', '0x2')))['Smart App Control'], 'evaluation: nothing is blocked yet');
    const missing = await state('');
    assert.match(missing['Smart App Control'], /^not found \(ERROR: The system was unable to find the specified registry key or value\.\)/);
    assert.equal(missing['Code Integrity events'], 'not read: spawn wevtutil ENOENT');
  });

  it("the profile folder's name is replaced also in NT device paths, where the home folder's spelling differs, and a short user name not inside other words", async () => {
    // A Microsoft-account profile: the folder (C:\\Users\\DanaS) is not the account's name (dana.s).
    const events = WEVTUTIL.replace(/Users\\dana\\/g, 'Users\\DanaS\\');
    const report = await platformReport(probes('win32', { 'reg query': { code: 0, stdout: REG_ON, stderr: '' }, 'wevtutil qe': { code: 0, stdout: events, stderr: '' } },
      { homedir: 'C:\\Users\\DanaS', username: 'dana.s' }));
    const event = section(report, 'Windows application control')['event 1'];
    assert.match(event, /\\Device\\HarddiskVolume3\\Users\\<user>\\\.vscode\\extensions\\earshot/);
    assert.doesNotMatch(event, /DanaS/i);
    const short = await platformReport(probes('linux', {}, { homedir: '/home/an', username: 'an', devices: async () => { throw new Error('no server available, an error'); } }));
    assert.equal(section(short, 'Capture').devices, 'could not be listed: no server available, <user> error');
  });

  it('parses wevtutil blocks into id, date and one-line description', () => {
    const events = codeIntegrityEvents(WEVTUTIL);
    assert.deepEqual(events.map((e) => [e.id, e.date]), [['3077', '2026-11-27T08:01:12.4410000Z'], ['3077', '2026-11-26T17:40:00.0000000Z']]);
    assert.match(events[1].description, /^Code Integrity determined .*plugin\.dll that did not meet the Enterprise signing level requirements\.$/);
  });
});

describe('platform report: recording test, failures, and the Markdown', () => {
  it('records each source when asked: exact zeros are named (what a refused permission delivers), a fault is its message', async () => {
    const asked: string[] = [];
    const report = await platformReport(probes('darwin', {}, {
      record: async (source, seconds) => {
        asked.push(`${source} ${seconds}`);
        if (source === 'system') throw new Error('audiotee: the tap was refused (status nope)');
        return { recorder: 'earshot-capture', peakDbfs: -Infinity, rmsDbfs: -Infinity, heard: false };
      },
    }), { recordSeconds: 3 });
    assert.deepEqual(asked, ['mic 3', 'system 3']);
    const rec = section(report, 'Recording test (3 s each)');
    assert.match(rec.microphone, /^earshot-capture: .*exact zeros \(digital silence\)$/);
    assert.equal(rec['system audio'], 'failed: audiotee: the tap was refused (status nope)');
    const heard = await platformReport(probes('linux', {}, { record: async () => ({ recorder: 'audify', peakDbfs: -6.2, rmsDbfs: -21.5, heard: true }) }), { recordSeconds: 1 });
    assert.match(section(heard, 'Recording test').microphone, /^audify: peak -6\.2 dBFS, loudest level -21\.5 dBFS; sound heard$/);
  });

  it('records nothing unless asked', async () => {
    let recorded = false;
    const report = await platformReport(probes('linux', {}, { record: async () => { recorded = true; return { recorder: 'audify', peakDbfs: 0, rmsDbfs: 0, heard: true }; } }));
    assert.equal(recorded, false);
    assert.equal(report.sections.some((s) => s.title.startsWith('Recording')), false);
  });

  it('a device list that fails is a fact; the Markdown keeps each value in a code span, backticks and all', async () => {
    const report = await platformReport(probes('linux', {}, { devices: async () => { throw new Error('pactl: Connection refused'); } }));
    assert.equal(section(report, 'Capture').devices, 'could not be listed: pactl: Connection refused');
    const md = renderMarkdown([{ title: 'T', facts: [{ name: 'device', value: 'Jane`s *mic* <img src=x>' }, { name: 'plain', value: 'ok' }] }], new Date('2026-11-27T00:00:00Z'));
    assert.match(md, /^- device: `` Jane`s \*mic\* <img src=x> ``$/m);
    assert.match(md, /^- plain: `ok`$/m);
    assert.match(md, /^## T$/m);
  });
});
