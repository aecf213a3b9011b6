/**
 * Authorization matrix: every operation of the API contract, called through the SDK by every kind of caller,
 * against the resources of one organization (org A), with the expected outcome written down as a table.
 *
 * The policy under test (apps/server/src/modules/policy/policy.ts):
 * - patients see only their own record and their own patient threads;
 * - providers and staff see patients on their care teams (every patient of the organization when the setting
 *   staffSeeAllPatients is on) and internal threads only as participants;
 * - admins manage the organization, users, care teams, patient registration and demographics, and read no
 *   messages or threads;
 * - compliance reads and verifies the audit trail and nothing clinical;
 * - nothing crosses organizations;
 * - a resource the caller may not see answers 404 exactly like one that does not exist; a role lacking a
 *   capability altogether answers 403; no valid session answers 401.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import sharp from 'sharp';
import { endpoints, HavenApiError, HavenClient, type Attachment, type Message, type Resource, type Thread } from '@haven/api';
import {
  addPatient,
  addStaff,
  code,
  createPractice,
  rejects,
  signIn,
  startTestServer,
  strongPassword,
  uuid,
  type Member,
  type Practice,
  type TestServer,
} from './harness.js';

// ---------------------------------------------------------------------------------------------------------------
// Actors and the expectation table
// ---------------------------------------------------------------------------------------------------------------

/** Column order of the table below. */
const ACTORS = [
  'anonymous', //     no token at all
  'patientA', //      patient on care team A (org A)
  'patientB', //      patient on care team B (org A)
  'nurse', //         role staff, care team A
  'provider', //      role provider, care team A
  'otherProvider', // role provider, care team B
  'admin', //         org A admin
  'compliance', //    org A compliance officer
  'deactivated', //   org A staff member (care team A) deactivated by the admin; keeps its old bearer token
  'orgBAdmin', //     admin of organization B
  'orgBProvider', //  provider of organization B
  'orgBPatient', //   patient of organization B
] as const;
type Actor = (typeof ACTORS)[number];
type SignedIn = Exclude<Actor, 'anonymous'>;
type Expected = 'ok' | 401 | 403 | 404;

/**
 * operation[:variant] → expected outcome per actor, in ACTORS order.
 *   ok  = 2xx                       401 = unauthenticated / session_expired / invalid_credentials
 *   403 = forbidden (role-level)    404 = not_found (may not see it, exactly like a missing id)
 *
 * Unless a variant says otherwise, requests name these org A resources: patient A, thread A (patient A's thread,
 * with a message by patient A and one by the provider), the internal thread between provider and nurse, care
 * team A, the Family Medicine department. Org B actors send the same org A ids (so their cells are the
 * cross-organization checks); requests without any id act in the caller's own organization.
 * Rows whose allowed call changes state get a fresh resource per cell (see REQUESTS), so the order of cells does
 * not matter. The auth.* self-service rows (mfa, totp, password) run on a fresh "twin" account of the actor's
 * role in the actor's organization, because they change the account itself (a password change ends all other
 * sessions, for instance).
 */
const MATRIX = `
# operation                      anon  patA  patB  nurse prov  othP  admin comp  deact bAdm  bPrv  bPat
auth.login                       ok    ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.session                     401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.logout                      401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.mfa.verify                  401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.totp.setup                  401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.totp.enable                 401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
auth.password.change             401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok

organization.get                 401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
organization.update              401   403   403   403   403   403   ok    403   401   ok    403   403
departments.create               401   403   403   403   403   403   ok    403   401   ok    403   403
departments.list                 401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
careTeams.create                 401   403   403   403   403   403   ok    403   401   404   403   403
careTeams.list                   401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
careTeams.members.add            401   403   403   403   403   403   ok    403   401   404   403   403
careTeams.members.remove         401   403   403   403   403   403   ok    403   401   404   403   403

users.create                     401   403   403   403   403   403   ok    403   401   404   403   403
users.list                       401   403   403   403   403   403   ok    403   401   ok    403   403
users.get                        401   403   403   403   403   403   ok    403   401   404   403   403
users.update                     401   403   403   403   403   403   ok    403   401   404   403   403
users.deactivate                 401   403   403   403   403   403   ok    403   401   404   403   403
users.reactivate                 401   403   403   403   403   403   ok    403   401   404   403   403

patients.create                  401   403   403   ok    ok    ok    ok    403   401   404   404   403
patients.list                    401   ok    ok    ok    ok    ok    ok    403   401   ok    ok    ok
patients.get                     401   ok    404   ok    ok    404   ok    404   401   404   404   404
patients.update                  401   403   404   ok    ok    404   ok    404   401   404   404   404
patients.update:careTeams        401   403   404   403   403   404   ok    404   401   404   404   404

threads.create                   401   ok    404   ok    ok    404   403   404   401   404   404   404
threads.create:internal          401   403   403   ok    ok    ok    403   403   401   403   404   403
threads.list                     401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
threads.get                      401   ok    404   ok    ok    404   404   404   401   404   404   404
threads.get:internal             401   404   404   ok    ok    404   404   404   401   404   404   404

messages.create                  401   ok    404   ok    ok    404   404   404   401   404   404   404
messages.create:internal         401   404   404   ok    ok    404   404   404   401   404   404   404
messages.get                     401   ok    404   ok    ok    404   404   404   401   404   404   404
messages.get:retracted           401   404   404   ok    ok    404   404   404   401   404   404   404
messages.list                    401   ok    404   ok    ok    404   404   404   401   404   404   404
messages.list:internal           401   404   404   ok    ok    404   404   404   401   404   404   404
messages.edit                    401   403   404   403   ok    404   404   404   401   404   404   404
messages.edit:patientsOwn        401   ok    404   403   403   404   404   404   401   404   404   404
messages.retract                 401   403   404   403   ok    404   404   404   401   404   404   404
messages.retract:patientsOwn     401   403   404   403   403   404   404   404   401   404   404   404
messages.versions                401   404   404   ok    ok    404   404   404   401   404   404   404
messages.receipts                401   ok    404   ok    ok    404   404   404   401   404   404   404
messages.search                  401   ok    ok    ok    ok    ok    403   403   401   403   ok    ok
messages.search:inThread         401   ok    404   ok    ok    404   404   404   401   404   404   404

messages.create:note             401   403   404   ok    ok    404   404   404   401   404   404   404
messages.get:note                401   404   404   ok    ok    404   404   404   401   404   404   404
messages.edit:note               401   404   404   403   ok    404   404   404   401   404   404   404
attachments.download:note        401   404   404   ok    ok    404   404   404   401   404   404   404
threads.create:consult           401   403   403   ok    ok    404   403   403   401   403   404   403
threads.consults                 401   403   403   ok    ok    404   403   403   401   403   404   403
mentions.list                    401   403   403   ok    ok    ok    403   403   401   403   ok    403
mentions.done                    401   403   403   ok    404   404   403   403   401   403   404   403

attachments.upload               401   ok    404   ok    ok    404   404   404   401   404   404   404
attachments.list                 401   ok    404   ok    ok    404   404   404   401   404   404   404
attachments.download             401   ok    404   ok    ok    404   404   404   401   404   404   404
attachments.preview              401   ok    404   ok    ok    404   404   404   401   404   404   404

observations.import              401   ok    404   ok    ok    404   ok    404   401   404   404   404
observations.create              401   ok    404   ok    ok    404   ok    404   401   404   404   404
observations.list                401   ok    404   ok    ok    404   403   404   401   404   404   404
observations.chart.share         401   403   404   ok    ok    404   403   404   401   404   404   404
resources.create                 401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
resources.create:link            401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
resources.list                   401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
resources.get                    401   403   403   ok    ok    ok    ok    403   401   404   404   403
resources.update                 401   403   403   403   ok    403   ok    403   401   404   404   403
resources.archive                401   403   403   403   ok    403   ok    403   401   404   404   403
resources.upload                 401   403   403   403   ok    403   ok    403   401   404   404   403
resources.download               401   403   403   ok    ok    ok    ok    403   401   404   404   403
resources.share                  401   403   403   ok    ok    404   404   403   401   404   404   403
resources.share:link             401   403   403   ok    ok    404   404   403   401   404   404   403
resources.share:internal         401   403   403   ok    ok    404   404   403   401   404   404   403
templates.variables              401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
templates.list                   401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
templates.create                 401   403   403   ok    ok    ok    403   403   401   403   ok    403
templates.create:organization    401   403   403   403   403   403   ok    403   401   ok    403   403
templates.get                    401   403   403   ok    ok    ok    ok    403   401   404   404   403
templates.get:personal           401   403   403   404   ok    404   404   403   401   404   404   403
templates.update                 401   403   403   403   403   403   ok    403   401   404   404   403
templates.update:personal        401   403   403   404   ok    404   404   403   401   404   404   403
templates.render                 401   403   403   ok    ok    404   403   403   401   403   404   403
templates.render:internal        401   403   403   ok    ok    404   403   403   401   403   404   403
reactions.add                    401   ok    404   ok    ok    404   404   404   401   404   404   404
reactions.add:internal           401   404   404   ok    ok    404   404   404   401   404   404   404
reactions.remove                 401   ok    404   ok    ok    404   404   404   401   404   404   404

audit.list                       401   403   403   403   403   403   403   ok    401   403   403   403
audit.verify                     401   403   403   403   403   403   403   ok    401   403   403   403
audit.checkpoints                401   403   403   403   403   403   403   ok    401   403   403   403
audit.publicKey                  ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
events.ticket                    401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok

notifications.preferences.get    401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
notifications.preferences.update 401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
notifications.consent.update     401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
notifications.push.publicKey     ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
notifications.push.subscribe     401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
notifications.push.list          401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
notifications.push.unsubscribe   401   ok    404   404   404   404   404   404   401   404   404   404
notifications.sms.inbound        401   401   401   401   401   401   401   401   401   401   401   401
notifications.attempts.list      401   403   403   403   403   403   ok    403   401   ok    403   403

# availability (begin)
availability.hours.get           401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
availability.hours.update        401   403   403   403   403   403   ok    403   401   ok    403   403
availability.departmentHours.get 401   403   403   ok    ok    ok    ok    ok    401   404   404   403
availability.departmentHours.update 401 403  403   403   403   403   ok    403   401   404   403   403
availability.holidays.list       401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
availability.holidays.create     401   403   403   403   403   403   ok    403   401   ok    403   403
availability.holidays.create:department 401 403 403 403 403   403   ok    403   401   404   403   403
availability.holidays.delete     401   403   403   403   403   403   ok    403   401   404   403   403
availability.status              401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
availability.status:department   401   ok    ok    ok    ok    ok    ok    ok    401   404   404   404
availability.staff.list          401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
availability.staff.get           401   403   403   ok    ok    ok    ok    ok    401   404   404   403
availability.staff.update        401   403   403   ok    403   403   ok    403   401   404   403   403
availability.outOfOffice.create  401   403   403   ok    403   403   ok    403   401   404   403   403
availability.outOfOffice.update  401   403   403   ok    403   403   ok    403   401   404   403   403
availability.outOfOffice.delete  401   403   403   ok    403   403   ok    403   401   404   403   403
onCall.shifts.list               401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
onCall.shifts.create             401   403   403   403   403   403   ok    403   401   404   403   403
onCall.shifts.delete             401   403   403   403   403   403   ok    403   401   404   403   403
onCall.current                   401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
onCall.current:department        401   403   403   ok    ok    ok    ok    ok    401   404   404   403
# availability (end)
# workflow (begin): patient A's threads; fresh ones where a cell changes them
inbox.list                       401   403   403   ok    ok    ok    403   403   401   403   ok    403
inbox.counts                     401   403   403   ok    ok    ok    403   403   401   403   ok    403
threads.assign                   401   403   404   ok    ok    404   404   404   401   404   404   404
threads.claim                    401   403   403   ok    ok    404   403   403   401   403   404   403
threads.close                    401   403   404   ok    ok    404   404   404   401   404   404   404
threads.reopen                   401   403   404   ok    ok    404   404   404   401   404   404   404
threads.priority                 401   403   404   ok    ok    404   404   404   401   404   404   404
threads.escalate                 401   403   404   ok    ok    404   404   404   401   404   404   404
queues.create                    401   403   403   403   403   403   ok    403   401   ok    403   403
queues.list                      401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
queues.update                    401   403   403   403   403   403   ok    403   401   404   403   403
routing.rules.get                401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
routing.rules.replace            401   403   403   403   403   403   ok    403   401   ok    403   403
sla.targets.get                  401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
sla.targets.replace              401   403   403   403   403   403   ok    403   401   ok    403   403
workflow.settings.get            401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
workflow.settings.update         401   403   403   403   403   403   ok    403   401   ok    403   403
workflow.directMessages.get      401   403   403   403   ok    ok    403   403   401   403   ok    403
workflow.directMessages          401   403   403   403   ok    ok    403   403   401   403   ok    403
messaging.expectations           401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
analytics.report                 401   403   403   403   403   403   ok    403   401   ok    403   403
analytics.export                 401   403   403   403   403   403   ok    403   401   ok    403   403
# workflow (end)
# crisis lexicon overrides (0021)
safety.lexicon.get               401   403   403   ok    ok    ok    ok    ok    401   ok    ok    403
safety.lexicon.update            401   403   403   403   403   403   ok    403   401   ok    403   403
safety.lexicon.history           401   403   403   403   403   403   ok    ok    401   ok    403   403
safety.lexicon.check             401   403   403   403   403   403   ok    403   401   ok    403   403
scheduledMessages.create         401   403   403   ok    ok    404   403   403   401   403   404   403
scheduledMessages.list           401   403   403   ok    ok    404   403   403   401   403   404   403
scheduledMessages.overview       401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
scheduledMessages.update         401   403   403   403   ok    404   403   403   401   403   404   403
scheduledMessages.cancel         401   403   403   403   ok    404   ok    403   401   404   404   403
followUps.create                 401   403   403   ok    ok    404   403   403   401   403   404   403
followUps.list                   401   403   403   ok    ok    404   403   403   401   403   404   403
followUps.cancel                 401   403   403   403   ok    404   403   403   401   403   404   403
chartNotes.create                401   403   403   ok    ok    404   403   403   401   403   404   403
chartNotes.list                  401   ok    404   ok    ok    404   403   404   401   404   404   404
chartNotes.remove                401   403   403   ok    ok    404   403   403   401   403   404   403
tags.list                        401   403   403   ok    ok    ok    ok    403   401   ok    ok    403
patients.tags.get                401   403   404   ok    ok    404   ok    404   401   404   404   404
patients.tags.set                401   403   404   ok    ok    404   ok    404   401   404   404   404
patients.archive                 401   404   404   ok    ok    404   ok    404   401   404   404   404
patients.unarchive               401   404   404   ok    ok    404   ok    404   401   404   404   404
messagingRollout.get             401   403   403   403   403   403   ok    403   401   ok    403   403
messagingRollout.update          401   403   403   403   403   403   ok    403   401   ok    403   403
me.messaging                     401   ok    ok    403   403   403   403   403   401   403   403   ok
me.language.update               401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
me.messagingPolicy.get           401   ok    ok    ok    ok    ok    ok    ok    401   ok    ok    ok
me.messagingPolicy.accept        401   ok    ok    403   403   403   403   403   401   403   403   ok
broadcasts.preview               401   403   403   ok    ok    ok    403   403   401   403   404   403
broadcasts.create                401   403   403   ok    ok    ok    403   403   401   403   404   403
broadcasts.list                  401   403   403   ok    ok    ok    403   403   401   403   ok    403
broadcasts.get                   401   403   403   404   ok    404   403   403   401   403   404   403
broadcasts.cancel                401   403   403   404   ok    404   403   403   401   403   404   403
`;
// Notes on individual cells:
// - auth.login: each actor signs in with its own credentials (anonymous with patient A's); the deactivated
//   account is refused. Org B actors sign in to org B.
// - deactivated: its old session is dead on every endpoint; audit.publicKey is public and ignores the token.
// - organization.update / departments.create / users.list for orgBAdmin: allowed, but they act on org B
//   (the lists tests below check that org A data never shows up there and vice versa).
// - careTeams.create and users.create name org A's department, patients.create org A's care team A, and
//   careTeams.members.* a fresh org A care team: so an org B admin gets 404, everyone else but the org A admin
//   403 (role-level, decided before any id is looked at).
// - patients.update, patientA: patient A may see its own record but patients have no capability to change
//   records, so 403 (not 404: the record is visible to them).
// - threads.create: a patient thread for patient A. The admin sees patient A's record but has no messaging
//   capability: 403. Compliance does not see the record at all: 404.
// - threads.create:internal: admins read no messages or threads, so they may not start (and thereby take part
//   in) internal threads: 403, like patients and compliance. The orgBProvider names the org A nurse as
//   participant: 404.
// - threads.list answers everyone with a session, scoped to what the caller may see (the "lists" tests check
//   the contents, including the empty scope of admin and compliance). messages.search is refused (403) to
//   admins and compliance, who read no messages.
// - messages.edit / messages.retract target a fresh message by the provider in thread A; the :patientsOwn
//   variants a fresh message by patient A. Seeing the message but not being its (staff) sender is 403.
// - messages.versions: patients never see earlier versions, answered like a missing message (404), as
//   src/modules/messages/message.test.ts also expects.
// - notifications.preferences.*, consent, push.subscribe/list act on the caller's own settings: there is no user id
//   to name. push.unsubscribe names a fresh subscription of patient A: everyone else gets 404. sms.inbound is the
//   SMS provider's webhook: its authentication is the signature, so an unsigned post is 401 whoever sends it.
//   attempts.list is for admins (org B's admin sees org B's attempts only: see notification.test.ts).
// - attachments.*: upload is for a fresh message id in thread A; list, download and preview name a JPEG that
//   patient A attached to a message in thread A (uploaded, then the message sent). They follow the thread.
// - observations.*: all name patient A. Patients submit (and read) their own device data; admins may import and
//   add for any patient of their organization but read none (observations.list: 403, like other capabilities they
//   lack on a record they see); compliance does not see the record (404). chart.share shares a heart rate chart of
//   patient A into thread A under a fresh message id: clinical staff only (patient A and the admin see the record
//   but lack the capability: 403).
// - messages.get names the provider's message in thread A; :retracted a fresh provider message, retracted (patients
//   do not see retracted messages: 404 like a missing one).
// - internal notes (messages.create with internal: true, in thread A): only providers and staff who may write in the
//   thread write one; patient A sees the thread but lacks the capability (403). A note is invisible to patient A
//   exactly like a missing message (:note rows: get, edit of a fresh provider note, download of a file attached to
//   a provider note: 404); the nurse sees the provider's note but is not its sender (edit: 403).
// - threads.create:consult: an internal thread with the nurse, linked to thread A; the link must name a thread the
//   creator sees (otherProvider: 404; org B provider: the org A nurse is not a colleague, 404). threads.consults on
//   thread A: providers and staff who see the thread (patients, admins, compliance: 403 for the role).
// - mentions.*: providers and staff only (403 for other roles); mentions.list lists the caller's own; mentions.done
//   names a fresh mention of the nurse by the provider (anyone else: 404, like a missing one).
// - resources.*: the library is for admins, providers and staff (patients and compliance: 403, role-level, before
//   any id is looked at). get/download/share name a file resource the provider added to org A's library (org B
//   callers: 404); update/archive/upload a fresh one per cell, which only its creator (the provider) or an admin may
//   change (others who see it: 403). resources.create acts in the caller's own organization (org B admins and
//   providers: ok). share goes into thread A (:internal the provider–nurse thread), fresh message id per cell: the
//   library role is not enough, the caller must be able to write in the thread (admins, other care teams: 404).
// - availability.* / onCall.* (availability): everyone on staff reads hours, holidays, staff availability and on call;
//   patients only availability.status (the practice's public hours, open now). Admins manage hours, holidays and
//   shifts (role-level 403 for everyone else before any id is looked at); rows without an id act in the caller's own
//   organization (org B admin: ok), the :department variants and the rows naming an org A department, holiday,
//   shift or person answer org B callers 404 (403 where their role lacks the capability). staff.update and the
//   outOfOffice.* rows name the org A nurse: the nurse (herself) and the org A admin may; other staff 403.
//   Deleting and updating rows get a fresh holiday, out-of-office period or shift per cell.
// - scheduledMessages.*, followUps.*, chartNotes.create/remove (0011): providers and staff only; every other role gets
//   403 before any id is looked at (admins may only cancel scheduled messages and see the organization's overview,
//   without text). create/list name thread A (:create a fresh id an hour ahead, a follow-up 90 days ahead);
//   update/cancel a fresh scheduled message of the provider, followUps.cancel a fresh follow-up of the provider: the
//   nurse sees them but is not their author (403), other care teams and org B do not see them (404); an admin of
//   org B does not see org A's (404). overview acts in the caller's own organization. chartNotes.create marks patient
//   A's message in thread A (fresh id); remove un-marks a fresh note of the provider (any provider or staff member
//   who sees the patient may). chartNotes.list is patient A's timeline: the patient reads their own; admins see the
//   record but not the chart (403), compliance does not see the record (404).
// - cohorts (tags, archive, soft launch, broadcasts): patients.tags.* name patient A (tags are staff-only: patient A
//   sees its record but lacks the capability, 403). patients.archive/unarchive name a fresh care team A patient per
//   cell (so patient A gets 404 there: it is not their record). messagingRollout.* are for admins (org B's admin
//   acts on org B); me.messaging is for patients. broadcasts.preview/create select the tag `matrix-broadcast` on
//   care team A: its one patient is on care teams A and B, so the other provider reaches it too; an org B provider
//   naming org A's care team gets 404, roles without broadcasts 403 before any id is looked at. broadcasts.get names
//   a broadcast of the provider, cancel a fresh one of the provider (two recipients; the server sends one broadcast
//   message every 100 s, so the second is still pending when the provider cancels): only the author sees them.
// - templates.*: for admins, providers and staff (patients and compliance: 403, role-level). get/render name an
//   organization template of org A (org B callers: 404); :personal a personal template of the provider, which nobody
//   else can tell exists (404, admins included). create is personal (providers and staff; admins keep none: 403),
//   :organization an organization template (admins only; org B's admin creates in org B). update changes a fresh
//   template per cell (organization: admins; personal: the provider). render fills the organization template for
//   thread A (:internal the provider–nurse thread): admins lack the capability (403), staff who cannot write in the
//   thread get 404 like for a message.
// - safety.lexicon.* (0021) act on the caller's own organization's crisis lexicon (org B's admin: org B's). Every staff
//   role reads it (like the workflow settings), admins and compliance read its revision history, admins alone save a
//   revision and try texts against it (role-level 403 for everyone else). update saves the caller's organization's
//   current revision again as a reset to base (`{ baseVersion }`), based on the revision its admin reads just before.
// - reactions.*: 👍 on the provider's message in thread A (:internal the nurse's message in the internal thread):
//   whoever may see the thread; adding twice or removing what is not there is fine (idempotent).

