/**
 * Answers the daemon's `earshot/languageModel/chat` (opt-in: earshot.enhancement.provider 'vscode-lm'): one call of the
 * language-model extraction, whose prompt (one chunk of the meeting) the daemon built and whose answer the daemon
 * validates. The model: the one named in earshot.enhancement.model (an id, else a family), else any chat model VS Code
 * offers. VS Code asks the user's consent the first time; declining or no model give null (the daemon stops the run),
 * a failed or cancelled request (the daemon's time limit, or the user's cancel) an error. Transcript and answer are
 * never logged.
 */
import * as vscode from 'vscode';
import { EnhancementSettings, LanguageModelChatParams, LanguageModelChatResult } from '../../protocol/protocol';

/** Longest answer read from the model (a chunk's JSON is a few KB). */
const MAX_ANSWER_CHARS = 200_000;

/** LanguageModelError codes that mean no answer will come however often it is asked: no consent, no such model. */
const DECLINED_CODES = new Set(['NoPermissions', 'NotFound']);

/** The part of vscode.lm used here (a unit test passes a fake). */
export type LanguageModels = Pick<typeof vscode.lm, 'selectChatModels'>;

async function chooseModel(lm: LanguageModels, preferred: string | undefined): Promise<vscode.LanguageModelChat | undefined> {
  if (preferred) {
    for (const selector of [{ id: preferred }, { family: preferred }]) {
      const [model] = await lm.selectChatModels(selector);
      if (model) return model;
    }
  }
  const [any] = await lm.selectChatModels({});
  return any;
}

export async function chatWithLanguageModel(params: LanguageModelChatParams, settings: EnhancementSettings, output: vscode.LogOutputChannel,
  token: vscode.CancellationToken, lm: LanguageModels = vscode.lm): Promise<LanguageModelChatResult | null> {
  if (settings.provider !== 'vscode-lm') return null; // the setting changed since the daemon started: the user opted out
  try {
    const model = await chooseModel(lm, settings.model);
    if (!model) {
      output.warn('language model: no VS Code language model is available; the notes stay as the rules wrote them');
      return null;
    }
    // The Language Model API has no system role: the instructions go first, as a user message.
    const messages = [vscode.LanguageModelChatMessage.User(params.system), vscode.LanguageModelChatMessage.User(params.user)];
    const response = await model.sendRequest(messages, {
      justification: 'Earshot extracts action items and decisions from the meeting transcript, as you enabled in earshot.enhancement.provider.',
    }, token);
    let text = '';
    for await (const part of response.text) {
      text += part;
      if (text.length > MAX_ANSWER_CHARS) break;
    }
    return { text, model: `${model.vendor}/${model.family || model.id}` };
  } catch (e) {
    // The user declined VS Code's consent prompt, or the model went away: declining, so the daemon stops the run
    // (asking again for every chunk would prompt again) and the rules' notes stand.
    if (e instanceof vscode.LanguageModelError && DECLINED_CODES.has(e.code)) {
      output.warn(`language model: not allowed or not available (${e.code}); the notes stay as the rules wrote them`);
      return null;
    }
    const reason = e instanceof vscode.LanguageModelError ? `${e.code || 'error'}` : token.isCancellationRequested ? 'cancelled' : 'error';
    output.warn(`language model: the request failed (${reason})`);
    throw new Error(`language model request failed (${reason})`); // the daemon retries or gives the chunk up
  }
}
