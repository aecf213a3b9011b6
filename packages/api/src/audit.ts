import { Type } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';

export const AuditQuery = Type.Object(
  {
    patientId: Type.Optional(Uuid),
    actorId: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z_.]+$' })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AuditEvent = Type.Object({
  seq: Type.Union([Type.Integer(), Type.Null()], { description: 'Position in the organization\'s hash chain; null for an event written in the last moments, not yet chained' }),
  id: Uuid,
  at: Timestamp,
  actorId: Type.Union([Uuid, Type.Null()]),
  actorRole: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.Union([Type.String(), Type.Null()]),
  patientId: Type.Union([Uuid, Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('denied'), Type.Literal('failure')]),
  details: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.Union([Type.String(), Type.Null()]),
});

export const AuditVerifyResult = Type.Object({
  ok: Type.Boolean(),
  eventsChecked: Type.Integer(),
  checkpointsChecked: Type.Integer(),
  headSeq: Type.Integer(),
  firstBadSeq: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const AuditPublicKey = Type.Object({
  keyId: Type.String(),
  algorithm: Type.Literal('Ed25519'),
  publicKeyPem: Type.String(),
});

export const AuditCheckpoint = Type.Object({
  seq: Type.Integer(),
  hash: Type.String(),
  signedAt: Timestamp,
  keyId: Type.String(),
  signature: Type.String(),
});
