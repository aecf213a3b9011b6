import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { EventsContext } from './useEvents.js';

/** Someone else's "typing" lasts this long without a refresh (a closed tab never says it stopped). */
const SHOWN_MS = 6_000;
/** While you type, the others are told again at most this often; they are told you stopped after this long idle. */
const RESEND_MS = 3_000;
const IDLE_MS = 4_000;

/** Who is typing in this thread now (user ids, never you). */
export function useTypingIndicator(threadId: string, me: string): string[] {
  const ctx = useContext(EventsContext);
  const [typers, setTypers] = useState<Map<string, number>>(new Map());
  useEffect(() => {
    setTypers(new Map());
    if (!ctx) return;
    return ctx.subscribeTyping((f) => {
      if (f.threadId !== threadId || f.userId === me) return;
      setTypers((current) => {
        const next = new Map(current);
        if (f.typing) next.set(f.userId, Date.now() + SHOWN_MS);
        else next.delete(f.userId);
        return next;
      });
    });
  }, [ctx, threadId, me]);
  // Forget those who went quiet.
  useEffect(() => {
    if (typers.size === 0) return;
    const soonest = Math.min(...typers.values());
    const timer = setTimeout(() => setTypers((current) => new Map([...current].filter(([, until]) => until > Date.now()))), Math.max(0, soonest - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [typers]);
  return [...typers.keys()];
}

/**
 * Tells the others in the thread that you are typing (over the event socket; an internal note only to staff): at
 * most every few seconds while you type, and that you stopped when the box is empty, sent or idle.
 */
export function useTypingSender(threadId: string): (typing: boolean, internal: boolean) => void {
  const ctx = useContext(EventsContext);
  const lastSent = useRef(0);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const active = useRef(false);
  const stop = useCallback(
    (internal: boolean) => {
      clearTimeout(idle.current);
      if (!active.current) return;
      active.current = false;
      lastSent.current = 0;
      ctx?.typing(threadId, false, internal);
    },
    [ctx, threadId],
  );
  useEffect(() => () => clearTimeout(idle.current), []);
  return useCallback(
    (typing: boolean, internal: boolean) => {
      if (!typing) return stop(internal);
      clearTimeout(idle.current);
      idle.current = setTimeout(() => stop(internal), IDLE_MS);
      if (Date.now() - lastSent.current < RESEND_MS) return;
      lastSent.current = Date.now();
      active.current = true;
      ctx?.typing(threadId, true, internal);
    },
    [ctx, threadId, stop],
  );
}
