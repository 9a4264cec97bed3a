/**
 * Which GGUF file the 'local' provider loads for `EnhancementSettings.model` (or `earshot notes --local --model`): an
 * absolute path as it is; a notes-catalog id as its downloaded, checked file (models/notesModels.ts); nothing named: the
 * offline path setting (`earshot.notes.model.path`), else the catalog model recommended for this machine, if it is
 * downloaded. Never downloads: a missing model is a clear error saying how to get it (its size included).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isNotesModelId, notesCatalog } from '../../models/notesCatalog';
import { cachedNotesModel } from '../../models/notesModels';

export interface LocalModelSources {
  /** Where notes models are downloaded (notesCacheDir of the model cache); without it catalog ids are refused. */
  notesCache?: string;
  /** `earshot.notes.model.path`: a GGUF file the user already has, used when no model is named. */
  notesModelPath?: string;
  /** The catalog id recommended for this machine, used when nothing else names a model. */
  recommended?(): Promise<string> | string;
}

/** The GGUF file to load for `model`; rejects with a message fit for the user (no model, not downloaded, not a file, not GGUF). */
export async function resolveLocalModel(model: string, sources: LocalModelSources = {}): Promise<string> {
  let wanted = model.trim() || sources.notesModelPath?.trim() || '';
  if (!wanted && sources.recommended && sources.notesCache) wanted = await sources.recommended();
  if (!wanted) throw new Error('no local model chosen: earshot.enhancement.model (or `earshot notes --model`) is a notes model of the catalog or the path of a GGUF model file');
  if (!path.isAbsolute(wanted)) {
    const ids = notesCatalog().map((m) => m.id);
    if (!isNotesModelId(wanted)) throw new Error(`the local model "${wanted}" is neither a notes model of the catalog (${ids.join(', ')}) nor the absolute path of a GGUF model file`);
    if (!sources.notesCache) throw new Error(`the local model "${wanted}" is a catalog id, but no model cache is known here: give the path of its GGUF file`);
    wanted = await cachedNotesModel(wanted, sources.notesCache);
  }
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
