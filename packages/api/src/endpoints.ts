import { Type, type TSchema } from 'typebox';
import { Ok, Page, Uuid } from './common.js';
import { LanguageChoice, LoginRequest, PasswordChange, SessionInfo, TotpCode, TotpSetup } from './auth.js';
import {
  CareTeam,
  CareTeamCreate,
  CareTeamMemberAdd,
  Department,
  DepartmentCreate,
  Organization,
  OrganizationUpdate,
} from './organization.js';
import { Patient, PatientCreate, PatientQuery, PatientUpdate, StaffCreate, User, UserUpdate } from './users.js';
import {
  Mention,
  MentionListQuery,
  Message,
  MessageCreate,
  MessageEdit,
  MessageListQuery,
  MessagePage,
  MessageRetract,
  MessageVersion,
  ReactionParams,
  ReactionResult,
  ReceiptResult,
  ReceiptUpdate,
  SearchRequest,
  SearchResult,
  Thread,
  ThreadCreate,
  ThreadListQuery,
} from './messaging.js';
import { AuditCheckpoint, AuditEvent, AuditPublicKey, AuditQuery, AuditVerifyResult } from './audit.js';
import { EventTicket } from './events.js';
import { Attachment, AttachmentList, AttachmentParams, AttachmentUploadHeaders, BinaryContent } from './attachments.js';
import {
  FHIR_IMPORT_MAX_BYTES,
  FhirBundle,
  Observation,
  ObservationChartShare,
  ObservationChartShareResult,
  ObservationContext,
  ObservationCreate,
  ObservationImportResult,
  ObservationListQuery,
} from './observations.js';
import { Resource, ResourceCreate, ResourceListQuery, ResourceParams, ResourceShare, ResourceShareParams, ResourceUpdate } from './resources.js';
import { Template, TemplateCreate, TemplateList, TemplateListQuery, TemplateParams, TemplateRender, TemplateRenderRequest, TemplateUpdate, TemplateVariableList } from './templates.js';
import {
  ConsentParams,
  ConsentUpdate,
  NotificationAttempt,
  NotificationAttemptQuery,
  NotificationPreferences,
  NotificationPreferencesUpdate,
  PushPublicKey,
  PushSubscription,
  PushSubscriptionCreate,
  SmsInbound,
} from './notifications.js';
// availability (begin)
import {
  AvailabilityStatus,
  AvailabilityStatusQuery,
  BusinessHours,
  DepartmentHoursParams,
  DepartmentHoursUpdate,
  Holiday,
  HolidayCreate,
  HolidayListQuery,
  HolidayParams,
  OnCallCurrent,
  OnCallCurrentQuery,
  OnCallShift,
  OnCallShiftCreate,
  OnCallShiftListQuery,
  OnCallShiftParams,
  OrganizationHoursUpdate,
  OutOfOffice,
  OutOfOfficeCreate,
  OutOfOfficeParams,
  OutOfOfficeUpdate,
  StaffAvailability,
  StaffAvailabilityUpdate,
  StaffParams,
  StaffStatusList,
  StaffStatusQuery,
} from './availability.js';
// availability (end)

import { AnalyticsQuery, AnalyticsReport } from './analytics.js';
import {
  DirectMessagePreference,
  Expectations,
  ExpectationsQuery,
  InboxCounts,
  InboxQuery,
  Queue,
  QueueCreate,
  QueueUpdate,
  RoutingRules,
  SlaTargets,
  ThreadAssign,
  ThreadClaim,
  ThreadClose,
  ThreadEscalate,
  ThreadPriorityChange,
  WorkflowSettings,
  WorkflowSettingsUpdate,
} from './workflow.js';
// scheduled send, follow-ups, chart notes (0011)
import {
  FollowUp,
  FollowUpCreate,
  FollowUpListQuery,
  FollowUpParams,
  ScheduledMessage,
  ScheduledMessageCreate,
  ScheduledMessageListQuery,
  ScheduledMessageOverviewQuery,
  ScheduledMessageParams,
  ScheduledMessageUpdate,
} from './scheduling.js';
import { ChartNote, ChartNoteCreate, ChartNoteListQuery, ChartNoteParams } from './chartNotes.js';
import {
  Broadcast,
  BroadcastDraft,
  BroadcastListQuery,
  BroadcastPreview,
  MessagingRollout,
  MessagingRolloutUpdate,
  MessagingStatus,
  PatientTags,
  PatientTagsUpdate,
  TagList,
} from './cohorts.js';
import { MessagingPolicy, MessagingPolicyAccept } from './messagingPolicy.js';
import { CrisisLexiconCheck, CrisisLexiconCheckResult, CrisisLexiconHistoryQuery, CrisisLexiconRevision, CrisisLexiconSettings, CrisisLexiconUpdate } from './safety.js';

/**
 * Who may call an endpoint before the policy module decides on the resource:
 * - public: no session
 * - pending: any session, including one still waiting for its second factor
 * - session: a fully signed-in session
 */
export type EndpointAuth = 'public' | 'pending' | 'session';
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface EndpointDef {
  method: HttpMethod;
  /** Path under /api/v1, with `:name` parameters. */
  path: string;
  summary: string;
  tag: string;
  auth: EndpointAuth;
  params?: TSchema;
  query?: TSchema;
  /** Request headers the operation reads, validated like params (other headers are allowed). */
  headers?: TSchema;
  body?: TSchema;
  status: number;
  response: TSchema;
  /**
   * Raw bytes instead of JSON. `request`: the request body is the file itself, streamed to the handler unparsed
   * (its Content-Type is the file's declared type; documented as application/octet-stream, binary). `response`: the
   * answer is a file; `response` only documents it.
   */
  binary?: 'request' | 'response';
  /**
   * The request body is `application/x-www-form-urlencoded` (webhooks of outside providers), parsed into `body`;
   * the raw bytes reach the handler too, for signature checks.
   */
  form?: true;
  /** Media type of a binary response, for the OpenAPI document. */
  produces?: string;
  /** JSON request bodies: the media types accepted (default application/json only), e.g. application/fhir+json. */
  consumes?: readonly string[];
  /** Largest request body in bytes, when it differs from the server's default (1 MiB). */
  bodyLimit?: number;
  /** Responses carrying health information get Cache-Control: no-store (all API responses do). */
}

