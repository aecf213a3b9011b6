import { aad } from '../../platform/crypto/aead.js';
import { blindValue } from '../../platform/crypto/blind-index.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Queryable } from '../../platform/db/database.js';
import type { PushSubscriptionData } from '../../platform/notify/web-push-sender.js';

/**
 * Contact data for notifications is identifying: e-mail overrides, SMS numbers and push subscriptions are
 * AES-256-GCM under the user's record key (a patient's own key, so crypto-shredding the record destroys them too),
 * bound to organization, user (or subscription) and field. Lookups use keyed HMACs under the organization's
 * blind-index key.
 */
export class NotificationContacts {
  constructor(private readonly keyring: Keyring) {}

  sealField(keyId: string, orgId: string, userId: string, field: 'email' | 'sms_phone', value: string, tx?: Queryable): Promise<Buffer> {
    return this.keyring.encrypt(keyId, value, aad('notification_contact', orgId, userId, field), tx);
  }

  async openField(keyId: string, orgId: string, userId: string, field: 'email' | 'sms_phone', value: Buffer | null): Promise<string | null> {
    if (!value) return null;
    return this.keyring.decrypt(keyId, value, aad('notification_contact', orgId, userId, field));
  }

  async phoneIndex(orgId: string, phone: string, tx?: Queryable): Promise<Buffer> {
    return blindValue(await this.keyring.blindIndexKey(orgId, tx), 'sms_phone', phone);
  }

  sealSubscription(keyId: string, orgId: string, id: string, data: PushSubscriptionData, tx?: Queryable): Promise<Buffer> {
    return this.keyring.encrypt(keyId, JSON.stringify(data), aad('push_subscription', orgId, id), tx);
  }

  async openSubscription(keyId: string, orgId: string, id: string, value: Buffer): Promise<PushSubscriptionData> {
    return JSON.parse(await this.keyring.decrypt(keyId, value, aad('push_subscription', orgId, id))) as PushSubscriptionData;
  }

  async endpointIndex(orgId: string, endpoint: string, tx?: Queryable): Promise<Buffer> {
    return blindValue(await this.keyring.blindIndexKey(orgId, tx), 'push_endpoint', endpoint);
  }
}

/** E.164 from what people type: spaces, dots, dashes and parentheses removed; a leading + and 7 to 15 digits. */
export function normalizePhone(input: string): string | null {
  const compact = input.replace(/[\s().-]/g, '');
  return /^\+[1-9][0-9]{6,14}$/.test(compact) ? compact : null;
}
