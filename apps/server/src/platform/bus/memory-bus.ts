import type { Bus } from './bus.js';

/** The bus of a single process (no NATS_URL): delivery is asynchronous, in publish order. */
export class MemoryBus implements Bus {
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();

  publish(subject: string, payload: string): void {
    const set = this.handlers.get(subject);
    if (!set || set.size === 0) return;
    queueMicrotask(() => {
      for (const h of set) h(payload);
    });
  }

  subscribe(subject: string, handler: (payload: string) => void): () => void {
    let set = this.handlers.get(subject);
    if (!set) this.handlers.set(subject, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onResync(): void {
    // Nothing is ever dropped in process.
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
