import type { Role } from '@haven/api';
import type { Actor } from '../../platform/http/context.js';

/**
 * Haven's access policy. Every service asks `can(actor, action, resource)` before touching data, and uses
 * `patientScope` to filter lists. Rules:
 * - patients see only their own record and patient threads;
 * - providers and staff see patients on their care teams (or every patient of the organization when the
 *   organization enables staffSeeAllPatients); internal staff threads only when they are participants;
 * - admins run the organization (users, teams, patient registration and demographics) but read no messages;
 * - compliance reads and verifies the audit trail and nothing clinical;
 * - health observations: patients read their own (and may submit their own device data); providers and staff read,
 *   add and import them for the patients they see, and share charts of them into patient threads; admins may add
 *   and import (onboarding, integrations) for any patient of the organization but read none;
 * - the resource library (practice materials) is for providers, staff and admins: they browse, add and share;
 *   its creator or an admin edits and archives an item; patients see a resource only once it is shared into
 *   their thread (as a message), compliance not at all;
 * - the care workflow of patient threads (assign, claim, close, priority, escalate) is run by the providers and staff
 *   who see the thread; admins configure queues, routing, response-time targets and automatic replies;
 * - availability (hours, holidays, who works when, out of office, on call): everyone on staff reads it; patients
 *   read only the practice's public hours and whether it is open; admins manage the organization's and departments'
 *   hours, holidays and on-call shifts; providers and staff manage their own working hours and out of office, admins
 *   anyone's;
 * - scheduled messages and follow-ups (0011) are for providers and staff who may write in the thread (follow-ups:
 *   patient threads); a scheduled message is edited by its author only and cancelled by its author or an admin;
 *   patients never see them;
 * - chart notes (0011): providers and staff who see the patient mark and un-mark them; the patient reads their own
 *   (right of access), read-only;
 * - cohorts: a patient's tags (which may name a condition) are for admins, providers and staff who see the patient,
 *   never for patients; the same people archive and unarchive a patient; broadcasts are written by providers and
 *   staff, reach only patients they may message, and are visible to their author only;
 * - templates and quick replies: organization templates are managed by admins and used (read, rendered for a
 *   thread they may write in) by providers and staff; personal templates belong to one provider or staff member, who
 *   alone sees and manages them; patients and compliance have none;
 * - reactions: whoever may see a thread may react to its messages;
 * - internal notes (messages of a patient thread the patient never sees) and mentions are written by providers and
 *   staff who may write in the thread and read by whoever of the staff sees the thread; consults (internal
 *   threads linked to a patient thread) follow the internal-thread rule: participants only, the link grants nothing;
 * - the crisis lexicon (0021): every staff role reads the lexicon in force, like the workflow settings (what makes a
 *   thread urgent is not a secret from those who answer it); its revision history is for admins and compliance
 *   (oversight of changes); admins alone change it and try texts against it; patients never see it;
 * - nothing crosses organizations.
 */
export type Action =
  | 'organization.read'
  | 'organization.manage'
  | 'users.manage'
  | 'patients.create'
  | 'patients.read'
  | 'patients.update'
  | 'threads.create'
  | 'threads.read'
  | 'threads.manage'
  | 'workflow.configure'
  | 'analytics.read'
  | 'messages.send'
  | 'messages.edit'
  | 'messages.retract'
  | 'messages.versions'
  | 'messages.note'
  | 'threads.consults'
  | 'observations.read'
  | 'observations.write'
  | 'observations.share'
  | 'audit.read'
  | 'resources.read'
  | 'resources.create'
  | 'resources.manage'
  | 'resources.share'
  | 'availability.read'
  | 'availability.readPublic'
  | 'availability.manage'
  | 'availability.manageStaff'
  // 0011: scheduled send, follow-ups, chart notes
  | 'messages.schedule'
  | 'scheduledMessages.edit'
  | 'scheduledMessages.cancel'
  | 'scheduledMessages.overview'
  | 'followUps.manage'
  | 'chartNotes.read'
  | 'chartNotes.write'
  // cohorts (tags, archive, soft launch, broadcasts)
  | 'patients.tags'
  | 'patients.archive'
  | 'tags.read'
  | 'messaging.status'
  | 'profile.language'
  | 'messagingPolicy.read'
  | 'messagingPolicy.accept'
  | 'broadcasts.create'
  | 'broadcasts.read'
  | 'messages.react'
  | 'templates.read'
  | 'templates.use'
  | 'templates.create'
  | 'templates.manage'
  // crisis lexicon overrides (0021)
  | 'safety.lexicon.read'
  | 'safety.lexicon.history'
  | 'safety.lexicon.configure';

