/**
 * One offer per call across VS Code windows: every window's daemon sees the same call, so the first window to create
 * the call's claim file (O_EXCL: the file system decides the race) offers it; the others only log it. A claim is
 * removed when its call ends or its window closes; one left by a window that died stops counting after STALE_MS.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A claim older than this was left by a window that died: it no longer holds its call. */
export const STALE_MS = 12 * 60 * 60 * 1000;

export class OfferClaims {
  private readonly held = new Set<string>();

  constructor(private readonly dir: string, private readonly now = () => Date.now()) {}

  /** True when this window holds the call `key` now (it did not before and no other window does). */
  async claim(key: string): Promise<boolean> {
    const file = this.fileOf(key);
    await fs.promises.mkdir(this.dir, { recursive: true });
    if (!(await create(file))) {
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat && this.now() - stat.mtimeMs < STALE_MS) return false;
      // Stale: removed, then created again exclusively, so of two windows that found it stale one wins.
      await fs.promises.rm(file, { force: true });
      if (!(await create(file))) return false;
    }
    this.held.add(key);
    return true;
  }

  release(key: string): void {
    if (!this.held.delete(key)) return;
    fs.rmSync(this.fileOf(key), { force: true });
  }

  /** Releases every claim this window holds (it closes). */
  dispose(): void {
    for (const key of [...this.held]) this.release(key);
  }

  private fileOf(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.claim`);
  }
}

/** Creates `file` exclusively: false when it exists. */
async function create(file: string): Promise<boolean> {
  try {
    await fs.promises.writeFile(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}
