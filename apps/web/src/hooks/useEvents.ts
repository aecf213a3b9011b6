import { createContext, useContext, useEffect, useRef } from 'react';
import type { LiveEvent } from '@haven/api';

export type LiveEventListener = (event: LiveEvent) => void;

export interface EventsState {
  connected: boolean;
  subscribe(listener: LiveEventListener): () => void;
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
