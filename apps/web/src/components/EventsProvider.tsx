import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { EventStream } from '@haven/api';
import { api } from '../lib/api.js';
import { EventsContext, type LiveEventListener, type EventsState, type TypingListener } from '../hooks/useEvents.js';
import { useSession } from '../hooks/useSession.js';

/**
 * One live event stream per signed-in page: the WebSocket `/api/v1/events`, authenticated by the session cookie.
 * The SDK's stream resumes from its last cursor after a drop, so no event is missed or repeated; it stops for
 * good when the session ends (close code 4401).
 */
export function EventsProvider({ children }: { children: ReactNode }) {
  const { sessionEnded } = useSession();
  const listeners = useRef(new Set<LiveEventListener>());
  const typingListeners = useRef(new Set<TypingListener>());
  const current = useRef<EventStream | undefined>(undefined);
  const [connected, setConnected] = useState(false);
  const [state] = useState<EventsState>(() => ({
    connected: false,
    subscribe(listener) {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
    subscribeTyping(listener) {
      typingListeners.current.add(listener);
      return () => typingListeners.current.delete(listener);
    },
    typing(threadId, typing, internal) {
      current.current?.typing(threadId, typing, internal ? { internal: true } : {});
    },
  }));

  useEffect(() => {
    let stream: EventStream | undefined;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      stream = api.events({
        onEvent: (event) => {
          for (const l of listeners.current) l(event);
        },
        onFrame: (frame) => {
          if (frame.type === 'ready') setConnected(true);
          if (frame.type === 'typing') for (const l of typingListeners.current) l({ threadId: frame.threadId, userId: frame.userId, typing: frame.typing });
        },
        onClose: ({ code, willReconnect }) => {
          setConnected(false);
          // The session is over (deactivated, expired, signed out elsewhere): leave the signed-in page at once.
          if (code === 4401) sessionEnded();
          // The first connection failed (or a final close other than sign-out): try again a little later.
          if (!willReconnect && !stopped && code !== 4401) retry = setTimeout(open, 3000);
        },
      });
      current.current = stream;
      stream.open().catch(() => undefined);
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      stream?.close();
    };
  }, [sessionEnded]);

  return <EventsContext.Provider value={{ ...state, connected }}>{children}</EventsContext.Provider>;
}

