import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import i18next from 'i18next';
import type { Language, SessionInfo } from '@haven/api';
import { chosenLanguage } from '../i18n.js';
import { api, isApiError } from '../lib/api.js';

type Status = 'loading' | 'signedOut' | 'mfa_required' | 'mfa_enrollment_required' | 'active';

export interface SessionState {
  status: Status;
  session: SessionInfo | null;
  signIn(organization: string, email: string, password: string): Promise<SessionInfo>;
  verifyCode(code: string): Promise<SessionInfo>;
  enableTotp(code: string): Promise<SessionInfo>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

const statusOf = (s: SessionInfo | null): Status => (s ? s.stage : 'signedOut');

/** The signed-in person (from the session cookie), and the sign-in, second-step and sign-out actions. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [status, setStatus] = useState<Status>('loading');

  const apply = useCallback((s: SessionInfo | null) => {
    setSession(s);
    setStatus(statusOf(s));
    if (s?.stage === 'active') syncLanguage(s.user.language);
    return s;
  }, []);

  useEffect(() => {
    api.call('auth.session').then(apply, (err: unknown) => {
      if (!isApiError(err, 401)) console.error('session check failed');
      apply(null);
    });
  }, [apply]);

  const signIn = useCallback(
    async (organization: string, email: string, password: string) => apply(await api.call('auth.login', { body: { organization, email, password, transport: 'cookie' } }))!,
    [apply],
  );
  const verifyCode = useCallback(async (code: string) => apply(await api.call('auth.mfa.verify', { body: { code } }))!, [apply]);
  const enableTotp = useCallback(async (code: string) => apply(await api.call('auth.totp.enable', { body: { code } }))!, [apply]);

  const signOut = useCallback(async () => {
    try {
      await api.call('auth.logout');
    } catch {
      // the session may already be over; the page is left either way
    }
    // Nothing of the session may outlive it: the app keeps messages in memory only, and a full navigation drops
    // that memory (and the event socket). `replace` keeps the signed-in page out of the back history.
    try {
      sessionStorage.clear();
    } catch {
      // no storage: nothing to clear
    }
    window.location.replace('/sign-in');
  }, []);

  const value = useMemo(() => ({ status, session, signIn, verifyCode, enableTotp, signOut }), [status, session, signIn, verifyCode, enableTotp, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/**
 * The account keeps the language a person reads Haven in (for patients it is also the language of the automatic
 * replies): a language picked in this browser is saved to the account; without one, the app takes the account's.
 */
function syncLanguage(account: Language): void {
  const chosen = chosenLanguage();
  if (chosen && chosen !== account) void api.call('me.language.update', { body: { language: chosen } }).catch(() => undefined);
  else if (!chosen && i18next.language !== account) void i18next.changeLanguage(account);
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export const isStaff = (s: SessionInfo | null): boolean => s !== null && s.user.role !== 'patient';
