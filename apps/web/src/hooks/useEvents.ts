import { createContext, useContext, useEffect, useRef } from 'react';
import type { LiveEvent } from '@haven/api';

export type LiveEventListener = (event: LiveEvent) => void;
export interface TypingFrame {
  threadId: string;
  userId: string;
  typing: boolean;
}
export type TypingListener = (frame: TypingFrame) => void;

export interface EventsState {
  connected: boolean;
  subscribe(listener: LiveEventListener): () => void;
  /** Typing indicators of others (socket frames, not stream events: never replayed). */
  subscribeTyping(listener: TypingListener): () => void;
  /** Tell the others in a thread that you are typing (or stopped); `internal`: a note, staff only. */
  typing(threadId: string, typing: boolean, internal?: boolean): void;
}

/** Provided by `EventsProvider` (one event socket per signed-in page). */
export const EventsContext = createContext<EventsState | null>(null);

/** Calls `handler` for every live event while the component is mounted (the latest handler, without resubscribing). */
export function useEvents(handler: LiveEventListener): { connected: boolean } {
  const ctx = useContext(EventsContext);
  if (!ctx) throw new Error('useEvents outside EventsProvider');
  const ref = useRef(handler);
  ref.current = handler;
  const { subscribe } = ctx;
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe]);
  return { connected: ctx.connected };
}
