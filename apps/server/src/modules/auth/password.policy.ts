import { dictionary } from '@zxcvbn-ts/language-common';
import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id parameters: 19 MiB memory, 2 iterations, 1 lane. */
// algorithm 2 = Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const COMMON = new Set<string>((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
const HAVEN_WORDS = ['haven', 'password', 'patient', 'doctor', 'clinic', 'health', 'welcome', 'letmein', 'qwerty'];

export const MAX_PASSWORD_LENGTH = 256;

export interface PasswordContext {
  /** The account has or must have a second factor: NIST SP 800-63B-4 allows 8 characters then, 15 otherwise. */
  secondFactor: boolean;
  email?: string;
  organizationSlug?: string;
}

function isTrivialPattern(pw: string): boolean {
  const chars = [...pw];
  if (new Set(chars).size <= 2) return true;
  let sequential = true;
  for (let i = 1; i < chars.length && sequential; i++) {
    const d = chars[i]!.codePointAt(0)! - chars[i - 1]!.codePointAt(0)!;
    if (Math.abs(d) !== 1) sequential = false;
  }
  return sequential;
}

/** NIST SP 800-63B-4 rules: length only, no composition rules, blocklist of common and context words. */
export function checkPassword(password: string, ctx: PasswordContext): string | null {
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  const min = ctx.secondFactor ? 8 : 15;
  if (length < min) return `Use at least ${min} characters${ctx.secondFactor ? '' : ' (or 8 once a second factor is set up)'}.`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = normalized.toLowerCase();
  const compact = lower.replace(/[\s\d!@#$%^&*()_+\-=.,;:'"?/\\|[\]{}~`<>]+/g, '');
  if (COMMON.has(lower) || COMMON.has(compact)) return 'This password is too common. Choose a passphrase of unrelated words.';
  if (isTrivialPattern(lower)) return 'This password is a repeated or sequential pattern.';
  // Context words (service, practice, the user's e-mail) compared the same way the password is: letters only.
  const context = [...HAVEN_WORDS];
  for (const source of [ctx.email, ctx.organizationSlug]) {
    if (source) context.push(...(source.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []));
  }
  const stripped = context.sort((a, b) => b.length - a.length).reduce((s, w) => s.split(w).join(''), compact);
  if (compact.length > 0 && stripped.replace(/\d/g, '').length < 4) return 'This password is built from your e-mail, the practice name or common words.';
  return null;
}

export const hashPassword = (password: string): Promise<string> => hash(password.normalize('NFKC'), ARGON2);
export const verifyPassword = (stored: string, password: string): Promise<boolean> =>
  verify(stored, password.normalize('NFKC')).catch(() => false);

let dummyHash: Promise<string> | undefined;
/** Spends the same work as a real check, so unknown accounts answer in the same time as known ones. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('haven-dummy-password-for-timing-equalization');
  await verifyPassword(await dummyHash, password);
  return false;
}