interface Row {
  key: string;
  op: string;
  expect: Record<Actor, Expected>;
}

function parseMatrix(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [key, ...cells] = line.split(/\s+/);
    if (!key || cells.length !== ACTORS.length) throw new Error(`matrix row "${line}" must have ${ACTORS.length} cells`);
    const expect = {} as Record<Actor, Expected>;
    ACTORS.forEach((actor, i) => {
      const cell = cells[i]!;
      if (cell !== 'ok' && cell !== '401' && cell !== '403' && cell !== '404') throw new Error(`matrix row ${key}: bad cell ${cell}`);
      expect[actor] = cell === 'ok' ? 'ok' : (Number(cell) as 401 | 403 | 404);
    });
    if (rows.some((r) => r.key === key)) throw new Error(`matrix row ${key} appears twice`);
    rows.push({ key, op: key.split(':')[0]!, expect });
  }
  return rows;
}

const ROWS = parseMatrix(MATRIX);

// ---------------------------------------------------------------------------------------------------------------
// The world: two practices and the org A resources every row refers to
// ---------------------------------------------------------------------------------------------------------------

interface World {
  server: TestServer;
  A: Practice;
  B: Practice;
  members: Record<SignedIn, Member>;
  /** Patient A's thread, with msgPatientA and msgProvider. */
  threadA: Thread;
  msgPatientA: Message;
  msgProvider: Message;
  /** Patient B's thread (care team B). */
  threadB: Thread;
  msgB: Message;
  /** Internal thread between provider and nurse. */
  internal: Thread;
  msgInternal: Message;
  /** Org B: its patient A's thread. */
  bThread: Thread;
  msgBThread: Message;
}

let w: World;

/** A word only the fixture messages contain, for search checks. */
const WORD = 'quetzal';

before(async () => {
  // Push subscriptions may point at loopback only and SMS goes to a closed loopback port: nothing leaves the machine.
  const server = await startTestServer({
    pushEndpointHosts: ['127.0.0.1'],
    smsAccountSid: 'ACmatrix',
    smsAuthToken: 'matrix-token',
    smsFrom: '+15550000000',
    smsBaseUrl: 'http://127.0.0.1:9',
    smsWebhookSecret: randomBytes(24).toString('hex'),
    // cohorts: one broadcast message per 100 s (the first goes at once), so a broadcast of two stays cancellable.
    broadcastRatePerSecond: 0.01,
  });
  const [A, B] = await Promise.all([createPractice(server, 'orga'), createPractice(server, 'orgb')]);
  const deactivated = await addStaff(server, 'orga', A.admin.client, 'staff', 'Former Nurse orga', A.dept.id);
  await A.admin.client.call('careTeams.members.add', { params: { id: A.teamA.id }, body: { userId: deactivated.id } });

  const send = (m: Member, threadId: string, body: string) => m.client.call('messages.create', { params: { threadId }, body: { id: uuid(), body } });
  const [threadA, threadB, internal, bThread] = await Promise.all([
    A.patientA.client.call('threads.create', { body: { subject: 'Medication question', topic: 'prescription_refill' } }),
    A.patientB.client.call('threads.create', { body: { subject: 'Rash', topic: 'clinical_question' } }),
    A.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Coverage next week', participantIds: [A.nurse.id] } }),
    B.patientA.client.call('threads.create', { body: { subject: 'Org B question', topic: 'other' } }),
  ]);
  const msgPatientA = await send(A.patientA, threadA.id, `${WORD}: can I double my dose?`);
  const msgProvider = await send(A.provider, threadA.id, `${WORD}: please keep the current dose`);
  const [msgB, msgInternal, msgBThread] = await Promise.all([
    send(A.patientB, threadB.id, `${WORD}: the rash is spreading`),
    send(A.nurse, internal.id, `${WORD}: I can cover Tuesday`),
    send(B.patientA, bThread.id, `${WORD}: a question in organization B`),
  ]);
  // The deactivated member had a working session (and care team A access) until now.
  await deactivated.client.call('threads.get', { params: { threadId: threadA.id } });
  await A.admin.client.call('users.deactivate', { params: { id: deactivated.id } });

  w = {
    server,
    A,
    B,
    members: {
      patientA: A.patientA,
      patientB: A.patientB,
      nurse: A.nurse,
      provider: A.provider,
      otherProvider: A.otherProvider,
      admin: A.admin,
      compliance: A.compliance,
      deactivated,
      orgBAdmin: B.admin,
      orgBProvider: B.provider,
      orgBPatient: B.patientA,
    },
    threadA,
    msgPatientA,
    msgProvider,
    threadB,
    msgB,
    internal,
    msgInternal,
    bThread,
    msgBThread,
  };
});
after(() => w?.server.stop());

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const uniq = (): string => randomBytes(5).toString('hex');
const isOrgB = (a: Actor): boolean => a.startsWith('orgB');
const practiceOf = (a: Actor): Practice => (isOrgB(a) ? w.B : w.A);

/** A fresh SDK client carrying the actor's token (login/logout on it never touch the actor's own client). */
function client(a: Actor): HavenClient {
  return new HavenClient({ baseUrl: w.server.url, token: a === 'anonymous' ? undefined : w.members[a].client.token });
}

interface Outcome {
  status: number;
  code: string | null;
  /** The problem body without its requestId. */
  problem?: Record<string, unknown>;
}

/** Runs one SDK call and reports how it ended; anything but an API answer is a test error. */
async function attempt(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { status: 200, code: null };
  } catch (err) {
    if (!(err instanceof HavenApiError)) throw err;
    const { requestId: _requestId, ...problem } = err.problem;
    return { status: err.status, code: err.code, problem };
  }
}

const show = (o: Outcome): string => (o.status < 300 ? '2xx' : `${o.status} ${o.code}`);

function matches(expected: Expected, o: Outcome): boolean {
  switch (expected) {
    case 'ok':
      return o.status < 300;
    case 401:
      return o.status === 401 && ['unauthenticated', 'session_expired', 'invalid_credentials', 'invalid_signature'].includes(o.code ?? '');
    case 403:
      return o.status === 403 && o.code === 'forbidden';
    case 404:
      return o.status === 404 && o.code === 'not_found';
  }
}

/** At most `n` cells in flight: keeps the server's 10-connection test pool from being the thing under test. */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
const limit = limiter(6);

/** A JPEG (so it has a preview) attached by patient A to a sent message of thread A; created once. */
let attachmentA: Promise<Attachment> | undefined;
const sharedAttachment = (): Promise<Attachment> =>
  (attachmentA ??= (async () => {
    const messageId = uuid();
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).jpeg().toBuffer();
    const att = await client('patientA').uploadAttachment(w.threadA.id, messageId, { data: jpeg, fileName: 'photo.jpg', contentType: 'image/jpeg' });
    await client('patientA').call('messages.create', { params: { threadId: w.threadA.id }, body: { id: messageId, body: 'matrix: photo' } });
    return att;
  })());

/** A text file the provider attached to an internal note in thread A; created once. */
let noteAttachment: Promise<Attachment> | undefined;
const sharedNote = (): Promise<Attachment> =>
  (noteAttachment ??= (async () => {
    const messageId = uuid();
    const att = await client('provider').uploadAttachment(w.threadA.id, messageId, { data: Buffer.from('matrix: staff only\n'), fileName: 'note.txt', contentType: 'text/plain' });
    await client('provider').call('messages.create', { params: { threadId: w.threadA.id }, body: { id: messageId, body: 'matrix: internal note', internal: true } });
    return att;
  })());

/** A FHIR Observation of patient A's heart rate, an hour ago. */
const heartRate = (id: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  valueQuantity: { value: 72, system: 'http://unitsofmeasure.org', code: '/min' },
  effectiveDateTime: new Date(Date.now() - 3600_000).toISOString(),
});
/** Patient A has a heart rate reading to chart; imported once by the provider. */
let observationA: Promise<unknown> | undefined;
const sharedObservation = () =>
  (observationA ??= w.A.provider.client.call('observations.import', { params: { patientId: w.A.patientA.id }, body: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: heartRate('matrix-shared') }] } }));
