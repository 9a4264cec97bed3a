/**
 * Preloaded into a node process under test (`NODE_OPTIONS=--require …/peak-rss.js`): at the process's exit, appends
 * "<pid> <VmHWM in KiB>" (its peak resident memory over its whole life, Linux) to $EARSHOT_TEST_PEAK_FILE. NODE_OPTIONS
 * reaches the node processes it starts too (`earshot transcribe` starting itself again with the daemon's memory
 * settings, daemon/reexec.ts), so each writes its own line.
 */
import * as fs from 'node:fs';

const file = process.env.EARSHOT_TEST_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) fs.appendFileSync(file, `${process.pid} ${hwm[1]}\n`);
  });
}
