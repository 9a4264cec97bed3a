/**
 * Answers the daemon's `earshot/refine` (opt-in: earshot.enhancement.provider 'vscode-lm') with a VS Code Language
 * Model API model: the model named in earshot.enhancement.model (an id, else a family), else any chat model VS Code
 * offers. VS Code asks the user's consent the first time; declining, no model, a cancelled request (the daemon's
 * time limit) or an unusable answer all give null: the notes stay extractive. Transcript and answer are never logged.
 */
import * as vscode from 'vscode';
import { EnhancementSettings, RefineParams, RefineResult } from '../protocol/protocol';
import { parseRefinementText, refineMessages } from '../protocol/refine';

/** Longest answer read from the model (a refinement is a few KB). */
const MAX_ANSWER_CHARS = 200_000;

async function chooseModel(preferred: string | undefined): Promise<vscode.LanguageModelChat | undefined> {
  if (preferred) {
    for (const selector of [{ id: preferred }, { family: preferred }]) {
      const [model] = await vscode.lm.selectChatModels(selector);
      if (model) return model;
    }
  }
  const [any] = await vscode.lm.selectChatModels({});
  return any;
}

export async function refineWithLanguageModel(params: RefineParams, settings: EnhancementSettings, output: vscode.LogOutputChannel,
  token: vscode.CancellationToken): Promise<RefineResult | null> {
  if (settings.provider !== 'vscode-lm') return null; // the setting changed since the daemon started: the user opted out
  try {
    const model = await chooseModel(settings.model);
    if (!model) {
      output.warn('refine: no VS Code language model is available; the notes stay extractive');
      return null;
    }
    const { system, user } = refineMessages(params);
    // The Language Model API has no system role: the instructions go first, as a user message.
    const messages = [vscode.LanguageModelChatMessage.User(system), vscode.LanguageModelChatMessage.User(user)];
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Earshot: refining notes with ${model.name}` }, async () => {
      const response = await model.sendRequest(messages, {
        justification: 'Earshot refines the meeting notes (summary, action items, decisions) from the transcript, as you enabled in earshot.enhancement.provider.',
      }, token);
      let answer = '';
      for await (const chunk of response.text) {
        answer += chunk;
        if (answer.length > MAX_ANSWER_CHARS) break;
      }
      const result = parseRefinementText(answer, `${model.vendor}/${model.family || model.id}`);
      if (!result) output.warn(`refine: ${model.name} gave no usable JSON; the notes stay extractive`);
      return result;
    });
  } catch (e) {
    const reason = e instanceof vscode.LanguageModelError ? `${e.code || 'error'}` : token.isCancellationRequested ? 'cancelled (time limit)' : 'error';
    output.warn(`refine: the language model request failed (${reason}); the notes stay extractive`);
    return null;
  }
}