const chartRequest = (threadId: string) => ({ threadId, messageId: uuid(), metric: 'heart_rate' as const, from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date().toISOString() });
/** A file resource the provider added to org A's library, with its bytes; created once. */
let resourceA: Promise<Resource> | undefined;
let sharedLink: Promise<Resource> | undefined;
const sharedResource = (): Promise<Resource> =>
  (resourceA ??= (async () => {
    const r = await w.A.provider.client.call('resources.create', { body: { kind: 'file', title: 'Matrix exercise sheet', tags: ['matrix'] } });
    return w.A.provider.client.uploadResourceFile(r.id, { data: Buffer.from('Breathe in for four, out for six.\n'), fileName: 'breathing.txt', contentType: 'text/plain' });
  })());

/** An organization template of org A (by its admin) and a personal template of the provider; created once. */
let templateA: Promise<{ id: string }> | undefined;
let personalA: Promise<{ id: string }> | undefined;
const sharedTemplate = () => (templateA ??= w.A.admin.client.call('templates.create', { body: { scope: 'organization', name: 'Matrix template', body: 'Hi {patient.firstName}, this is {staff.name}.' } }));
const sharedPersonal = () => (personalA ??= w.A.provider.client.call('templates.create', { body: { scope: 'personal', name: 'Matrix personal', body: 'Best, {staff.name}' } }));

/** A fresh org A resource added by the provider (a file resource without its bytes yet, or a link). */
const freshResource = (kind: 'file' | 'link') =>
  w.A.provider.client.call('resources.create', { body: kind === 'file' ? { kind, title: `Fresh ${uniq()}` } : { kind, title: `Fresh ${uniq()}`, url: 'https://example.org/fresh' } });

const send = (a: SignedIn, threadId: string, body: string) =>
  w.members[a].client.call('messages.create', { params: { threadId }, body: { id: uuid(), body } });

// cohorts
/** A fresh org A patient on care team A (registered by the admin). */
const freshPatient = () => w.A.admin.client.call('patients.create', { body: { email: `fresh.${uniq()}@patients.orga.test`, name: `Fresh ${uniq()}`, careTeamIds: [w.A.teamA.id] } });
/** The broadcast cohorts: `matrix-broadcast` (one patient, care teams A and B), `matrix-cancel` (two, care team A). */
let broadcastCohorts: Promise<void> | undefined;
const sharedCohorts = (): Promise<void> =>
  (broadcastCohorts ??= (async () => {
    const tag = async (tags: string[], careTeamIds: string[]) => {
      const p = await w.A.admin.client.call('patients.create', { body: { email: `cohort.${uniq()}@patients.orga.test`, name: `Cohort ${uniq()}`, careTeamIds } });
      await w.A.admin.client.call('patients.tags.set', { params: { id: p.id }, body: { tags } });
    };
    await tag(['matrix-broadcast'], [w.A.teamA.id, w.A.teamB.id]);
    await tag(['matrix-cancel'], [w.A.teamA.id]);
    await tag(['matrix-cancel'], [w.A.teamA.id]);
  })());
const broadcastDraft = (tag: string) => ({ selector: { tags: [tag], careTeamId: w.A.teamA.id }, subject: 'Matrix broadcast', body: 'Hello {patient.firstName}', topic: 'other' });
let sharedBroadcastA: Promise<{ id: string }> | undefined;
const sharedBroadcast = (): Promise<{ id: string }> =>
  (sharedBroadcastA ??= sharedCohorts().then(() => w.A.provider.client.call('broadcasts.create', { body: broadcastDraft('matrix-broadcast') })));
let cancelBroadcastA: Promise<{ id: string }> | undefined;
const cancellableBroadcast = (): Promise<{ id: string }> =>
  (cancelBroadcastA ??= sharedCohorts().then(() => w.A.provider.client.call('broadcasts.create', { body: broadcastDraft('matrix-cancel') })));

/** A throwaway staff member of org A (generated password, never signed in). */
const freshStaff = () => w.A.admin.client.call('users.create', { body: { role: 'staff', email: `throwaway.${uniq()}@orga.test`, name: `Throwaway ${uniq()}` } });

/** A throwaway care team of org A without patients, optionally with the other provider as member. */
const freshTeam = (withMember: boolean) =>
  w.A.admin.client.call('careTeams.create', { body: { name: `Team ${uniq()}`, ...(withMember ? { memberIds: [w.A.otherProvider.id] } : {}) } });

/** A new account with the actor's role in the actor's organization, signed in (for self-service auth rows). */
async function twin(a: SignedIn): Promise<Member & { slug: string }> {
  const m = w.members[a];
  const p = practiceOf(a);
  const name = `Twin ${a} ${uniq()}`;
  const t = m.role === 'patient' ? await addPatient(w.server, p.slug, p.admin.client, name, [p.teamA.id]) : await addStaff(w.server, p.slug, p.admin.client, m.role, name);
  return { ...t, slug: p.slug };
}

/** Self-service auth rows: callers without a live session use their own client, everyone else a twin. */
async function selfService(a: Actor, dead: (c: HavenClient) => Promise<unknown>, live: (t: Member & { slug: string }) => Promise<Outcome>): Promise<Outcome> {
  if (a === 'anonymous' || a === 'deactivated') return attempt(dead(client(a)));
  return live(await twin(a));
}

// ---------------------------------------------------------------------------------------------------------------
// How each row is requested
// ---------------------------------------------------------------------------------------------------------------

type Request = (a: Actor) => Promise<Outcome>;