const def = <const E extends EndpointDef>(e: E): E => e;

const IdParams = Type.Object({ id: Uuid });
const ThreadParams = Type.Object({ threadId: Uuid });
const MessageParams = Type.Object({ threadId: Uuid, messageId: Uuid });
const MemberParams = Type.Object({ id: Uuid, userId: Uuid });
const PatientParams = Type.Object({ patientId: Uuid });

/** The whole REST surface. Operation ids are reused in logs, audit actions and rate limits. */
export const endpoints = {
  // auth
  'auth.login': def({ method: 'POST', path: '/auth/login', summary: 'Sign in with organization, e-mail and password', tag: 'auth', auth: 'public', body: LoginRequest, status: 200, response: SessionInfo }),
  'auth.session': def({ method: 'GET', path: '/auth/session', summary: 'The current session', tag: 'auth', auth: 'pending', status: 200, response: SessionInfo }),
  'auth.logout': def({ method: 'POST', path: '/auth/logout', summary: 'End the current session', tag: 'auth', auth: 'pending', status: 200, response: Ok }),
  'auth.mfa.verify': def({ method: 'POST', path: '/auth/mfa/verify', summary: 'Complete sign-in with a TOTP code', tag: 'auth', auth: 'pending', body: TotpCode, status: 200, response: SessionInfo }),
  'auth.totp.setup': def({ method: 'POST', path: '/auth/mfa/totp/setup', summary: 'Start TOTP enrollment (returns the secret once)', tag: 'auth', auth: 'pending', status: 200, response: TotpSetup }),
  'auth.totp.enable': def({ method: 'POST', path: '/auth/mfa/totp/enable', summary: 'Confirm TOTP enrollment with a first code', tag: 'auth', auth: 'pending', body: TotpCode, status: 200, response: SessionInfo }),
  'auth.password.change': def({ method: 'POST', path: '/auth/password', summary: 'Change password; ends every other session', tag: 'auth', auth: 'session', body: PasswordChange, status: 200, response: Ok }),

  // organization, departments, care teams
  'organization.get': def({ method: 'GET', path: '/organization', summary: 'The organization of the signed-in user', tag: 'organization', auth: 'session', status: 200, response: Organization }),
  'organization.update': def({ method: 'PATCH', path: '/organization', summary: 'Update organization settings', tag: 'organization', auth: 'session', body: OrganizationUpdate, status: 200, response: Organization }),
  'departments.create': def({ method: 'POST', path: '/departments', summary: 'Create a department', tag: 'organization', auth: 'session', body: DepartmentCreate, status: 201, response: Department }),
  'departments.list': def({ method: 'GET', path: '/departments', summary: 'List departments', tag: 'organization', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(Department) }) }),
  'careTeams.create': def({ method: 'POST', path: '/care-teams', summary: 'Create a care team', tag: 'organization', auth: 'session', body: CareTeamCreate, status: 201, response: CareTeam }),
  'careTeams.list': def({ method: 'GET', path: '/care-teams', summary: 'List care teams', tag: 'organization', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(CareTeam) }) }),
  'careTeams.members.add': def({ method: 'POST', path: '/care-teams/:id/members', summary: 'Add a staff member to a care team', tag: 'organization', auth: 'session', params: IdParams, body: CareTeamMemberAdd, status: 200, response: CareTeam }),
  'careTeams.members.remove': def({ method: 'DELETE', path: '/care-teams/:id/members/:userId', summary: 'Remove a staff member from a care team', tag: 'organization', auth: 'session', params: MemberParams, status: 200, response: CareTeam }),

  // users (staff)
  'users.create': def({ method: 'POST', path: '/users', summary: 'Create a staff user', tag: 'users', auth: 'session', body: StaffCreate, status: 201, response: User }),
  'users.list': def({ method: 'GET', path: '/users', summary: 'List staff users', tag: 'users', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(User) }) }),
  'users.get': def({ method: 'GET', path: '/users/:id', summary: 'Get a staff user', tag: 'users', auth: 'session', params: IdParams, status: 200, response: User }),
  'users.update': def({ method: 'PATCH', path: '/users/:id', summary: 'Update a staff user', tag: 'users', auth: 'session', params: IdParams, body: UserUpdate, status: 200, response: User }),
  'users.deactivate': def({ method: 'POST', path: '/users/:id/deactivate', summary: 'Deactivate a user (staff or patient); ends all their sessions', tag: 'users', auth: 'session', params: IdParams, status: 200, response: Ok }),
  'users.reactivate': def({ method: 'POST', path: '/users/:id/reactivate', summary: 'Reactivate a deactivated user (staff or patient): they may sign in again with their password (admin)', tag: 'users', auth: 'session', params: IdParams, status: 200, response: Ok }),

  // patients
  'patients.create': def({ method: 'POST', path: '/patients', summary: 'Register a patient', tag: 'patients', auth: 'session', body: PatientCreate, status: 201, response: Patient }),
  'patients.list': def({ method: 'GET', path: '/patients', summary: 'Patients the caller may see (exact MRN or e-mail lookup)', tag: 'patients', auth: 'session', query: PatientQuery, status: 200, response: Type.Object({ items: Type.Array(Patient) }) }),
  'patients.get': def({ method: 'GET', path: '/patients/:id', summary: 'A patient profile', tag: 'patients', auth: 'session', params: IdParams, status: 200, response: Patient }),
  'patients.update': def({ method: 'PATCH', path: '/patients/:id', summary: 'Update a patient profile or care teams', tag: 'patients', auth: 'session', params: IdParams, body: PatientUpdate, status: 200, response: Patient }),

  // threads and messages
  'threads.create': def({ method: 'POST', path: '/threads', summary: 'Start a thread (patient thread or internal staff thread)', tag: 'messages', auth: 'session', body: ThreadCreate, status: 201, response: Thread }),
  'threads.list': def({ method: 'GET', path: '/threads', summary: 'Threads the caller may see, most recent first', tag: 'messages', auth: 'session', query: ThreadListQuery, status: 200, response: Page(Thread) }),
  'threads.get': def({ method: 'GET', path: '/threads/:threadId', summary: 'A thread', tag: 'messages', auth: 'session', params: ThreadParams, status: 200, response: Thread }),
  'messages.create': def({ method: 'POST', path: '/threads/:threadId/messages', summary: 'Send a message (idempotent by client-supplied id)', tag: 'messages', auth: 'session', params: ThreadParams, body: MessageCreate, status: 201, response: Message }),
  'messages.get': def({ method: 'GET', path: '/threads/:threadId/messages/:messageId', summary: 'One message of a thread', tag: 'messages', auth: 'session', params: MessageParams, status: 200, response: Message }),
  'messages.list': def({ method: 'GET', path: '/threads/:threadId/messages', summary: 'Thread history: newest first, `before` for older pages, `after` for newer ones', tag: 'messages', auth: 'session', params: ThreadParams, query: MessageListQuery, status: 200, response: MessagePage }),
  'messages.edit': def({ method: 'PATCH', path: '/threads/:threadId/messages/:messageId', summary: 'Edit your message (earlier versions are kept)', tag: 'messages', auth: 'session', params: MessageParams, body: MessageEdit, status: 200, response: Message }),
  'messages.retract': def({ method: 'POST', path: '/threads/:threadId/messages/:messageId/retract', summary: 'Retract a staff message: hidden from the patient, kept for the record', tag: 'messages', auth: 'session', params: MessageParams, body: MessageRetract, status: 200, response: Message }),
  'messages.versions': def({ method: 'GET', path: '/threads/:threadId/messages/:messageId/versions', summary: 'Every version of a message (staff)', tag: 'messages', auth: 'session', params: MessageParams, status: 200, response: Type.Object({ items: Type.Array(MessageVersion) }) }),
  'messages.receipts': def({ method: 'POST', path: '/threads/:threadId/receipts', summary: 'Mark messages delivered or read up to and including a message', tag: 'messages', auth: 'session', params: ThreadParams, body: ReceiptUpdate, status: 200, response: ReceiptResult }),
  'attachments.upload': def({ method: 'POST', path: '/threads/:threadId/messages/:messageId/attachments', summary: 'Upload a file (raw bytes as the body) for a message you send or have sent; at most 10 per message', tag: 'attachments', auth: 'session', params: MessageParams, headers: AttachmentUploadHeaders, binary: 'request', status: 201, response: Attachment }),
  'attachments.list': def({ method: 'GET', path: '/threads/:threadId/messages/:messageId/attachments', summary: "A message's attachments (your own unsent uploads included)", tag: 'attachments', auth: 'session', params: MessageParams, status: 200, response: AttachmentList }),
  'attachments.download': def({ method: 'GET', path: '/threads/:threadId/messages/:messageId/attachments/:attachmentId/content', summary: 'Download an attachment (Content-Disposition: attachment)', tag: 'attachments', auth: 'session', params: AttachmentParams, binary: 'response', produces: 'application/octet-stream', status: 200, response: BinaryContent }),
  'attachments.preview': def({ method: 'GET', path: '/threads/:threadId/messages/:messageId/attachments/:attachmentId/preview', summary: 'A small WebP preview of an image attachment', tag: 'attachments', auth: 'session', params: AttachmentParams, binary: 'response', produces: 'image/webp', status: 200, response: BinaryContent }),
  // internal notes, mentions and consults (notes are messages.create with `internal: true`)
  'threads.consults': def({ method: 'GET', path: '/threads/:threadId/consults', summary: 'Consults (internal threads) linked to a patient thread that the caller takes part in (providers and staff)', tag: 'messages', auth: 'session', params: ThreadParams, status: 200, response: Type.Object({ items: Type.Array(Thread) }) }),
  'mentions.list': def({ method: 'GET', path: '/mentions', summary: 'Your mentions in internal notes and internal threads (open ones by default), newest first', tag: 'messages', auth: 'session', query: MentionListQuery, status: 200, response: Page(Mention) }),
  'mentions.done': def({ method: 'POST', path: '/mentions/:mentionId/done', summary: 'Mark one of your mentions done', tag: 'messages', auth: 'session', params: Type.Object({ mentionId: Uuid }), status: 200, response: Mention }),
  'messages.search': def({ method: 'POST', path: '/search/messages', summary: 'Search message text within what the caller may see (query in the body, never in the URL)', tag: 'messages', auth: 'session', body: SearchRequest, status: 200, response: SearchResult }),

  // live events (the socket itself is GET /api/v1/events; see docs/api.md)
  'events.ticket': def({ method: 'POST', path: '/events/tickets', summary: 'A single-use, 30-second ticket to open the event WebSocket (?ticket=)', tag: 'events', auth: 'session', status: 201, response: EventTicket }),
  // observations (health data beside a thread)
  'observations.import': def({ method: 'POST', path: '/patients/:patientId/observations/import', summary: 'Import a FHIR R4 Bundle of Observation resources (all or nothing; re-importing the same resources never duplicates)', tag: 'observations', auth: 'session', params: PatientParams, body: FhirBundle, consumes: ['application/fhir+json', 'application/json'], bodyLimit: FHIR_IMPORT_MAX_BYTES, status: 200, response: ObservationImportResult }),
  'observations.create': def({ method: 'POST', path: '/patients/:patientId/observations', summary: 'Add one observation (idempotent by client-supplied id)', tag: 'observations', auth: 'session', params: PatientParams, body: ObservationCreate, status: 201, response: Observation }),
  'observations.list': def({ method: 'GET', path: '/patients/:patientId/observations', summary: "A patient's recent observations per metric, with derived signals (context panel)", tag: 'observations', auth: 'session', params: PatientParams, query: ObservationListQuery, status: 200, response: ObservationContext }),
  'observations.chart.share': def({ method: 'POST', path: '/patients/:patientId/observations/charts', summary: "Share a chart of one metric over a period into a thread of the patient, as a PNG attachment of a new message (idempotent by client-supplied message id)", tag: 'observations', auth: 'session', params: PatientParams, body: ObservationChartShare, status: 201, response: ObservationChartShareResult }),
  // resource library
  'resources.create': def({ method: 'POST', path: '/resources', summary: 'Add a resource to the library (a link, or a file: upload its bytes next with resources.upload)', tag: 'resources', auth: 'session', body: ResourceCreate, status: 201, response: Resource }),
  'resources.list': def({ method: 'GET', path: '/resources', summary: 'Search the library: words in title, description or tags, tag filter; newest first', tag: 'resources', auth: 'session', query: ResourceListQuery, status: 200, response: Page(Resource) }),
  'resources.get': def({ method: 'GET', path: '/resources/:resourceId', summary: 'A resource of the library', tag: 'resources', auth: 'session', params: ResourceParams, status: 200, response: Resource }),
  'resources.update': def({ method: 'PATCH', path: '/resources/:resourceId', summary: 'Edit a resource (its creator or an admin); shares already made do not change', tag: 'resources', auth: 'session', params: ResourceParams, body: ResourceUpdate, status: 200, response: Resource }),
  'resources.archive': def({ method: 'POST', path: '/resources/:resourceId/archive', summary: 'Remove a resource from the library (its creator or an admin); shares already made stay', tag: 'resources', auth: 'session', params: ResourceParams, status: 200, response: Ok }),
  'resources.upload': def({ method: 'PUT', path: '/resources/:resourceId/file', summary: "Upload (or replace) a file resource's bytes (raw bytes as the body)", tag: 'resources', auth: 'session', params: ResourceParams, headers: AttachmentUploadHeaders, binary: 'request', status: 200, response: Resource }),
  'resources.download': def({ method: 'GET', path: '/resources/:resourceId/file', summary: "Download a file resource's bytes (Content-Disposition: attachment)", tag: 'resources', auth: 'session', params: ResourceParams, binary: 'response', produces: 'application/octet-stream', status: 200, response: BinaryContent }),
  'resources.share': def({ method: 'POST', path: '/threads/:threadId/resources/:resourceId/share', summary: 'Share a resource into a thread as a message (a copy of the file, or the link); idempotent by client-supplied id', tag: 'resources', auth: 'session', params: ResourceShareParams, body: ResourceShare, status: 201, response: Message }),
  // templates, quick replies and reactions (templates branch)
  'templates.variables': def({ method: 'GET', path: '/templates/variables', summary: 'The variables templates may use, e.g. {patient.firstName}', tag: 'templates', auth: 'session', status: 200, response: TemplateVariableList }),
  'templates.list': def({ method: 'GET', path: '/templates', summary: "The organization's templates and quick replies and your personal ones (defaults are added on the first list)", tag: 'templates', auth: 'session', query: TemplateListQuery, status: 200, response: TemplateList }),
  'templates.create': def({ method: 'POST', path: '/templates', summary: 'Add an organization template (admins) or a personal one (providers and staff); unknown variables are 422', tag: 'templates', auth: 'session', body: TemplateCreate, status: 201, response: Template }),
  'templates.get': def({ method: 'GET', path: '/templates/:templateId', summary: 'A template you may see', tag: 'templates', auth: 'session', params: TemplateParams, status: 200, response: Template }),
  'templates.update': def({ method: 'PATCH', path: '/templates/:templateId', summary: 'Edit or archive a template (organization: admins; personal: its owner)', tag: 'templates', auth: 'session', params: TemplateParams, body: TemplateUpdate, status: 200, response: Template }),
  'templates.render': def({ method: 'POST', path: '/templates/:templateId/render', summary: "A template filled in for a thread, for the composer (sent as a normal message); `missing` names variables without a value", tag: 'templates', auth: 'session', params: TemplateParams, body: TemplateRenderRequest, status: 200, response: TemplateRender }),
  'reactions.add': def({ method: 'PUT', path: '/threads/:threadId/messages/:messageId/reactions/:emoji', summary: 'React to a message with one emoji (idempotent)', tag: 'messages', auth: 'session', params: ReactionParams, status: 200, response: ReactionResult }),
  'reactions.remove': def({ method: 'DELETE', path: '/threads/:threadId/messages/:messageId/reactions/:emoji', summary: 'Take your emoji reaction back (idempotent)', tag: 'messages', auth: 'session', params: ReactionParams, status: 200, response: ReactionResult }),
  // notifications
  'notifications.preferences.get': def({ method: 'GET', path: '/notifications/preferences', summary: 'Your notification preferences and consent', tag: 'notifications', auth: 'session', status: 200, response: NotificationPreferences }),
  'notifications.preferences.update': def({ method: 'PATCH', path: '/notifications/preferences', summary: 'Change your channels, addresses, quiet hours, batching and (staff) which threads notify you', tag: 'notifications', auth: 'session', body: NotificationPreferencesUpdate, status: 200, response: NotificationPreferences }),
  'notifications.consent.update': def({ method: 'PUT', path: '/notifications/consent/:channel', summary: 'Give or withdraw your consent to e-mail or SMS notifications (recorded and audited)', tag: 'notifications', auth: 'session', params: ConsentParams, body: ConsentUpdate, status: 200, response: NotificationPreferences }),
  'notifications.push.publicKey': def({ method: 'GET', path: '/notifications/push/public-key', summary: 'VAPID public key for PushManager.subscribe', tag: 'notifications', auth: 'public', status: 200, response: PushPublicKey }),
  'notifications.push.subscribe': def({ method: 'POST', path: '/notifications/push/subscriptions', summary: 'Subscribe this device to Web Push (https endpoints only)', tag: 'notifications', auth: 'session', body: PushSubscriptionCreate, status: 201, response: PushSubscription }),
  'notifications.push.list': def({ method: 'GET', path: '/notifications/push/subscriptions', summary: 'Your devices subscribed to Web Push', tag: 'notifications', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(PushSubscription) }) }),
  'notifications.push.unsubscribe': def({ method: 'DELETE', path: '/notifications/push/subscriptions/:id', summary: 'Unsubscribe a device', tag: 'notifications', auth: 'session', params: IdParams, status: 200, response: Ok }),
  'notifications.sms.inbound': def({ method: 'POST', path: '/notifications/sms/inbound', summary: "SMS provider webhook for replies (STOP/START); signed with the configured secret or Twilio's scheme", tag: 'notifications', auth: 'public', form: true, body: SmsInbound, status: 200, response: Ok }),
  'notifications.attempts.list': def({ method: 'GET', path: '/notifications/attempts', summary: 'Delivery attempts, newest first, without content or addresses (admin)', tag: 'notifications', auth: 'session', query: NotificationAttemptQuery, status: 200, response: Page(NotificationAttempt) }),

  // care workflow: inbox, assignment, routing, SLA, safety settings
  'inbox.list': def({ method: 'GET', path: '/inbox', summary: 'A view of the staff inbox (mine, unassigned, care_teams, department, urgent, overdue, awaiting_patient, closed), soonest due first', tag: 'workflow', auth: 'session', query: InboxQuery, status: 200, response: Page(Thread) }),
  'inbox.counts': def({ method: 'GET', path: '/inbox/counts', summary: 'How many threads each inbox view holds for the caller', tag: 'workflow', auth: 'session', status: 200, response: InboxCounts }),
  'threads.assign': def({ method: 'POST', path: '/threads/:threadId/assign', summary: 'Assign a patient thread to a staff member who may see it (a reason is required to take it from someone else); null returns it to its queue', tag: 'workflow', auth: 'session', params: ThreadParams, body: ThreadAssign, status: 200, response: Thread }),
  'threads.claim': def({ method: 'POST', path: '/threads/:threadId/claim', summary: 'Take a patient thread yourself (a reason is required when it is someone else\'s)', tag: 'workflow', auth: 'session', params: ThreadParams, body: ThreadClaim, status: 200, response: Thread }),
  'threads.close': def({ method: 'POST', path: '/threads/:threadId/close', summary: 'Close a patient thread (a new patient message reopens it)', tag: 'workflow', auth: 'session', params: ThreadParams, body: ThreadClose, status: 200, response: Thread }),
  'threads.reopen': def({ method: 'POST', path: '/threads/:threadId/reopen', summary: 'Reopen a closed patient thread', tag: 'workflow', auth: 'session', params: ThreadParams, status: 200, response: Thread }),
  'threads.priority': def({ method: 'POST', path: '/threads/:threadId/priority', summary: 'Mark a patient thread urgent or routine (its due time follows)', tag: 'workflow', auth: 'session', params: ThreadParams, body: ThreadPriorityChange, status: 200, response: Thread }),
  'threads.escalate': def({ method: 'POST', path: '/threads/:threadId/escalate', summary: 'Hand a patient thread to a provider with an internal note (mentioning them) that carries the context; idempotent by the note id', tag: 'workflow', auth: 'session', params: ThreadParams, body: ThreadEscalate, status: 200, response: Thread }),
  'analytics.report': def({ method: 'GET', path: '/analytics', summary: 'Care analytics (admin): first-response and resolution times (median, p90), volumes, SLA adherence, off-hours and crisis counts per staff, topic, department or period; never from message bodies', tag: 'workflow', auth: 'session', query: AnalyticsQuery, status: 200, response: AnalyticsReport }),
  'analytics.export': def({ method: 'GET', path: '/analytics/export', summary: 'The same report as CSV (admin)', tag: 'workflow', auth: 'session', query: AnalyticsQuery, binary: 'response', produces: 'text/csv', status: 200, response: BinaryContent }),
  'queues.create': def({ method: 'POST', path: '/queues', summary: 'Create a queue (admin)', tag: 'workflow', auth: 'session', body: QueueCreate, status: 201, response: Queue }),
  'queues.list': def({ method: 'GET', path: '/queues', summary: 'Queues of the organization (staff)', tag: 'workflow', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(Queue) }) }),
  'queues.update': def({ method: 'PATCH', path: '/queues/:id', summary: 'Change a queue: name, department, assignment mode, members, escalation (admin)', tag: 'workflow', auth: 'session', params: IdParams, body: QueueUpdate, status: 200, response: Queue }),
  'routing.rules.get': def({ method: 'GET', path: '/routing/rules', summary: 'Routing rules in order (staff)', tag: 'workflow', auth: 'session', status: 200, response: RoutingRules }),
  'routing.rules.replace': def({ method: 'PUT', path: '/routing/rules', summary: 'Replace the routing rules (admin)', tag: 'workflow', auth: 'session', body: RoutingRules, status: 200, response: RoutingRules }),
  'sla.targets.get': def({ method: 'GET', path: '/sla/targets', summary: 'Response-time targets (staff)', tag: 'workflow', auth: 'session', status: 200, response: SlaTargets }),
  'sla.targets.replace': def({ method: 'PUT', path: '/sla/targets', summary: 'Replace the response-time targets (admin)', tag: 'workflow', auth: 'session', body: SlaTargets, status: 200, response: SlaTargets }),
  'workflow.settings.get': def({ method: 'GET', path: '/workflow/settings', summary: 'Automatic replies, crisis resources and guidance (staff)', tag: 'workflow', auth: 'session', status: 200, response: WorkflowSettings }),
  'workflow.settings.update': def({ method: 'PATCH', path: '/workflow/settings', summary: 'Change automatic replies, crisis resources and guidance (admin)', tag: 'workflow', auth: 'session', body: WorkflowSettingsUpdate, status: 200, response: WorkflowSettings }),
  'workflow.directMessages.get': def({ method: 'GET', path: '/workflow/direct-messages', summary: 'Providers: whether patients may message you directly (your current choice)', tag: 'workflow', auth: 'session', status: 200, response: DirectMessagePreference }),
  'workflow.directMessages': def({ method: 'PUT', path: '/workflow/direct-messages', summary: 'Providers: whether patients may message you directly (otherwise through staff first)', tag: 'workflow', auth: 'session', body: DirectMessagePreference, status: 200, response: DirectMessagePreference }),
  // crisis-language detection: the organization's lexicon overrides (docs/safety.md)
  'safety.lexicon.get': def({ method: 'GET', path: '/safety/lexicon', summary: "The organization's crisis lexicon: base version, the revision of its overrides in force (or why they are stale), who saved it (staff)", tag: 'safety', auth: 'session', status: 200, response: CrisisLexiconSettings }),
  'safety.lexicon.update': def({ method: 'PUT', path: '/safety/lexicon', summary: 'Save a new revision of the crisis lexicon overrides, based on the revision you read (admin); { baseVersion } alone goes back to the base lexicon', tag: 'safety', auth: 'session', body: CrisisLexiconUpdate, status: 200, response: CrisisLexiconSettings }),
  'safety.lexicon.history': def({ method: 'GET', path: '/safety/lexicon/revisions', summary: 'Every saved revision of the crisis lexicon overrides, newest first (admin, compliance)', tag: 'safety', auth: 'session', query: CrisisLexiconHistoryQuery, status: 200, response: Page(CrisisLexiconRevision) }),
  'safety.lexicon.check': def({ method: 'POST', path: '/safety/lexicon/check', summary: 'Check a text against the lexicon in force or proposed overrides, saving nothing; the text is never stored, logged or audited (admin)', tag: 'safety', auth: 'session', body: CrisisLexiconCheck, status: 200, response: CrisisLexiconCheckResult }),
  'messaging.expectations': def({ method: 'GET', path: '/messaging/expectations', summary: "For the composer: when to expect an answer, whether the practice is open, what to do when it can't wait", tag: 'workflow', auth: 'session', query: ExpectationsQuery, status: 200, response: Expectations }),
  // availability (begin): business hours, holidays, staff working hours and out of office, on call
  'availability.hours.get': def({ method: 'GET', path: '/availability/hours', summary: "The organization's business hours and time zone", tag: 'availability', auth: 'session', status: 200, response: BusinessHours }),
  'availability.hours.update': def({ method: 'PUT', path: '/availability/hours', summary: "Set the organization's time zone and weekly business hours (admin)", tag: 'availability', auth: 'session', body: OrganizationHoursUpdate, status: 200, response: BusinessHours }),
  'availability.departmentHours.get': def({ method: 'GET', path: '/availability/departments/:departmentId/hours', summary: "A department's business hours (its own, or the organization's)", tag: 'availability', auth: 'session', params: DepartmentHoursParams, status: 200, response: BusinessHours }),
  'availability.departmentHours.update': def({ method: 'PUT', path: '/availability/departments/:departmentId/hours', summary: "Set or clear a department's own time zone and weekly hours (admin)", tag: 'availability', auth: 'session', params: DepartmentHoursParams, body: DepartmentHoursUpdate, status: 200, response: BusinessHours }),
  'availability.holidays.list': def({ method: 'GET', path: '/availability/holidays', summary: 'Holidays and special hours of the organization (and a department)', tag: 'availability', auth: 'session', query: HolidayListQuery, status: 200, response: Type.Object({ items: Type.Array(Holiday) }) }),
  'availability.holidays.create': def({ method: 'POST', path: '/availability/holidays', summary: 'Add a holiday: closed all day, or special hours (admin)', tag: 'availability', auth: 'session', body: HolidayCreate, status: 201, response: Holiday }),
  'availability.holidays.delete': def({ method: 'DELETE', path: '/availability/holidays/:holidayId', summary: 'Remove a holiday (admin)', tag: 'availability', auth: 'session', params: HolidayParams, status: 200, response: Ok }),
  'availability.status': def({ method: 'GET', path: '/availability/status', summary: "Open now? When it opens next; the practice's public hours and upcoming holidays (everyone signed in)", tag: 'availability', auth: 'session', query: AvailabilityStatusQuery, status: 200, response: AvailabilityStatus }),
  'availability.staff.list': def({ method: 'GET', path: '/availability/staff', summary: 'Providers and staff: working, out of office, available, who covers (staff)', tag: 'availability', auth: 'session', query: StaffStatusQuery, status: 200, response: StaffStatusList }),
  'availability.staff.get': def({ method: 'GET', path: '/availability/staff/:userId', summary: "A provider's or staff member's working hours and out-of-office periods (staff)", tag: 'availability', auth: 'session', params: StaffParams, status: 200, response: StaffAvailability }),
  'availability.staff.update': def({ method: 'PUT', path: '/availability/staff/:userId', summary: 'Set your working hours and time zone (admins: anyone\'s)', tag: 'availability', auth: 'session', params: StaffParams, body: StaffAvailabilityUpdate, status: 200, response: StaffAvailability }),
  'availability.outOfOffice.create': def({ method: 'POST', path: '/availability/staff/:userId/out-of-office', summary: 'Add an out-of-office period, optionally with a covering colleague (yourself; admins: anyone)', tag: 'availability', auth: 'session', params: StaffParams, body: OutOfOfficeCreate, status: 201, response: OutOfOffice }),
  'availability.outOfOffice.update': def({ method: 'PATCH', path: '/availability/staff/:userId/out-of-office/:outOfOfficeId', summary: 'Change an out-of-office period or its cover', tag: 'availability', auth: 'session', params: OutOfOfficeParams, body: OutOfOfficeUpdate, status: 200, response: OutOfOffice }),
  'availability.outOfOffice.delete': def({ method: 'DELETE', path: '/availability/staff/:userId/out-of-office/:outOfOfficeId', summary: 'Remove an out-of-office period', tag: 'availability', auth: 'session', params: OutOfOfficeParams, status: 200, response: Ok }),
  'onCall.shifts.list': def({ method: 'GET', path: '/on-call/shifts', summary: 'On-call shifts in a time range, by department (staff)', tag: 'availability', auth: 'session', query: OnCallShiftListQuery, status: 200, response: Type.Object({ items: Type.Array(OnCallShift) }) }),
  'onCall.shifts.create': def({ method: 'POST', path: '/on-call/shifts', summary: 'Schedule an on-call shift for a department, or organization-wide (admin); shifts may overlap', tag: 'availability', auth: 'session', body: OnCallShiftCreate, status: 201, response: OnCallShift }),
  'onCall.shifts.delete': def({ method: 'DELETE', path: '/on-call/shifts/:shiftId', summary: 'Remove an on-call shift (admin)', tag: 'availability', auth: 'session', params: OnCallShiftParams, status: 200, response: Ok }),
  'onCall.current': def({ method: 'GET', path: '/on-call/current', summary: "Who is on call now for a department (else the organization-wide shifts) (staff)", tag: 'availability', auth: 'session', query: OnCallCurrentQuery, status: 200, response: OnCallCurrent }),
  // availability (end)
  // scheduled send and follow-up reminders (providers and staff; admins cancel scheduled messages)
  'scheduledMessages.create': def({ method: 'POST', path: '/threads/:threadId/scheduled-messages', summary: 'Schedule a message to be sent as you at a later time (idempotent by client-supplied id, which the sent message keeps)', tag: 'scheduling', auth: 'session', params: ThreadParams, body: ScheduledMessageCreate, status: 201, response: ScheduledMessage }),
  'scheduledMessages.list': def({ method: 'GET', path: '/threads/:threadId/scheduled-messages', summary: "A thread's scheduled messages, by send time (providers and staff of the thread; never patients)", tag: 'scheduling', auth: 'session', params: ThreadParams, query: ScheduledMessageListQuery, status: 200, response: Page(ScheduledMessage) }),
  'scheduledMessages.overview': def({ method: 'GET', path: '/scheduled-messages', summary: 'Scheduled messages without their text: your own (providers, staff) or the organization\'s (admins)', tag: 'scheduling', auth: 'session', query: ScheduledMessageOverviewQuery, status: 200, response: Page(ScheduledMessage) }),
  'scheduledMessages.update': def({ method: 'PATCH', path: '/scheduled-messages/:scheduledMessageId', summary: 'Change the text or time of your scheduled message before it is sent', tag: 'scheduling', auth: 'session', params: ScheduledMessageParams, body: ScheduledMessageUpdate, status: 200, response: ScheduledMessage }),
  'scheduledMessages.cancel': def({ method: 'POST', path: '/scheduled-messages/:scheduledMessageId/cancel', summary: 'Cancel a scheduled message before it is sent (its author, or an admin)', tag: 'scheduling', auth: 'session', params: ScheduledMessageParams, status: 200, response: ScheduledMessage }),
  'followUps.create': def({ method: 'POST', path: '/threads/:threadId/follow-ups', summary: 'If the patient has not answered in N days: remind me, or nudge the patient (patient threads)', tag: 'scheduling', auth: 'session', params: ThreadParams, body: FollowUpCreate, status: 201, response: FollowUp }),
  'followUps.list': def({ method: 'GET', path: '/threads/:threadId/follow-ups', summary: "A thread's follow-ups, newest first (providers and staff of the thread)", tag: 'scheduling', auth: 'session', params: ThreadParams, query: FollowUpListQuery, status: 200, response: Page(FollowUp) }),
  'followUps.cancel': def({ method: 'POST', path: '/follow-ups/:followUpId/cancel', summary: 'Cancel your pending follow-up', tag: 'scheduling', auth: 'session', params: FollowUpParams, status: 200, response: FollowUp }),
  // chart notes: messages marked clinically relevant
  'chartNotes.create': def({ method: 'POST', path: '/threads/:threadId/messages/:messageId/chart-notes', summary: "Mark a message, or an exact excerpt of its current text, as clinically relevant: a chart note in the patient's timeline (idempotent by client-supplied id)", tag: 'chart', auth: 'session', params: MessageParams, body: ChartNoteCreate, status: 201, response: ChartNote }),
  'chartNotes.list': def({ method: 'GET', path: '/patients/:patientId/chart-notes', summary: "The patient's chart notes, newest first (providers and staff of the patient; the patient, read-only)", tag: 'chart', auth: 'session', params: PatientParams, query: ChartNoteListQuery, status: 200, response: Page(ChartNote) }),
  'chartNotes.remove': def({ method: 'POST', path: '/patients/:patientId/chart-notes/:chartNoteId/remove', summary: 'Un-mark a chart note: hidden from the timeline, kept for the record', tag: 'chart', auth: 'session', params: ChartNoteParams, status: 200, response: ChartNote }),
  // cohorts: patient tags, archive, soft launch, broadcasts
  'tags.list': def({ method: 'GET', path: '/tags', summary: "The organization's patient tags, with how many of the patients you see have each (staff)", tag: 'cohorts', auth: 'session', status: 200, response: TagList }),
  'patients.tags.get': def({ method: 'GET', path: '/patients/:id/tags', summary: "A patient's tags (staff who see the patient)", tag: 'cohorts', auth: 'session', params: IdParams, status: 200, response: PatientTags }),
  'patients.tags.set': def({ method: 'PUT', path: '/patients/:id/tags', summary: "Replace a patient's tags (admins, providers and staff who see the patient)", tag: 'cohorts', auth: 'session', params: IdParams, body: PatientTagsUpdate, status: 200, response: PatientTags }),
  'patients.archive': def({ method: 'POST', path: '/patients/:id/archive', summary: 'Archive a patient: history kept, no new threads or messages until unarchived', tag: 'cohorts', auth: 'session', params: IdParams, status: 200, response: Patient }),
  'patients.unarchive': def({ method: 'POST', path: '/patients/:id/unarchive', summary: 'Unarchive a patient: messaging opens again', tag: 'cohorts', auth: 'session', params: IdParams, status: 200, response: Patient }),
  'messagingRollout.get': def({ method: 'GET', path: '/organization/messaging-rollout', summary: 'Soft launch: who may message (admin)', tag: 'cohorts', auth: 'session', status: 200, response: MessagingRollout }),
  'messagingRollout.update': def({ method: 'PATCH', path: '/organization/messaging-rollout', summary: 'Soft launch: everyone, or a pilot of cohort tags and providers, and what others are told (admin)', tag: 'cohorts', auth: 'session', body: MessagingRolloutUpdate, status: 200, response: MessagingRollout }),
  'me.messaging': def({ method: 'GET', path: '/me/messaging', summary: 'Whether you (a patient) may message, and how else to reach the practice if not', tag: 'cohorts', auth: 'session', status: 200, response: MessagingStatus }),
  'me.language.update': def({ method: 'PUT', path: '/me/language', summary: 'The language you read Haven in (patients: also the language of automatic replies and crisis guidance)', tag: 'users', auth: 'session', body: LanguageChoice, status: 200, response: LanguageChoice }),
  'me.messagingPolicy.get': def({ method: 'GET', path: '/me/messaging-policy', summary: 'The messaging policy in your language and whether you (a patient) accepted its current version', tag: 'users', auth: 'session', status: 200, response: MessagingPolicy }),
  'me.messagingPolicy.accept': def({ method: 'POST', path: '/me/messaging-policy/acceptances', summary: 'Accept the current messaging policy version (patients; idempotent; audited); 409 policy_changed if it changed since you read it', tag: 'users', auth: 'session', body: MessagingPolicyAccept, status: 200, response: MessagingPolicy }),
  'broadcasts.preview': def({ method: 'POST', path: '/broadcasts/preview', summary: 'Who a broadcast would reach, who would be skipped and why, and the first three personalized messages', tag: 'cohorts', auth: 'session', body: BroadcastDraft, status: 200, response: BroadcastPreview }),
  'broadcasts.create': def({ method: 'POST', path: '/broadcasts', summary: 'Start a broadcast: each selected patient gets a new thread of their own with the message, sent at a throttled rate', tag: 'cohorts', auth: 'session', body: BroadcastDraft, status: 201, response: Broadcast }),
  'broadcasts.list': def({ method: 'GET', path: '/broadcasts', summary: 'Your broadcasts with their progress, newest first', tag: 'cohorts', auth: 'session', query: BroadcastListQuery, status: 200, response: Page(Broadcast) }),
  'broadcasts.get': def({ method: 'GET', path: '/broadcasts/:id', summary: 'A broadcast of yours with its progress', tag: 'cohorts', auth: 'session', params: IdParams, status: 200, response: Broadcast }),
  'broadcasts.cancel': def({ method: 'POST', path: '/broadcasts/:id/cancel', summary: 'Stop the sends of a broadcast that have not gone out yet', tag: 'cohorts', auth: 'session', params: IdParams, status: 200, response: Broadcast }),

  // audit
  'audit.list': def({ method: 'GET', path: '/audit/events', summary: 'Audit trail (compliance)', tag: 'audit', auth: 'session', query: AuditQuery, status: 200, response: Page(AuditEvent) }),
  'audit.verify': def({ method: 'POST', path: '/audit/verify', summary: 'Verify the hash chain and signed checkpoints', tag: 'audit', auth: 'session', status: 200, response: AuditVerifyResult }),
  'audit.checkpoints': def({ method: 'GET', path: '/audit/checkpoints', summary: 'Signed checkpoints of the audit chain', tag: 'audit', auth: 'session', status: 200, response: Type.Object({ items: Type.Array(AuditCheckpoint) }) }),
  'audit.publicKey': def({ method: 'GET', path: '/audit/public-key', summary: 'Public key that signs audit checkpoints', tag: 'audit', auth: 'public', status: 200, response: AuditPublicKey }),
} as const satisfies Record<string, EndpointDef>;

export type Endpoints = typeof endpoints;
export type OperationId = keyof Endpoints;
/** Operations whose request and response are JSON (everything `HavenClient.call` can send). */
export type JsonOperationId = { [K in OperationId]: Endpoints[K] extends { binary: 'request' | 'response' } | { form: true } ? never : K }[OperationId];
