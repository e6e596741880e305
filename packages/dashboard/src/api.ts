// The dashboard's calls to the collector: the admin API with the session cookie (sent by the
// browser; SameSite=Strict), changes with the session's CSRF token. Every figure the views show
// comes from the export API's JSON, and every table's CSV link is the same export as CSV, so a
// table and its download are one query.

/** Where the collector is mounted ('' standalone): the shell page says (body data-base). */
export const base = document.body.dataset.base ?? '';

/** Who is signed in (GET /dashboard/session). */
export interface Session {
  account: string;
  role: 'viewer' | 'admin';
  csrfToken: string;
  timeZone: string;
  expiresAt: string;
}

/** An error answer of the collector, with its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';

/** Sends the browser to the sign-in page, to come back here after. */
export function signInAgain(): never {
  const here = location.pathname + location.search;
  location.assign(`${base}/dashboard/login?next=${encodeURIComponent(here)}`);
  throw new ApiError(401, 'signed out');
}

async function answer<T>(res: Response): Promise<T> {
  if (res.status === 401) signInAgain();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error: { message: string } }).error.message;
    } catch {
      // not the collector's error shape
    }
    throw new ApiError(res.status, message);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function loadSession(): Promise<Session> {
  const session = await answer<Session>(await fetch(`${base}/dashboard/session`, { credentials: 'same-origin' }));
  csrf = session.csrfToken;
  return session;
}

/** Query parameters: absent and empty ones are left out. */
export type Params = Record<string, string | undefined>;

function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The URL of an export (for a download link: format=csv). */
export const exportUrl = (kind: string, params: Params) => `${base}/v1/exports/${kind}${query(params)}`;

/** An export's JSON. */
export async function getExport<T>(kind: string, params: Params, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(exportUrl(kind, { ...params, format: 'json' }), { credentials: 'same-origin', signal }));
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(`${base}${path}`, { credentials: 'same-origin', signal }));
}

/** A change: POST or DELETE with the CSRF token. */
export async function send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-Spur-CSRF': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return answer<T>(await fetch(`${base}${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) }));
}

/** The session's CSRF token, for the sign-out form. */
export const csrfToken = () => csrf;
