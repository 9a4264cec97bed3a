/**
 * The notes templates a session can use: the ones shipped in Earshot's install folder (media/templates/) and a
 * workspace's (`<folder>/.earshot/templates/*.md`), each file read with bounds (its size, how many files) and never
 * through a link that leads outside its folder. A file that cannot be used is a fault with why; the others are listed.
 * Never throws for a file's content.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NotesTemplate, TEMPLATE_LIMITS, TemplatesListResult } from '../../protocol/protocol';
import { parseTemplate } from './parse';

/** The shipped templates, beside the compiled daemon in the install folder (out/daemon/templates/ → media/templates/). */
export const SHIPPED_TEMPLATES_DIR = path.join(__dirname, '..', '..', '..', 'media', 'templates');

/** The most template files read from one folder (by name); more is a fault on the folder. */
export const TEMPLATE_FILES_MAX = 50;

/** The workspace's templates (hiding a shipped one of the same id) then the shipped ones, each in id order; faults beside. */
export async function listTemplates(templatesDir: string | undefined, shippedDir = SHIPPED_TEMPLATES_DIR): Promise<TemplatesListResult> {
  const shipped = await readFolder(shippedDir, 'builtin');
  const workspace = templatesDir ? await readFolder(templatesDir, 'workspace') : { templates: [], faults: [] };
  const ids = new Set(workspace.templates.map((t) => t.id));
  return {
    templates: [...workspace.templates, ...shipped.templates.filter((t) => !ids.has(t.id))],
    faults: [...workspace.faults, ...shipped.faults],
  };
}

async function readFolder(dir: string, source: NotesTemplate['source']): Promise<TemplatesListResult> {
  const faults: TemplatesListResult['faults'] = [];
  let real: string;
  let names: string[];
  try {
    real = await fs.realpath(dir);
    names = (await fs.readdir(real)).filter((n) => n.toLowerCase().endsWith('.md')).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No folder: no templates (most workspaces have none).
    if (code === 'ENOENT') return { templates: [], faults };
    return { templates: [], faults: [{ path: dir, message: code === 'ENOTDIR' ? 'it is not a folder' : `it cannot be read (${code ?? 'error'})` }] };
  }
  if (names.length > TEMPLATE_FILES_MAX) {
    faults.push({ path: dir, message: `it holds ${names.length} templates: only the first ${TEMPLATE_FILES_MAX} by name are read` });
    names = names.slice(0, TEMPLATE_FILES_MAX);
  }
  const templates: NotesTemplate[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const read = await readBounded(real, name);
    if ('fault' in read) {
      faults.push({ path: file, message: read.fault });
      continue;
    }
    const parsed = parseTemplate(name.slice(0, -3), read.text, source, source === 'workspace' ? file : undefined);
    if ('fault' in parsed) faults.push({ path: file, message: parsed.fault });
    else templates.push(parsed.template);
  }
  return { templates, faults };
}

/** A template file's text: a regular file inside `real` (a link may point within the folder, never out of it), bounded. */
async function readBounded(real: string, name: string): Promise<{ text: string } | { fault: string }> {
  const file = path.join(real, name);
  let handle: fs.FileHandle | undefined;
  try {
    const target = await fs.realpath(file);
    const relative = path.relative(real, target);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return { fault: 'it is a link to a file outside the templates folder' };
    handle = await fs.open(target, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) return { fault: 'it is not a file' };
    // A character is at most 4 bytes in UTF-8: past that the file cannot be within the limit; read one byte more than it.
    const most = TEMPLATE_LIMITS.fileChars * 4;
    if (stat.size > most) return { fault: `it is larger than ${TEMPLATE_LIMITS.fileChars} characters` };
    const buffer = Buffer.alloc(most + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > most) return { fault: `it is larger than ${TEMPLATE_LIMITS.fileChars} characters` };
    return { text: buffer.subarray(0, bytesRead).toString('utf8') };
  } catch (e) {
    return { fault: `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
