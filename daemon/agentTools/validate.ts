/**
 * Checks an agent tool's arguments against its input schema (protocol/agentTools.ts): the JSON Schema subset those
 * schemas use (object with properties, required and no others; string with length, pattern and enum; integer with
 * minimum and maximum; boolean; array of strings with maxItems). Each refusal names the field and what it must be.
 *
 * Owns nothing but the check. Must not echo a value it refuses (it may be transcript text or megabytes): the message
 * names the field only.
 */
import { AgentToolDefinition } from '../../protocol/agentTools';

/** An argument the tool's schema refuses (or a tool that does not exist): the client's mistake. */
export class AgentToolInputError extends Error {}

type Schema = Record<string, unknown>;

/** `input` as the tool takes it, its defaults filled in; throws AgentToolInputError naming the first field refused. */
export function checkedInput(tool: AgentToolDefinition, input: unknown): Record<string, unknown> {
  const schema = tool.inputSchema;
  const args = input === undefined || input === null ? {} : input;
  if (typeof args !== 'object' || Array.isArray(args)) throw new AgentToolInputError(`${tool.name}: the arguments must be an object`);
  const given = args as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(schema.properties, key)) {
      throw new AgentToolInputError(`${tool.name}: unknown argument "${printable(key)}" (it takes ${Object.keys(schema.properties).join(', ')})`);
    }
  }
  for (const key of schema.required ?? []) if (given[key] === undefined) throw new AgentToolInputError(`${tool.name}: "${key}" is required`);
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = given[key];
    if (value === undefined) {
      if (property.default !== undefined) out[key] = property.default;
      continue;
    }
    const wrong = refusal(property, value);
    if (wrong) throw new AgentToolInputError(`${tool.name}: "${key}" ${wrong}`);
    out[key] = value;
  }
  return out;
}

/** What is wrong with `value` under `schema`, or undefined when it fits. */
function refusal(schema: Schema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return 'must be a string';
      if (typeof schema.minLength === 'number' && value.length < schema.minLength) return `must have at least ${schema.minLength} character${schema.minLength === 1 ? '' : 's'}`;
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return `must have at most ${schema.maxLength} characters`;
      if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `must be one of ${schema.enum.join(', ')}`;
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return schema.pattern.includes('\\d{4}-\\d{2}-\\d{2}') ? 'must be a day as YYYY-MM-DD' : `must match ${schema.pattern}`;
      if (schema.pattern && String(schema.pattern).includes('\\d{4}-\\d{2}-\\d{2}') && Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return 'must be a day that exists (YYYY-MM-DD)';
      return undefined;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be a whole number';
      if (typeof schema.minimum === 'number' && value < schema.minimum) return `must be at least ${schema.minimum}`;
      if (typeof schema.maximum === 'number' && value > schema.maximum) return `must be at most ${schema.maximum}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'array': {
      if (!Array.isArray(value)) return 'must be a list';
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return `must have at most ${schema.maxItems} entries`;
      for (let i = 0; i < value.length; i++) {
        const wrong = refusal(schema.items as Schema, value[i]);
        if (wrong) return `entry ${i + 1} ${wrong}`;
      }
      return undefined;
    }
    default:
      return `has a schema type this server does not check (${String(schema.type)})`;
  }
}

/** A name from the client, shown in an error: at most 60 characters, nothing a terminal acts on. */
function printable(name: string): string {
  const plain = name.replace(/[^\p{L}\p{N}_ .-]/gu, '?');
  return plain.length > 60 ? `${plain.slice(0, 60)}…` : plain;
}
