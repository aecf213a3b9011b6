import { Type, type Static } from 'typebox';
import { Language, Timestamp } from './common.js';
import { CrisisResource } from './workflow.js';

/**
 * The messaging policy a patient accepts before they first write: what messaging is for, when to expect an answer,
 * what to do in an emergency, that messages join the record. Haven's text (per language) filled with the practice's
 * own response time, emergency number, urgent guidance and crisis resources. Its `version` changes when any of these
 * change, and the patient is asked again (docs/decisions/0027).
 */
export const MessagingPolicySection = Type.Object({
  id: Type.Union([Type.Literal('purpose'), Type.Literal('response'), Type.Literal('emergency'), Type.Literal('guidance'), Type.Literal('record')]),
  text: Type.String(),
});

export const MessagingPolicyAcceptance = Type.Object({ version: Type.String(), acceptedAt: Timestamp });
export type MessagingPolicyAcceptance = Static<typeof MessagingPolicyAcceptance>;

export const MessagingPolicy = Type.Object({
  version: Type.String({ description: "Haven's text version and a digest of the practice's part; a new version is accepted anew" }),
  language: Language,
  sections: Type.Array(MessagingPolicySection, { description: 'The text, in order, in the reader\'s language (plain text, never HTML)' }),
  responseMinutes: Type.Integer({ description: 'Business minutes to an answer (routine)' }),
  emergencyNumber: Type.String(),
  crisisResources: Type.Array(CrisisResource),
  accepted: Type.Boolean({ description: 'You (a patient) accepted this version' }),
  lastAcceptance: Type.Union([MessagingPolicyAcceptance, Type.Null()], { description: 'Your latest acceptance, of this version or an earlier one' }),
});
export type MessagingPolicy = Static<typeof MessagingPolicy>;

export const MessagingPolicyAccept = Type.Object(
  { version: Type.String({ minLength: 1, maxLength: 64, description: 'The version you read (409 policy_changed when it is no longer current)' }) },
  { additionalProperties: false },
);
export type MessagingPolicyAccept = Static<typeof MessagingPolicyAccept>;
