import pino, { type Logger, type DestinationStream } from 'pino';

/**
 * Paths that can carry health information, contact data or secrets. The logger never serializes request or
 * response bodies at all; these paths are a second line of defence for objects passed to log calls.
 */
export const REDACT_PATHS = [
  'body', '*.body', 'subject', '*.subject', 'name', '*.name', 'email', '*.email', 'phone', '*.phone',
  'password', '*.password', 'newPassword', 'currentPassword', 'token', '*.token', 'code', '*.code',
  'dateOfBirth', '*.dateOfBirth', 'mrn', '*.mrn', 'query', '*.query',
  'value', '*.value', 'values', '*.values', 'components', '*.components', 'resource', '*.resource', 'entry', '*.entry',
  'text', '*.text',
  'smsPhone', '*.smsPhone', 'endpoint', '*.endpoint', 'keys', '*.keys', 'From', '*.From', 'Body', '*.Body',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'haven' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Only the path of a URL: query strings may carry identifiers or search words. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
