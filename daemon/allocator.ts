/**
 * Environment for the daemon's process. glibc's malloc raises its mmap threshold each time a large mmapped block is
 * freed; after a few decodes whisper's per-decode buffers (tens of MB) come from the heap instead and are never given
 * back, so RSS doubled over a meeting (BENCHMARKS.md, figure 6: 602 MB peak, +79% between decodes in 3 minutes). A
 * fixed threshold (glibc's own default value) keeps them mmapped and returned on free. glibc reads it once at process
 * start, so it must be in the environment the daemon is spawned with; other C libraries ignore it.
 */
export const DAEMON_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
};
