// First-party cookies. Reading and writing never throw: a sandboxed iframe or a strict privacy
// setting makes document.cookie throw a SecurityError, and then the caller keeps ids in memory.

/** spur_aid lives 400 days, the longest expiry Chrome accepts (RFC 6265bis). */
export const AID_MAX_AGE = 34560000;
/** spur_sid lives 30 minutes and is rewritten on every event, so it lapses after 30 idle minutes. */
export const SID_MAX_AGE = 1800;

export function getCookie(name: string): string | undefined {
  try {
    return document.cookie.match(`(?:^|; )${name}=([^;]+)`)?.[1];
  } catch {
    // Cookies blocked: the caller falls back to memory.
  }
}

/** Writes a first-party, Lax, path-wide cookie; Secure on https, Domain only when one is configured. */
export function setCookie(name: string, value: string, maxAge: number, domain?: string, secure = location.protocol == 'https:'): void {
  try {
    document.cookie = `${name}=${value};Max-Age=${maxAge};Path=/;SameSite=Lax${domain ? ";Domain=" + domain : ""}${secure ? ";Secure" : ""}`;
  } catch {
    // Cookies blocked: the caller falls back to memory.
  }
}
