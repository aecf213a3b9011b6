import type { Role } from '@haven/api';

/** Who is acting: set by the auth hook from a valid session. */
export interface Actor {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
}

/** What every service call knows about the request, for authorization and audit. */
export interface RequestContext {
  actor: Actor;
  address: string | null;
  requestId: string;
}

/** Context for actions with no signed-in user (sign-in itself, the CLI). */
export interface AnonymousContext {
  address: string | null;
  requestId: string;
}