const REQUESTS: Record<string, Request> = {
  // auth
  'auth.login': (a) => {
    const m = a === 'anonymous' ? w.A.patientA : w.members[a];
    return attempt(client(a).call('auth.login', { body: { organization: practiceOf(a).slug, email: m.email, password: m.password, transport: 'bearer' } }));
  },
  'auth.session': (a) => attempt(client(a).call('auth.session')),
  'auth.logout': async (a) => {
    if (a === 'anonymous' || a === 'deactivated') return attempt(client(a).call('auth.logout'));
    const m = w.members[a];
    const own = w.server.client();
    await own.login(practiceOf(a).slug, m.email, m.password);
    return attempt(own.call('auth.logout'));
  },
  'auth.mfa.verify': (a) =>
    selfService(
      a,
      (c) => c.call('auth.mfa.verify', { body: { code: '123456' } }),
      async (t) => {
        const { secret } = await t.client.call('auth.totp.setup');
        const [enableCode, verifyCode] = [code(secret), code(secret, 1)];
        await t.client.call('auth.totp.enable', { body: { code: enableCode } });
        const pending = w.server.client();
        const session = await pending.login(t.slug, t.email, t.password);
        assert.equal(session.stage, 'mfa_required');
        return attempt(pending.call('auth.mfa.verify', { body: { code: verifyCode } }));
      },
    ),
  'auth.totp.setup': (a) =>
    selfService(
      a,
      (c) => c.call('auth.totp.setup'),
      (t) => attempt(t.client.call('auth.totp.setup')),
    ),
  'auth.totp.enable': (a) =>
    selfService(
      a,
      (c) => c.call('auth.totp.enable', { body: { code: '123456' } }),
      async (t) => {
        const { secret } = await t.client.call('auth.totp.setup');
        return attempt(t.client.call('auth.totp.enable', { body: { code: code(secret) } }));
      },
    ),
  'auth.password.change': (a) =>
    selfService(
      a,
      (c) => c.call('auth.password.change', { body: { currentPassword: 'whatever-it-was', newPassword: strongPassword() } }),
      (t) => attempt(t.client.call('auth.password.change', { body: { currentPassword: t.password, newPassword: strongPassword() } })),
    ),

  // organization, departments, care teams
  'organization.get': (a) => attempt(client(a).call('organization.get')),
  'organization.update': (a) => attempt(client(a).call('organization.update', { body: { name: `Practice ${practiceOf(a).slug}` } })),
  'departments.create': (a) => attempt(client(a).call('departments.create', { body: { name: `Department ${uniq()}` } })),
  'departments.list': (a) => attempt(client(a).call('departments.list')),
  'careTeams.create': (a) => attempt(client(a).call('careTeams.create', { body: { name: `Team ${uniq()}`, departmentId: w.A.dept.id } })),
  'careTeams.list': (a) => attempt(client(a).call('careTeams.list')),
  'careTeams.members.add': async (a) => {
    const team = await freshTeam(false);
    return attempt(client(a).call('careTeams.members.add', { params: { id: team.id }, body: { userId: w.A.otherProvider.id } }));
  },
  'careTeams.members.remove': async (a) => {
    const team = await freshTeam(true);
    return attempt(client(a).call('careTeams.members.remove', { params: { id: team.id, userId: w.A.otherProvider.id } }));
  },

  // users
  'users.create': (a) =>
    attempt(client(a).call('users.create', { body: { role: 'staff', email: `new.${uniq()}@orga.test`, name: `New Staff ${uniq()}`, departmentId: w.A.dept.id } })),
  'users.list': (a) => attempt(client(a).call('users.list')),
  'users.get': (a) => attempt(client(a).call('users.get', { params: { id: w.A.provider.id } })),
  'users.update': async (a) => {
    const u = await freshStaff();
    return attempt(client(a).call('users.update', { params: { id: u.id }, body: { name: 'Renamed Staff' } }));
  },
  'users.deactivate': async (a) => {
    const u = await freshStaff();
    return attempt(client(a).call('users.deactivate', { params: { id: u.id } }));
  },
  'users.reactivate': async (a) => {
    const u = await freshStaff();
    await w.A.admin.client.call('users.deactivate', { params: { id: u.id } });
    return attempt(client(a).call('users.reactivate', { params: { id: u.id } }));
  },

  // patients
  'patients.create': (a) =>
    attempt(client(a).call('patients.create', { body: { email: `registered.${uniq()}@patients.orga.test`, name: `Registered ${uniq()}`, careTeamIds: [w.A.teamA.id] } })),
  'patients.list': (a) => attempt(client(a).call('patients.list')),
  'patients.get': (a) => attempt(client(a).call('patients.get', { params: { id: w.A.patientA.id } })),
  // Idempotent bodies: every allowed cell writes the same value, so the order of cells does not matter.
  'patients.update': (a) => attempt(client(a).call('patients.update', { params: { id: w.A.patientA.id }, body: { phone: '+1 555 0100' } })),
  'patients.update:careTeams': (a) => attempt(client(a).call('patients.update', { params: { id: w.A.patientA.id }, body: { careTeamIds: [w.A.teamA.id] } })),

  // threads
  'threads.create': (a) => attempt(client(a).call('threads.create', { body: { subject: 'Matrix thread', topic: 'other', patientId: w.A.patientA.id } })),
  'threads.create:internal': (a) => attempt(client(a).call('threads.create', { body: { kind: 'internal', subject: 'Matrix internal thread', participantIds: [w.A.nurse.id] } })),
  'threads.list': (a) => attempt(client(a).call('threads.list', { query: { limit: 10 } })),
  'threads.get': (a) => attempt(client(a).call('threads.get', { params: { threadId: w.threadA.id } })),
  'threads.get:internal': (a) => attempt(client(a).call('threads.get', { params: { threadId: w.internal.id } })),

  // messages
  'messages.create': (a) => attempt(client(a).call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix message' } })),
  'messages.create:internal': (a) => attempt(client(a).call('messages.create', { params: { threadId: w.internal.id }, body: { id: uuid(), body: 'matrix message' } })),
  'messages.get': (a) => attempt(client(a).call('messages.get', { params: { threadId: w.threadA.id, messageId: w.msgProvider.id } })),
  'messages.get:retracted': async (a) => {
    const m = await send('provider', w.threadA.id, 'matrix: retracted before anyone reads it');
    await w.A.provider.client.call('messages.retract', { params: { threadId: w.threadA.id, messageId: m.id }, body: {} });
    return attempt(client(a).call('messages.get', { params: { threadId: w.threadA.id, messageId: m.id } }));
  },
  'messages.list': (a) => attempt(client(a).call('messages.list', { params: { threadId: w.threadA.id } })),
  'messages.list:internal': (a) => attempt(client(a).call('messages.list', { params: { threadId: w.internal.id } })),
  'messages.edit': async (a) => {
    const m = await send('provider', w.threadA.id, 'matrix: to be edited');
    return attempt(client(a).call('messages.edit', { params: { threadId: w.threadA.id, messageId: m.id }, body: { body: 'matrix: edited' } }));
  },
  'messages.edit:patientsOwn': async (a) => {
    const m = await send('patientA', w.threadA.id, 'matrix: to be edited');
    return attempt(client(a).call('messages.edit', { params: { threadId: w.threadA.id, messageId: m.id }, body: { body: 'matrix: edited' } }));
  },
  'messages.retract': async (a) => {
    const m = await send('provider', w.threadA.id, 'matrix: to be retracted');
    return attempt(client(a).call('messages.retract', { params: { threadId: w.threadA.id, messageId: m.id }, body: { reason: 'matrix' } }));
  },
  'messages.retract:patientsOwn': async (a) => {
    const m = await send('patientA', w.threadA.id, 'matrix: to be retracted');
    return attempt(client(a).call('messages.retract', { params: { threadId: w.threadA.id, messageId: m.id }, body: {} }));
  },
  'messages.versions': (a) => attempt(client(a).call('messages.versions', { params: { threadId: w.threadA.id, messageId: w.msgProvider.id } })),
  'messages.receipts': (a) =>
    attempt(client(a).call('messages.receipts', { params: { threadId: w.threadA.id }, body: { messageId: w.msgProvider.id, status: 'read' } })),
  'messages.search': (a) => attempt(client(a).call('messages.search', { body: { query: WORD } })),
  'messages.search:inThread': (a) => attempt(client(a).call('messages.search', { body: { query: WORD, threadId: w.threadA.id } })),

  // internal notes, consults, mentions
  'messages.create:note': (a) => attempt(client(a).call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix note', internal: true } })),
  'messages.get:note': async (a) => {
    const note = await sharedNote();
    return attempt(client(a).call('messages.get', { params: { threadId: w.threadA.id, messageId: note.messageId } }));
  },
  'messages.edit:note': async (a) => {
    const m = await w.A.provider.client.call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix: note to be edited', internal: true } });
    return attempt(client(a).call('messages.edit', { params: { threadId: w.threadA.id, messageId: m.id }, body: { body: 'matrix: note edited' } }));
  },
  'attachments.download:note': async (a) => {
    const note = await sharedNote();
    return attempt(client(a).downloadAttachment(w.threadA.id, note.messageId, note.id));
  },
  'threads.create:consult': (a) =>
    attempt(client(a).call('threads.create', { body: { kind: 'internal', subject: 'Matrix consult', participantIds: [w.A.nurse.id], linkedThreadId: w.threadA.id } })),
  'threads.consults': (a) => attempt(client(a).call('threads.consults', { params: { threadId: w.threadA.id } })),
  'mentions.list': (a) => attempt(client(a).call('mentions.list', { query: { limit: 5 } })),
  'mentions.done': async (a) => {
    const m = await w.A.provider.client.call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix: for the nurse', internal: true, mentions: [w.A.nurse.id] } });
    const row = await w.server.sql<{ id: string }>(`select id from message_mentions where message_id = $1`, [m.id]);
    return attempt(client(a).call('mentions.done', { params: { mentionId: row.rows[0]!.id } }));
  },

  // attachments
  'attachments.upload': (a) => attempt(client(a).uploadAttachment(w.threadA.id, uuid(), { data: Buffer.from('matrix notes\n'), fileName: 'notes.txt', contentType: 'text/plain' })),
  'attachments.list': async (a) => {
    const att = await sharedAttachment();
    return attempt(client(a).call('attachments.list', { params: { threadId: w.threadA.id, messageId: att.messageId } }));
  },
  'attachments.download': async (a) => {
    const att = await sharedAttachment();
    return attempt(client(a).downloadAttachment(w.threadA.id, att.messageId, att.id));
  },
  'attachments.preview': async (a) => {
    const att = await sharedAttachment();
    return attempt(client(a).downloadAttachment(w.threadA.id, att.messageId, att.id, 'preview'));
  },

  // observations
  'observations.import': (a) =>
    attempt(
      client(a).call('observations.import', {
        params: { patientId: w.A.patientA.id },
        body: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: heartRate(`matrix-${uniq()}`) }] },
      }),
    ),
  'observations.create': (a) =>
    attempt(client(a).call('observations.create', { params: { patientId: w.A.patientA.id }, body: { id: uuid(), metric: 'heart_rate', value: 71, unit: '/min', effectiveAt: new Date().toISOString() } })),
  'observations.list': (a) => attempt(client(a).call('observations.list', { params: { patientId: w.A.patientA.id } })),
  'observations.chart.share': async (a) => {
    await sharedObservation();
    return attempt(client(a).call('observations.chart.share', { params: { patientId: w.A.patientA.id }, body: chartRequest(w.threadA.id) }));
  },
  // resource library
  'resources.create': (a) => attempt(client(a).call('resources.create', { body: { kind: 'file', title: `Leaflet ${uniq()}`, tags: ['matrix'] } })),
  'resources.create:link': (a) => attempt(client(a).call('resources.create', { body: { kind: 'link', title: `Link ${uniq()}`, url: 'https://example.org/exercise' } })),
  'resources.list': (a) => attempt(client(a).call('resources.list', { query: { q: 'leaflet', limit: 5 } })),
  'resources.get': async (a) => attempt(client(a).call('resources.get', { params: { resourceId: (await sharedResource()).id } })),
  'resources.update': async (a) => {
    const r = await freshResource('file');
    return attempt(client(a).call('resources.update', { params: { resourceId: r.id }, body: { title: 'Renamed leaflet', tags: ['renamed'] } }));
  },
  'resources.archive': async (a) => {
    const r = await freshResource('link');
    return attempt(client(a).call('resources.archive', { params: { resourceId: r.id } }));
  },
  'resources.upload': async (a) => {
    const r = await freshResource('file');
    return attempt(client(a).uploadResourceFile(r.id, { data: Buffer.from('matrix exercise sheet\n'), fileName: 'sheet.txt', contentType: 'text/plain' }));
  },
  'resources.download': async (a) => attempt(client(a).downloadResourceFile((await sharedResource()).id)),
  'resources.share': async (a) =>
    attempt(client(a).call('resources.share', { params: { threadId: w.threadA.id, resourceId: (await sharedResource()).id }, body: { id: uuid(), text: 'matrix: a leaflet for you' } })),
  'resources.share:link': async (a) => {
    const link = (sharedLink ??= w.A.provider.client.call('resources.create', { body: { kind: 'link', title: 'Matrix link', url: 'https://example.org/breathing' } }));
    return attempt(client(a).call('resources.share', { params: { threadId: w.threadA.id, resourceId: (await link).id }, body: { id: uuid() } }));
  },
  'resources.share:internal': async (a) =>
    attempt(client(a).call('resources.share', { params: { threadId: w.internal.id, resourceId: (await sharedResource()).id }, body: { id: uuid() } })),

  // templates and reactions
  'templates.variables': (a) => attempt(client(a).call('templates.variables')),
  'templates.list': (a) => attempt(client(a).call('templates.list')),
  'templates.create': (a) => attempt(client(a).call('templates.create', { body: { scope: 'personal', name: `Personal ${uniq()}`, body: 'Thanks, {patient.firstName}!' } })),
  'templates.create:organization': (a) =>
    attempt(client(a).call('templates.create', { body: { scope: 'organization', name: `Organization ${uniq()}`, body: 'We will call you at {practice.phone}.', kind: 'quick_reply' } })),
  'templates.get': async (a) => attempt(client(a).call('templates.get', { params: { templateId: (await sharedTemplate()).id } })),
  'templates.get:personal': async (a) => attempt(client(a).call('templates.get', { params: { templateId: (await sharedPersonal()).id } })),
  'templates.update': async (a) => {
    const t = await w.A.admin.client.call('templates.create', { body: { scope: 'organization', name: `Fresh ${uniq()}`, body: 'Fresh wording' } });
    return attempt(client(a).call('templates.update', { params: { templateId: t.id }, body: { name: `Renamed ${uniq()}`, archived: true } }));
  },
  'templates.update:personal': async (a) => {
    const t = await w.A.provider.client.call('templates.create', { body: { scope: 'personal', name: `Fresh ${uniq()}`, body: 'Fresh wording' } });
    return attempt(client(a).call('templates.update', { params: { templateId: t.id }, body: { body: 'Changed wording {today}' } }));
  },
  'templates.render': async (a) => attempt(client(a).call('templates.render', { params: { templateId: (await sharedTemplate()).id }, body: { threadId: w.threadA.id } })),
  'templates.render:internal': async (a) => attempt(client(a).call('templates.render', { params: { templateId: (await sharedTemplate()).id }, body: { threadId: w.internal.id } })),
  'reactions.add': (a) => attempt(client(a).call('reactions.add', { params: { threadId: w.threadA.id, messageId: w.msgProvider.id, emoji: '👍' } })),
  'reactions.add:internal': (a) => attempt(client(a).call('reactions.add', { params: { threadId: w.internal.id, messageId: w.msgInternal.id, emoji: '👍' } })),
  'reactions.remove': (a) => attempt(client(a).call('reactions.remove', { params: { threadId: w.threadA.id, messageId: w.msgProvider.id, emoji: '👍' } })),

  // audit
  'audit.list': (a) => attempt(client(a).call('audit.list', { query: { limit: 5 } })),
  'audit.verify': (a) => attempt(client(a).call('audit.verify')),
  'audit.checkpoints': (a) => attempt(client(a).call('audit.checkpoints')),
  'audit.publicKey': (a) => attempt(client(a).call('audit.publicKey')),
  // Anyone signed in has an event stream (it carries only what they may see; see events.test.ts).
  'events.ticket': (a) => attempt(client(a).call('events.ticket')),

  // notifications (every allowed cell writes the same values, so the order of cells does not matter)
  'notifications.preferences.get': (a) => attempt(client(a).call('notifications.preferences.get')),
  'notifications.preferences.update': (a) => attempt(client(a).call('notifications.preferences.update', { body: { batchWindowMinutes: 10 } })),
  'notifications.consent.update': (a) => attempt(client(a).call('notifications.consent.update', { params: { channel: 'email' }, body: { given: false } })),
  'notifications.push.publicKey': (a) => attempt(client(a).call('notifications.push.publicKey')),
  'notifications.push.subscribe': (a) => attempt(client(a).call('notifications.push.subscribe', { body: pushSubscription() })),
  'notifications.push.list': (a) => attempt(client(a).call('notifications.push.list')),
  'notifications.push.unsubscribe': async (a) => {
    const sub = await client('patientA').call('notifications.push.subscribe', { body: pushSubscription() });
    return attempt(client(a).call('notifications.push.unsubscribe', { params: { id: sub.id } }));
  },
  'notifications.sms.inbound': async (a) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = a === 'anonymous' ? undefined : w.members[a].client.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${w.server.url}/api/v1/notifications/sms/inbound`, { method: 'POST', headers, body: new URLSearchParams({ From: '+15550100', Body: 'STOP' }).toString() });
    const problem = res.ok ? undefined : ((await res.json()) as { code: string });
    return { status: res.status, code: problem?.code ?? null };
  },
  'notifications.attempts.list': (a) => attempt(client(a).call('notifications.attempts.list', { query: { limit: 5 } })),

  // availability (begin): idempotent bodies or fresh rows per cell, so the order of cells does not matter
  'availability.hours.get': (a) => attempt(client(a).call('availability.hours.get')),
  'availability.hours.update': (a) => attempt(client(a).call('availability.hours.update', { body: { timeZone: 'America/New_York', weeklyHours: MATRIX_HOURS } })),
  'availability.departmentHours.get': (a) => attempt(client(a).call('availability.departmentHours.get', { params: { departmentId: w.A.dept.id } })),
  'availability.departmentHours.update': (a) =>
    attempt(client(a).call('availability.departmentHours.update', { params: { departmentId: w.A.dept.id }, body: { timeZone: null, weeklyHours: null } })),
  'availability.holidays.list': (a) => attempt(client(a).call('availability.holidays.list', { query: {} })),
  'availability.holidays.create': (a) => attempt(client(a).call('availability.holidays.create', { body: { date: freshDate(), name: 'Matrix holiday' } })),
  'availability.holidays.create:department': (a) =>
    attempt(client(a).call('availability.holidays.create', { body: { date: freshDate(), name: 'Matrix holiday', departmentId: w.A.dept.id } })),
  'availability.holidays.delete': async (a) => {
    const h = await w.A.admin.client.call('availability.holidays.create', { body: { date: freshDate(), name: 'Matrix holiday' } });
    return attempt(client(a).call('availability.holidays.delete', { params: { holidayId: h.id } }));
  },
  'availability.status': (a) => attempt(client(a).call('availability.status', { query: {} })),
  'availability.status:department': (a) => attempt(client(a).call('availability.status', { query: { departmentId: w.A.dept.id } })),
  'availability.staff.list': (a) => attempt(client(a).call('availability.staff.list', { query: {} })),
  'availability.staff.get': (a) => attempt(client(a).call('availability.staff.get', { params: { userId: w.A.nurse.id } })),
  'availability.staff.update': (a) => attempt(client(a).call('availability.staff.update', { params: { userId: w.A.nurse.id }, body: { timeZone: null, weeklyHours: null } })),
  'availability.outOfOffice.create': (a) =>
    attempt(client(a).call('availability.outOfOffice.create', { params: { userId: w.A.nurse.id }, body: { ...freshPeriod(), coverUserId: w.A.provider.id } })),
  'availability.outOfOffice.update': async (a) => {
    const o = await w.A.nurse.client.call('availability.outOfOffice.create', { params: { userId: w.A.nurse.id }, body: freshPeriod() });
    return attempt(client(a).call('availability.outOfOffice.update', { params: { userId: w.A.nurse.id, outOfOfficeId: o.id }, body: { coverUserId: w.A.provider.id } }));
  },
  'availability.outOfOffice.delete': async (a) => {
    const o = await w.A.nurse.client.call('availability.outOfOffice.create', { params: { userId: w.A.nurse.id }, body: freshPeriod() });
    return attempt(client(a).call('availability.outOfOffice.delete', { params: { userId: w.A.nurse.id, outOfOfficeId: o.id } }));
  },
  'onCall.shifts.list': (a) => attempt(client(a).call('onCall.shifts.list', { query: {} })),
  'onCall.shifts.create': (a) => attempt(client(a).call('onCall.shifts.create', { body: { departmentId: w.A.dept.id, userId: w.A.nurse.id, ...freshPeriod() } })),
  'onCall.shifts.delete': async (a) => {
    const s = await w.A.admin.client.call('onCall.shifts.create', { body: { departmentId: w.A.dept.id, userId: w.A.nurse.id, ...freshPeriod() } });
    return attempt(client(a).call('onCall.shifts.delete', { params: { shiftId: s.id } }));
  },
  'onCall.current': (a) => attempt(client(a).call('onCall.current', { query: {} })),
  'onCall.current:department': (a) => attempt(client(a).call('onCall.current', { query: { departmentId: w.A.dept.id } })),
  // availability (end)

  // workflow (begin)
  'inbox.list': (a) => attempt(client(a).call('inbox.list', { query: { view: 'care_teams' } })),
  'inbox.counts': (a) => attempt(client(a).call('inbox.counts')),
  'threads.assign': (a) => attempt(client(a).call('threads.assign', { params: { threadId: w.threadA.id }, body: { assigneeId: w.A.provider.id, reason: 'matrix' } })),
  'threads.claim': async (a) => attempt(client(a).call('threads.claim', { params: { threadId: (await workflowThread()).id }, body: { reason: 'matrix' } })),
  'threads.close': async (a) => attempt(client(a).call('threads.close', { params: { threadId: (await workflowThread()).id }, body: {} })),
  'threads.reopen': async (a) => attempt(client(a).call('threads.reopen', { params: { threadId: (await workflowThread()).id } })),
  'threads.priority': async (a) => attempt(client(a).call('threads.priority', { params: { threadId: (await workflowThread()).id }, body: { priority: 'urgent' } })),
  'threads.escalate': async (a) => attempt(client(a).call('threads.escalate', { params: { threadId: (await workflowThread()).id }, body: { providerId: w.A.provider.id, note: 'matrix: context for the provider', noteId: uuid() } })),
  'queues.create': (a) => attempt(client(a).call('queues.create', { body: { name: `Matrix ${uuid()}` } })),
  'queues.list': (a) => attempt(client(a).call('queues.list')),
  'queues.update': async (a) => attempt(client(a).call('queues.update', { params: { id: (await matrixQueue()).id }, body: { assignment: 'off' } })),
  'routing.rules.get': (a) => attempt(client(a).call('routing.rules.get')),
  'routing.rules.replace': (a) => attempt(client(a).call('routing.rules.replace', { body: { rules: [] } })),
  'sla.targets.get': (a) => attempt(client(a).call('sla.targets.get')),
  'sla.targets.replace': (a) => attempt(client(a).call('sla.targets.replace', { body: { targets: [] } })),
  'workflow.settings.get': (a) => attempt(client(a).call('workflow.settings.get')),
  'workflow.settings.update': (a) => attempt(client(a).call('workflow.settings.update', { body: { emergencyNumber: '911' } })),
  'workflow.directMessages.get': (a) => attempt(client(a).call('workflow.directMessages.get')),
  'workflow.directMessages': (a) => attempt(client(a).call('workflow.directMessages', { body: { acceptsDirectMessages: false } })),
  'analytics.report': (a) => attempt(client(a).call('analytics.report', { query: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', groupBy: 'topic' } })),
  'analytics.export': (a) => attempt(client(a).downloadAnalyticsCsv({ from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' })),
  'messaging.expectations': (a) => attempt(client(a).call('messaging.expectations', { query: {} })),
  // workflow (end)
  // crisis lexicon overrides (0021)
  'safety.lexicon.get': (a) => attempt(client(a).call('safety.lexicon.get')),
  'safety.lexicon.update': async (a) => {
    const current = await practiceOf(a).admin.client.call('safety.lexicon.get');
    return attempt(client(a).call('safety.lexicon.update', { body: { expectedRevision: current.revision, overrides: { baseVersion: current.baseVersion } } }));
  },
  'safety.lexicon.history': (a) => attempt(client(a).call('safety.lexicon.history', { query: { limit: 5 } })),
  'safety.lexicon.check': (a) => attempt(client(a).call('safety.lexicon.check', { body: { text: 'matrix: I want to kill myself' } })),
  // scheduled send, follow-ups, chart notes (0011)
  'scheduledMessages.create': (a) =>
    attempt(client(a).call('scheduledMessages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix: later', sendAt: new Date(Date.now() + 3600_000).toISOString() } })),
  'scheduledMessages.list': (a) => attempt(client(a).call('scheduledMessages.list', { params: { threadId: w.threadA.id } })),
  'scheduledMessages.overview': (a) => attempt(client(a).call('scheduledMessages.overview', { query: { limit: 5 } })),
  'scheduledMessages.update': async (a) => {
    const s = await freshScheduled();
    return attempt(client(a).call('scheduledMessages.update', { params: { scheduledMessageId: s.id }, body: { body: 'matrix: edited later' } }));
  },
  'scheduledMessages.cancel': async (a) => {
    const s = await freshScheduled();
    return attempt(client(a).call('scheduledMessages.cancel', { params: { scheduledMessageId: s.id } }));
  },
  'followUps.create': (a) => attempt(client(a).call('followUps.create', { params: { threadId: w.threadA.id }, body: { afterDays: 90, action: 'remind_me' } })),
  'followUps.list': (a) => attempt(client(a).call('followUps.list', { params: { threadId: w.threadA.id } })),
  'followUps.cancel': async (a) => {
    const f = await w.A.provider.client.call('followUps.create', { params: { threadId: w.threadA.id }, body: { afterDays: 90, action: 'nudge_patient' } });
    return attempt(client(a).call('followUps.cancel', { params: { followUpId: f.id } }));
  },
  'chartNotes.create': (a) =>
    attempt(client(a).call('chartNotes.create', { params: { threadId: w.threadA.id, messageId: w.msgPatientA.id }, body: { id: uuid(), excerpt: 'double my dose', comment: 'matrix' } })),
  'chartNotes.list': (a) => attempt(client(a).call('chartNotes.list', { params: { patientId: w.A.patientA.id } })),
  'chartNotes.remove': async (a) => {
    const n = await w.A.provider.client.call('chartNotes.create', { params: { threadId: w.threadA.id, messageId: w.msgPatientA.id }, body: { id: uuid() } });
    return attempt(client(a).call('chartNotes.remove', { params: { patientId: w.A.patientA.id, chartNoteId: n.id } }));
  },
  // cohorts (every allowed cell writes the same values, so the order of cells does not matter)
  'tags.list': (a) => attempt(client(a).call('tags.list')),
  'patients.tags.get': (a) => attempt(client(a).call('patients.tags.get', { params: { id: w.A.patientA.id } })),
  'patients.tags.set': (a) => attempt(client(a).call('patients.tags.set', { params: { id: w.A.patientA.id }, body: { tags: ['matrix'] } })),
  'patients.archive': async (a) => attempt(client(a).call('patients.archive', { params: { id: (await freshPatient()).id } })),
  'patients.unarchive': async (a) => {
    const fresh = await freshPatient();
    await w.A.admin.client.call('patients.archive', { params: { id: fresh.id } });
    return attempt(client(a).call('patients.unarchive', { params: { id: fresh.id } }));
  },
  'messagingRollout.get': (a) => attempt(client(a).call('messagingRollout.get')),
  'messagingRollout.update': (a) => attempt(client(a).call('messagingRollout.update', { body: { alternativeContact: 'Call the front desk at 555-0100' } })),
  'me.messaging': (a) => attempt(client(a).call('me.messaging')),
  'me.language.update': (a) => attempt(client(a).call('me.language.update', { body: { language: 'en' } })),
  // The messaging policy (0027): everyone reads it; patients alone accept it, the version they read (idempotent).
  'me.messagingPolicy.get': (a) => attempt(client(a).call('me.messagingPolicy.get')),
  'me.messagingPolicy.accept': async (a) => {
    const version = await client(a).call('me.messagingPolicy.get').then(
      (x) => x.version,
      async () => (await w.A.patientA.client.call('me.messagingPolicy.get')).version,
    );
    return attempt(client(a).call('me.messagingPolicy.accept', { body: { version } }));
  },
  'broadcasts.preview': async (a) => {
    await sharedCohorts();
    return attempt(client(a).call('broadcasts.preview', { body: broadcastDraft('matrix-broadcast') }));
  },
  'broadcasts.create': async (a) => {
    await sharedCohorts();
    return attempt(client(a).call('broadcasts.create', { body: broadcastDraft('matrix-broadcast') }));
  },
  'broadcasts.list': (a) => attempt(client(a).call('broadcasts.list', { query: { limit: 5 } })),
  'broadcasts.get': async (a) => attempt(client(a).call('broadcasts.get', { params: { id: (await sharedBroadcast()).id } })),
  'broadcasts.cancel': async (a) => attempt(client(a).call('broadcasts.cancel', { params: { id: (await cancellableBroadcast()).id } })),
};

// workflow (begin)
/** A fresh patient A thread with a waiting message (workflow cells change it). */
const workflowThread = async () => {
  const t = await w.A.patientA.client.call('threads.create', { body: { subject: 'Matrix workflow', topic: 'scheduling' } });
  await w.A.patientA.client.call('messages.create', { params: { threadId: t.id }, body: { id: uuid(), body: 'When can I come in?' } });
  return t;
};
let matrixQueueP: Promise<{ id: string }> | undefined;
const matrixQueue = () => (matrixQueueP ??= w.A.admin.client.call('queues.create', { body: { name: 'Matrix queue' } }));
// workflow (end)

// availability (begin)
const MATRIX_DAY = [{ start: '08:00', end: '17:00' }];
const MATRIX_HOURS = { mon: MATRIX_DAY, tue: MATRIX_DAY, wed: MATRIX_DAY, thu: MATRIX_DAY, fri: MATRIX_DAY, sat: [], sun: [] };
let matrixDay = 0;
/** A date no other cell uses (holidays are unique per date). */
const freshDate = (): string => new Date(Date.UTC(2031, 0, 1) + matrixDay++ * 86_400_000).toISOString().slice(0, 10);
/** A future one-day period (out of office, on-call shift). */
const freshPeriod = () => {
  const start = Date.UTC(2031, 0, 1) + matrixDay++ * 86_400_000;
  return { startsAt: new Date(start).toISOString(), endsAt: new Date(start + 86_400_000).toISOString() };
};
// availability (end)

/** A scheduled message of the provider in thread A, an hour ahead. */
const freshScheduled = () =>
  w.A.provider.client.call('scheduledMessages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'matrix: scheduled', sendAt: new Date(Date.now() + 3600_000).toISOString() } });

/** A Web Push subscription body pointing at a closed loopback port (never contacted: nothing is scheduled to it). */
function pushSubscription() {
  return { endpoint: `https://127.0.0.1:9/push/${uniq()}`, keys: { p256dh: `B${randomBytes(64).toString('base64url')}`, auth: randomBytes(16).toString('base64url') } };
}

