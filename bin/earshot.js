#!/usr/bin/env node
'use strict';
const { needsMemoryReexec, reexecWithMemorySettings } = require('../out/daemon/reexec.js');

// transcribe and listen run with the daemon's memory settings (protocol/allocator.ts): both are read at
// process start, so a shell's `earshot transcribe` starts itself again with them (daemon/reexec.ts).
const argv = process.argv.slice(2);
if (needsMemoryReexec(argv)) {
  reexecWithMemorySettings(__filename, argv);
} else {
  require('../out/daemon/cli.js').main(argv).then((code) => { process.exitCode = code; });
}
