/**
 * `earshot templates`: the notes templates a meeting can use (daemon/templates/), in this process, no daemon needed:
 * the workspace's and the shipped ones with their sections, then each file that cannot be used and why. Names,
 * headings and paths come from files: printed inert.
 */
import * as path from 'node:path';
import { listTemplates } from '../templates/folder';
import { defaultTemplatesDir } from '../config';
import { args, inert, Io, jsonLine, UsageError } from './common';

export async function templates(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'templates');
  if (positionals.length > 0) throw new UsageError('templates takes no arguments');
  const listed = await listTemplates(path.resolve(values.dir ?? defaultTemplatesDir()));
  if (values.json) {
    io.out(jsonLine(listed));
  } else {
    for (const t of listed.templates) {
      const match = t.titleMatch.length ? `; picked by a title with ${t.titleMatch.map((w) => `"${inert(w)}"`).join(', ')}` : '';
      io.out(`${inert(t.id)}  ${inert(t.name)} (${t.source === 'workspace' ? inert(t.path ?? '') : 'shipped'}${t.language ? `; in ${inert(t.language)}` : ''}${match})`);
      io.out(`  ${t.sections.map((s) => `${inert(s.heading)}${s.fill === 'model' ? ' [model]' : ''}`).join(' · ')}`);
    }
    for (const f of listed.faults) io.err(`earshot: ${inert(f.path)}: ${inert(f.message)}`);
  }
  return listed.faults.length ? 1 : 0;
}