// Every row has a request and every request a row (a typo here would otherwise skip a row silently).
for (const row of ROWS) if (!REQUESTS[row.key]) throw new Error(`no request for matrix row ${row.key}`);
for (const key of Object.keys(REQUESTS)) if (!ROWS.some((r) => r.key === key)) throw new Error(`request ${key} has no matrix row`);

// ---------------------------------------------------------------------------------------------------------------
// Visibility of list contents (before the matrix adds rows of its own)
// ---------------------------------------------------------------------------------------------------------------

type Live = Exclude<SignedIn, 'deactivated'>;
const LIVE: Live[] = ACTORS.filter((a): a is Live => a !== 'anonymous' && a !== 'deactivated');

type FixtureThread = 'threadA' | 'threadB' | 'internal' | 'bThread';
/** Which fixture threads (and so which fixture messages) each caller sees in lists and search. */
const SEES_THREADS: Record<Live, FixtureThread[]> = {
  patientA: ['threadA'],
  patientB: ['threadB'],
  nurse: ['threadA', 'internal'],
  provider: ['threadA', 'internal'],
  otherProvider: ['threadB'],
  admin: [],
  compliance: [],
  orgBAdmin: [],
  orgBProvider: ['bThread'],
  orgBPatient: ['bThread'],
};

type FixturePatient = 'A.patientA' | 'A.patientB' | 'B.patientA' | 'B.patientB';
/** Which fixture patients patients.list returns (compliance: 403, in the matrix). */
const SEES_PATIENTS: Record<Exclude<Live, 'compliance'>, FixturePatient[]> = {
  patientA: ['A.patientA'],
  patientB: ['A.patientB'],
  nurse: ['A.patientA'],
  provider: ['A.patientA'],
  otherProvider: ['A.patientB'],
  admin: ['A.patientA', 'A.patientB'],
  orgBAdmin: ['B.patientA', 'B.patientB'],
  orgBProvider: ['B.patientA'],
  orgBPatient: ['B.patientA'],
};

async function idsIn(table: 'users' | 'threads' | 'messages' | 'departments' | 'care_teams' | 'audit_events' | 'resources', orgId: string): Promise<Set<string>> {
  const res = await w.server.sql<{ id: string }>(`select id from ${table} where org_id = $1`, [orgId]);
  return new Set(res.rows.map((r) => r.id));
}

/** The ids of the other organization's rows that turn up in a list. */
const leaked = (ids: string[], other: Set<string>): string[] => ids.filter((id) => other.has(id));

