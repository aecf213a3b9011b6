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

  push(fn: () => Promise<void>): void {
    this.fns.push(fn);
  }

  async run(): Promise<void> {
    while (this.fns.length > 0) {
      const fn = this.fns.pop()!;
      await fn().catch((err: Error) => log(`cleanup failed: ${err.message}`));
    }
  }

  /** Runs the cleanups and exits on Ctrl-C, SIGTERM or an uncaught exception. */
  installHandlers(): void {
    process.once('uncaughtException', (err) => {
      this.interrupted = true;
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      void this.run().finally(() => process.exit(1));
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        this.interrupted = true;
        log(`${sig}: cleaning up`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
}
