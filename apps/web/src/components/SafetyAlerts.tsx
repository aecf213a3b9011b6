import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { useEvents } from '../hooks/useEvents.js';

interface SafetyAlerts {
  /** Threads you are paged for (crisis language), oldest first; ids only, never text. */
  threadIds: string[];
  dismiss(threadId: string): void;
}

const SafetyAlertsContext = createContext<SafetyAlerts>({ threadIds: [], dismiss: () => undefined });

/**
 * Staff: the `safety.alert` events of the signed-in session, kept while they move between pages, so the urgent notice
 * shows on whatever staff page is open (Layout shows it). An alert goes away when its conversation is opened or it
 * is dismissed.
 */
export function SafetyAlertsProvider({ children }: { children: ReactNode }) {
  const [threadIds, setThreadIds] = useState<string[]>([]);
  const dismiss = useCallback((id: string) => setThreadIds((list) => list.filter((x) => x !== id)), []);
  useEvents((e) => {
    if (e.type !== 'safety.alert' || !e.threadId) return;
    const id = e.threadId;
    setThreadIds((list) => (list.includes(id) ? list : [...list, id]));
  });
  const { pathname } = useLocation();
  const open = /^\/staff\/threads\/([^/]+)$/.exec(pathname)?.[1];
  useEffect(() => {
    if (open && threadIds.includes(open)) dismiss(open);
  }, [open, threadIds, dismiss]);
  return <SafetyAlertsContext.Provider value={{ threadIds, dismiss }}>{children}</SafetyAlertsContext.Provider>;
}

export const useSafetyAlerts = (): SafetyAlerts => useContext(SafetyAlertsContext);
