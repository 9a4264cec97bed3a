/**
 * The meaning model's block vectors kept beside each session's journal (`<storage>/sessions/<id>.meaning.bin`), so that
 * a restart of the daemon or the next `earshot ask` reads only what changed. One file per session: a JSON line (format,
 * the model's SHA-256, vector length, the blocks' keys), then the vectors as little-endian float32. A file of another
 * model, or one that cannot be read, is as none (and is replaced at the next write). Named after the session, it goes
 * with it: Delete All Data and the retention period remove it as they remove the session's other caches
 * (service/dataStore.ts, service/retention.ts).
 *
 * Holds no text: keys are hashes of the blocks' text. Must not log.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { renameOver } from '../../protocol/renameOver';

export interface VectorCache {
  read(sessionId: string): Promise<Map<string, Float32Array>>;
  write(sessionId: string, vectors: ReadonlyMap<string, Float32Array>): Promise<void>;
}

const FORMAT = 1;
/** Session ids as the daemon makes them (journal/journal.ts): nothing else names a file here. */
const SESSION_ID = /^[\w-]+$/;

export function vectorFiles(sessionsDir: string, modelSha256: string): VectorCache {
  const fileOf = (sessionId: string) => path.join(sessionsDir, `${sessionId}.meaning.bin`);
  return {
    async read(sessionId) {
      if (!SESSION_ID.test(sessionId)) return new Map();
      const bytes = await fs.readFile(fileOf(sessionId)).catch(() => undefined);
      return bytes ? parse(bytes, modelSha256) : new Map();
    },
    async write(sessionId, vectors) {
      if (!SESSION_ID.test(sessionId) || !vectors.size) return;
      const keys = [...vectors.keys()];
      const dims = vectors.get(keys[0])!.length;
      const body = Buffer.alloc(keys.length * dims * 4);
      keys.forEach((k, i) => Buffer.from(vectors.get(k)!.buffer, vectors.get(k)!.byteOffset, dims * 4).copy(body, i * dims * 4));
      const header = Buffer.from(`${JSON.stringify({ format: FORMAT, model: modelSha256, dims, keys })}\n`);
      // Whole or not at all: written under another name, then renamed over the old one.
      const file = fileOf(sessionId);
      const partial = `${file}.${process.pid}.part`;
      await fs.writeFile(partial, Buffer.concat([header, body]));
      await renameOver(partial, file).catch(async (e) => {
        await fs.rm(partial, { force: true });
        throw e;
      });
    },
  };
}

function parse(bytes: Buffer, modelSha256: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const end = bytes.indexOf(0x0a);
  if (end < 0) return out;
  let header: { format?: unknown; model?: unknown; dims?: unknown; keys?: unknown };
  try {
    header = JSON.parse(bytes.subarray(0, end).toString('utf8'));
  } catch {
    return out;
  }
  const { format, model, dims, keys } = header;
  if (format !== FORMAT || model !== modelSha256 || !Number.isInteger(dims) || (dims as number) < 1 || !Array.isArray(keys)) return out;
  const n = dims as number;
  if (bytes.length - end - 1 !== keys.length * n * 4) return out;
  keys.forEach((key, i) => {
    if (typeof key !== 'string') return;
    const v = new Float32Array(n);
    for (let j = 0; j < n; j++) v[j] = bytes.readFloatLE(end + 1 + (i * n + j) * 4);
    out.set(key, v);
  });
  return out;
}
