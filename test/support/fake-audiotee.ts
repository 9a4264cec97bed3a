/**
 * A stand-in for audiotee 0.0.7 (npm) in unit tests: an executable named `audiotee` that prints, exits with and
 * delivers what the real binary does, so Earshot's launcher and LiveSource run against it on Linux. Every behaviour
 * copies a line of audiotee's source at commit 71b0c45 (github.com/makeusabrew/audiotee, the commit that matches the
 * 0.0.7 binary), cited as file:line under Sources/ (CLI/AudioTee.swift, CLI/ArgumentParser.swift, Utils/Utils.swift,
 * Utils/Logger.swift, Output/MessageType.swift, Output/Handlers/BinaryOutputHandler.swift, Core/AudioTapManager.swift,
 * Core/AudioRecorder.swift, Core/AudioFormatManager.swift, Core/AudioFormatConverter.swift). What is not copied:
 * the timestamps' values, the status a failed PID translation logs, the context values of a failed conversion, and which
 * PIDs Core Audio knows (the plan says). The plan is a JSON file read at every start, so a test can change what "plays" between starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AudioteePlan {
  /** PIDs Core Audio has no process object for (processes that have not played audio). */
  silentPids?: number[];
  /** The user refused the tap: AudioHardwareCreateProcessTap returns 'nope' (kAudioHardwareNotPermittedError). */
  tapRefused?: boolean;
  /** AVAudioConverter could not be created: audiotee goes on in the device's own format (48 kHz float32 mono). */
  converterFails?: boolean;
  /**
   * The converter was made but converts nothing: every packet is logged as an error and goes out unconverted, float32 at
   * the device's 48 kHz (AudioFormatConverter.swift:100-111).
   */
  conversionEmpty?: boolean;
  /** What the tap hears: nothing playing (packets of zeros, as a denied tap too) or a 440 Hz tone. */
  playing?: boolean;
  /** A JSON line {pid, args} is appended here at every start. */
  startsFile?: string;
  /**
   * Tap creation (AudioTee.swift:117-132) takes this long (ms; -1: for ever), as it may while macOS shows its
   * permission prompt (whether AudioHardwareCreateProcessTap waits for the answer is not known: platform review 3, P6).
   * Nothing is written meanwhile, and a SIGTERM then is lost (see the handler below).
   */
  tapSetupMs?: number;
}

/** A folder with an executable `audiotee` running this fake, its plan read from `planFile` at every start. */
export function fakeAudioteeDir(planFile: string): { dir: string; binary: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-fake-audiotee-'));
  const binary = path.join(dir, 'audiotee');
  fs.writeFileSync(binary, `#!/bin/sh\nFAKE_AUDIOTEE_PLAN='${planFile}' exec "${process.execPath}" "${__filename}" "$@"\n`, { mode: 0o755 });
  return { dir, binary };
}

// Logger.swift:23-29 writes one JSON object per line on stderr: the envelope of MessageType.swift:17-26
// (timestamp, message_type, data); LogData (MessageType.swift:36-38) is {message, context?}. Swift's synthesized
// Codable leaves out a nil optional (no "context", no "data").
function emit(type: string, data?: object): void {
  process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), message_type: type, ...(data ? { data } : {}) }) + '\n');
}
const log = (type: 'info' | 'error' | 'debug', message: string, context?: Record<string, string>) => emit(type, { message, ...(context ? { context } : {}) });

/** AudioTee.swift:78-80: any error thrown out of run() (ExitCode.failure) is printed as text and exits 1. */
function fail(): never {
  process.stderr.write('Error: failure\n');
  process.exit(1);
}

/** ArgumentParser.swift:109-119: an array option takes every value up to the next argument starting with "-". */
function parseArgs(argv: string[]): { sampleRate?: number; chunk: number; pids: number[] } {
  const out = { chunk: 0.2, pids: [] as number[] } as { sampleRate?: number; chunk: number; pids: number[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sample-rate') out.sampleRate = Number(argv[++i]);
    else if (argv[i] === '--chunk-duration') out.chunk = Number(argv[++i]);
    else if (argv[i] === '--include-processes') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) out.pids.push(Number(argv[++i]));
    else { process.stderr.write(`Error: Unknown option: ${argv[i]}\n`); process.exit(1); } // AudioTee.swift:74-77 (then help on stdout, left out)
  }
  return out;
}

