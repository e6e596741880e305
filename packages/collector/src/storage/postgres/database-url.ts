// SPUR_DATABASE_URL (`--database-url`): a postgres:// URL, checked here once so that a typo is
// an error naming the setting at start, not a connection failure on every request. The password
// never appears in an error or a log: `redacted` stands for the URL wherever one is shown.

/** How the setting is named in every error about it. */
export const DATABASE_URL_SETTING = 'SPUR_DATABASE_URL / --database-url';

/** The URL parameters spur reads; any other is refused by name rather than silently ignored. */
export const URL_PARAMETERS = ['sslmode', 'host', 'application_name', 'connect_timeout'] as const;

/** TLS as `sslmode` asks: off, on without checking the certificate, or on and checked. */
export type TlsMode = false | { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined };

/** Where and as whom to connect, parsed from the URL. */
export interface DatabaseTarget {
  /** A host name or address, or a folder holding the server's unix socket (`?host=/run/postgresql`). */
  host: string;
  port: number;
  user: string;
  /** Absent: the server trusts the user, or ~/.pgpass has it. */
  password?: string;
  database: string;
  ssl: TlsMode;
  /** From `?application_name=`; the caller's default otherwise. */
  applicationName?: string;
  /** From `?connect_timeout=` (seconds, as libpq takes it), in milliseconds. */
  connectTimeoutMs?: number;
  /** The URL with the password replaced by `***`: safe for logs and errors. */
  redacted: string;
}

/**
 * The text with any password replaced by `***`. Done on the text, not on a parsed URL: an
 * unencoded `/`, `@` or `:` in a password makes a URL parse into other parts (or none), and the
 * password must stay hidden then too. Everything up to the last `@` after the user counts.
 */
export function redactDatabaseUrl(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0].length ?? 0;
  const userinfo = text.slice(start, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return text; // no password
  const user = userinfo.slice(0, colon);
  return text.slice(0, start) + (/[/?#]/.test(user) ? '' : user + ':') + '***' + text.slice(at);
}

const invalid = (what: string, redacted: string) =>
  new Error(`${DATABASE_URL_SETTING}: ${what} (${redacted}); expected postgres://user:password@host:5432/database`);

function decode(part: string, what: string, redacted: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`the ${what} is not valid percent-encoding`, redacted);
  }
}

function tlsOf(mode: string | null, redacted: string): TlsMode {
  switch (mode) {
    case null:
    case 'disable':
      return false;
    case 'require':
    case 'no-verify':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The certificate chain is checked, the host name is not (libpq's verify-ca).
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      // prefer and allow fall back to plain text when TLS fails, which the driver cannot do.
      throw invalid(`sslmode=${mode} is not supported; use disable, require, verify-ca or verify-full`, redacted);
  }
}

/** Parses and checks a database URL; throws an Error naming the setting and what is wrong. */
export function parseDatabaseUrl(text: string): DatabaseTarget {
  const redacted = redactDatabaseUrl(text.trim());
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalid('not a URL', redacted);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalid(`the scheme must be postgres:// or postgresql://, not ${url.protocol}//`, redacted);
  }
  for (const name of url.searchParams.keys()) {
    if (!(URL_PARAMETERS as readonly string[]).includes(name)) {
      throw invalid(`unknown parameter ${name}; spur reads ${URL_PARAMETERS.join(', ')}`, redacted);
    }
  }
  const socketFolder = url.searchParams.get('host');
  const host = socketFolder || decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host', redacted);
  if (!host) throw invalid('no host', redacted);
  const port = url.port === '' ? 5432 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`port ${url.port} is out of range`, redacted);
  const user = decode(url.username, 'user', redacted);
  if (!user) throw invalid('no user', redacted);
  const database = decode(url.pathname.replace(/^\//, ''), 'database name', redacted);
  if (!database) throw invalid('no database name', redacted);
  if (database.includes('/')) throw invalid('the database name has a /', redacted);
  const password = url.password === '' ? undefined : decode(url.password, 'password', redacted);
  const timeout = url.searchParams.get('connect_timeout');
  if (timeout !== null && !/^\d+$/.test(timeout)) throw invalid(`connect_timeout=${timeout} is not a whole number of seconds`, redacted);
  return {
    host,
    port,
    user,
    ...(password !== undefined && { password }),
    database,
    ssl: tlsOf(url.searchParams.get('sslmode'), redacted),
    ...(url.searchParams.get('application_name') && { applicationName: url.searchParams.get('application_name')! }),
    ...(timeout !== null && Number(timeout) > 0 && { connectTimeoutMs: Number(timeout) * 1000 }),
    redacted,
  };
}
