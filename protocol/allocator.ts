/**
 * How the daemon's process is started so that its memory stays flat over a long session (BENCHMARKS.md, figures 6 and 9).
 * Both settings are read once at process start: they must be on the command line / in the environment the daemon is
 * spawned with (the extension: extension/client/client.ts and the MCP server's launch, extension/memory/mcpCommand.ts;
 * the CLI's re-exec, daemon/reexec.ts; tests and benchmarks: {@link daemonSpawnEnv}).
 *
 * - glibc's malloc raises its mmap threshold each time a large mmapped block is freed; after a few decodes whisper's
 *   per-decode buffers (tens of MB) come from the heap instead and are never given back, so RSS doubled over a meeting
 *   (figure 6: 602 MB peak, +79% between decodes in 3 minutes). A fixed threshold (glibc's own default value) keeps them
 *   mmapped and returned on free. Other C libraries ignore it.
 * - V8's young generation grows its semi-spaces up to 16 MB each under the pipeline's steady churn of short-lived
 *   buffers (32 ms audio frames, VAD tensors, decode copies): garbage, and the native backing stores it holds, then
 *   lives longer between scavenges, and the heap reservation steps up once, late in a session. Over a 2-hour meeting that
 *   was +11% RSS between decodes with base.en (292 → 323 MB) and +25% with the mini model (161 → 201 MB); with
 *   semi-spaces capped at 2 MB it is flat (+0.7%: 281 → 284 MB; mini +2.3%) and the peak 36 MB lower, for the same CPU
 *   time (figure 9). The flag cannot be set once V8 runs (v8.setFlagsFromString is too late for the heap's layout): it
 *   is a node command-line flag.
 */
export const DAEMON_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
};

/** Node (V8) flags for the daemon's process: `execArgv` of the fork, or NODE_OPTIONS for a plain `node` spawn. */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * The environment for spawning `node bin/earshot.js daemon` the way the extension runs it: {@link DAEMON_ALLOCATOR_ENV},
 * and {@link DAEMON_NODE_FLAGS} added to NODE_OPTIONS (what is already there is kept).
 */
export function daemonSpawnEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const nodeOptions = [base.NODE_OPTIONS, ...DAEMON_NODE_FLAGS].filter(Boolean).join(' ');
  return { ...base, ...DAEMON_ALLOCATOR_ENV, NODE_OPTIONS: nodeOptions };
}
