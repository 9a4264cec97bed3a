/**
 * The 'local' provider: a Chat answered by the local model process (host.ts) under the chunk's JSON-schema grammar
 * (schema.ts), from the same prompt the other providers get (chunkMessages); and the run settings a local model needs.
 */
import { EnhancementSettings } from '../../../protocol/protocol';
import { answerTokensFor, Chat } from '../providers';
import { LocalModelHost } from './host';
import { chunkAnswerSchema, ownerAnswerSchema, procedureAnswerSchema, restatementAnswerSchema, standingAnswerSchema, summaryAnswerSchema } from './schema';

/** Seconds one local call may take at least: a CPU reads a chunk's prompt in tens of seconds, loading comes first. */
export const LOCAL_MIN_TIMEOUT_SEC = 300;

/** Each call goes to the host's queue; a chunk's constraint becomes the grammar its answer is generated under. */
export function localChat(host: LocalModelHost): Chat {
  return async (system, user, signal, constraint) => {
    // The kind picks the model's sequence: chunks and summaries alternate, each with its own system prompt to keep (the
    // checks at stop, once each, take the summaries').
    const extract = !constraint || (!('summary' in constraint) && !('restatements' in constraint) && !('procedure' in constraint) && !('owners' in constraint) && !('standings' in constraint));
    const schema = !constraint ? undefined : 'summary' in constraint ? summaryAnswerSchema(constraint.summary.segmentIds, constraint.summary.maxPoints)
      : 'restatements' in constraint ? restatementAnswerSchema(constraint.restatements)
        : 'procedure' in constraint ? procedureAnswerSchema(constraint.procedure)
        : 'owners' in constraint ? ownerAnswerSchema(constraint.owners)
        : 'standings' in constraint ? standingAnswerSchema(constraint.standings) : chunkAnswerSchema(constraint);
    const answer = await host.chat({
      kind: extract ? 'extract' : 'summary', system, user, ...(schema ? { schema } : {}), maxTokens: answerTokensFor(constraint),
    }, signal);
    return { text: answer.text, model: answer.model };
  };
}

/**
 * One model process answers one call at a time: a second call at once would only wait in the queue with its time
 * limit running. The time limit is at least LOCAL_MIN_TIMEOUT_SEC, the settings' default being meant for servers.
 */
export function localRunSettings(settings: EnhancementSettings): EnhancementSettings {
  return { ...settings, maxConcurrency: 1, timeoutSec: Math.max(settings.timeoutSec ?? 0, LOCAL_MIN_TIMEOUT_SEC) };
}
