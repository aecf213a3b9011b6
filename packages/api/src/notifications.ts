import { Type, type Static } from 'typebox';
import { Cursor, Email, Limit, Timestamp, Uuid } from './common.js';

/**
 * Notifications: Haven tells a user that a secure message is waiting (never what it says) by Web Push, e-mail or
 * SMS. Every user manages their own preferences; e-mail and SMS need the user's consent for that channel.
 */
export const NotificationChannel = Type.Union([Type.Literal('push'), Type.Literal('email'), Type.Literal('sms')]);
export type NotificationChannel = Static<typeof NotificationChannel>;
export const ConsentChannel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
export type ConsentChannel = Static<typeof ConsentChannel>;

const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, 24-hour, local to timeZone' });
/** E.164 after removing spaces, dots, dashes and parentheses, e.g. +15550100. */
export const PhoneNumber = Type.String({ minLength: 8, maxLength: 24, pattern: '^\\+?[0-9 ().-]{7,23}$', description: 'International format, e.g. +1 555 0100' });

export const QuietHours = Type.Object(
  {
    start: LocalTime,
    end: LocalTime,
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. America/Chicago' }),
  },
  { additionalProperties: false, description: 'No notification goes out between start and end (may span midnight); it waits for the end' },
);

export const ConsentState = Type.Object({
  given: Type.Boolean(),
  /** When it was last given or withdrawn; null if never recorded. */
  at: Type.Union([Timestamp, Type.Null()]),
  source: Type.Union([Type.Literal('user'), Type.Literal('sms_reply'), Type.Null()], { description: 'user: through the app or API; sms_reply: a STOP/START reply to an SMS' }),
});

export const StaffNotificationSettings = Type.Object(
  {
    assignedThreads: Type.Boolean({ description: 'Patient threads assigned to me (assignment arrives with the workflow features)' }),
    urgentThreads: Type.Boolean({ description: 'Urgent patient threads of my care teams (urgency arrives with the workflow features)' }),
    careTeamThreads: Type.Boolean({ description: 'Every patient thread of my care teams' }),
  },
  { additionalProperties: false },
);

export const NotificationPreferences = Type.Object({
  channels: Type.Object({ push: Type.Boolean(), email: Type.Boolean(), sms: Type.Boolean() }),
  consent: Type.Object({ email: ConsentState, sms: ConsentState }),
  email: Type.Union([Email, Type.Null()], { description: 'Address for notification e-mails; null: the account e-mail' }),
  smsPhone: Type.Union([Type.String(), Type.Null()], { description: 'Number for SMS notifications (E.164); SMS needs one' }),
  quietHours: Type.Union([QuietHours, Type.Null()]),
  batchWindowMinutes: Type.Number({ description: 'At most one notification per this many minutes; later messages wait and go together' }),
  staff: Type.Union([StaffNotificationSettings, Type.Null()], { description: 'Staff only: which patient threads notify me' }),
  pushSubscriptions: Type.Integer({ description: 'Devices subscribed to Web Push' }),
});
export type NotificationPreferences = Static<typeof NotificationPreferences>;

export const NotificationPreferencesUpdate = Type.Object(
  {
    channels: Type.Optional(Type.Object({ push: Type.Optional(Type.Boolean()), email: Type.Optional(Type.Boolean()), sms: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    smsPhone: Type.Optional(Type.Union([PhoneNumber, Type.Null()])),
    quietHours: Type.Optional(Type.Union([QuietHours, Type.Null()])),
    batchWindowMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 1440 })),
    staff: Type.Optional(Type.Object({ assignedThreads: Type.Optional(Type.Boolean()), urgentThreads: Type.Optional(Type.Boolean()), careTeamThreads: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const ConsentParams = Type.Object({ channel: ConsentChannel });
export const ConsentUpdate = Type.Object({ given: Type.Boolean() }, { additionalProperties: false });

export const PushPublicKey = Type.Object({ publicKey: Type.String({ description: 'VAPID public key (base64url), the applicationServerKey for PushManager.subscribe' }) });

export const PushSubscriptionCreate = Type.Object(
  {
    endpoint: Type.String({ maxLength: 2048, pattern: '^https://', description: 'PushSubscription.endpoint (must be https)' }),
    keys: Type.Object(
      {
        p256dh: Type.String({ minLength: 80, maxLength: 100, pattern: '^[A-Za-z0-9_=-]+$', description: 'base64url P-256 public key' }),
        auth: Type.String({ minLength: 16, maxLength: 32, pattern: '^[A-Za-z0-9_=-]+$', description: 'base64url 16-byte auth secret' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const PushSubscription = Type.Object({
  id: Uuid,
  endpointOrigin: Type.String({ description: 'The push service, e.g. https://fcm.googleapis.com' }),
  createdAt: Timestamp,
  lastSuccessAt: Type.Union([Timestamp, Type.Null()]),
});
export type PushSubscription = Static<typeof PushSubscription>;

/** The SMS provider's inbound message webhook (form-encoded, like Twilio). Extra provider fields are accepted. */
export const SmsInbound = Type.Object(
  {
    From: Type.String({ maxLength: 32 }),
    Body: Type.String({ maxLength: 1600 }),
  },
  { additionalProperties: Type.String({ maxLength: 2048 }) },
);

export const AttemptStatus = Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('retrying')]);

export const NotificationAttempt = Type.Object({
  id: Uuid,
  notificationId: Uuid,
  userId: Uuid,
  channel: NotificationChannel,
  attempt: Type.Integer(),
  status: AttemptStatus,
  nextRetryAt: Type.Union([Timestamp, Type.Null()]),
  responseCode: Type.Union([Type.Integer(), Type.Null()]),
  errorClass: Type.Union([Type.String(), Type.Null()], { description: 'e.g. http_503, timeout, smtp_550, subscription_gone, consent_withdrawn' }),
  createdAt: Timestamp,
});
export type NotificationAttempt = Static<typeof NotificationAttempt>;

export const NotificationAttemptQuery = Type.Object(
  {
    userId: Type.Optional(Uuid),
    channel: Type.Optional(NotificationChannel),
    status: Type.Optional(AttemptStatus),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false },
);
