/**
 * Linux: which apps record from a microphone, from PulseAudio's (or pipewire-pulse's) source-outputs as pactl lists
 * them. JSON where pactl has it (`pactl -f json`, pactl 16 and later), else its text form; both are read from what a
 * real pactl 16.1 prints (test/fixtures/calls/). A source-output of a monitor source (system-audio capture: Earshot's
 * own "Others", a screen recorder) is not a microphone; one without a client is the server's own (module-remap-source
 * reads its master through one); a corked one is paused, not recording.
 */
import { EARSHOT_APPLICATION_NAME } from '../capture/recorderCommand';

/** One source-output: what the detector needs of it. */
export interface PulseStream {
  index: number;
  /** The source's index. */
  source: number;
  /** The client's index; undefined for the server's own streams (a module's). */
  client: number | undefined;
  corked: boolean;
  properties: Record<string, string>;
}

/** A source: its index and whether it monitors a sink (system audio) rather than capturing an input. */
export interface PulseSource {
  index: number;
  name: string;
  monitor: boolean;
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
};

const stringProps = (v: unknown): Record<string, string> => {
  const props: Record<string, string> = {};
  if (typeof v === 'object' && v !== null) for (const [k, p] of Object.entries(v)) if (typeof p === 'string') props[k] = p;
  return props;
};

function jsonArray(text: string, what: string): unknown[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`pactl -f json list ${what}: not a JSON array`);
  return parsed;
}

/** `pactl -f json list source-outputs`. Throws on output that is not pactl's JSON. */
export function parseSourceOutputsJson(text: string): PulseStream[] {
  return jsonArray(text, 'source-outputs').flatMap((o): PulseStream[] => {
    const r = o as Record<string, unknown>;
    const index = num(r.index);
    const source = num(r.source);
    if (index === undefined || source === undefined) return [];
    return [{ index, source, client: num(r.client), corked: r.corked === true, properties: stringProps(r.properties) }];
  });
}

/** `pactl -f json list sources`: pactl 16.1's JSON has no "Monitor of Sink", so a monitor is told by device.class. */
export function parseSourcesJson(text: string): PulseSource[] {
  return jsonArray(text, 'sources').flatMap((o): PulseSource[] => {
    const r = o as Record<string, unknown>;
    const index = num(r.index);
    if (index === undefined) return [];
    return [{ index, name: typeof r.name === 'string' ? r.name : '', monitor: stringProps(r.properties)['device.class'] === 'monitor' }];
  });
}

/** The text form's blocks: a "Source Output #3" (or "Source #3") header, "Key: value" lines, then "Properties:" with `key = "value"` lines. */
function textBlocks(text: string, header: string): { index: number; fields: Map<string, string>; properties: Record<string, string> }[] {
  const blocks: { index: number; fields: Map<string, string>; properties: Record<string, string> }[] = [];
  let current: (typeof blocks)[number] | undefined;
  let inProperties = false;
  for (const line of text.split(/\r?\n/)) {
    const head = new RegExp(`^${header} #(\\d+)\\s*$`).exec(line);
    if (head) {
      current = { index: Number(head[1]), fields: new Map(), properties: {} };
      blocks.push(current);
      inProperties = false;
      continue;
    }
    if (!current) continue;
    // Fields are one tab in, properties two; a field after Properties (Formats:, Ports:) ends them.
    const field = /^\t([^\t:][^:]*):\s?(.*)$/.exec(line);
    if (field) {
      inProperties = field[1] === 'Properties';
      current.fields.set(field[1], field[2].trim());
      continue;
    }
    const prop = inProperties ? /^\t\t([^=\s]+) = "(.*)"$/.exec(line) : null;
    if (prop) current.properties[prop[1]] = prop[2].replace(/\\(["\\])/g, '$1');
  }
  return blocks;
}

/** `pactl list source-outputs` (LC_ALL=C), for a pactl without JSON. */
export function parseSourceOutputsText(text: string): PulseStream[] {
  return textBlocks(text, 'Source Output').flatMap((b): PulseStream[] => {
    const source = num(b.fields.get('Source'));
    if (source === undefined) return [];
    return [{ index: b.index, source, client: num(b.fields.get('Client')), corked: b.fields.get('Corked') === 'yes', properties: b.properties }];
  });
}

/** `pactl list sources` (LC_ALL=C): a monitor says "Monitor of Sink: <sink>" (n/a otherwise) or device.class "monitor". */
export function parseSourcesText(text: string): PulseSource[] {
  return textBlocks(text, 'Source').map((b) => {
    const of = b.fields.get('Monitor of Sink');
    return { index: b.index, name: b.fields.get('Name') ?? '', monitor: (of !== undefined && of !== 'n/a') || b.properties['device.class'] === 'monitor' };
  });
}


export interface PulseApp {
  app: string;
  pid?: number;
}

/**
 * The apps recording from a microphone: a client's, not corked, on a source that is not a monitor (a source this list
 * does not know counts as a microphone), not Earshot's own (`own(pid)`, or named Earshot), one entry per app and pid.
 */
export function pulseCallApps(streams: PulseStream[], sources: PulseSource[], own: (pid: number) => boolean): PulseApp[] {
  const monitors = new Set(sources.filter((s) => s.monitor).map((s) => s.index));
  const apps = new Map<string, PulseApp>();
  for (const s of streams) {
    if (s.client === undefined || s.corked || monitors.has(s.source)) continue;
    const p = s.properties;
    const pid = num(p['application.process.id']);
    if (pid !== undefined && own(pid)) continue;
    if (p['application.name'] === EARSHOT_APPLICATION_NAME || p['media.name'] === EARSHOT_APPLICATION_NAME) continue;
    const app = p['application.name'] || p['application.process.binary'] || p['media.name'] || `client ${s.client}`;
    apps.set(`${app}\0${pid ?? ''}`, { app, ...(pid !== undefined ? { pid } : {}) });
  }
  return [...apps.values()];
}