/** What a service knows about the resource when it asks. */
export interface Resource {
  orgId: string;
  /** The patient whose record this is, if any. */
  patientId?: string | null;
  /** The actor is on one of this patient's care teams. */
  onCareTeam?: boolean;
  /**
   * The actor is a participant of the thread: of an internal thread, or of a patient thread they were given (the
   * on-call paged for a patient in crisis, see SafetyService).
   */
  participant?: boolean;
  threadKind?: 'patient' | 'internal';
  /** The user who wrote the message. */
  senderId?: string;
  retracted?: boolean;
  /** Who created it (library resources). */
  createdBy?: string;
  /** Whose availability it is (availability.manageStaff). */
  subjectUserId?: string;
  /** Templates: the owner of a personal template; null for an organization template (undefined: not asked yet). */
  ownerId?: string | null;
}

export interface OrgPolicySettings {
  staffSeeAllPatients: boolean;
}

const CLINICAL: ReadonlySet<Role> = new Set(['provider', 'staff']);
const LIBRARY: ReadonlySet<Role> = new Set(['admin', 'provider', 'staff']);

export const isStaffRole = (role: Role): boolean => role !== 'patient';
export const isClinical = (role: Role): boolean => CLINICAL.has(role);
/** Internal staff threads are clinical coordination: providers and staff only (not admin, compliance, patients). */
export const seesInternalThreads = (role: Role): boolean => isClinical(role);
/**
 * Internal notes, internal-thread messages and mentions: never for patients. Every read path that can return,
 * count, search or deliver messages asks this of its viewer.
 */
export const seesInternalMessages = (role: Role): boolean => role !== 'patient';
/** The resource library: practice materials for the people who run and give care (not patients, not compliance). */
export const usesLibrary = (role: Role): boolean => LIBRARY.has(role);
/** Templates: admins manage the organization's, providers and staff use them (and keep personal ones). */
export const usesTemplates = (role: Role): boolean => LIBRARY.has(role);

/** Which patients an actor may see: drives the WHERE clause of every list. */
export type PatientScope = { kind: 'all' } | { kind: 'care_team'; userId: string } | { kind: 'self'; patientId: string } | { kind: 'none' };

export function patientScope(actor: Actor, settings: OrgPolicySettings, purpose: 'records' | 'messages'): PatientScope {
  if (actor.role === 'patient') return { kind: 'self', patientId: actor.userId };
  if (isClinical(actor.role)) return settings.staffSeeAllPatients ? { kind: 'all' } : { kind: 'care_team', userId: actor.userId };
  if (actor.role === 'admin' && purpose === 'records') return { kind: 'all' };
  return { kind: 'none' };
}

function seesPatient(actor: Actor, r: Resource, settings: OrgPolicySettings, purpose: 'records' | 'messages'): boolean {
  if (!r.patientId) return false;
  const scope = patientScope(actor, settings, purpose);
  switch (scope.kind) {
    case 'all':
      return true;
    case 'care_team':
      // A patient thread given to someone outside the care team (on call for a crisis) is theirs too; the record is not.
      return r.onCareTeam === true || (r.threadKind === 'patient' && r.participant === true);
    case 'self':
      return r.patientId === scope.patientId;
    case 'none':
      return false;
  }
}

function seesThread(actor: Actor, r: Resource, settings: OrgPolicySettings): boolean {
  if (r.threadKind === 'internal') return seesInternalThreads(actor.role) && r.participant === true;
  return seesPatient(actor, r, settings, 'messages');
}

