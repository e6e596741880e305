// Password hashing for the dashboard's accounts: scrypt, node's built-in memory-hard function, with
// a random salt per password and a constant-time comparison.
//
// Parameters: N = 2^16, r = 8, p = 2, a 16-byte salt, a 32-byte key. scrypt needs 128 × N × r
// bytes per hash, 64 MiB here: a guess on a GPU or ASIC costs that much memory for its ~0.2 s, which
// is what makes scrypt expensive to attack where a plain hash is not. The pairing of N and p is one
// of the equivalent settings OWASP's password storage guidance lists for scrypt (same CPU cost as
// N = 2^17, p = 1, at half the memory per sign-in); a sign-in takes about 0.2–0.4 s on a small
// server, paid once per sign-in, never per request (sessions carry the rest).
// At most MAX_CONCURRENT hashes run at once (each on libuv's thread pool, off the event loop), so a
// burst of sign-ins cannot take more than 128 MiB; more than MAX_WAITING waiting ones are refused.
//
// Stored as a PHC string, `$scrypt$ln=16,r=8,p=2$<salt>$<key>` (base64 without padding), so that
// the parameters travel with each hash: raising them later leaves old hashes verifiable, and a
// sign-in with an old hash can store a new one (`stale`).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { HttpError } from '../errors';

export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  ln: number;
  r: number;
  p: number;
}

/** The parameters new hashes are made with (see the top of this file). */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { ln: 16, r: 8, p: 2 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Hashes computed at once at most: 2 × 64 MiB. */
export const MAX_CONCURRENT = 2;
/** Hashes waiting at most; past that a sign-in is refused with 503 (a flood, not people). */
export const MAX_WAITING = 64;

/** Shortest password accepted; length is what makes a password hard to guess (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted: an upper bound keeps every hash the same small cost to compute. */
export const MAX_PASSWORD_LENGTH = 1024;

let running = 0;
const waiting: (() => void)[] = [];

async function gate<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) {
    if (waiting.length >= MAX_WAITING) throw new HttpError(503, 'busy', 'too many sign-ins at once; try again in a few seconds', { 'Retry-After': '5' });
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  // node refuses more than maxmem (32 MiB by default); 128 × N × r is what scrypt needs.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 2 * 128 * N * params.r };
  return gate(
    () =>
      new Promise<Buffer>((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');

/** Hashes a password with a new random salt: the PHC string to store. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/;

function parse(hash: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = PHC.exec(hash);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a tampered row from asking for gigabytes.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return undefined;
  return { params, salt: Buffer.from(m[4], 'base64'), key: Buffer.from(m[5], 'base64') };
}

export interface Verification {
  ok: boolean;
  /** The hash was made with other parameters than SCRYPT_PARAMS: store a new one after a good sign-in. */
  stale: boolean;
}

/** Checks a password against a stored hash, comparing in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<Verification> {
  const parsed = parse(hash);
  if (!parsed) {
    await burn(password);
    return { ok: false, stale: false };
  }
  const key = await derive(password, parsed.salt, parsed.params);
  const ok = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  const { ln, r, p } = parsed.params;
  return { ok, stale: ln !== SCRYPT_PARAMS.ln || r !== SCRYPT_PARAMS.r || p !== SCRYPT_PARAMS.p };
}

// Any salt does: the key burn() derives is thrown away.
const BURN_SALT = Buffer.alloc(SALT_BYTES, 0x5a);

/**
 * Spends what checking a password costs, for a name that has no account: the answer to an
 * unknown name then takes as long as to a wrong password, so timing does not tell which names exist.
 */
export async function burn(password: string): Promise<void> {
  await derive(password, BURN_SALT, SCRYPT_PARAMS);
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters (got ${length})`;
  if (length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() !== password) return 'a password must not begin or end with white space (it is easily lost when copied)';
  return undefined;
}
