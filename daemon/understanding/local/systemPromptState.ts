/**
 * The model process's one file: each kind's system prompt, read once, kept for the next process. The prompts are the
 * same from meeting to meeting (~950 tokens for extraction, ~380 for the summary), and a fresh process otherwise reads
 * them again before a meeting's first line: on a 2-core CPU, held for whisper, that took most of the meeting (BENCHMARKS.md,
 * issue 30, 3M end to end). What is kept is the sequence's KV state and its tokens (node-llama-cpp's
 * saveStateToFile: llama.cpp's llama_state_seq_save_file writes the token ids, then the cache), taken when the sequence
 * holds the system prompt and the chat template's opening of the user message and nothing else: no transcript.
 *
 * A state loads only into the model it came from (node-llama-cpp: "using this function may crash the process"
 * otherwise): the file is named after the model file's identity (resolved path, size, modification time), llama.cpp's
 * release and build, where the model runs, the kind, and the system prompt itself: a prompt that changed (v6 and v7 of
 * the extraction, as the settings' carryNotes picks) is read and kept anew, never restored from another's tokens. A process that dies loading one cannot load it again: the
 * file is renamed while it loads, and a file left so is deleted, never loaded.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Llama, LlamaChatSession, LlamaContextSequence } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { ChatKind } from './ipc';

/** What a state belongs to: the model as loaded, by whom, and where it runs. */
export interface StateOwner {
  llama: Pick<Llama, 'llamaCppRelease' | 'buildType' | 'gpu'>;
  modelPath: string;
  device: string;
}

/** The state file for a kind's system prompt (`system`) of this model as this process runs it. */
export async function stateFileFor(dir: string, owner: StateOwner, kind: ChatKind, system: string): Promise<string> {
  const modelPath = await fs.realpath(owner.modelPath);
  const stat = await fs.stat(modelPath);
  const identity = [modelPath, stat.size, stat.mtimeMs, owner.llama.llamaCppRelease.repo, owner.llama.llamaCppRelease.release, owner.llama.buildType, owner.llama.gpu, owner.device, kind, system];
  return path.join(dir, `${kind}-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32)}.state`);
}

/** How a sequence got its system prompt: restored (that many tokens), read now and kept, or read now (keeping failed). */
export type SystemPromptOutcome = { restoredTokens: number } | { saved: boolean };

/**
 * Gives a fresh sequence its session's system prompt: restored from `file` when an earlier process kept it, else read
 * now (the user message left empty) and kept there. Never throws: what fails leaves a sequence that reads everything.
 */
export async function primeSystemPrompt(file: string, session: LlamaChatSession, sequence: LlamaContextSequence): Promise<SystemPromptOutcome> {
  const loading = `${file}.loading`;
  await fs.rm(loading, { force: true }).catch(() => undefined); // a process died loading it
  const found = await fs.rename(file, loading).then(() => true, () => false);
  if (found) {
    try {
      await sequence.loadStateFromFile(loading, { acceptRisk: true });
      await fs.rename(loading, file).catch(() => undefined);
      return { restoredTokens: sequence.contextTokens.length };
    } catch {
      await fs.rm(loading, { force: true }).catch(() => undefined);
      await sequence.clearHistory().catch(() => undefined);
    }
  }
  await session.preloadPrompt('');
  const partial = `${file}.${process.pid}.part`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await sequence.saveStateToFile(partial);
    await fs.rename(partial, file); // whole, or not there
    return { saved: true };
  } catch {
    await fs.rm(partial, { force: true }).catch(() => undefined);
    return { saved: false };
  }
}
