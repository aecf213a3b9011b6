import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPassword, hashPassword, verifyPassword } from './password.policy.js';

describe('password rules (NIST SP 800-63B-4)', () => {
  test('15 characters when the password is the only factor, 8 with a second factor', () => {
    assert.match(checkPassword('crisp-lantern7', { secondFactor: false })!, /at least 15/);
    assert.equal(checkPassword('crisp-lantern-7', { secondFactor: false }), null);
    assert.equal(checkPassword('mossy-fj', { secondFactor: true }), null);
    assert.match(checkPassword('mossyfj', { secondFactor: true })!, /at least 8/);
  });

  test('no composition rules, long passphrases and unicode allowed, up to 256 characters', () => {
    assert.equal(checkPassword('correct horse battery staple', { secondFactor: false }), null);
    assert.equal(checkPassword('ñandú verde sobre la colina', { secondFactor: false }), null);
    assert.equal(checkPassword('a quiet river'.repeat(4).slice(0, 64), { secondFactor: false }), null);
    assert.equal(checkPassword('x'.repeat(10) + 'the long road home, '.repeat(12).slice(0, 246), { secondFactor: false }), null);
    assert.match(checkPassword('q'.repeat(257), { secondFactor: false })!, /at most 256/);
  });

  test('common, repetitive, sequential and context-derived passwords are refused', () => {
    assert.match(checkPassword('password', { secondFactor: true })!, /too common/);
    assert.match(checkPassword('qwertyuiop', { secondFactor: true })!, /too common/);
    assert.match(checkPassword('aaaaaaaaaaaaaaaaa', { secondFactor: false })!, /repeated or sequential/);
    assert.match(checkPassword('abcdefghijklmnop', { secondFactor: false })!, /repeated or sequential/);
    assert.match(checkPassword('jane.doe@example.com', { secondFactor: false, email: 'jane.doe@example.com' })!, /e-mail/);
    assert.match(checkPassword('riverside-clinic!', { secondFactor: true, organizationSlug: 'riverside-clinic' })!, /practice name/);
  });

  test('argon2id hashes verify, reject other passwords, and normalize unicode', async () => {
    const stored = await hashPassword('caf\u00e9 au lait pour deux');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(stored, 'cafe\u0301 au lait pour deux'), true);
    assert.equal(await verifyPassword(stored, 'cafe au lait pour deux'), false);
  });
});
