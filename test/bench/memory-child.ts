/**
 * Figure 6 in a process of its own (spawned by memory.ts): runs the memory figure and prints its report as one
 * `REPORT {json}` line on stdout. Cleans up its temporary files and children on any exit.
 */
import { memoryInProcess } from './memory';
import { cleanupAll } from './util';

process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}

memoryInProcess().then(
  (report) => {
    process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
    process.exit(0);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
