/**
 * Structured logging: one JSON object per line with time, level, component and event. Transcript
 * text is private: it may only be logged at 'debug', which the user must turn on.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogSink = (level: LogLevel, line: string) => void;

export class Logger {
  constructor(private readonly sink: LogSink, readonly level: LogLevel = 'info', private readonly fields: Record<string, unknown> = {}) {}

  /** A logger whose lines all carry `fields` (e.g. the session id). */
  with(fields: Record<string, unknown>): Logger {
    return new Logger(this.sink, this.level, { ...this.fields, ...fields });
  }

  debug(component: string, event: string, fields: Record<string, unknown> = {}): void { this.write('debug', component, event, fields); }
  info(component: string, event: string, fields: Record<string, unknown> = {}): void { this.write('info', component, event, fields); }
  warn(component: string, event: string, fields: Record<string, unknown> = {}): void { this.write('warn', component, event, fields); }
  error(component: string, event: string, fields: Record<string, unknown> = {}): void { this.write('error', component, event, fields); }

  private write(level: LogLevel, component: string, event: string, fields: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.sink(level, JSON.stringify({ time: new Date().toISOString(), level, component, event, ...this.fields, ...fields }));
  }
}

export function logLevelFrom(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}
