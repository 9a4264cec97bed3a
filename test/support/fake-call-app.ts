/**
 * Fake call apps for the call-detection tests: `parec --client-name NAME` records the private PulseAudio's default
 * source (the virtual microphone) under that application.name, as Zoom or Teams would.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export class FakeCallApps {
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  start(name = 'zoom'): ChildProcess {
    const app = spawn('parec', ['--client-name', name, '--raw'], { env: this.env, stdio: ['ignore', 'pipe', 'ignore'] });
    app.stdout!.resume();
    this.running.add(app);
    return app;
  }

  async end(app: ChildProcess): Promise<void> {
    this.running.delete(app);
    if (app.exitCode !== null || app.signalCode !== null) return;
    const exited = once(app, 'exit');
    app.kill('SIGTERM');
    await exited;
  }

  async endAll(): Promise<void> {
    await Promise.all([...this.running].map((a) => this.end(a)));
  }
}