describe('lists show what the caller may see, and nothing of another organization', () => {
  test('threads.list: exactly the visible fixture threads; patients only their own', async () => {
    const fixture: Record<FixtureThread, string> = { threadA: w.threadA.id, threadB: w.threadB.id, internal: w.internal.id, bThread: w.bThread.id };
    const [aThreads, bThreads] = await Promise.all([idsIn('threads', w.A.orgId), idsIn('threads', w.B.orgId)]);
    const problems: string[] = [];
    await Promise.all(
      LIVE.map(async (a) => {
        const { items } = await client(a).call('threads.list', { query: { limit: 200 } });
        const ids = items.map((t) => t.id);
        const seen = (Object.keys(fixture) as FixtureThread[]).filter((k) => ids.includes(fixture[k])).sort();
        if (!isDeepStrictEqual(seen, [...SEES_THREADS[a]].sort())) problems.push(`${a} sees [${seen.join(', ')}], expected [${SEES_THREADS[a].join(', ')}]`);
        const foreign = leaked(ids, isOrgB(a) ? aThreads : bThreads);
        if (foreign.length) problems.push(`${a} lists ${foreign.length} thread(s) of the other organization`);
        const self = w.members[a];
        if (self.role === 'patient' && items.some((t) => t.kind !== 'patient' || t.patientId !== self.id)) problems.push(`${a} lists a thread that is not its own`);
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('messages.search: only messages of visible threads', async () => {
    const NO_MESSAGES = new Set<string>(['admin', 'compliance', 'orgBAdmin']);
    const fixture: Record<FixtureThread, string[]> = {
      threadA: [w.msgPatientA.id, w.msgProvider.id],
      threadB: [w.msgB.id],
      internal: [w.msgInternal.id],
      bThread: [w.msgBThread.id],
    };
    const problems: string[] = [];
    await Promise.all(
      LIVE.map(async (a) => {
        if (NO_MESSAGES.has(a)) {
          // Admins and compliance read no messages: search is refused outright, like patients.list for compliance.
          await rejects(client(a).call('messages.search', { body: { query: WORD, limit: 100 } }), 403, 'forbidden');
          return;
        }
        const { items } = await client(a).call('messages.search', { body: { query: WORD, limit: 100 } });
        const got = items.map((h) => h.messageId).sort();
        const expected = SEES_THREADS[a].flatMap((k) => fixture[k]).sort();
        if (!isDeepStrictEqual(got, expected)) problems.push(`${a} finds [${got.join(', ')}], expected [${expected.join(', ')}]`);
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('patients.list: exactly the visible patients, never another organization', async () => {
    const fixture: Record<FixturePatient, string> = { 'A.patientA': w.A.patientA.id, 'A.patientB': w.A.patientB.id, 'B.patientA': w.B.patientA.id, 'B.patientB': w.B.patientB.id };
    const [aUsers, bUsers] = await Promise.all([idsIn('users', w.A.orgId), idsIn('users', w.B.orgId)]);
    const problems: string[] = [];
    await Promise.all(
      (Object.keys(SEES_PATIENTS) as (keyof typeof SEES_PATIENTS)[]).map(async (a) => {
        const { items } = await client(a).call('patients.list');
        const ids = items.map((p) => p.id);
        const seen = (Object.keys(fixture) as FixturePatient[]).filter((k) => ids.includes(fixture[k])).sort();
        if (!isDeepStrictEqual(seen, [...SEES_PATIENTS[a]].sort())) problems.push(`${a} sees [${seen.join(', ')}], expected [${SEES_PATIENTS[a].join(', ')}]`);
        const foreign = leaked(ids, isOrgB(a) ? aUsers : bUsers);
        if (foreign.length) problems.push(`${a} lists ${foreign.length} patient(s) of the other organization`);
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('users.list (admins), departments.list, careTeams.list and organization.get stay within the organization', async () => {
    const other = {
      A: { users: await idsIn('users', w.B.orgId), departments: await idsIn('departments', w.B.orgId), teams: await idsIn('care_teams', w.B.orgId) },
      B: { users: await idsIn('users', w.A.orgId), departments: await idsIn('departments', w.A.orgId), teams: await idsIn('care_teams', w.A.orgId) },
    };
    const problems: string[] = [];
    await Promise.all(
      LIVE.map(async (a) => {
        const p = practiceOf(a);
        const o = isOrgB(a) ? other.B : other.A;
        const c = client(a);
        const [org, departments, teams] = await Promise.all([c.call('organization.get'), c.call('departments.list'), c.call('careTeams.list')]);
        if (org.id !== p.orgId) problems.push(`${a}: organization.get answered another organization`);
        if (!departments.items.some((d) => d.id === p.dept.id)) problems.push(`${a}: own department missing`);
        if (leaked(departments.items.map((d) => d.id), o.departments).length) problems.push(`${a}: departments.list leaks the other organization`);
        if (!teams.items.some((t) => t.id === p.teamA.id)) problems.push(`${a}: own care team missing`);
        if (leaked(teams.items.map((t) => t.id), o.teams).length) problems.push(`${a}: careTeams.list leaks the other organization`);
        if (w.members[a].role === 'admin') {
          const users = await c.call('users.list');
          const ids = users.items.map((u) => u.id);
          if (!ids.includes(p.provider.id)) problems.push(`${a}: users.list misses own staff`);
          if (leaked(ids, o.users).length) problems.push(`${a}: users.list leaks the other organization`);
          if (users.items.some((u) => u.role === 'patient')) problems.push(`${a}: users.list lists patients`);
        }
      }),
    );
    assert.deepEqual(problems, []);
  });

  test("resources.list: the caller's own organization's library only", async () => {
    const [a, b] = await Promise.all([
      sharedResource(),
      w.B.provider.client.call('resources.create', { body: { kind: 'link', title: 'Org B matrix link', url: 'https://example.org/b', tags: ['matrix'] } }),
    ]);
    const [aIds, bIds] = await Promise.all([idsIn('resources', w.A.orgId), idsIn('resources', w.B.orgId)]);
    const problems: string[] = [];
    await Promise.all(
      (['nurse', 'provider', 'otherProvider', 'admin', 'orgBAdmin', 'orgBProvider'] as const).map(async (who) => {
        const { items } = await client(who).call('resources.list', { query: { tag: ['matrix'], limit: 200 } });
        const ids = items.map((r) => r.id);
        const own = isOrgB(who) ? b.id : a.id;
        if (!ids.includes(own)) problems.push(`${who} does not find its organization's resource`);
        const foreign = leaked(ids, isOrgB(who) ? aIds : bIds);
        if (foreign.length) problems.push(`${who} lists ${foreign.length} resource(s) of the other organization`);
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('audit.list (compliance) holds only events of its own organization', async () => {
    const otherEvents = await idsIn('audit_events', w.B.orgId);
    const otherUsers = await idsIn('users', w.B.orgId);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await w.A.compliance.client.call('audit.list', { query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      for (const e of page.items) {
        seen.push(e.id);
        if (e.actorId && otherUsers.has(e.actorId)) assert.fail(`audit event ${e.seq} was made by an org B user`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.ok(seen.length > 0, 'compliance lists no audit events at all');
    assert.deepEqual(leaked(seen, otherEvents), []);
    const ownEvents = await idsIn('audit_events', w.A.orgId);
    assert.ok(seen.every((id) => ownEvents.has(id)), 'audit.list returned events that are not org A events');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------------------------

let cellsChecked = 0;

describe('authorization matrix: every operation × every caller', { concurrency: 4 }, () => {
  for (const row of ROWS) {
    test(row.key, async () => {
      const outcomes = await Promise.all(ACTORS.map((a) => limit(async () => [a, await REQUESTS[row.key]!(a)] as const)));
      cellsChecked += outcomes.length;
      const wrong = outcomes.filter(([a, o]) => !matches(row.expect[a], o)).map(([a, o]) => `${a}: expected ${row.expect[a]}, got ${show(o)}`);
      assert.deepEqual(wrong, [], `${row.key}\n  ${wrong.join('\n  ')}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Cross-organization sweep: every org A id, from org B
// ---------------------------------------------------------------------------------------------------------------

describe('cross-organization', () => {
  test('org B callers get 404 (403 when their role lacks the capability) for every org A user, patient and thread id', async () => {
    const users = [...(await idsIn('users', w.A.orgId))];
    const threads = [w.threadA.id, w.threadB.id, w.internal.id];
    const messages: [string, string][] = [
      [w.threadA.id, w.msgPatientA.id],
      [w.threadA.id, w.msgProvider.id],
      [w.threadB.id, w.msgB.id],
      [w.internal.id, w.msgInternal.id],
    ];
    const problems: string[] = [];
    const check = async (label: string, expected: Expected, call: () => Promise<unknown>) => {
      const o = await limit(() => attempt(call()));
      if (!matches(expected, o)) problems.push(`${label}: expected ${expected}, got ${show(o)}`);
    };
    const jobs: Promise<void>[] = [];
    for (const a of ['orgBAdmin', 'orgBProvider', 'orgBPatient'] as const) {
      const c = client(a);
      const role403 = a === 'orgBAdmin' ? 404 : 403;
      for (const id of users) {
        jobs.push(check(`${a} users.get ${id}`, role403, () => c.call('users.get', { params: { id } })));
        jobs.push(check(`${a} users.update ${id}`, role403, () => c.call('users.update', { params: { id }, body: { name: 'Hijacked' } })));
        jobs.push(check(`${a} patients.get ${id}`, 404, () => c.call('patients.get', { params: { id } })));
        jobs.push(check(`${a} patients.update ${id}`, 404, () => c.call('patients.update', { params: { id }, body: { name: 'Hijacked' } })));
        jobs.push(check(`${a} threads.create for ${id}`, 404, () => c.call('threads.create', { body: { subject: 'x', patientId: id } })));
      }
      for (const threadId of threads) {
        jobs.push(check(`${a} threads.get ${threadId}`, 404, () => c.call('threads.get', { params: { threadId } })));
        jobs.push(check(`${a} messages.list ${threadId}`, 404, () => c.call('messages.list', { params: { threadId } })));
        jobs.push(check(`${a} messages.create ${threadId}`, 404, () => c.call('messages.create', { params: { threadId }, body: { id: uuid(), body: 'hello from org B' } })));
        jobs.push(check(`${a} messages.search in ${threadId}`, 404, () => c.call('messages.search', { body: { query: WORD, threadId } })));
      }
      for (const [threadId, messageId] of messages) {
        jobs.push(check(`${a} messages.versions ${messageId}`, 404, () => c.call('messages.versions', { params: { threadId, messageId } })));
        jobs.push(check(`${a} messages.receipts ${messageId}`, 404, () => c.call('messages.receipts', { params: { threadId }, body: { messageId, status: 'read' } })));
        jobs.push(check(`${a} messages.edit ${messageId}`, 404, () => c.call('messages.edit', { params: { threadId, messageId }, body: { body: 'hijacked' } })));
        jobs.push(check(`${a} messages.retract ${messageId}`, 404, () => c.call('messages.retract', { params: { threadId, messageId }, body: {} })));
      }
      for (const team of [w.A.teamA.id, w.A.teamB.id]) {
        jobs.push(check(`${a} careTeams.members.add ${team}`, role403, () => c.call('careTeams.members.add', { params: { id: team }, body: { userId: w.B.provider.id } })));
        jobs.push(check(`${a} careTeams.members.remove ${team}`, role403, () => c.call('careTeams.members.remove', { params: { id: team, userId: w.A.provider.id } })));
      }
    }
    await Promise.all(jobs);
    assert.deepEqual(problems, []);
    // Nothing of org A changed hands.
    const moved = await w.server.sql<{ n: number }>(
      `select count(*)::int as n from care_team_members m join care_teams t on t.id = m.care_team_id where m.org_id <> t.org_id or m.user_id in (select id from users where org_id <> t.org_id)`,
    );
    assert.equal(moved.rows[0]!.n, 0);
  });

  test('org B admins cannot pull org A users into org B, nor register org B patients on org A care teams', async () => {
    const b = w.B.admin.client;
    await rejects(b.call('careTeams.members.add', { params: { id: w.B.teamA.id }, body: { userId: w.A.provider.id } }), 404, 'not_found');
    await rejects(b.call('careTeams.create', { body: { name: `Mixed ${uniq()}`, memberIds: [w.A.nurse.id] } }), 404, 'not_found');
    await rejects(b.call('patients.update', { params: { id: w.B.patientA.id }, body: { careTeamIds: [w.A.teamA.id] } }), 404, 'not_found');
    await rejects(b.call('users.update', { params: { id: w.B.provider.id }, body: { departmentId: w.A.dept.id } }), 404, 'not_found');
    await rejects(w.B.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'x', participantIds: [w.A.provider.id] } }), 404, 'not_found');
    const b2 = await b.call('careTeams.list');
    assert.ok(b2.items.every((t) => t.memberIds.every((id) => id !== w.A.provider.id && id !== w.A.nurse.id)), 'an org A user is member of an org B care team');
  });

  test('org B credentials do not sign in to org A', async () => {
    await rejects(w.server.client().login('orga', w.B.admin.email, w.B.admin.password), 401, 'invalid_credentials');
    await rejects(w.server.client().login('orga', w.B.patientA.email, w.B.patientA.password), 401, 'invalid_credentials');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Forged ids: a random UUID answers exactly like a real id the caller may not see
// ---------------------------------------------------------------------------------------------------------------

describe('forged ids', () => {
  test('random UUIDs answer 404 with the same problem as real-but-forbidden ids, on every id-taking endpoint', async () => {
    const A = w.A;
    const B = w.B;
    const bAdmin = client('orgBAdmin');
    const other = client('otherProvider');
    const patB = client('patientB');
    const r = uuid;
    const [teamForAdd, teamForRemove, staffForB, patientForAdmin, retracted] = await Promise.all([
      freshTeam(false),
      freshTeam(true),
      freshStaff(),
      A.admin.client.call('patients.create', { body: { email: `forged.${uniq()}@patients.orga.test`, name: 'Forged Ids', careTeamIds: [A.teamA.id] } }),
      send('provider', w.threadA.id, 'retracted before patient A can see it'),
    ]);
    await A.provider.client.call('messages.retract', { params: { threadId: w.threadA.id, messageId: retracted.id }, body: {} });
    const tA = w.threadA.id;
    const mP = w.msgProvider.id;

    /** [label, real-but-forbidden call, same call with forged ids] */
    const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      // path ids
      ['users.get (other org)', () => bAdmin.call('users.get', { params: { id: A.provider.id } }), () => bAdmin.call('users.get', { params: { id: r() } })],
      ['users.get (a patient id)', () => A.admin.client.call('users.get', { params: { id: A.patientA.id } }), () => A.admin.client.call('users.get', { params: { id: r() } })],
      ['users.update', () => bAdmin.call('users.update', { params: { id: staffForB.id }, body: { name: 'x' } }), () => bAdmin.call('users.update', { params: { id: r() }, body: { name: 'x' } })],
      ['users.deactivate', () => bAdmin.call('users.deactivate', { params: { id: staffForB.id } }), () => bAdmin.call('users.deactivate', { params: { id: r() } })],
      ['users.reactivate', () => bAdmin.call('users.reactivate', { params: { id: staffForB.id } }), () => bAdmin.call('users.reactivate', { params: { id: r() } })],
      ['careTeams.members.add', () => bAdmin.call('careTeams.members.add', { params: { id: teamForAdd.id }, body: { userId: B.provider.id } }), () => bAdmin.call('careTeams.members.add', { params: { id: r() }, body: { userId: B.provider.id } })],
      ['careTeams.members.remove (team)', () => bAdmin.call('careTeams.members.remove', { params: { id: teamForRemove.id, userId: A.otherProvider.id } }), () => bAdmin.call('careTeams.members.remove', { params: { id: r(), userId: A.otherProvider.id } })],
      ['careTeams.members.remove (user)', () => A.admin.client.call('careTeams.members.remove', { params: { id: teamForRemove.id, userId: B.provider.id } }), () => A.admin.client.call('careTeams.members.remove', { params: { id: teamForRemove.id, userId: r() } })],
      ['patients.get', () => other.call('patients.get', { params: { id: A.patientA.id } }), () => other.call('patients.get', { params: { id: r() } })],
      ['patients.get (other org)', () => bAdmin.call('patients.get', { params: { id: A.patientA.id } }), () => bAdmin.call('patients.get', { params: { id: r() } })],
      ['patients.update', () => other.call('patients.update', { params: { id: A.patientA.id }, body: { phone: '+1 555 0199' } }), () => other.call('patients.update', { params: { id: r() }, body: { phone: '+1 555 0199' } })],
      ['threads.get', () => other.call('threads.get', { params: { threadId: tA } }), () => other.call('threads.get', { params: { threadId: r() } })],
      ['threads.get (patient)', () => patB.call('threads.get', { params: { threadId: tA } }), () => patB.call('threads.get', { params: { threadId: r() } })],
      ['threads.get (admin)', () => A.admin.client.call('threads.get', { params: { threadId: tA } }), () => A.admin.client.call('threads.get', { params: { threadId: r() } })],
      ['messages.create', () => other.call('messages.create', { params: { threadId: tA }, body: { id: r(), body: 'x' } }), () => other.call('messages.create', { params: { threadId: r() }, body: { id: r(), body: 'x' } })],
      ['messages.list', () => other.call('messages.list', { params: { threadId: tA } }), () => other.call('messages.list', { params: { threadId: r() } })],
      ['messages.edit', () => other.call('messages.edit', { params: { threadId: tA, messageId: mP }, body: { body: 'x' } }), () => other.call('messages.edit', { params: { threadId: r(), messageId: r() }, body: { body: 'x' } })],
      ['messages.edit (retracted, patient)', () => A.patientA.client.call('messages.edit', { params: { threadId: tA, messageId: retracted.id }, body: { body: 'x' } }), () => A.patientA.client.call('messages.edit', { params: { threadId: tA, messageId: r() }, body: { body: 'x' } })],
      ['messages.edit (message of another thread)', () => A.patientA.client.call('messages.edit', { params: { threadId: tA, messageId: w.msgB.id }, body: { body: 'x' } }), () => A.patientA.client.call('messages.edit', { params: { threadId: tA, messageId: r() }, body: { body: 'x' } })],
      ['messages.retract', () => other.call('messages.retract', { params: { threadId: tA, messageId: mP }, body: {} }), () => other.call('messages.retract', { params: { threadId: r(), messageId: r() }, body: {} })],
      ['messages.versions', () => other.call('messages.versions', { params: { threadId: tA, messageId: mP } }), () => other.call('messages.versions', { params: { threadId: r(), messageId: r() } })],
      ['messages.versions (patient)', () => A.patientA.client.call('messages.versions', { params: { threadId: tA, messageId: mP } }), () => A.patientA.client.call('messages.versions', { params: { threadId: tA, messageId: r() } })],
      ['messages.receipts', () => other.call('messages.receipts', { params: { threadId: tA }, body: { messageId: mP, status: 'read' } }), () => other.call('messages.receipts', { params: { threadId: r() }, body: { messageId: r(), status: 'read' } })],
      ['messages.receipts (retracted, patient)', () => A.patientA.client.call('messages.receipts', { params: { threadId: tA }, body: { messageId: retracted.id, status: 'read' } }), () => A.patientA.client.call('messages.receipts', { params: { threadId: tA }, body: { messageId: r(), status: 'read' } })],
      // ids in bodies
      ['threads.create patientId', () => other.call('threads.create', { body: { subject: 'x', patientId: A.patientA.id } }), () => other.call('threads.create', { body: { subject: 'x', patientId: r() } })],
      ['threads.create patientId (other org)', () => client('orgBProvider').call('threads.create', { body: { subject: 'x', patientId: A.patientA.id } }), () => client('orgBProvider').call('threads.create', { body: { subject: 'x', patientId: r() } })],
      ['threads.create participantIds', () => A.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'x', participantIds: [B.provider.id] } }), () => A.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'x', participantIds: [r()] } })],
      ['threads.create participantIds (a patient)', () => A.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'x', participantIds: [A.patientA.id] } }), () => A.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'x', participantIds: [r()] } })],
      ['patients.create careTeamIds', () => bAdmin.call('patients.create', { body: { email: `x.${uniq()}@p.test`, name: 'x', careTeamIds: [A.teamA.id] } }), () => bAdmin.call('patients.create', { body: { email: `x.${uniq()}@p.test`, name: 'x', careTeamIds: [r()] } })],
      ['patients.update careTeamIds', () => A.admin.client.call('patients.update', { params: { id: patientForAdmin.id }, body: { careTeamIds: [B.teamA.id] } }), () => A.admin.client.call('patients.update', { params: { id: patientForAdmin.id }, body: { careTeamIds: [r()] } })],
      ['careTeams.create departmentId', () => bAdmin.call('careTeams.create', { body: { name: `x ${uniq()}`, departmentId: A.dept.id } }), () => bAdmin.call('careTeams.create', { body: { name: `x ${uniq()}`, departmentId: r() } })],
      ['careTeams.create memberIds', () => A.admin.client.call('careTeams.create', { body: { name: `x ${uniq()}`, memberIds: [B.provider.id] } }), () => A.admin.client.call('careTeams.create', { body: { name: `x ${uniq()}`, memberIds: [r()] } })],
      ['careTeams.members.add userId', () => A.admin.client.call('careTeams.members.add', { params: { id: teamForAdd.id }, body: { userId: B.provider.id } }), () => A.admin.client.call('careTeams.members.add', { params: { id: teamForAdd.id }, body: { userId: r() } })],
      ['users.create departmentId', () => bAdmin.call('users.create', { body: { role: 'staff', email: `x.${uniq()}@b.test`, name: 'x', departmentId: A.dept.id } }), () => bAdmin.call('users.create', { body: { role: 'staff', email: `x.${uniq()}@b.test`, name: 'x', departmentId: r() } })],
      ['users.update departmentId', () => A.admin.client.call('users.update', { params: { id: staffForB.id }, body: { departmentId: B.dept.id } }), () => A.admin.client.call('users.update', { params: { id: staffForB.id }, body: { departmentId: r() } })],
      ['resources.get (other org)', async () => client('orgBProvider').call('resources.get', { params: { resourceId: (await sharedResource()).id } }), () => client('orgBProvider').call('resources.get', { params: { resourceId: r() } })],
      ['resources.update (other org)', async () => bAdmin.call('resources.update', { params: { resourceId: (await sharedResource()).id }, body: { title: 'x' } }), () => bAdmin.call('resources.update', { params: { resourceId: r() }, body: { title: 'x' } })],
      ['resources.archive (other org)', async () => bAdmin.call('resources.archive', { params: { resourceId: (await sharedResource()).id } }), () => bAdmin.call('resources.archive', { params: { resourceId: r() } })],
      ['resources.download (other org)', async () => client('orgBProvider').downloadResourceFile((await sharedResource()).id), () => client('orgBProvider').downloadResourceFile(r())],
      ['resources.share (thread)', async () => other.call('resources.share', { params: { threadId: tA, resourceId: (await sharedResource()).id }, body: { id: r() } }), async () => other.call('resources.share', { params: { threadId: r(), resourceId: (await sharedResource()).id }, body: { id: r() } })],
      ['resources.share (resource of another org)', async () => client('orgBProvider').call('resources.share', { params: { threadId: w.bThread.id, resourceId: (await sharedResource()).id }, body: { id: r() } }), () => client('orgBProvider').call('resources.share', { params: { threadId: w.bThread.id, resourceId: r() }, body: { id: r() } })],
      ['messages.get', () => other.call('messages.get', { params: { threadId: tA, messageId: mP } }), () => other.call('messages.get', { params: { threadId: r(), messageId: r() } })],
      ['templates.get (other org)', async () => client('orgBProvider').call('templates.get', { params: { templateId: (await sharedTemplate()).id } }), () => client('orgBProvider').call('templates.get', { params: { templateId: r() } })],
      ["templates.get (someone else's personal)", async () => client('nurse').call('templates.get', { params: { templateId: (await sharedPersonal()).id } }), () => client('nurse').call('templates.get', { params: { templateId: r() } })],
      ['templates.update (other org)', async () => bAdmin.call('templates.update', { params: { templateId: (await sharedTemplate()).id }, body: { name: 'x' } }), () => bAdmin.call('templates.update', { params: { templateId: r() }, body: { name: 'x' } })],
      ['templates.render (thread)', async () => other.call('templates.render', { params: { templateId: (await sharedTemplate()).id }, body: { threadId: tA } }), async () => other.call('templates.render', { params: { templateId: (await sharedTemplate()).id }, body: { threadId: r() } })],
      ['reactions.add (thread)', () => other.call('reactions.add', { params: { threadId: tA, messageId: mP, emoji: '👍' } }), () => other.call('reactions.add', { params: { threadId: r(), messageId: r(), emoji: '👍' } })],
      ['reactions.add (message of another thread)', () => A.patientA.client.call('reactions.add', { params: { threadId: tA, messageId: w.msgB.id, emoji: '👍' } }), () => A.patientA.client.call('reactions.add', { params: { threadId: tA, messageId: r(), emoji: '👍' } })],
      ['reactions.add (retracted, patient)', () => A.patientA.client.call('reactions.add', { params: { threadId: tA, messageId: retracted.id, emoji: '👍' } }), () => A.patientA.client.call('reactions.add', { params: { threadId: tA, messageId: r(), emoji: '👍' } })],
      ['messages.get (retracted, patient)', () => A.patientA.client.call('messages.get', { params: { threadId: tA, messageId: retracted.id } }), () => A.patientA.client.call('messages.get', { params: { threadId: tA, messageId: r() } })],
      ['messages.get (message of another thread)', () => A.patientA.client.call('messages.get', { params: { threadId: tA, messageId: w.msgB.id } }), () => A.patientA.client.call('messages.get', { params: { threadId: tA, messageId: r() } })],
      ['messages.search threadId', () => other.call('messages.search', { body: { query: WORD, threadId: tA } }), () => other.call('messages.search', { body: { query: WORD, threadId: r() } })],
      ['messages.search patientId', () => other.call('messages.search', { body: { query: WORD, patientId: A.patientA.id } }), () => other.call('messages.search', { body: { query: WORD, patientId: r() } })],
      ['observations.list', () => other.call('observations.list', { params: { patientId: A.patientA.id } }), () => other.call('observations.list', { params: { patientId: r() } })],
      ['observations.list (other org)', () => bAdmin.call('observations.list', { params: { patientId: A.patientA.id } }), () => bAdmin.call('observations.list', { params: { patientId: r() } })],
      ['observations.list (a staff id)', () => A.provider.client.call('observations.list', { params: { patientId: A.nurse.id } }), () => A.provider.client.call('observations.list', { params: { patientId: r() } })],
      ['observations.import', () => other.call('observations.import', { params: { patientId: A.patientA.id }, body: { resourceType: 'Bundle', type: 'batch' } }), () => other.call('observations.import', { params: { patientId: r() }, body: { resourceType: 'Bundle', type: 'batch' } })],
      ['observations.create', () => patB.call('observations.create', { params: { patientId: A.patientA.id }, body: { id: r(), metric: 'weight', value: 70, unit: 'kg', effectiveAt: new Date().toISOString() } }), () => patB.call('observations.create', { params: { patientId: r() }, body: { id: r(), metric: 'weight', value: 70, unit: 'kg', effectiveAt: new Date().toISOString() } })],
      // 0011
      ['scheduledMessages.list', () => other.call('scheduledMessages.list', { params: { threadId: tA } }), () => other.call('scheduledMessages.list', { params: { threadId: r() } })],
      ['scheduledMessages.create', () => other.call('scheduledMessages.create', { params: { threadId: tA }, body: { id: r(), body: 'x', sendAt: new Date(Date.now() + 3600_000).toISOString() } }), () => other.call('scheduledMessages.create', { params: { threadId: r() }, body: { id: r(), body: 'x', sendAt: new Date(Date.now() + 3600_000).toISOString() } })],
      ['scheduledMessages.cancel (other org admin)', async () => bAdmin.call('scheduledMessages.cancel', { params: { scheduledMessageId: (await freshScheduled()).id } }), () => bAdmin.call('scheduledMessages.cancel', { params: { scheduledMessageId: r() } })],
      ['scheduledMessages.update', async () => other.call('scheduledMessages.update', { params: { scheduledMessageId: (await freshScheduled()).id }, body: { body: 'x' } }), () => other.call('scheduledMessages.update', { params: { scheduledMessageId: r() }, body: { body: 'x' } })],
      ['followUps.list', () => other.call('followUps.list', { params: { threadId: tA } }), () => other.call('followUps.list', { params: { threadId: r() } })],
      ['followUps.cancel', async () => other.call('followUps.cancel', { params: { followUpId: (await A.provider.client.call('followUps.create', { params: { threadId: tA }, body: { afterDays: 90, action: 'remind_me' } })).id } }), () => other.call('followUps.cancel', { params: { followUpId: r() } })],
      ['chartNotes.create', () => other.call('chartNotes.create', { params: { threadId: tA, messageId: w.msgPatientA.id }, body: { id: r() } }), () => other.call('chartNotes.create', { params: { threadId: r(), messageId: r() }, body: { id: r() } })],
      ['chartNotes.list', () => other.call('chartNotes.list', { params: { patientId: A.patientA.id } }), () => other.call('chartNotes.list', { params: { patientId: r() } })],
      ['chartNotes.list (patient)', () => patB.call('chartNotes.list', { params: { patientId: A.patientA.id } }), () => patB.call('chartNotes.list', { params: { patientId: r() } })],
      ['chartNotes.remove', () => other.call('chartNotes.remove', { params: { patientId: A.patientA.id, chartNoteId: r() } }), () => other.call('chartNotes.remove', { params: { patientId: r(), chartNoteId: r() } })],
      // cohorts
      ['patients.tags.get', () => other.call('patients.tags.get', { params: { id: A.patientA.id } }), () => other.call('patients.tags.get', { params: { id: r() } })],
      ['patients.tags.set', () => other.call('patients.tags.set', { params: { id: A.patientA.id }, body: { tags: ['forged'] } }), () => other.call('patients.tags.set', { params: { id: r() }, body: { tags: ['forged'] } })],
      ['patients.archive', () => other.call('patients.archive', { params: { id: A.patientA.id } }), () => other.call('patients.archive', { params: { id: r() } })],
      ['patients.unarchive (other org)', () => bAdmin.call('patients.unarchive', { params: { id: A.patientA.id } }), () => bAdmin.call('patients.unarchive', { params: { id: r() } })],
      ['broadcasts.get', async () => A.nurse.client.call('broadcasts.get', { params: { id: (await sharedBroadcast()).id } }), () => A.nurse.client.call('broadcasts.get', { params: { id: r() } })],
      ['broadcasts.cancel', async () => other.call('broadcasts.cancel', { params: { id: (await sharedBroadcast()).id } }), () => other.call('broadcasts.cancel', { params: { id: r() } })],
      ['broadcasts.create careTeamId (other org)', () => client('orgBProvider').call('broadcasts.create', { body: { ...broadcastDraft('matrix-broadcast'), selector: { careTeamId: A.teamA.id } } }), () => client('orgBProvider').call('broadcasts.create', { body: { ...broadcastDraft('matrix-broadcast'), selector: { careTeamId: r() } } })],
      ['broadcasts.preview providerId (other org)', () => A.provider.client.call('broadcasts.preview', { body: { ...broadcastDraft('matrix-broadcast'), selector: { providerId: B.provider.id } } }), () => A.provider.client.call('broadcasts.preview', { body: { ...broadcastDraft('matrix-broadcast'), selector: { providerId: r() } } })],
      ['messagingRollout.update providerIds (other org)', () => A.admin.client.call('messagingRollout.update', { body: { providerIds: [B.provider.id] } }), () => A.admin.client.call('messagingRollout.update', { body: { providerIds: [r()] } })],
      ['observations.chart.share threadId (another patient\'s thread)', () => A.provider.client.call('observations.chart.share', { params: { patientId: A.patientA.id }, body: chartRequest(w.threadB.id) }), () => A.provider.client.call('observations.chart.share', { params: { patientId: A.patientA.id }, body: chartRequest(r()) })],
    ];

    const counts = async () => (await w.server.sql<{ n: string }>(`select (select count(*) from users) || '/' || (select count(*) from threads) || '/' || (select count(*) from care_teams) || '/' || (select count(*) from care_team_members) as n`)).rows[0]!.n;
    const before = await counts();
    const problems: string[] = [];
    await Promise.all(
      cases.map(([label, real, forged]) =>
        limit(async () => {
          const [ro, fo] = await Promise.all([attempt(real()), attempt(forged())]);
          if (ro.status !== 404 || ro.code !== 'not_found') problems.push(`${label}: real-but-forbidden id answered ${show(ro)}`);
          if (fo.status !== 404 || fo.code !== 'not_found') problems.push(`${label}: forged id answered ${show(fo)}`);
          if (ro.status === fo.status && !isDeepStrictEqual(ro.problem, fo.problem)) problems.push(`${label}: problem bodies differ: ${JSON.stringify(ro.problem)} vs ${JSON.stringify(fo.problem)}`);
        }),
      ),
    );
    assert.deepEqual(problems, []);
    assert.equal(await counts(), before, 'refused requests created or moved rows');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Mass assignment: fields outside the schema are refused, and nothing changes
// ---------------------------------------------------------------------------------------------------------------

describe('mass assignment', () => {
  test('extra fields (and __proto__ / constructor keys) are refused with 400 and change nothing', async () => {
    const A = w.A;
    const target = await send('provider', w.threadA.id, 'mass assignment target');
    const forgedId = uuid();
    const values: Record<string, unknown> = {
      role: 'admin',
      orgId: w.B.orgId,
      organizationId: w.B.orgId,
      senderId: A.admin.id,
      createdBy: A.admin.id,
      createdAt: '2001-01-01T00:00:00.000Z',
      id: forgedId,
      status: 'active',
      slug: 'hijacked',
      email: 'hijacked@orga.test',
      threadId: w.threadB.id,
      version: 9,
      mfaEnabled: true,
      ownerId: A.provider.id,
    };
    interface Target {
      label: string;
      token: string;
      method: 'POST' | 'PATCH';
      path: string;
      base: () => Record<string, unknown>;
      extras: string[];
      /** The base body alone succeeds (proves the refusals are due to the extra fields). */
      control: (body: Record<string, unknown>) => Promise<unknown>;
    }
    const admin = A.admin.client;
    const targets: Target[] = [
      {
        label: 'observations.create',
        token: A.nurse.client.token!,
        method: 'POST',
        path: `/patients/${A.patientA.id}/observations`,
        base: () => ({ id: uuid(), metric: 'heart_rate', value: 66, unit: '/min', effectiveAt: new Date().toISOString() }),
        extras: ['orgId', 'organizationId', 'createdAt', 'senderId', 'createdBy', 'status', 'role'],
        control: (body) => A.nurse.client.call('observations.create', { params: { patientId: A.patientA.id }, body: body as never }),
      },
      {
        label: 'users.create',
        token: admin.token!,
        method: 'POST',
        path: '/users',
        base: () => ({ role: 'staff', email: `mass.${uniq()}@orga.test`, name: 'Mass Assignment' }),
        extras: ['orgId', 'organizationId', 'id', 'createdAt', 'status', 'mfaEnabled', 'senderId'],
        control: (body) => admin.call('users.create', { body: body as never }),
      },
      {
        label: 'patients.create',
        token: admin.token!,
        method: 'POST',
        path: '/patients',
        base: () => ({ email: `mass.${uniq()}@patients.orga.test`, name: 'Mass Patient', careTeamIds: [A.teamA.id] }),
        extras: ['role', 'orgId', 'organizationId', 'id', 'createdAt', 'status'],
        control: (body) => admin.call('patients.create', { body: body as never }),
      },
      {
        label: 'threads.create',
        token: A.patientA.client.token!,
        method: 'POST',
        path: '/threads',
        base: () => ({ subject: 'Mass thread', topic: 'other' }),
        extras: ['role', 'orgId', 'organizationId', 'id', 'createdAt', 'createdBy', 'senderId'],
        control: (body) => A.patientA.client.call('threads.create', { body: body as never }),
      },
      {
        label: 'messages.create',
        token: A.patientA.client.token!,
        method: 'POST',
        path: `/threads/${w.threadA.id}/messages`,
        base: () => ({ id: uuid(), body: 'mass message' }),
        extras: ['senderId', 'orgId', 'organizationId', 'createdAt', 'threadId', 'role', 'version'],
        control: (body) => A.patientA.client.call('messages.create', { params: { threadId: w.threadA.id }, body: body as never }),
      },
      {
        label: 'messages.edit',
        token: A.provider.client.token!,
        method: 'PATCH',
        path: `/threads/${w.threadA.id}/messages/${target.id}`,
        base: () => ({ body: 'mass assignment target, edited' }),
        extras: ['senderId', 'orgId', 'organizationId', 'createdAt', 'id', 'threadId', 'version'],
        control: (body) => A.provider.client.call('messages.edit', { params: { threadId: w.threadA.id, messageId: target.id }, body: body as never }),
      },
      {
        label: 'organization.update',
        token: admin.token!,
        method: 'PATCH',
        path: '/organization',
        base: () => ({ name: 'Practice orga' }),
        extras: ['id', 'slug', 'orgId', 'organizationId', 'createdAt', 'role'],
        control: (body) => admin.call('organization.update', { body: body as never }),
      },
      {
        label: 'patients.update',
        token: admin.token!,
        method: 'PATCH',
        path: `/patients/${A.patientA.id}`,
        base: () => ({ phone: '+1 555 0100' }),
        extras: ['role', 'orgId', 'organizationId', 'id', 'createdAt', 'email', 'status'],
        control: (body) => admin.call('patients.update', { params: { id: A.patientA.id }, body: body as never }),
      },
      {
        label: 'resources.create',
        token: A.provider.client.token!,
        method: 'POST',
        path: '/resources',
        base: () => ({ kind: 'link', title: 'Mass link', url: 'https://example.org/mass' }),
        extras: ['orgId', 'organizationId', 'id', 'createdAt', 'createdBy', 'status', 'role'],
        control: (body) => A.provider.client.call('resources.create', { body: body as never }),
      },
      {
        label: 'templates.create',
        token: A.nurse.client.token!,
        method: 'POST',
        path: '/templates',
        base: () => ({ scope: 'personal', name: `Mass ${uniq()}`, body: 'Mass wording' }),
        extras: ['orgId', 'organizationId', 'id', 'ownerId', 'createdBy', 'createdAt', 'role'],
        control: (body) => A.nurse.client.call('templates.create', { body: body as never }),
      },
      {
        label: 'users.update',
        token: admin.token!,
        method: 'PATCH',
        path: `/users/${A.nurse.id}`,
        base: () => ({ name: 'Nurse A orga' }),
        // (`role` is a field of users.update: admins change staff roles; see "no role escalation" below.)
        extras: ['orgId', 'organizationId', 'id', 'status', 'email', 'mfaEnabled'],
        control: (body) => admin.call('users.update', { params: { id: A.nurse.id }, body: body as never }),
      },
    ];

    const rawCall = async (t: Target, text: string) => {
      const res = await fetch(`${w.server.url}/api/v1${t.path}`, {
        method: t.method,
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: text,
      });
      const body = (await res.json().catch(() => ({}))) as { code?: string };
      return { status: res.status, code: body.code };
    };

    const snapshot = async () => {
      const [counts, org, nurse, patient, message] = await Promise.all([
        w.server.sql(`select (select count(*) from users)::int as users, (select count(*) from threads)::int as threads, (select count(*) from messages)::int as messages, (select count(*) from message_versions)::int as versions, (select count(*) from organizations)::int as orgs`),
        w.server.sql(`select slug, name, settings from organizations where id = $1`, [A.orgId]),
        w.server.sql(`select org_id, role, status, totp_enabled, name_ct, department_id from users where id = $1`, [A.nurse.id]),
        w.server.sql(`select org_id, role, status, name_ct, phone_ct, email_ct, created_at from users where id = $1`, [A.patientA.id]),
        w.server.sql(`select org_id, thread_id, sender_id, current_version, created_at from messages where id = $1`, [target.id]),
      ]);
      return { counts: counts.rows[0], org: org.rows[0], nurse: nurse.rows[0], patient: patient.rows[0], message: message.rows[0] };
    };
    const before = await snapshot();

    const problems: string[] = [];
    const jobs: Promise<void>[] = [];
    for (const t of targets) {
      for (const field of t.extras) {
        jobs.push(
          limit(async () => {
            const o = await rawCall(t, JSON.stringify({ ...t.base(), [field]: values[field] }));
            if (o.status !== 400 || o.code !== 'validation_failed') problems.push(`${t.label} + ${field}: ${o.status} ${o.code}`);
          }),
        );
      }
      const poisoned = [
        `{"__proto__":{"role":"admin","orgId":"${w.B.orgId}","isAdmin":true},${JSON.stringify(t.base()).slice(1)}`,
        `{"constructor":{"prototype":{"role":"admin","isAdmin":true}},${JSON.stringify(t.base()).slice(1)}`,
      ];
      for (const text of poisoned) {
        jobs.push(
          limit(async () => {
            const o = await rawCall(t, text);
            if (o.status !== 400 || !['validation_failed', 'invalid_json'].includes(o.code ?? '')) problems.push(`${t.label} + ${text.slice(2, 15)}: ${o.status} ${o.code}`);
          }),
        );
      }
    }
    await Promise.all(jobs);
    assert.deepEqual(problems, []);
    assert.deepEqual(await snapshot(), before, 'a refused request changed stored data');
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype was polluted');
    assert.equal((await w.server.sql(`select count(*)::int as n from users where id = $1 or org_id <> all($2::uuid[])`, [forgedId, [A.orgId, w.B.orgId]])).rows[0]!.n, 0);

    // The same bodies without the extra fields are accepted: the refusals were about the extras.
    for (const t of targets) await t.control(t.base());
    const message = await A.provider.client.call('messages.list', { params: { threadId: w.threadA.id } });
    const edited = message.items.find((m) => m.id === target.id)!;
    assert.equal(edited.senderId, A.provider.id);
    assert.equal(edited.version, 2);
    const nurse = await admin.call('users.get', { params: { id: A.nurse.id } });
    assert.equal(nurse.role, 'staff');
    const org = await admin.call('organization.get');
    assert.equal(org.slug, 'orga');
  });

  test('no role escalation through the role field', async () => {
    await rejects(w.A.admin.client.call('users.create', { body: { role: 'patient' as never, email: `r.${uniq()}@orga.test`, name: 'Role Patient' } }), 400, 'validation_failed');
    // users.update takes a staff role from an admin only: nobody else, not for themselves, not across organizations,
    // never the patient role, and an admin not for their own account.
    await rejects(w.A.admin.client.call('users.update', { params: { id: w.A.nurse.id }, body: { role: 'patient' } as never }), 400, 'validation_failed');
    await rejects(w.A.nurse.client.call('users.update', { params: { id: w.A.nurse.id }, body: { role: 'admin' } }), 403, 'forbidden');
    await rejects(w.A.provider.client.call('users.update', { params: { id: w.A.provider.id }, body: { role: 'admin' } }), 403, 'forbidden');
    await rejects(w.A.compliance.client.call('users.update', { params: { id: w.A.nurse.id }, body: { role: 'admin' } }), 403, 'forbidden');
    await rejects(w.B.admin.client.call('users.update', { params: { id: w.A.nurse.id }, body: { role: 'admin' } }), 404, 'not_found');
    await rejects(w.A.admin.client.call('users.update', { params: { id: w.A.admin.id }, body: { role: 'staff' } }), 409, 'conflict');
    await rejects(w.A.provider.client.call('users.create', { body: { role: 'admin', email: `r.${uniq()}@orga.test`, name: 'Self Made Admin' } }), 403, 'forbidden');
    const rows = await w.server.sql<{ role: string }>(`select role from users where id = $1`, [w.A.nurse.id]);
    assert.equal(rows.rows[0]!.role, 'staff');
    const admins = await w.server.sql<{ role: string }>(`select role from users where id = $1`, [w.A.admin.id]);
    assert.equal(admins.rows[0]!.role, 'admin');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------------------------

describe('sessions', () => {
  const SESSION_GONE = ['session_expired', 'unauthenticated'];
  const expectGone = async (c: HavenClient) => {
    const outcomes = await Promise.all([
      attempt(c.call('auth.session')),
      attempt(c.call('organization.get')),
      attempt(c.call('threads.list')),
      attempt(c.call('threads.get', { params: { threadId: w.threadA.id } })),
      attempt(c.call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'after the end' } })),
      attempt(c.call('auth.logout')),
    ]);
    for (const o of outcomes) assert.ok(o.status === 401 && SESSION_GONE.includes(o.code ?? ''), `expected 401 session_expired/unauthenticated, got ${show(o)}`);
  };

  test('deactivating a staff member ends every session they have, at once', async () => {
    const u = await addStaff(w.server, 'orga', w.A.admin.client, 'provider', `Leaving ${uniq()}`, w.A.dept.id);
    await w.A.admin.client.call('careTeams.members.add', { params: { id: w.A.teamA.id }, body: { userId: u.id } });
    const second = await signIn(w.server, 'orga', u.email, u.password);
    await u.client.call('threads.get', { params: { threadId: w.threadA.id } });
    await second.call('auth.session');
    await w.A.admin.client.call('users.deactivate', { params: { id: u.id } });
    await expectGone(u.client);
    await expectGone(second);
    await rejects(w.server.client().login('orga', u.email, u.password), 401, 'invalid_credentials');
    const open = await w.server.sql<{ n: number }>(`select count(*)::int as n from sessions where user_id = $1 and revoked_at is null`, [u.id]);
    assert.equal(open.rows[0]!.n, 0);
  });

  test('deactivating a patient ends their sessions too', async () => {
    const p = await addPatient(w.server, 'orga', w.A.admin.client, `Leaving Patient ${uniq()}`, [w.A.teamA.id]);
    await p.client.call('threads.list');
    await w.A.admin.client.call('users.deactivate', { params: { id: p.id } });
    await expectGone(p.client);
    await rejects(w.server.client().login('orga', p.email, p.password), 401, 'invalid_credentials');
  });

  test('after logout the old bearer token is dead; other sessions of the user live on', async () => {
    const u = await addStaff(w.server, 'orga', w.A.admin.client, 'staff', `Logging Out ${uniq()}`);
    const other = await signIn(w.server, 'orga', u.email, u.password);
    const token = u.client.token!;
    await u.client.call('auth.logout');
    assert.equal(u.client.token, undefined);
    await expectGone(new HavenClient({ baseUrl: w.server.url, token }));
    await other.call('auth.session');
    await other.call('threads.list');
  });

  test('made-up and malformed tokens are unauthenticated', async () => {
    const forged = new HavenClient({ baseUrl: w.server.url, token: randomBytes(32).toString('base64url') });
    await rejects(forged.call('auth.session'), 401, 'unauthenticated');
    const malformed = new HavenClient({ baseUrl: w.server.url, token: 'not a token' });
    await rejects(malformed.call('threads.list'), 401, 'unauthenticated');
    await rejects(w.server.client().call('organization.get'), 401, 'unauthenticated');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Internal threads with participants whose role reads no messages
// ---------------------------------------------------------------------------------------------------------------

describe('internal threads: admin and compliance read no messages even when named as participants', () => {
  for (const who of ['compliance', 'admin'] as const) {
    test(`${who} named as a participant`, async () => {
      const word = `quokka${uniq()}`;
      let thread: Thread;
      try {
        thread = await w.A.provider.client.call('threads.create', { body: { kind: 'internal', subject: `Staffing ${word}`, participantIds: [w.A.nurse.id, w.members[who].id] } });
      } catch (err) {
        if (err instanceof HavenApiError && err.status < 500) return; // refusing such a participant altogether is fine too
        throw err;
      }
      await send('nurse', thread.id, `${word} rota for next week`);
      const c = client(who);
      const problems: string[] = [];
      const get = await attempt(c.call('threads.get', { params: { threadId: thread.id } }));
      if (!matches(404, get)) problems.push(`threads.get answered ${show(get)}`);
      const list = await attempt(c.call('messages.list', { params: { threadId: thread.id } }));
      if (!matches(404, list)) problems.push(`messages.list answered ${show(list)}`);
      const listed = await c.call('threads.list', { query: { limit: 200 } });
      if (listed.items.some((t) => t.id === thread.id)) problems.push(`threads.list includes the thread (subject "${listed.items.find((t) => t.id === thread.id)!.subject}")`);
      const found = await c.call('messages.search', { body: { query: word } });
      if (found.items.length > 0) problems.push(`messages.search returns ${found.items.length} message(s): "${found.items[0]!.snippet}"`);
      assert.deepEqual(problems, []);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The staffSeeAllPatients setting
// ---------------------------------------------------------------------------------------------------------------

describe('staffSeeAllPatients', () => {
  /** The organization settings cache lives two seconds. */
  const settle = () => sleep(2100);

  test('turning it on lets every clinician of the organization read every patient; turning it off takes that back', async () => {
    const other = w.A.otherProvider.client;
    const tA = { params: { threadId: w.threadA.id } };
    await rejects(other.call('threads.get', tA), 404, 'not_found');
    try {
      const on = await w.A.admin.client.call('organization.update', { body: { staffSeeAllPatients: true } });
      assert.equal(on.staffSeeAllPatients, true);
      await settle();
      const [thread, history, patient, list] = await Promise.all([
        other.call('threads.get', tA),
        other.call('messages.list', tA),
        other.call('patients.get', { params: { id: w.A.patientA.id } }),
        other.call('threads.list', { query: { limit: 200 } }),
      ]);
      assert.equal(thread.id, w.threadA.id);
      assert.ok(history.items.length > 0 && history.items.every((m) => m.threadId === w.threadA.id), 'otherProvider read no history of thread A');
      assert.equal(patient.id, w.A.patientA.id);
      assert.ok(list.items.some((t) => t.id === w.threadA.id), 'thread A missing from otherProvider\'s threads.list');
      // The setting widens patient records for clinicians only; internal threads, other roles and other orgs are unchanged.
      await Promise.all([
        rejects(other.call('threads.get', { params: { threadId: w.internal.id } }), 404, 'not_found'),
        rejects(w.A.admin.client.call('threads.get', tA), 404, 'not_found'),
        rejects(w.A.compliance.client.call('messages.list', tA), 404, 'not_found'),
        rejects(w.A.patientB.client.call('threads.get', tA), 404, 'not_found'),
        rejects(w.B.provider.client.call('threads.get', tA), 404, 'not_found'),
        rejects(w.B.otherProvider.client.call('threads.get', { params: { threadId: w.bThread.id } }), 404, 'not_found'),
      ]);
      assert.equal((await w.B.admin.client.call('organization.get')).staffSeeAllPatients, false);
    } finally {
      const off = await w.A.admin.client.call('organization.update', { body: { staffSeeAllPatients: false } });
      assert.equal(off.staffSeeAllPatients, false);
      await settle();
    }
    await Promise.all([
      rejects(other.call('threads.get', tA), 404, 'not_found'),
      rejects(other.call('messages.list', tA), 404, 'not_found'),
      rejects(other.call('patients.get', { params: { id: w.A.patientA.id } }), 404, 'not_found'),
      rejects(other.call('messages.create', { params: { threadId: w.threadA.id }, body: { id: uuid(), body: 'too late' } }), 404, 'not_found'),
    ]);
    const list = await other.call('threads.list', { query: { limit: 200 } });
    assert.ok(!list.items.some((t) => t.id === w.threadA.id), 'thread A still in otherProvider\'s threads.list after turning the setting off');
  });

  test('only admins change the setting', async () => {
    await rejects(w.A.provider.client.call('organization.update', { body: { staffSeeAllPatients: true } }), 403, 'forbidden');
    await rejects(w.A.compliance.client.call('organization.update', { body: { staffSeeAllPatients: true } }), 403, 'forbidden');
    assert.equal((await w.A.admin.client.call('organization.get')).staffSeeAllPatients, false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------------------------

test('the matrix has a row for every operation of the API contract, and checked every cell', (t) => {
  const covered = new Set(ROWS.map((r) => r.op));
  assert.deepEqual(Object.keys(endpoints).filter((op) => !covered.has(op)), [], 'operations without a matrix row');
  assert.deepEqual([...covered].filter((op) => !(op in endpoints)), [], 'matrix rows for unknown operations');
  assert.equal(cellsChecked, ROWS.length * ACTORS.length);
  t.diagnostic(`${ROWS.length} rows × ${ACTORS.length} callers = ${cellsChecked} cells over ${covered.size} operations`);
});