export function can(actor: Actor, action: Action, r: Resource, settings: OrgPolicySettings): boolean {
  if (actor.orgId !== r.orgId) return false;
  switch (action) {
    case 'organization.read':
      return true;
    case 'organization.manage':
    case 'users.manage':
      return actor.role === 'admin';
    case 'patients.create':
      return actor.role === 'admin' || isClinical(actor.role);
    case 'patients.read':
      return seesPatient(actor, r, settings, 'records');
    case 'patients.update':
      return (actor.role === 'admin' || isClinical(actor.role)) && seesPatient(actor, r, settings, 'records');
    case 'threads.create':
      if (r.threadKind === 'internal') return seesInternalThreads(actor.role);
      return seesPatient(actor, r, settings, 'messages');
    case 'threads.read':
    case 'messages.send':
      return seesThread(actor, r, settings);
    case 'threads.manage':
      // Assign, claim, close, reopen, priority, escalate: the clinical staff who see the patient thread.
      return r.threadKind === 'patient' && isClinical(actor.role) && seesThread(actor, r, settings);
    case 'workflow.configure':
    case 'analytics.read':
      return actor.role === 'admin';
    case 'messages.edit':
      return seesThread(actor, r, settings) && r.senderId === actor.userId && r.retracted !== true;
    case 'messages.retract':
      return seesThread(actor, r, settings) && isStaffRole(actor.role) && r.senderId === actor.userId && r.retracted !== true;
    case 'messages.versions':
      return seesThread(actor, r, settings) && isStaffRole(actor.role);
    case 'messages.note':
      // An internal note: clinical staff who may write in the thread (in an internal thread every message is one).
      return seesThread(actor, r, settings) && isClinical(actor.role);
    case 'threads.consults':
      // Which consults a patient thread has: staff who see the patient thread (each consult still needs participation).
      return r.threadKind === 'patient' && seesThread(actor, r, settings) && isClinical(actor.role);
    case 'observations.read':
      return (isClinical(actor.role) || actor.role === 'patient') && seesPatient(actor, r, settings, 'records');
    case 'observations.write':
      return (isClinical(actor.role) || actor.role === 'admin' || actor.role === 'patient') && seesPatient(actor, r, settings, 'records');
    case 'observations.share':
      return isClinical(actor.role) && seesPatient(actor, r, settings, 'messages');
    case 'audit.read':
      return actor.role === 'compliance';
    case 'resources.read':
    case 'resources.create':
      return usesLibrary(actor.role);
    case 'resources.manage':
      return actor.role === 'admin' || (usesLibrary(actor.role) && r.createdBy === actor.userId);
    case 'resources.share':
      // Sharing also needs the thread (messages.send), which the service checks separately.
      return usesLibrary(actor.role);
    case 'availability.read':
      return isStaffRole(actor.role);
    case 'availability.readPublic':
      return true;
    case 'availability.manage':
      return actor.role === 'admin';
    case 'availability.manageStaff':
      return actor.role === 'admin' || (isClinical(actor.role) && r.subjectUserId === actor.userId);
    // 0011: scheduled send, follow-ups, chart notes
    case 'messages.schedule':
      // Schedule into (and see the scheduled messages of) a thread one may write in: clinical roles only.
      return isClinical(actor.role) && seesThread(actor, r, settings);
    case 'scheduledMessages.edit':
      return isClinical(actor.role) && r.senderId === actor.userId;
    case 'scheduledMessages.cancel':
      return actor.role === 'admin' || (isClinical(actor.role) && r.senderId === actor.userId);
    case 'scheduledMessages.overview':
      return actor.role === 'admin' || isClinical(actor.role);
    case 'followUps.manage':
      return isClinical(actor.role) && r.threadKind === 'patient' && seesThread(actor, r, settings);
    case 'chartNotes.read':
      return (isClinical(actor.role) || actor.role === 'patient') && seesPatient(actor, r, settings, 'messages');
    case 'chartNotes.write':
      return isClinical(actor.role) && seesPatient(actor, r, settings, 'messages');
    // cohorts
    case 'patients.tags':
    case 'patients.archive':
      return (actor.role === 'admin' || isClinical(actor.role)) && seesPatient(actor, r, settings, 'records');
    case 'tags.read':
      return actor.role === 'admin' || isClinical(actor.role);
    case 'messaging.status':
      return actor.role === 'patient';
    case 'profile.language':
      // Everyone chooses the language they read Haven in, for themselves only.
      return r.orgId === actor.orgId;
    case 'messagingPolicy.read':
      // The policy text is the practice's public word to patients: anyone signed in reads it (staff see what patients see).
      return true;
    case 'messagingPolicy.accept':
      // Only a patient accepts it, for themselves (decision 0027).
      return actor.role === 'patient' && r.subjectUserId === actor.userId;
    case 'broadcasts.create':
      // Each recipient is also checked as threads.create (the patient must be one the author may message).
      return isClinical(actor.role);
    case 'broadcasts.read':
      return isClinical(actor.role) && r.createdBy === actor.userId;
    case 'messages.react':
      return seesThread(actor, r, settings);
    case 'templates.read':
      // Role-level when no template is named yet; a personal template is its owner's alone.
      if (!usesTemplates(actor.role)) return false;
      return typeof r.ownerId === 'string' ? r.ownerId === actor.userId : true;
    case 'templates.use':
      // Rendering for a thread also needs the thread (messages.send), which the service checks separately.
      return isClinical(actor.role);
    case 'safety.lexicon.read':
      return isStaffRole(actor.role);
    case 'safety.lexicon.history':
      return actor.role === 'admin' || actor.role === 'compliance';
    case 'safety.lexicon.configure':
      return actor.role === 'admin';
    case 'templates.create':
    case 'templates.manage':
      if (r.ownerId === undefined) return usesTemplates(actor.role);
      return r.ownerId === null ? actor.role === 'admin' : isClinical(actor.role) && r.ownerId === actor.userId;
  }
}
