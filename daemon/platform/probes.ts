/**
 * The platform report's probes on the machine it runs on: the real native modules, device lists, capture app and
 * commands (daemon/platform/report.ts says what each fact is for). The daemon and `earshot report` both make them
 * here; they differ only in how a recording test runs (the daemon's device test, or the CLI's own).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { audifyStatus, listAudifyDevices } from '../capture/audify';
import { deviceOverview } from '../capture/devices';
import { captureAppPath } from '../capture/macCaptureApp';
import { captureAppOf, listCaptureAppDevices } from '../capture/macMicrophone';
import { runTool } from '../capture/tools';
import { onnxRuntime } from '../vad/silero';
import { whisperAddon } from '../whisperAddon';
import { PlatformProbes, plistString, RecordingOutcome } from './report';

export interface MachineProbeOptions {
  env?: NodeJS.ProcessEnv;
  /** The device test of a source (the daemon's, with its levels and refusals; or the CLI's). */
  record?(source: 'mic' | 'system', seconds: number): Promise<RecordingOutcome>;
  /** The system-audio helper a test configured (ServiceConfig.capture.helperPath). */
  helperPath?: string;
}

export function machineProbes(options: MachineProbeOptions): PlatformProbes {
  const env = options.env ?? process.env;
  const platform = process.platform;
  const captureApp = platform === 'darwin' ? captureAppPath() : undefined;
  return {
    platform,
    arch: process.arch,
    release: os.release(),
    osVersion: osVersion(),
    earshotVersion: earshotVersion(),
    execPath: process.execPath,
    runtime: process.versions.electron
      ? `Electron ${process.versions.electron} (Node ${process.versions.node}${env.ELECTRON_RUN_AS_NODE ? ', run as Node' : ''})`
      : `Node ${process.versions.node}`,
    homedir: os.homedir(),
    username: safeUserName(),
    run: async (command, args, timeoutMs) => {
      const r = await runTool(command, args, { env, timeoutMs });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr, ...(r.error ? { error: r.error.message } : {}) };
    },
    readFile: (file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    nativeModules: () => nativeModules(env),
    devices: () => deviceOverview({ env, ...(options.helperPath ? { helperPath: options.helperPath } : {}) }),
    ...(captureApp ? {
      captureApp,
      captureAppDevices: async () => {
        const listed = await listCaptureAppDevices({ app: captureAppOf({ app: captureApp })! });
        return 'devices' in listed ? listed.devices.filter((d) => d.inputChannels > 0).map((d) => d.name) : listed;
      },
    } : {}),
    ...(platform === 'darwin' ? {
      audifyInputNames: async () => (await listAudifyDevices(env))?.devices.filter((d) => d.inputChannels > 0).map((d) => d.name),
    } : {}),
    ...(options.record ? { record: options.record } : {}),
  };
}

/** The package's version (out/daemon/platform/ is three folders below package.json). */
function earshotVersion(): string {
  return (require(path.join(__dirname, '..', '..', '..', 'package.json')) as { version: string }).version;
}

/** The operating system's own name for its version: sw_vers on macOS, os.version() on Windows, os-release on Linux. */
function osVersion(): string {
  if (process.platform === 'darwin') {
    try {
      const plist = fs.readFileSync('/System/Library/CoreServices/SystemVersion.plist', 'utf8');
      return `macOS ${plistString(plist, 'ProductVersion') ?? '?'} (${plistString(plist, 'ProductBuildVersion') ?? '?'})`;
    } catch {
      return 'macOS (version unreadable)';
    }
  }
  if (process.platform === 'linux') {
    try {
      return fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? os.version();
    } catch {
      return os.version();
    }
  }
  return os.version();
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}

/** Whether each native module loads here, and what it says of itself; a load that throws is its reason (a Windows policy names itself, windowsBlocked.ts). */
function nativeModules(env: NodeJS.ProcessEnv): { name: string; loaded: boolean; detail: string }[] {
  const check = (name: string, load: () => string) => {
    try {
      return { name, loaded: true, detail: load() };
    } catch (e) {
      return { name, loaded: false, detail: (e as Error).message.split('\n')[0] };
    }
  };
  const audify = audifyStatus(env);
  return [
    check('whisper (smart-whisper.node)', () => {
      const loaded = whisperAddon().backends?.(true);
      if (!loaded) return 'the bundled core (no backend list)';
      const cpu = loaded.backends.find((b) => b.name === 'CPU');
      const gpus = loaded.backends.filter((b) => b.name !== 'CPU').flatMap((b) => b.devices.map((d) => `${b.name} ${d.description || d.name}`));
      return `CPU module ${cpu?.file ? path.basename(cpu.file) : 'built in'}; GPU devices: ${gpus.join(', ') || 'none'}`;
    }),
    { name: 'audify (audify.node)', loaded: audify.available, detail: audify.available ? 'in-process capture' : audify.reason ?? 'unavailable' },
    // win32: each addon's first Node-API call passes 1.5 (scripts/win32/node-api-resolver.c): what Windows' own
    // loader did to a double argument on the way in (platform review 3, P3).
    ...(process.platform === 'win32' ? ['audify', 'smart-whisper'].map((name) => check(`${name}.node's first Node-API double (1.5 expected)`, () => {
      const addon = path.join(path.dirname(require.resolve(`${name}/package.json`)), 'build', 'Release', `${name}.node`);
      return String((require(addon) as { earshotFirstDouble?: number }).earshotFirstDouble ?? 'not set (not the win32 package\'s build)');
    })) : []),
    check('voice detection (onnxruntime-node)', () => {
      onnxRuntime();
      return `onnxruntime-node ${(require('onnxruntime-node/package.json') as { version: string }).version}`;
    }),
  ];
}
