import type { WebSocket } from 'ws';
import { CloseCodes, type ServerFrame } from '@haven/api';
import type { PreparedEvent, Subscriber } from './event.service.js';

/** Beyond this much unsent data the client is too slow: it is disconnected and resumes from its cursor. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Live events held while a socket replays; more means the replay cannot catch up. */
const MAX_HELD_EVENTS = 20_000;
/** Invalid frames tolerated (each answered with an error frame) before the socket is closed. */
const MAX_INVALID_FRAMES = 20;

/**
 * One open event socket: its subscriber, its position in the stream, and the per-socket rate limit.
 * Events reach it in stream order; while it replays, live events are held and delivered after the replay,
 * skipping anything at or before its position, so each event arrives exactly once.
 */
export class EventConnection {
  cursor = 0n;
  replaying = true;
  closed = false;
  private held: PreparedEvent[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private invalidFrames = 0;
  private readonly burst: number;
  /** Last typing indicator sent per thread (indicators are throttled). */
  readonly typingSentAt = new Map<string, number>();

  constructor(
    readonly ws: WebSocket,
    readonly sub: Subscriber,
    readonly address: string | null,
    private readonly framesPerSecond: number,
  ) {
    this.burst = framesPerSecond * 5;
    this.tokens = this.burst;
  }

  offer(ev: PreparedEvent): void {
    if (this.closed) return;
    if (this.replaying) {
      if (this.held.length >= MAX_HELD_EVENTS) return this.close(CloseCodes.tooSlow, 'too far behind; reconnect with your cursor');
      this.held.push(ev);
      return;
    }
    this.deliver(ev, true);
  }

  /** `live`: happening now (an access change then closes the socket); false for replayed history. */
  deliver(ev: PreparedEvent, live: boolean): void {
    if (this.closed || ev.position <= this.cursor) return;
    this.cursor = ev.position;
    const frame = ev.frame(this.sub.role);
    if (frame) this.sendRaw(frame);
    if (live && ev.event.kind === 'access.changed') this.close(CloseCodes.accessChanged, 'access changed; reconnect with your cursor');
  }

  /** Ends a replay: delivers the held live events that the replay did not already cover. */
  endReplay(): void {
    const held = this.held;
    this.held = [];
    this.replaying = false;
    for (const ev of held) this.deliver(ev, true);
  }

  send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  sendRaw(text: string): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return this.close(CloseCodes.tooSlow, 'not reading fast enough; reconnect with your cursor');
    this.ws.send(text);
  }

  /** Token bucket: `framesPerSecond` sustained, five seconds' worth in a burst. False when over the limit. */
  admit(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.framesPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) {
      // A client that keeps flooding after being told is cut off.
      this.tokens -= 1;
      if (this.tokens < -this.burst) this.close(CloseCodes.rateLimited, 'too many frames');
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  /** Counts an invalid frame; closes the socket after too many. */
  invalid(): void {
    this.invalidFrames += 1;
    if (this.invalidFrames > MAX_INVALID_FRAMES) this.close(CloseCodes.rateLimited, 'too many invalid frames');
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    this.ws.close(code, reason);
  }
}
