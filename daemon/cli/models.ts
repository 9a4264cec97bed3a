/**
 * `earshot models`: the whisper model catalog and its cache (list), and a resumable, sha256-checked download.
 *
 * Owns the listing's layout and the download's percent lines. Must not run a session; the cache and the download
 * themselves live in asr/.
 */
import { CATALOG, findCatalogModel } from '../asr/catalog';
import { downloadCatalogModel, listModels, selectModel } from '../asr/modelStore';
import { defaultStorageDir } from '../config';
import { args, Io, UsageError } from './common';

export async function models(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    json: { type: 'boolean', default: false },
    repair: { type: 'boolean', default: false },
    language: { type: 'string', default: 'en' },
    'cache-dir': { type: 'string' },
  });
  const [action = 'list', id, ...extra] = positionals;
  if (extra.length > 0 || (action === 'list' && id) || (action === 'download' && !id) || !['list', 'download'].includes(action)) {
    throw new UsageError('models takes "list", or "download <id>"');
  }
  const storageDir = defaultStorageDir();
  const selection = await selectModel({ modelId: action === 'download' ? id : undefined, cacheDir: values['cache-dir'], storageDir, language: values.language });
  if (action === 'download') {
    if (!findCatalogModel(id)) throw new UsageError(`unknown model ${JSON.stringify(id)} (known: ${CATALOG.map((m) => m.id).join(', ')})`);
    let lastPercent = -1;
    const result = await downloadCatalogModel(selection, id, {
      repair: values.repair,
      onProgress: (p) => {
        const percent = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
        if (percent !== lastPercent) io.err(`downloading ${id}: ${percent}%`);
        lastPercent = percent;
      },
    });
    io.out(values.json ? JSON.stringify(result) : `${result.downloaded ? 'Downloaded' : 'Already verified'}: ${result.path}`);
    return 0;
  }
  const list = await listModels(selection);
  if (values.json) {
    io.out(JSON.stringify(list));
    return 0;
  }
  for (const m of list.models) {
    io.out(`${m.recommended ? '*' : ' '} ${m.id.padEnd(15)} ${(m.bytes / 1e6).toFixed(0).padStart(5)} MB  ${m.state.padEnd(8)} ${m.description}`);
  }
  io.out(`\n* recommended for this machine. Cache: ${selection.cacheDir}`);
  return 0;
}
