/**
 * `earshot models`: the whisper model catalog, the notes model catalog, the speaker voice model and meeting memory's
 * meaning model with their cache (list), and a resumable, sha256-checked download of any (`download <id>`: the id says
 * which catalog).
 *
 * Owns the listing's layout and the download's percent lines. Must not run a session; the caches and the downloads
 * themselves live in asr/ and understanding/local/.
 */
import { machineGpu, MachineFacts } from '../models/capabilities';
import { CATALOG, findCatalogModel } from '../models/whisperCatalog';
import { downloadCatalogModel, listModels, selectModel } from '../models/whisperModels';
import { defaultStorageDir } from '../config';
import { findNotesModel, notesCatalog } from '../models/notesCatalog';
import { downloadNotesModel, listNotesModels, notesMirrorFromEnv } from '../models/notesModels';
import { MEMORY_MODELS } from '../models/memoryModel';
import { PinnedCatalog } from '../models/pinnedModels';
import { SPEAKER_MODELS } from '../models/voiceModel';
import { args, Io, UsageError } from './common';

const MB = 1e6;
/** The one-purpose catalogs, in the order they are listed. */
const PINNED: readonly PinnedCatalog[] = [SPEAKER_MODELS, MEMORY_MODELS];

export async function models(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'models');
  const [action = 'list', id, ...extra] = positionals;
  if (extra.length > 0 || (action === 'list' && id) || (action === 'download' && !id) || !['list', 'download'].includes(action)) {
    throw new UsageError('models takes "list", or "download <id>"');
  }
  const notesId = action === 'download' && !findCatalogModel(id) && findNotesModel(id) ? id : undefined;
  const pinned = action === 'download' && !findCatalogModel(id) && !notesId ? PINNED.find((c) => c.catalog().some((m) => m.id === id)) : undefined;
  const storageDir = defaultStorageDir();
  const selection = await selectModel({ modelId: action === 'download' && !notesId ? id : undefined, cacheDir: values['cache-dir'], storageDir, language: values.language });
  const notesSettings = () => {
    const mirror = notesMirrorFromEnv();
    return { modelCacheDir: selection.cacheDir, ...(selection.machine ? { machine: selection.machine } : {}), ...(mirror ? { mirror } : {}) };
  };
  if (action === 'download') {
    if (!findCatalogModel(id) && !notesId && !pinned) {
      const others = PINNED.map((c) => `; ${c.label}: ${c.catalog().map((m) => m.id).join(', ')}`).join('');
      throw new UsageError(`unknown model ${JSON.stringify(id)} (whisper: ${CATALOG.map((m) => m.id).join(', ')}; notes: ${notesCatalog().map((m) => m.id).join(', ')}${others})`);
    }
    let lastPercent = -1;
    const onProgress = (p: { bytesDone: number; bytesTotal: number | null }) => {
      const percent = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
      if (percent !== lastPercent) io.err(`downloading ${id}: ${percent}%`);
      lastPercent = percent;
    };
    const result = notesId
      ? await downloadNotesModel(notesId, notesSettings(), { repair: values.repair, onProgress })
      : pinned
        ? await pinned.download(id, selection.cacheDir, { repair: values.repair, onProgress })
        : await downloadCatalogModel(selection, id, { repair: values.repair, onProgress });
    io.out(values.json ? JSON.stringify(result) : `${result.downloaded ? 'Downloaded' : 'Already verified'}: ${result.path}`);
    return 0;
  }
  const [list, notes, speakers, memory] = await Promise.all([listModels(selection), listNotesModels(notesSettings()), ...PINNED.map((c) => c.list(selection.cacheDir))]);
  if (values.json) {
    io.out(JSON.stringify({ ...list, notes, speakers, memory, gpu: selection.machine ? machineGpu(selection.machine) : null }));
    return 0;
  }
  io.out('Whisper models (speech recognition):');
  for (const m of list.models) {
    io.out(`${m.recommended ? '*' : ' '} ${m.id.padEnd(15)} ${(m.bytes / MB).toFixed(0).padStart(5)} MB  ${m.state.padEnd(8)} ${m.description}`);
  }
  io.out(`\n* recommended for this machine. Cache: ${selection.cacheDir}`);
  io.out('\nNotes models (write the notes on this machine; downloaded only when you ask):');
  for (const m of notes.models) {
    io.out(`${m.recommended ? '*' : ' '} ${m.id.padEnd(15)} ${(m.bytes / MB).toFixed(0).padStart(5)} MB  ${m.state.padEnd(8)} ${m.licence}: ${m.note}`);
  }
  io.out(`\n* recommended: ${notes.reason}. Cache: ${notes.cacheDir}`);
  io.out(`Download one with: earshot models download ${notes.recommendedId}`);
  for (const [title, catalog] of [['Speaker voice model (recognizes a voice again after a silence)', speakers], ['Meeting search model (finds past meetings\' passages by meaning; earshot ask uses it)', memory]] as const) {
    io.out(`\n${title}; downloaded only when you ask:`);
    for (const m of catalog.models) io.out(`  ${m.id.padEnd(15)} ${(m.bytes / MB).toFixed(0).padStart(5)} MB  ${m.state.padEnd(8)} ${m.licence}: ${m.note}`);
  }
  io.out(`\n${gpuLine(selection.machine)}`);
  return 0;
}

/** What the recommendations below were made for: the GPU found, or why none was (a toolkit on disk is not a GPU). */
function gpuLine(machine: MachineFacts | undefined): string {
  const gpu = machine ? machineGpu(machine) : null;
  if (gpu) return `GPU: ${gpu.name}, ${gpu.via}.`;
  const why = machine?.gpuNotes?.length ? ` (${machine.gpuNotes.join('; ')})` : '';
  return `GPU: none found${why}: the recommendations are for the CPU.`;
}
