/**
 * The event bus between server nodes: fire-and-forget publish/subscribe of small JSON strings.
 * Delivery on the bus is best effort (like NATS core): durability comes from the database (the event stream),
 * and `onResync` tells subscribers when messages may have been lost so they catch up from the database.
 */
export interface Bus {
  publish(subject: string, payload: string): void;
  subscribe(subject: string, handler: (payload: string) => void): () => void;
  /** Called when the bus may have dropped messages (e.g. after a reconnect). */
  onResync(handler: () => void): void;
  close(): Promise<void>;
}

/** Subjects (on NATS, under the deployment's prefix, e.g. `haven.events`). */
export const SUBJECTS = {
  /** Positioned events from the relay, with their audience. */
  events: 'events',
  /** Typing indicators and presence: not stored, not replayed. */
  ephemeral: 'ephemeral',
  /** A node committed outbox rows: wake the relay wherever it runs. */
  relayWake: 'relay.wake',
} as const;
