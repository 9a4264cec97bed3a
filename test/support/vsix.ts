/** Unpacking a VSIX as VS Code's installer does: shared by test:vsix (test/editor/vsix.ts) and test:wine (test/wine/wine.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSZip from 'jszip';

/** The VSIX's files under `dir`, with the modes it records (VS Code's installer keeps them: an executable stays one). */
export async function unpackVsix(vsix: string, dir: string): Promise<void> {
  const zip = await JSZip.loadAsync(fs.readFileSync(vsix));
  for (const entry of Object.values(zip.files)) {
    const target = path.join(dir, entry.name);
    if (!target.startsWith(dir + path.sep)) throw new Error(`${vsix}: ${entry.name} points outside the package`);
    if (entry.dir) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, await entry.async('nodebuffer'));
    const mode = (entry.unixPermissions as number | null) ?? 0o644;
    fs.chmodSync(target, mode & 0o777);
  }
}
