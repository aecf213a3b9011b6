import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Bus } from './bus.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bus across nodes: NATS core subjects. A reconnect may have dropped messages, so subscribers resync. */
export class NatsBus implements Bus {
  private readonly resync = new Set<() => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    logger: Logger,
  ) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'reconnect') {
          logger.warn('event bus reconnected; resynchronizing from the database');
          for (const h of this.resync) h();
        } else if (s.type === 'disconnect') {
          logger.warn('event bus disconnected');
        }
      }
    })().catch(() => undefined);
  }

  static async connect(servers: string, prefix: string, logger: Logger): Promise<NatsBus> {
    const nc = await connect({ servers: servers.split(',').map((s) => s.trim()), name: 'haven', maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 10_000 });
    return new NatsBus(nc, prefix, logger);
  }

  publish(subject: string, payload: string): void {
    this.nc.publish(`${this.prefix}.${subject}`, encoder.encode(payload));
  }

  subscribe(subject: string, handler: (payload: string) => void): () => void {
    const sub = this.nc.subscribe(`${this.prefix}.${subject}`, { callback: (err, msg) => (err ? undefined : handler(decoder.decode(msg.data))) });
    return () => sub.unsubscribe();
  }

  onResync(handler: () => void): void {
    this.resync.add(handler);
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}
