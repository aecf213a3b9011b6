import { derivedUuid } from '../../platform/crypto/hash.js';

/**
 * The thread and message a broadcast makes for one patient have ids derived from the broadcast's id and the
 * patient's id: a send that runs again (a retried job, a second run after a crash) finds the thread and message it
 * made before instead of making new ones. See docs/decisions/0017.
 */
export const recipientThreadId = (broadcastId: string, patientId: string): string => derivedUuid('haven-broadcast-thread', broadcastId.toLowerCase(), patientId.toLowerCase());
export const recipientMessageId = (broadcastId: string, patientId: string): string => derivedUuid('haven-broadcast-message', broadcastId.toLowerCase(), patientId.toLowerCase());
