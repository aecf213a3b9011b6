import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { MemoryBus } from './memory-bus.js';

/** NATS when NATS_URL is set (several nodes), else the in-process bus. The NATS client loads only when used. */
export async function createBus(natsUrl: string | undefined, prefix: string, logger: Logger): Promise<Bus> {
  if (!natsUrl) return new MemoryBus();
  const { NatsBus } = await import('./nats-bus.js');
  return NatsBus.connect(natsUrl, prefix, logger);
}
