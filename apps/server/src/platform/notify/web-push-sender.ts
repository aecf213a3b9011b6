import { readFileSync } from 'node:fs';
import https from 'node:https';
import { DeliveryError, httpError, networkError } from './delivery-error.js';

export interface PushSubscriptionData {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface PushSender {
  send(subscription: PushSubscriptionData, payload: string, vapid: VapidKeys): Promise<{ responseCode: number }>;
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292), payload encrypted per RFC 8291 (aes128gcm) by the `web-push` library.
 * A 404 or 410 from the push service means the subscription is gone (`subscription_gone`, permanent).
 */
export class WebPushSender implements PushSender {
  private readonly agent: https.Agent | undefined;

  constructor(private readonly settings: { subject: string; timeoutMs: number; caFile?: string }) {
    this.agent = settings.caFile ? new https.Agent({ ca: readFileSync(settings.caFile), keepAlive: true, minVersion: 'TLSv1.2' }) : undefined;
  }

  async send(subscription: PushSubscriptionData, payload: string, vapid: VapidKeys): Promise<{ responseCode: number }> {
    const { default: webpush } = await import('web-push');
    try {
      const res = await webpush.sendNotification(subscription, payload, {
        vapidDetails: { subject: this.settings.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: 24 * 3600,
        urgency: 'normal',
        timeout: this.settings.timeoutMs,
        ...(this.agent ? { agent: this.agent } : {}),
      });
      return { responseCode: res.statusCode };
    } catch (err) {
      if (err instanceof webpush.WebPushError) throw httpError(err.statusCode, 'subscription_gone');
      if (err instanceof DeliveryError) throw err;
      throw networkError(err);
    }
  }
}

/** A new VAPID key pair (P-256), base64url. The library is loaded on first use. */
export async function generateVapidKeys(): Promise<VapidKeys> {
  const { default: webpush } = await import('web-push');
  return webpush.generateVAPIDKeys();
}
