import { createHmac, timingSafeEqual } from 'node:crypto';
import { DeliveryError, httpError, networkError } from './delivery-error.js';

export interface SmsSender {
  send(to: string, body: string): Promise<{ responseCode: number }>;
}

export interface TwilioStyleSettings {
  /** e.g. https://api.twilio.com; a stand-in provider in tests. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  timeoutMs: number;
}

/**
 * SMS through a Twilio-style REST API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded
 * `To`, `From`, `Body`, HTTP basic auth with the account id and token. Any provider with that shape works.
 */
export class TwilioStyleSmsSender implements SmsSender {
  private readonly url: string;
  private readonly authorization: string;

  constructor(private readonly settings: TwilioStyleSettings) {
    this.url = `${settings.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`;
  }

  async send(to: string, body: string): Promise<{ responseCode: number }> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ To: to, From: this.settings.from, Body: body }).toString(),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw networkError(err);
    }
    // The answer may echo the number and the text: read and drop it.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw httpError(res.status);
    return { responseCode: res.status };
  }
}

const safeEqualText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** `X-Haven-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, compared in constant time. */
export function verifyHmacSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return safeEqualText(expected, header.trim().toLowerCase());
}

/**
 * Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 with the auth token over the full webhook URL followed by every
 * POST parameter, sorted by name, as name+value.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(authToken: string, url: string, params: Record<string, string>, header: string | undefined): boolean {
  if (!header) return false;
  return safeEqualText(twilioSignature(authToken, url, params), header.trim());
}

export { DeliveryError };
