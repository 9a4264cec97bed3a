/**
 * The CLI's first run: a session whose catalog model is not in the cache yet downloads it first — which model, how big,
 * from where and into which folder said up front, a progress bar on a terminal (plain lines otherwise), the file
 * verified before it is used — and then goes on. `--no-download` and EARSHOT_OFFLINE=1 keep the old refusal. A failed
 * download keeps its `.part` (the next run resumes it) and says what else to try.
 */
import * as fs from 'node:fs';
import { ModelSelection, downloadCatalogModel } from '../models/whisperModels';

export interface ProgressOutput {
  /** A whole line. */
  line(text: string): void;
  /** Rewrites the current line (a terminal), or undefined where only whole lines can be written. */
  redraw?: (text: string) => void;
}

const MB = 1024 * 1024;
const BAR_WIDTH = 30;

export function downloadAllowed(noDownloadFlag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return !noDownloadFlag && !['1', 'true', 'yes'].includes((env.EARSHOT_OFFLINE ?? '').toLowerCase());
}

/** Downloads the selected catalog model when it is missing; resolves once it is there (verified). */
export async function downloadIfMissing(selection: ModelSelection, out: ProgressOutput): Promise<void> {
  const model = selection.model;
  if (selection.source !== 'catalog' || !model || fs.existsSync(selection.path)) return;
  const from = selection.mirror ?? new URL(model.url).origin;
  const partBytes = fs.existsSync(`${selection.path}.part`) ? fs.statSync(`${selection.path}.part`).size : 0;
  out.line(`earshot: the ${model.id} model is not downloaded yet: fetching it now (${(model.bytes / MB).toFixed(0)} MB from ${from}, into ${selection.path})` +
    (partBytes ? `, resuming at ${(partBytes / MB).toFixed(1)} MB` : ''));
  let lastTenth = -1, lastRedraw = 0;
  try {
    await downloadCatalogModel(selection, model.id, {
      progressIntervalMs: 100,
      onProgress: ({ bytesDone, bytesTotal }) => {
        const total = bytesTotal ?? model.bytes;
        const share = Math.min(1, bytesDone / total);
        if (out.redraw) {
          const now = Date.now();
          if (now - lastRedraw < 100 && share < 1) return;
          lastRedraw = now;
          const filled = Math.round(share * BAR_WIDTH);
          out.redraw(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(100 * share).toFixed(0).padStart(3)}%  ${(bytesDone / MB).toFixed(1)} / ${(total / MB).toFixed(1)} MB`);
        } else if (Math.floor(share * 10) > lastTenth) {
          lastTenth = Math.floor(share * 10);
          out.line(`earshot: downloading ${model.id}: ${lastTenth * 10}% (${(bytesDone / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB)`);
        }
      },
      onVerify: () => out.line(`${out.redraw ? '\n' : ''}earshot: checking ${model.id} against its sha256…`),
    });
  } catch (e) {
    const kept = fs.existsSync(`${selection.path}.part`) ? fs.statSync(`${selection.path}.part`).size : 0;
    throw new Error([
      `the download of the ${model.id} model failed: ${(e as Error).message}`,
      kept ? `The ${(kept / MB).toFixed(1)} MB downloaded so far are kept in ${selection.path}.part: run the same command again to resume.` : 'Nothing was kept.',
      'Behind a proxy or firewall, set EARSHOT_MODEL_MIRROR to an https mirror of whisper.cpp\'s model files; or pass --model PATH (or set EARSHOT_MODEL) to a ggml model you already have.',
    ].join('\n'));
  }
  out.line(`earshot: ${model.id} is ready`);
}
