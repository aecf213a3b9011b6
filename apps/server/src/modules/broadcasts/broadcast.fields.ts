import { aad } from '../../platform/crypto/aead.js';

/** A broadcast's encrypted fields are bound to its organization, its id and the field. */
export const broadcastFieldAad = (orgId: string, broadcastId: string, field: 'subject' | 'body' | 'selector'): string => aad('broadcast', orgId, broadcastId, field);
