import { readFileSync } from 'node:fs';
import type { Transporter } from 'nodemailer';
import { DeliveryError, networkError } from './delivery-error.js';

export interface EmailSettings {
  host: string;
  port: number;
  /** starttls: the server must offer STARTTLS; implicit: TLS from the first byte (465); none: plain text. */
  tls: 'starttls' | 'implicit' | 'none';
  user?: string;
  password?: string;
  from: string;
  /** Extra CA certificates (PEM) to trust, for a relay with a private CA. */
  caFile?: string;
  timeoutMs: number;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<{ responseCode: number | null }>;
  close(): void;
}

/**
 * E-mail over SMTP with nodemailer: one pooled transport, created (and the library loaded) on the first e-mail;
 * certificates are verified whenever TLS is used.
 */
export class SmtpEmailSender implements EmailSender {
  private transport: Promise<Transporter> | undefined;
  private readonly from: string;
  /** Read at startup, so a wrong SMTP_CA_FILE stops the server instead of the first e-mail. */
  private readonly ca: Buffer | undefined;

  constructor(private readonly settings: EmailSettings) {
    this.from = settings.from;
    this.ca = settings.caFile ? readFileSync(settings.caFile) : undefined;
  }

  private async open(): Promise<Transporter> {
    const settings = this.settings;
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.tls === 'implicit',
      requireTLS: settings.tls === 'starttls',
      ignoreTLS: settings.tls === 'none',
      ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
      tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(this.ca ? { ca: this.ca } : {}) },
      pool: true,
      maxConnections: 2,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
      // Nodemailer's own logging would print addresses: off.
      logger: false,
      debug: false,
    });
  }

  async send(message: EmailMessage): Promise<{ responseCode: number | null }> {
    try {
      this.transport ??= this.open().catch((err: unknown) => {
        this.transport = undefined;
        throw err;
      });
      const info = (await (await this.transport).sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, disableFileAccess: true, disableUrlAccess: true })) as { response?: string };
      const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1]);
      return { responseCode: Number.isFinite(code) ? code : null };
    } catch (err) {
      throw smtpError(err);
    }
  }

  close(): void {
    void this.transport?.then((t) => t.close(), () => undefined);
  }
}

function smtpError(err: unknown): DeliveryError {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e.responseCode === 'number') {
    // 5xx: the relay refused for good (unknown recipient, policy); 4xx: try again later.
    return new DeliveryError(`smtp_${e.responseCode}`, e.responseCode >= 500, e.responseCode);
  }
  if (e.code === 'EAUTH') return new DeliveryError('smtp_auth', false);
  if (e.code === 'EENVELOPE') return new DeliveryError('smtp_envelope', true);
  if (e.code === 'ETLS') return new DeliveryError('tls', false);
  return networkError(err);
}
