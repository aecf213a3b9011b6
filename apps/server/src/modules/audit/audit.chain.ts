import { sha256 } from '../../platform/crypto/hash.js';

export const GENESIS_HASH = Buffer.alloc(32);

export interface AuditFields {
  id: string;
  orgId: string;
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  patientId: string | null;
  address: string | null;
  outcome: 'success' | 'denied' | 'failure';
  details: Record<string, unknown>;
}

/** JSON with object keys sorted at every level, so the digest does not depend on jsonb's key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** Digest of one event's content (everything but its position in the chain). */
export function eventDigest(e: AuditFields): Buffer {
  return sha256(
    canonicalJson([
      'haven-audit-v1',
      e.id,
      e.orgId,
      e.at.toISOString(),
      e.actorId,
      e.actorRole,
      e.action,
      e.resourceType,
      e.resourceId,
      e.patientId,
      e.address,
      e.outcome,
      e.details,
    ]),
  );
}

/** hash(n) = SHA-256(hash(n-1) ‖ int64be(n) ‖ digest(n)); the same formula runs in SQL at append time. */
export function chainHash(prev: Buffer, seq: bigint, digest: Buffer): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigInt64BE(seq);
  return sha256(Buffer.concat([prev, seqBytes, digest]));
}

/** What a checkpoint signature covers. */
export function checkpointMessage(orgId: string, seq: string, hash: Buffer, signedAt: Date): Buffer {
  return Buffer.from(`haven-audit-checkpoint|v1|${orgId}|${seq}|${hash.toString('hex')}|${signedAt.toISOString()}`);
}
