import type { ColumnType, Generated } from 'kysely';

/** Row types of the database, column names as in SQL (snake_case); stores map them to camelCase. */
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type TsNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Bytes = Buffer;

export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  settings: ColumnType<OrgSettings, string, string>;
  created_at: Ts;
}
export interface OrgSettings {
  staffSeeAllPatients?: boolean;
  topics?: string[];
  /** Name used in notifications ("a new secure message from …"); unset: the organization's name. */
  notificationSenderName?: string | null;
}
export interface OrgKeysTable {
  org_id: string;
  version: number;
  wrapped: Bytes;
  master_key_id: string;
  created_at: Ts;
}
export interface DataKeysTable {
  id: string;
  org_id: string;
  purpose: 'patient' | 'organization' | 'blind_index';
  patient_id: string | null;
  org_key_version: number;
  wrapped: Bytes | null;
  created_at: Ts;
  shredded_at: TsNullable;
}
export interface DepartmentsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: Ts;
}
export interface UsersTable {
  id: string;
  org_id: string;
  role: 'admin' | 'provider' | 'staff' | 'compliance' | 'patient';
  status: ColumnType<'active' | 'deactivated', 'active' | 'deactivated' | undefined, 'active' | 'deactivated'>;
  key_id: string;
  email_bidx: Bytes;
  email_ct: Bytes;
  name_ct: Bytes;
  phone_ct: Bytes | null;
  dob_ct: Bytes | null;
  mrn_ct: Bytes | null;
  mrn_bidx: Bytes | null;
  department_id: string | null;
  password_hash: string | null;
  password_changed_at: TsNullable;
  totp_secret_ct: Bytes | null;
  totp_pending_ct: Bytes | null;
  totp_enabled: Generated<boolean>;
  totp_last_step: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  created_at: Ts;
  deactivated_at: TsNullable;
}
export interface CareTeamsTable {
  id: string;
  org_id: string;
  department_id: string | null;
  name: string;
  created_at: Ts;
}
export interface CareTeamMembersTable {
  care_team_id: string;
  user_id: string;
  org_id: string;
}
export interface PatientCareTeamsTable {
  patient_id: string;
  care_team_id: string;
  org_id: string;
}
export interface SessionsTable {
  id: string;
  org_id: string;
  user_id: string;
  token_hash: Bytes;
  transport: 'cookie' | 'bearer';
  stage: 'active' | 'mfa_required' | 'mfa_enrollment_required';
  idle_timeout_s: number;
  created_at: Ts;
  last_seen_at: Ts;
  expires_at: Ts;
  revoked_at: TsNullable;
  revoked_reason: string | null;
}
export interface AuthThrottleTable {
  key: string;
  failures: number;
  window_started_at: Ts;
  updated_at: Ts;
}
export interface ThreadsTable {
  id: string;
  org_id: string;
  kind: 'patient' | 'internal';
  patient_id: string | null;
  key_id: string;
  subject_ct: Bytes;
  topic: string | null;
  created_by: string;
  created_at: Ts;
  last_message_at: TsNullable;
}
export interface ThreadParticipantsTable {
  thread_id: string;
  user_id: string;
  org_id: string;
}
export interface MessagesTable {
  id: string;
  seq: ColumnType<string, never, never>;
  org_id: string;
  thread_id: string;
  sender_id: string;
  sender_role: string;
  created_at: Ts;
  current_version: Generated<number>;
  edited_at: TsNullable;
  retracted_at: TsNullable;
  retracted_by: string | null;
  retract_reason_ct: Bytes | null;
  /** migrations/0003: a link shared from the resource library, encrypted. */
  link_ct: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
}
export interface MessageVersionsTable {
  message_id: string;
  version: number;
  org_id: string;
  body_ct: Bytes;
  content_hash: Bytes;
  created_by: string;
  created_at: Ts;
}
export interface MessageReceiptsTable {
  message_id: string;
  user_id: string;
  org_id: string;
  delivered_at: Ts;
  read_at: TsNullable;
}
export interface MessageSearchTable {
  message_id: string;
  org_id: string;
  thread_id: string;
  tokens: Bytes[];
}
export interface AuditHeadsTable {
  org_id: string;
  seq: ColumnType<string, string | number, string | number>;
  hash: Bytes;
}
export interface AuditEventsTable {
  pos: ColumnType<string, never, never>;
  org_id: string;
  seq: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  id: string;
  at: Ts;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  patient_id: string | null;
  address: string | null;
  outcome: 'success' | 'denied' | 'failure';
  details: ColumnType<Record<string, unknown>, string, string>;
  digest: Bytes;
  hash: Bytes | null;
}
export interface SigningKeysTable {
  id: string;
  public_key_pem: string;
  private_key_ct: Bytes;
  master_key_id: string;
  created_at: Ts;
}
export interface AuditCheckpointsTable {
  org_id: string;
  seq: ColumnType<string, string | number, string | number>;
  hash: Bytes;
  signed_at: Ts;
  key_id: string;
  signature: Bytes;
}

