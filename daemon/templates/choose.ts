/**
 * The template a meeting starts with (SessionStartParams.template / .templatesDir / .title): listed from the shipped
 * and the workspace's folders (folder.ts), chosen (select.ts), and kept whole in the journal's header, so that a resume
 * and the settle at stop follow the same template whatever happens to its file meanwhile.
 */
import { ErrorCodes, SessionStartParams, SessionStartResult } from '../../protocol/protocol';
import { JournaledTemplate } from '../journal/journal';
import { ServiceError } from '../serviceError';
import { listTemplates, SHIPPED_TEMPLATES_DIR } from './folder';
import { selectTemplate, UnknownTemplateError } from './select';

/** The start's template, journal-ready; undefined: the standard notes. InvalidParams for an unknown id (nothing starts). */
export async function templateForStart(params: SessionStartParams, shippedDir = SHIPPED_TEMPLATES_DIR): Promise<JournaledTemplate | undefined> {
  if (params.mode === 'dictation') {
    if (params.template !== undefined) throw new ServiceError(ErrorCodes.InvalidParams, 'A dictation writes no notes: it takes no notes template.');
    return undefined;
  }
  // Only a title the user gave picks a template (not one made from an audio file's name).
  const title = params.title?.trim() ?? '';
  if (params.template === undefined && !title) return undefined;
  const { templates } = await listTemplates(params.templatesDir, shippedDir);
  let chosen;
  try {
    chosen = selectTemplate(templates, { ...(params.template !== undefined ? { template: params.template } : {}), title });
  } catch (e) {
    if (e instanceof UnknownTemplateError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
    throw e;
  }
  if (!chosen) return undefined;
  const { id, name, source, language, instructions, sections } = chosen.template;
  return { id, name, source, ...(language ? { language } : {}), instructions, sections, chosenBy: chosen.chosenBy };
}

/** What SessionStartResult.template says of a journaled template. */
export const startedWith = (t: JournaledTemplate | undefined): Pick<SessionStartResult, 'template'> =>
  (t ? { template: { id: t.id, name: t.name, chosenBy: t.chosenBy } } : {});
