/**
 * Which GGUF file the 'local' provider loads for `EnhancementSettings.model`: the one place the notes-model catalog
 * hooks in (a catalog id resolved to its downloaded, checked file). Today: an absolute path to a GGUF file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** The GGUF file to load for `model`; rejects with a message fit for the user (no model, not a file, not GGUF). */
export async function resolveLocalModel(model: string): Promise<string> {
  const wanted = model.trim();
  if (!wanted) throw new Error('no local model chosen: earshot.enhancement.model (or `earshot notes --model`) is the path of a GGUF model file');
  if (!path.isAbsolute(wanted)) throw new Error(`the local model "${wanted}" is not the absolute path of a GGUF model file`);
  let magic: Buffer;
  try {
    const file = await fs.open(wanted, 'r');
    try {
      magic = Buffer.alloc(4);
      await file.read(magic, 0, 4, 0);
    } finally {
      await file.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the local model ${wanted}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message}`);
  }
  if (magic.toString('latin1') !== 'GGUF') throw new Error(`${wanted} is not a GGUF model file`);
  return wanted;
}