function run(plan: AudioteePlan): void {
  const args = parseArgs(process.argv.slice(2));
  if (plan.startsFile) fs.appendFileSync(plan.startsFile, JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }) + '\n');
  // AudioTee.swift:92: the SIGINT/SIGTERM handlers come first (setupSignalHandlers, :153-162). They log and call
  // CFRunLoopStop(CFRunLoopGetMain()), which sets the stop only while the loop runs ("if (rl->_currentMode)" in
  // CFRunLoopStop, swiftlang/swift-corelibs-foundation CoreFoundation/RunLoop.subproj/CFRunLoop.c): before the loop of
  // :142-147 starts, during tap creation (:115), a SIGTERM is logged and lost. (a311cc5, the review's: :95, :157-166.)
  let stop: (() => void) | undefined;
  process.on('SIGTERM', () => {
    log('info', 'Received SIGTERM, initiating graceful shutdown...');
    stop?.();
  });
  log('info', 'Starting AudioTee...'); // AudioTee.swift:94

  log('debug', 'Setting up audio tap manager'); // AudioTapManager.swift:30
  log('debug', 'Creating tap description'); // AudioTapManager.swift:50
  // Utils.swift:49-86: every PID is tried, each failure logged at debug, then one error for all of them.
  const failed = args.pids.filter((p) => plan.silentPids?.includes(p));
  for (const pid of args.pids) {
    if (failed.includes(pid)) log('debug', 'Failed to translate PID to process object', { pid: String(pid), status: '0' }); // Utils.swift:74-79
    else log('debug', 'Translated PID to process object', { pid: String(pid), process_object: String(100 + pid) }); // Utils.swift:66-71
  }
  if (failed.length > 0) {
    // AudioTee.swift:116-123: failed_pids joined with ", ", then ExitCode.failure.
    log('error', 'Failed to translate process IDs to audio objects', { failed_pids: failed.map(String).join(', '), suggestion: 'Check that the process IDs exist and are running' });
    fail();
  }
  if (plan.tapRefused) {
    log('error', 'Failed to create audio tap', { status: '1852797029' }); // AudioTapManager.swift:80-86
    log('error', 'Failed to setup audio tap', { error: 'tapCreationFailed(1852797029)' }); // AudioTee.swift:124-127
    fail();
  }
  const setup = plan.tapSetupMs ?? 0;
  if (setup < 0) return void setInterval(() => undefined, 60_000); // tap creation never returns
  if (setup > 0) return void setTimeout(() => record(plan, args, (s) => { stop = s; }), setup);
  record(plan, args, (s) => { stop = s; });
}

/** From a tap set up to the run loop (AudioTee.swift:135-147): the recorder's output, then the loop until stopped. */
function record(plan: AudioteePlan, args: ReturnType<typeof parseArgs>, runLoop: (stop: () => void) => void): void {

  // AudioRecorder.swift:27-48: a rate is converted to 16-bit mono (AudioFormatConverter.swift:129-137); when the
  // converter cannot be created the device's own format goes out instead: the tap's float32 mono at its rate.
  const convert = args.sampleRate !== undefined && !plan.converterFails;
  if (args.sampleRate !== undefined && plan.converterFails) log('error', 'Failed to create audio converter, using original format', { error: 'creationFailed' });
  else if (convert) log('info', 'Audio conversion enabled', { target_sample_rate: String(args.sampleRate!.toFixed(1)) });
  const rate = convert ? args.sampleRate! : 48000;
  // AudioRecorder.swift:66-68 → BinaryOutputHandler.swift:12-18 → AudioFormatManager.swift:84-95: the final format,
  // then stream_start, both before the IO proc starts: no audio precedes them.
  emit('metadata', {
    sample_rate: rate, channels_per_frame: 1, bits_per_channel: convert ? 16 : 32, is_float: !convert, capture_mode: 'audio', encoding: convert ? 'pcm_s16le' : 'pcm_f32le',
  });
  emit('stream_start');
  log('info', 'Audio device started successfully'); // AudioRecorder.swift:74

  // BinaryOutputHandler.swift:7-10: each chunk of --chunk-duration goes to stdout as it is. While nothing plays the
  // tap's IO proc still runs and its packets are zeros (README at bfce968:27, "packets full of AAAAA…").
  // AudioFormatConverter.swift:100-111: a conversion with no output is logged and the packet goes out as it came.
  const converted = convert && !plan.conversionEmpty;
  const outRate = converted ? rate : 48000;
  const samples = Math.round(outRate * args.chunk);
  let index = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    while (index + samples <= ((Date.now() - started) / 1000) * outRate) {
      if (convert && !converted) log('error', 'Audio conversion produced no output', { status: 'error', error: 'nil', input_frames: String(samples), output_capacity: String(Math.round(samples / 3)) });
      const buf = Buffer.alloc(samples * (converted ? 2 : 4));
      for (let i = 0; i < samples; i++, index++) {
        const v = plan.playing ? 0.5 * Math.sin((2 * Math.PI * 440 * index) / outRate) : 0;
        if (converted) buf.writeInt16LE(Math.round(v * 32767), 2 * i);
        else buf.writeFloatLE(v, 4 * i);
      }
      process.stdout.write(buf);
    }
  }, args.chunk * 1000);

  // BinaryOutputHandler.swift:7 (a311cc5) writes with FileHandle.write and AudioTee.swift:157-166 handles only SIGINT
  // and SIGTERM, so a write to a closed reader raises SIGPIPE and its default action ends audiotee. Node ignores
  // SIGPIPE and reports EPIPE instead: the fake ends there, with the status a shell gives a SIGPIPE death (128 + 13).
  process.stdout.on('error', () => process.exit(141));

  // AudioTee.swift:158-161 and 149-150: SIGTERM stops the run loop, now running; the recorder stops (stream_stop,
  // BinaryOutputHandler.swift:20-22) and run() returns: exit 0.
  runLoop(() => {
    clearInterval(timer);
    log('info', 'Shutting down...');
    emit('stream_stop');
    process.stdout.end(() => process.exit(0));
  });
}

if (require.main === module) run(JSON.parse(fs.readFileSync(process.env.FAKE_AUDIOTEE_PLAN!, 'utf8')) as AudioteePlan);
