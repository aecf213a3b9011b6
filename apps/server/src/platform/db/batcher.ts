/**
 * Coalesces concurrent requests for the same kind of database work into one statement ("group commit").
 *
 * An item submitted while fewer than `maxInFlight` batches run starts a batch at once, alone: a lone caller waits
 * no longer than without batching. Items submitted while the database is busy wait in a queue and leave together
 * as the next batch, up to `maxBatch` at a time. So batches grow with load, by themselves, without a timer.
 *
 * `run` receives the items and answers one result per item, in order: a value, or an Error for that item alone.
 * If `run` throws, every item of that batch fails with that error (or, with `isolateFailures`, each item is run
 * again alone). Items whose `key` is already in the batch
 * being formed wait for a later batch, so one statement never sees the same key twice. Items whose `exclusive` key
 * belongs to a batch still running wait until it is done, so two batches running at once never touch the same
 * rows (no lock waits between them, no deadlock) while batches on other rows go in parallel.
 */
export interface BatcherOptions<I> {
  maxBatch: number;
  maxInFlight: number;
  key?: (item: I) => string;
  exclusive?: (item: I) => string;
  /** When a batch of several fails, run each of its items alone, so one bad item fails only itself. */
  isolateFailures?: boolean;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  /** Exclusive keys of the batches running now, with how many running batches hold each. */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly run: (items: I[]) => Promise<(O | Error)[]>,
    private readonly opts: BatcherOptions<I>,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return;
      const keys = this.hold(batch);
      this.inFlight += 1;
      void this.execute(batch).finally(() => {
        this.inFlight -= 1;
        this.release(keys);
        this.pump();
      });
    }
  }

  private take(): Pending<I, O>[] {
    const { key, exclusive, maxBatch } = this.opts;
    if (!key && !exclusive) return this.queue.splice(0, maxBatch);
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    const seen = new Set<string>();
    for (const p of this.queue) {
      const k = key?.(p.item);
      const free = !exclusive || !this.held.has(exclusive(p.item));
      if (batch.length < maxBatch && free && (k === undefined || !seen.has(k))) {
        if (k !== undefined) seen.add(k);
        batch.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private hold(batch: Pending<I, O>[]): string[] {
    if (!this.opts.exclusive) return [];
    const keys = [...new Set(batch.map((p) => this.opts.exclusive!(p.item)))];
    for (const k of keys) this.held.set(k, (this.held.get(k) ?? 0) + 1);
    return keys;
  }

  private release(keys: string[]): void {
    for (const k of keys) {
      const n = (this.held.get(k) ?? 1) - 1;
      if (n === 0) this.held.delete(k);
      else this.held.set(k, n);
    }
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    let results: (O | Error)[];
    try {
      results = await this.runChecked(batch.map((p) => p.item));
    } catch (error) {
      if (!this.opts.isolateFailures || batch.length === 1) {
        for (const p of batch) p.reject(error);
        return;
      }
      results = await Promise.all(batch.map((p) => this.runChecked([p.item]).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
    }
    batch.forEach((p, i) => {
      const r = results[i];
      if (r instanceof Error) p.reject(r);
      else p.resolve(r as O);
    });
  }

  private async runChecked(items: I[]): Promise<(O | Error)[]> {
    const results = await this.run(items);
    if (results.length !== items.length) throw new Error(`batch answered ${results.length} results for ${items.length} items`);
    return results;
  }
}
