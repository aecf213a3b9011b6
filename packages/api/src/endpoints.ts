import { Type, type TSchema } from 'typebox';
import { Ok, Page, Uuid } from './common.js';
import { LoginRequest, PasswordChange, SessionInfo, TotpCode, TotpSetup } from './auth.js';
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
  Message,
  MessageCreate,
  MessageEdit,
  MessageListQuery,
  MessagePage,
  MessageRetract,
  MessageVersion,
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
