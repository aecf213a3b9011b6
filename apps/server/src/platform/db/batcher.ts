/**
 * Coalesces concurrent requests for the same kind of database work into one statement ("group commit").
 *
 * An item submitted while fewer than `maxInFlight` batches run starts a batch at once, alone: a lone caller waits
 * no longer than without batching. Items submitted while the database is busy wait in a queue and leave together
 * as the next batch, up to `maxBatch` at a time. So batches grow with load, by themselves, without a timer.
 *
 * `run` receives the items and answers one result per item, in order: a value, or an Error for that item alone.
 * If `run` throws, every item of that batch fails with that error. Items whose `key` is already in the batch
 * being formed wait for a later batch, so one statement never sees the same key twice.
 */
export interface BatcherOptions<I> {
  maxBatch: number;
  maxInFlight: number;
  key?: (item: I) => string;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  /** Batches run and items carried, for the benchmark and tests. */
  readonly stats = { batches: 0, items: 0 };

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
      this.inFlight += 1;
      this.stats.batches += 1;
      this.stats.items += batch.length;
      void this.execute(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private take(): Pending<I, O>[] {
    const { key, maxBatch } = this.opts;
    if (!key) return this.queue.splice(0, maxBatch);
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    const seen = new Set<string>();
    for (const p of this.queue) {
      const k = key(p.item);
      if (batch.length < maxBatch && !seen.has(k)) {
        seen.add(k);
        batch.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    let results: (O | Error)[];
    try {
      results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new Error(`batch answered ${results.length} results for ${batch.length} items`);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i];
      if (r instanceof Error) p.reject(r);
      else p.resolve(r as O);
    });
  }
}

