/**
 * Run by gpuProbe.ts as a child process: loads the whisper addon's GPU modules and prints the devices they find as one
 * JSON line (`[]` when there are none, or no GPU modules). Whatever the drivers cost or do stays in this process.
 */
import { whisperAddon } from '../whisperAddon';

const loaded = whisperAddon().backends?.(true);
const devices = (loaded?.backends ?? []).filter((b) => b.name !== 'CPU').flatMap((b) => b.devices.map((d) => ({ backend: b.name, ...d })));
process.stdout.write(`${JSON.stringify(devices)}\n`);
