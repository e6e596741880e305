// Configuration that works but will surprise: said once, when the collector is created, so
// that `spur serve`, the demo and a shop's own app all hear it where they log.
import type { Logger } from './log';

/**
 * Admin tokens shorter than this draw a warning. 24 random base64url characters carry 144 bits,
 * 24 hex characters 96 bits: out of reach of guessing at the admin API's 10 failed attempts per
 * address. Length is what the collector can check; the token must also be random
 * (`openssl rand -hex 24` gives 48 characters).
 */
export const MIN_ADMIN_TOKEN_LENGTH = 24;

export interface StartupWarning {
  message: string;
  fields: Record<string, unknown>;
}

/** What is worth a warning in a collector configuration; empty when nothing is. */
export function startupWarnings(config: { writeKeys: Record<string, string[]>; adminToken?: string }): StartupWarning[] {
  const warnings: StartupWarning[] = [];
  const keys = Object.keys(config.writeKeys);
  if (keys.length === 0) {
    warnings.push({ message: 'no write keys configured (SPUR_WRITE_KEYS / --write-keys): every ingest request will get 401', fields: {} });
  }
  for (const writeKey of keys) {
    if (config.writeKeys[writeKey].length > 0) continue;
    warnings.push({
      message:
        `write key "${writeKey}" lists no origins (SPUR_WRITE_KEYS / --write-keys): browsers sending with it will all get 403; ` +
        `only servers (requests without an Origin header) can use it. For a shop's pages: ${writeKey}=https://shop.example`,
      fields: { writeKey },
    });
  }
  if (!config.adminToken) {
    warnings.push({ message: 'no admin token (SPUR_ADMIN_TOKEN / --admin-token): the admin API answers 401', fields: {} });
  } else if (config.adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    warnings.push({
      message:
        `the admin token (SPUR_ADMIN_TOKEN / --admin-token) is ${config.adminToken.length} characters long: ` +
        `use at least ${MIN_ADMIN_TOKEN_LENGTH} random characters, e.g. openssl rand -hex 24`,
      fields: { adminTokenLength: config.adminToken.length, minimum: MIN_ADMIN_TOKEN_LENGTH },
    });
  }
  return warnings;
}

/** Logs each of startupWarnings(config) at warn level. */
export function logStartupWarnings(config: Parameters<typeof startupWarnings>[0], logger: Logger): void {
  for (const warning of startupWarnings(config)) logger.warn(warning.fields, warning.message);
}
