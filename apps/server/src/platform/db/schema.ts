import type { ColumnType, Generated } from 'kysely';

/** Row types of the database, column names as in SQL (snake_case); stores map them to camelCase. */
import type { WorkflowSettings } from '@haven/api';

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
  /** Automatic replies, crisis resources and composer guidance (see WorkflowSettings in packages/api). */
  workflow?: Partial<WorkflowSettings>;
  /** The practice's phone number ({practice.phone} in templates); unset: none. */
  practicePhone?: string | null;
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
  /** 'system': the organization's automatic sender (off-hours and crisis replies); it cannot sign in. */
  role: 'admin' | 'provider' | 'staff' | 'compliance' | 'patient' | 'system';
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
  accepts_direct_messages: ColumnType<boolean, boolean | undefined, boolean>;
  /** migrations/0010: archived patients (history kept; no new threads or messages while archived). */
  archived_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  archived_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** migrations/0017: the language the person reads Haven in (patients: also their automatic replies). */
  language: ColumnType<string, string | undefined, string>;
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
  state: ColumnType<ThreadStateValue | null, ThreadStateValue | null | undefined, ThreadStateValue | null>;
  priority: ColumnType<'routine' | 'urgent', 'routine' | 'urgent' | undefined, 'routine' | 'urgent'>;
  department_id: ColumnType<string | null, string | null | undefined, string | null>;
  queue_id: ColumnType<string | null, string | null | undefined, string | null>;
  assignee_id: ColumnType<string | null, string | null | undefined, string | null>;
  requested_provider_id: ColumnType<string | null, string | null | undefined, string | null>;
  covering_for_id: ColumnType<string | null, string | null | undefined, string | null>;
  waiting_since: OptTs;
  due_at: OptTs;
  remind_at: OptTs;
  reminded_at: OptTs;
  escalated_at: OptTs;
  first_patient_at: OptTs;
  first_response_at: OptTs;
  first_responder_id: ColumnType<string | null, string | null | undefined, string | null>;
  closed_at: OptTs;
  state_changed_at: OptTs;
  responses: ColumnType<number, number | undefined, number>;
  late_responses: ColumnType<number, number | undefined, number>;
  auto_replied_at: OptTs;
  off_hours_messages: ColumnType<number, number | undefined, number>;
  /** migrations/0012: the newest message a patient may see (notes excluded). */
  patient_last_message_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** migrations/0012: a consult (internal thread) names the patient thread it is about. */
  linked_thread_id: ColumnType<string | null, string | null | undefined, string | null>;
}
export type ThreadStateValue = 'unassigned' | 'assigned' | 'awaiting_staff' | 'awaiting_patient' | 'closed';
type OptTs = ColumnType<Date | null, Date | null | undefined, Date | null>;
export interface QueuesTable {
  id: string;
  org_id: string;
  name: string;
  department_id: string | null;
  assignment: 'off' | 'round_robin' | 'least_loaded';
  escalate_to: string | null;
  last_assignee: string | null;
  archived_at: OptTs;
  created_at: ColumnType<Date, Date | undefined, Date>;
}
export interface QueueMembersTable {
  queue_id: string;
  user_id: string;
  org_id: string;
}
export interface RoutingRulesTable {
  id: string;
  org_id: string;
  position: number;
  topic: string | null;
  department_id: string | null;
  care_team_id: string | null;
  queue_id: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
}
export interface SlaTargetsTable {
  org_id: string;
  topic: string;
  priority: 'routine' | 'urgent';
  response_minutes: number;
  remind_before_minutes: number;
}
export interface SafetyAlertsTable {
  message_id: string;
  org_id: string;
  thread_id: string;
  patient_id: string;
  key_id: string;
  detail_ct: Bytes;
  lexicon_version: string;
  reply_message_id: string | null;
  paged_user_ids: ColumnType<string[], string[] | undefined, string[]>;
  detected_at: Ts;
  handled_at: OptTs;
  /** migrations/0012: the newest message a patient may see (notes excluded). */
  patient_last_message_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** migrations/0012: a consult (internal thread) names the patient thread it is about. */
  linked_thread_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  crisis: ColumnType<boolean, boolean | undefined, boolean>;
  retracted_by: string | null;
  retract_reason_ct: Bytes | null;
  /** migrations/0003: a link shared from the resource library, encrypted. */
  link_ct: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  /** migrations/0012: 'internal' for internal notes and internal-thread messages (never shown to patients). */
  visibility: ColumnType<MessageVisibility, MessageVisibility | undefined, MessageVisibility>;
}
export type MessageVisibility = 'patient' | 'internal';
/** migrations/0012_internal_notes.sql */
export interface MessageMentionsTable {
  id: string;
  message_id: string;
  org_id: string;
  thread_id: string;
  user_id: string;
  mentioned_by: string;
  created_at: Ts;
  done_at: TsNullable;
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
  /** migrations/0012: delivered to providers and staff only (internal notes, mentions). */
  staff_only: ColumnType<boolean, boolean | undefined, boolean>;
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
  urgent: ColumnType<boolean, boolean | undefined, boolean>;
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

// availability (begin)
/** Weekly hours as stored (jsonb): {"mon": [{"start": "08:00", "end": "17:00"}], …}. */
export type WeeklyHoursJson = Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', { start: string; end: string }[]>;
export interface BusinessHoursTable {
  org_id: string;
  department_id: string | null;
  time_zone: string | null;
  weekly_hours: ColumnType<WeeklyHoursJson | null, string | null, string | null>;
  updated_by: string;
  updated_at: Ts;
}
export interface HolidaysTable {
  id: string;
  org_id: string;
  department_id: string | null;
  /** A PostgreSQL date: select it as text (day::text), never as a JS Date (which would shift it by the process zone). */
  day: string;
  name: string;
  hours: ColumnType<{ start: string; end: string }[], string, string>;
  created_by: string;
  created_at: Ts;
}
export interface StaffHoursTable {
  user_id: string;
  org_id: string;
  time_zone: string | null;
  weekly_hours: ColumnType<WeeklyHoursJson | null, string | null, string | null>;
  updated_by: string;
  updated_at: Ts;
}
export interface OutOfOfficeTable {
  id: string;
  org_id: string;
  user_id: string;
  starts_at: Ts;
  ends_at: Ts;
  cover_user_id: string | null;
  created_by: string;
  created_at: Ts;
  updated_by: string;
  updated_at: Ts;
}
export interface OnCallShiftsTable {
  id: string;
  org_id: string;
  department_id: string | null;
  user_id: string;
  starts_at: Ts;
  ends_at: Ts;
  created_by: string;
  created_at: Ts;
}
// availability (end)
// ---- migrations/0011_scheduled.sql (scheduled send, follow-ups, chart notes) ----
export type ScheduledMessageState = 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed';
export type ScheduledFailureReason = 'author_inactive' | 'access_revoked' | 'id_conflict' | 'messaging_closed' | 'send_error';
export interface ScheduledMessagesTable {
  id: string;
  org_id: string;
  thread_id: string;
  author_id: string;
  key_id: string;
  body_ct: Bytes;
  version: Generated<number>;
  request_hash: Bytes;
  send_at: Ts;
  state: ColumnType<ScheduledMessageState, ScheduledMessageState | undefined, ScheduledMessageState>;
  failure_reason: ScheduledFailureReason | null;
  created_at: Ts;
  updated_at: Ts;
  sent_at: TsNullable;
  cancelled_at: TsNullable;
  cancelled_by: string | null;
}
export type FollowUpAction = 'remind_me' | 'nudge_patient';
export type FollowUpState = 'pending' | 'satisfied' | 'fired' | 'cancelled' | 'failed';
export interface FollowUpsTable {
  id: string;
  org_id: string;
  thread_id: string;
  patient_id: string;
  created_by: string;
  action: FollowUpAction;
  after_days: number;
  due_at: Ts;
  state: ColumnType<FollowUpState, FollowUpState | undefined, FollowUpState>;
  reason: string | null;
  created_at: Ts;
  settled_at: TsNullable;
  settled_by: string | null;
}
export interface ChartNotesTable {
  id: string;
  org_id: string;
  patient_id: string;
  thread_id: string;
  message_id: string;
  message_version: number;
  key_id: string;
  excerpt_ct: Bytes;
  whole_message: boolean;
  comment_ct: Bytes | null;
  request_hash: Bytes;
  created_by: string;
  created_at: Ts;
  removed_at: TsNullable;
  removed_by: string | null;
}
// ---- end 0011 ----
/** migrations/0010_cohorts.sql (cohorts, soft launch, broadcasts) */
export interface OrgTagsTable {
  org_id: string;
  bidx: Bytes;
  key_id: string;
  tag_ct: Bytes;
  created_at: ColumnType<Date, Date | undefined, Date>;
}
export interface PatientTagsTable {
  patient_id: string;
  org_id: string;
  tag_bidx: Bytes;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
}
export interface MessagingRolloutsTable {
  org_id: string;
  mode: 'everyone' | 'pilot';
  key_id: string;
  tags_ct: Bytes;
  tag_bidx: Bytes[];
  provider_ids: string[];
  alternative_contact: string;
  updated_by: string;
  updated_at: Ts;
}
export interface BroadcastsTable {
  id: string;
  org_id: string;
  created_by: string;
  key_id: string;
  subject_ct: Bytes;
  body_ct: Bytes;
  selector_ct: Bytes;
  topic: string;
  created_at: Ts;
  started_at: TsNullable;
  completed_at: TsNullable;
  cancelled_at: TsNullable;
  cancelled_by: string | null;
  lease_until: TsNullable;
}
export type BroadcastRecipientState = 'pending' | 'sent' | 'skipped' | 'failed' | 'cancelled';
export interface BroadcastRecipientsTable {
  broadcast_id: string;
  patient_id: string;
  org_id: string;
  position: number;
  state: BroadcastRecipientState;
  reason: string | null;
  thread_id: string;
  message_id: string;
  processed_at: TsNullable;
}

/** migrations/0009_templates.sql */
export interface MessageTemplatesTable {
  id: string;
  org_id: string;
  owner_id: string | null;
  kind: 'template' | 'quick_reply';
  name: string;
  body: string;
  topic: string | null;
  seed_key: string | null;
  created_by: string | null;
  created_at: Ts;
  updated_by: string | null;
  updated_at: Ts;
  archived_by: string | null;
  archived_at: TsNullable;
}
export interface MessageReactionsTable {
  message_id: string;
  user_id: string;
  emoji: string;
  org_id: string;
  thread_id: string;
  created_at: Ts;
}

/** migrations/0016_crisis_lexicon_overrides.sql: every revision of an organization's overrides (append-only). */
export interface CrisisLexiconOverridesTable {
  org_id: string;
  revision: number;
  base_version: string;
  overrides: ColumnType<unknown, string, never>;
  created_by: string;
  created_at: Ts;
}

/** 0021: which version of the messaging policy each patient accepted, and when (docs/decisions/0027). */
export interface MessagingPolicyAcceptancesTable {
  org_id: string;
  user_id: string;
  version: string;
  language: string;
  accepted_at: Ts;
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
  message_mentions: MessageMentionsTable;
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
  queues: QueuesTable;
  queue_members: QueueMembersTable;
  routing_rules: RoutingRulesTable;
  sla_targets: SlaTargetsTable;
  safety_alerts: SafetyAlertsTable;
  // availability (begin)
  business_hours: BusinessHoursTable;
  holidays: HolidaysTable;
  staff_hours: StaffHoursTable;
  out_of_office: OutOfOfficeTable;
  on_call_shifts: OnCallShiftsTable;
  // availability (end)
  // 0011_scheduled.sql
  scheduled_messages: ScheduledMessagesTable;
  follow_ups: FollowUpsTable;
  chart_notes: ChartNotesTable;
  org_tags: OrgTagsTable;
  patient_tags: PatientTagsTable;
  messaging_rollouts: MessagingRolloutsTable;
  broadcasts: BroadcastsTable;
  broadcast_recipients: BroadcastRecipientsTable;
  message_templates: MessageTemplatesTable;
  message_reactions: MessageReactionsTable;
  crisis_lexicon_overrides: CrisisLexiconOverridesTable;
  messaging_policy_acceptances: MessagingPolicyAcceptancesTable; // 0021
}