export type AttachmentStatus = 'pending_scan' | 'ready' | 'rejected';

/** migrations/0002_attachments.sql */
export interface AttachmentsTable {
  id: string;
  org_id: string;
  thread_id: string;
  message_id: string;
  patient_id: string | null;
  uploader_id: string;
  key_id: string;
  file_name_ct: Buffer;
  content_type: string;
  size: ColumnType<string, number, number>;
  content_hash: Buffer;
  storage_key: string | null;
  preview_storage_key: string | null;
  status: AttachmentStatus;
  scan_attempts: ColumnType<number, number | undefined, number>;
  scan_claimed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  scanned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, Date | undefined, Date>;
  /** migrations/0003: when the orphan sweep (or the upload) saw the message this attachment belongs to. */
  link_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** migrations/0003_resources.sql */
export interface ResourcesTable {
  id: string;
  org_id: string;
  kind: 'file' | 'link';
  title: string;
  description: string;
  tags: string[];
  search_text: string;
  url: string | null;
  key_id: string | null;
  file_id: string | null;
  file_name: string | null;
  content_type: string | null;
  size: ColumnType<string | null, number | null | undefined, number | null>;
  content_hash: Buffer | null;
  storage_key: string | null;
  preview_storage_key: string | null;
  created_by: string;
  created_at: Ts;
  updated_by: string;
  updated_at: Ts;
  archived_by: string | null;
  archived_at: TsNullable;
}

export interface ResourceSharesTable {
  message_id: string;
  org_id: string;
  thread_id: string;
  shared_by: string;
  request_hash: Buffer;
  created_at: Ts;
}

/** migrations/0006_events.sql */
export interface EventsTable {
  id: Generated<string>;
  position: ColumnType<string | null, never, string | null>;
  org_id: string;
  kind: string;
  thread_id: string | null;
  user_id: string | null;
  message_id: string | null;
  actor_id: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
}
export interface EventRelayStateTable {
  id: boolean;
  published_to: string;
  pruned_to: string;
}
export interface EventTicketsTable {
  token_hash: Bytes;
  session_id: string;
  expires_at: Ts;
}
export interface EventNodesTable {
  node_id: string;
  heartbeat_at: Ts;
}
export interface EventPresenceTable {
  node_id: string;
  user_id: string;
  org_id: string;
  role: string;
  since: ColumnType<Date, Date | undefined, never>;
}

export type ObservationStatusColumn = 'final' | 'amended' | 'corrected' | 'preliminary' | 'entered-in-error';
export type ObservationSourceColumn = 'fhir_import' | 'staff_entry' | 'patient_device';

/** migrations/0004_observations.sql */
export interface ObservationsTable {
  id: string;
  org_id: string;
  patient_id: string;
  key_id: string;
  metric_tag: Buffer;
  effective_at: Ts;
  status: ObservationStatusColumn;
  source: ObservationSourceColumn;
  entered_by: string;
  values_ct: Buffer;
  resource_ct: Buffer | null;
  content_hash: Buffer;
  created_at: Ts;
  updated_at: Ts;
}
export interface ObservationChartSharesTable {
  message_id: string;
  org_id: string;
  patient_id: string;
  thread_id: string;
  created_by: string;
  request_hash: Buffer;
  attachment_id: string | null;
  claimed_at: Ts;
  created_at: Ts;
}

/** migrations/0005_notifications.sql */
export interface NotificationPreferencesTable {
  user_id: string;
  org_id: string;
  push_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  email_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  sms_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  email_consent: ColumnType<boolean, boolean | undefined, boolean>;
  sms_consent: ColumnType<boolean, boolean | undefined, boolean>;
  email_ct: Bytes | null;
  sms_phone_ct: Bytes | null;
  sms_phone_bidx: Bytes | null;
  quiet_start: number | null;
  quiet_end: number | null;
  time_zone: ColumnType<string, string | undefined, string>;
  batch_window_s: number;
  notify_assigned: ColumnType<boolean, boolean | undefined, boolean>;
  notify_urgent: ColumnType<boolean, boolean | undefined, boolean>;
  notify_care_team: ColumnType<boolean, boolean | undefined, boolean>;
  last_notified_at: TsNullable;
  updated_at: Ts;
}
export type NotificationChannel = 'push' | 'email' | 'sms';
export interface NotificationConsentsTable {
  id: string;
  org_id: string;
  user_id: string;
  channel: 'email' | 'sms';
  given: boolean;
  source: 'user' | 'sms_reply';
  actor_id: string | null;
  at: Ts;
}
export interface PushSubscriptionsTable {
  id: string;
  org_id: string;
  user_id: string;
  key_id: string;
  subscription_ct: Bytes;
  endpoint_bidx: Bytes;
  endpoint_origin: string;
  created_at: Ts;
  last_success_at: TsNullable;
}
export interface VapidKeysTable {
  id: string;
  public_key: string;
  private_key_ct: Bytes;
  master_key_id: string;
  created_at: Ts;
}
export interface NotificationItemsTable {
  message_id: string;
  user_id: string;
  org_id: string;
  thread_id: string;
  message_at: Ts;
  due_at: Ts;
  state: ColumnType<'pending' | 'notified' | 'skipped', 'pending' | 'notified' | 'skipped' | undefined, 'pending' | 'notified' | 'skipped'>;
  reason: string | null;
  notification_id: string | null;
}
export interface NotificationsTable {
  id: string;
  org_id: string;
  user_id: string;
  messages: number;
  channels: NotificationChannel[];
  created_at: Ts;
}
export type AttemptStatus = 'sent' | 'failed' | 'retrying';
export interface NotificationAttemptsTable {
  id: string;
  org_id: string;
  notification_id: string;
  user_id: string;
  channel: NotificationChannel;
  target_id: string | null;
  attempt: number;
  status: AttemptStatus;
  next_retry_at: TsNullable;
  response_code: number | null;
  error_class: string | null;
  created_at: Ts;
}

export interface Database {
  organizations: OrganizationsTable;
  org_keys: OrgKeysTable;
  data_keys: DataKeysTable;
  departments: DepartmentsTable;
  users: UsersTable;
  care_teams: CareTeamsTable;
  care_team_members: CareTeamMembersTable;
  patient_care_teams: PatientCareTeamsTable;
  sessions: SessionsTable;
  auth_throttle: AuthThrottleTable;
  threads: ThreadsTable;
  thread_participants: ThreadParticipantsTable;
  messages: MessagesTable;
  message_versions: MessageVersionsTable;
  message_receipts: MessageReceiptsTable;
  message_search: MessageSearchTable;
  audit_heads: AuditHeadsTable;
  audit_events: AuditEventsTable;
  signing_keys: SigningKeysTable;
  audit_checkpoints: AuditCheckpointsTable;
  attachments: AttachmentsTable;
  events: EventsTable;
  event_relay_state: EventRelayStateTable;
  event_tickets: EventTicketsTable;
  event_nodes: EventNodesTable;
  event_presence: EventPresenceTable;
  observations: ObservationsTable;
  observation_chart_shares: ObservationChartSharesTable;
  resources: ResourcesTable;
  resource_shares: ResourceSharesTable;
  notification_preferences: NotificationPreferencesTable;
  notification_consents: NotificationConsentsTable;
  push_subscriptions: PushSubscriptionsTable;
  vapid_keys: VapidKeysTable;
  notification_items: NotificationItemsTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
}
