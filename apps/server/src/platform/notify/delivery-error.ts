/**
 * Why a delivery failed, in terms that are safe to store and show to admins: a short class (`http_503`, `timeout`,
 * `smtp_550`, `subscription_gone`) and the provider's numeric code. Never the provider's message, which can quote
 * the address or the content.
 */
export class DeliveryError extends Error {
  constructor(
    readonly errorClass: string,
    /** A retry cannot help (the address or subscription is gone, the provider refused the request). */
    readonly permanent: boolean,
    readonly responseCode: number | null = null,
  ) {
    super(`delivery failed: ${errorClass}`);
    this.name = 'DeliveryError';
  }
}

/** Network-level failures (no answer from the provider): always worth a retry. */
export function networkError(err: unknown): DeliveryError {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return new DeliveryError('timeout', false);
  if (code === 'ECONNREFUSED') return new DeliveryError('connection_refused', false);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return new DeliveryError('connection_reset', false);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new DeliveryError('dns', false);
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return new DeliveryError('tls', false);
  return new DeliveryError('network', false);
}

/** An HTTP answer that is not a success: 404/410 and other 4xx are permanent, 408/429 and 5xx are worth a retry. */
export function httpError(status: number, goneClass = 'rejected'): DeliveryError {
  if (status === 404 || status === 410) return new DeliveryError(goneClass, true, status);
  if (status === 408 || status === 425 || status === 429 || status >= 500) return new DeliveryError(`http_${status}`, false, status);
  return new DeliveryError(`http_${status}`, true, status);
}
