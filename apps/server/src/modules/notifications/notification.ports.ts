/**
 * What notifications need from features built elsewhere, as small interfaces with safe defaults, so those features
 * plug in without changes here.
 */

/** Who is connected right now (the live-events work provides the real one). Connected users get no notification. */
export interface PresenceLookup {
  connectedUsers(userIds: string[]): Promise<Set<string>>;
}

/** Until live events exist: nobody is connected, so every recipient who has not read a message is notified. */
export const NOBODY_CONNECTED: PresenceLookup = {
  connectedUsers: async () => new Set<string>(),
};

/** Workflow facts about patient threads (assignment and urgency arrive with the workflow issue). */
export interface ThreadWorkflowLookup {
  /** For each thread: the staff it is assigned to, and whether it is urgent. Threads not in the map: neither. */
  flags(orgId: string, threadIds: string[]): Promise<Map<string, { assigneeIds: string[]; urgent: boolean }>>;
}

/** Until the workflow features exist: no thread is assigned or urgent. */
export const NO_WORKFLOW: ThreadWorkflowLookup = {
  flags: async () => new Map(),
};
