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
  | 'messages.send'
  | 'messages.edit'
  | 'messages.retract'
  | 'messages.versions'
  | 'observations.read'
  | 'observations.write'
  | 'observations.share'
  | 'audit.read'
  | 'resources.read'
  | 'resources.create'
  | 'resources.manage'
  | 'resources.share';

/** What a service knows about the resource when it asks. */
export interface Resource {
  orgId: string;
  /** The patient whose record this is, if any. */
  patientId?: string | null;
  /** The actor is on one of this patient's care teams. */
  onCareTeam?: boolean;
  /** For internal threads: the actor is a participant. */
  participant?: boolean;
  threadKind?: 'patient' | 'internal';
  /** The user who wrote the message. */
  senderId?: string;
  retracted?: boolean;
  /** Who created it (library resources). */
  createdBy?: string;
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
/** The resource library: practice materials for the people who run and give care (not patients, not compliance). */
export const usesLibrary = (role: Role): boolean => LIBRARY.has(role);

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
      return r.onCareTeam === true;
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
    case 'messages.edit':
      return seesThread(actor, r, settings) && r.senderId === actor.userId && r.retracted !== true;
    case 'messages.retract':
      return seesThread(actor, r, settings) && isStaffRole(actor.role) && r.senderId === actor.userId && r.retracted !== true;
    case 'messages.versions':
      return seesThread(actor, r, settings) && isStaffRole(actor.role);
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
  }
}
