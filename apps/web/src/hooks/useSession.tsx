import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import i18next from 'i18next';
import type { Language, SessionInfo } from '@haven/api';
import { chosenLanguage } from '../i18n.js';
import { api, isApiError, onSessionEnded } from '../lib/api.js';

type Status = 'loading' | 'signedOut' | 'mfa_required' | 'mfa_enrollment_required' | 'active';

export interface SessionState {
  status: Status;
  session: SessionInfo | null;
  signIn(organization: string, email: string, password: string): Promise<SessionInfo>;
  verifyCode(code: string): Promise<SessionInfo>;
  enableTotp(code: string): Promise<SessionInfo>;
  signOut(): Promise<void>;
  /** The server ended the session (deactivated, expired, signed out elsewhere): leave everything, say so on sign-in. */
  sessionEnded(): void;
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
    leave('/sign-in');
  }, []);

  const sessionEnded = useCallback(() => leave('/sign-in?ended=1'), []);
  // A 401 from any API call while signed in means the same as the event socket's 4401.
  useEffect(() => {
    if (status !== 'active') return;
    onSessionEnded(sessionEnded);
    return () => onSessionEnded(null);
  }, [status, sessionEnded]);

  const value = useMemo(() => ({ status, session, signIn, verifyCode, enableTotp, signOut, sessionEnded }), [status, session, signIn, verifyCode, enableTotp, signOut, sessionEnded]);
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

let leaving = false;

/**
 * Nothing of the session may outlive it: the app keeps messages in memory only, and a full navigation drops that
 * memory (and the event socket). `replace` keeps the signed-in page out of the back history.
 */
function leave(to: string): void {
  if (leaving) return;
  leaving = true;
  try {
    sessionStorage.clear();
  } catch {
    // no storage: nothing to clear
  }
  window.location.replace(to);
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export const isStaff = (s: SessionInfo | null): boolean => s !== null && s.user.role !== 'patient';

/** Where a signed-in person starts: compliance officers on the audit trail (they have no inbox), other staff on the inbox, patients on their messages. */
export const startPage = (s: SessionInfo | null): string =>
  s?.user.role === 'compliance' ? '/staff/compliance' : s?.user.role === 'admin' ? '/staff/admin' : isStaff(s) ? '/staff/inbox' : '/messages';
