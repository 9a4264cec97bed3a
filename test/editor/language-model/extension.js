// A chat model for the editor tests, registered through VS Code's own Language Model API
// (vscode.lm.registerLanguageModelChatProvider), so Earshot reaches it exactly as it reaches Copilot's:
// vscode.lm.selectChatModels, then model.sendRequest. The suite scripts it through the exported API:
// every request is recorded, `answer` decides the reply (or throws, as a model refusing does), and `hold()` keeps
// requests (or those it picks) waiting until released (to see progress and cancel in the panel). Plain JavaScript: the runner loads it
// as it is.
'use strict';
const vscode = require('vscode');

const MODEL = {
  id: 'scripted-notes', name: 'Scripted Notes', family: 'scripted', version: '1', detail: 'editor tests',
  maxInputTokens: 128000, maxOutputTokens: 8000, capabilities: {},
};

function activate(context) {
  /** Every request: its messages as text, whether its cancellation fired, and how it ended. */
  const requests = [];
  let answer = () => '{}';
  let gate = null;
  /** Which requests the gate holds (hold(only)): all by default. */
  let held = () => true;
  const changed = new vscode.EventEmitter();

  const provider = {
    onDidChangeLanguageModelChatInformation: changed.event,
    provideLanguageModelChatInformation: () => [MODEL],
    async provideLanguageModelChatResponse(model, messages, options, progress, token) {
      const texts = messages.map((m) => m.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join(''));
      const request = { model: model.id, messages: texts, cancelled: false, outcome: 'waiting' };
      requests.push(request);
      token.onCancellationRequested(() => { request.cancelled = true; });
      if (gate && held(texts)) await Promise.race([gate.promise, new Promise((resolve) => token.onCancellationRequested(resolve))]);
      if (token.isCancellationRequested) {
        request.outcome = 'cancelled';
        throw new vscode.CancellationError();
      }
      let text;
      try {
        text = answer(texts);
      } catch (e) {
        request.outcome = 'refused';
        throw e;
      }
      // Streamed in parts, as a real model answers.
      for (let i = 0; i < text.length; i += 200) progress.report(new vscode.LanguageModelTextPart(text.slice(i, i + 200)));
      request.outcome = 'answered';
    },
    provideTokenCount: (model, text) => Math.ceil((typeof text === 'string' ? text.length : JSON.stringify(text).length) / 4),
  };
  context.subscriptions.push(vscode.lm.registerLanguageModelChatProvider('earshot-test', provider), changed);

  return {
    requests,
    /** Sets how requests are answered: a function of the messages' texts returning the reply. */
    setAnswer(fn) { answer = fn; },
    /** Requests from now on wait until release(); `only`: just those whose messages' texts it accepts. */
    hold(only) {
      held = only || (() => true);
      let release;
      gate = { promise: new Promise((resolve) => { release = resolve; }), release: () => release() };
    },
    release() {
      const g = gate;
      gate = null;
      if (g) g.release();
    },
  };
}

module.exports = { activate, deactivate() {} };
