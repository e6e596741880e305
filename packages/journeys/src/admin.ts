// The collector's admin API, as the runner reads it (Bearer admin token): profiles, their events,
// the abandoned-carts and funnel exports.

/** A stitched profile (GET /v1/profiles/:id). */
export interface Profile {
  id: string;
  customerId: string | null;
  anonymousIds: string[];
  eventCount: number;
  [key: string]: unknown;
}

/** A stored event as the admin API returns it. */
export interface StoredEvent {
  type: string;
  messageId: string;
  anonymousId?: string | null;
  userId?: string | null;
  event?: string;
  name?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One row of /v1/exports/abandoned-carts. */
export interface AbandonedCartRow {
  profileId: string;
  customerId: string | null;
  anonymousId: string | null;
  value: number;
  abandonedAt: string;
  recovered: boolean;
  recoveredOrderId: string | null;
  [key: string]: unknown;
}

/** One step of /v1/exports/funnel. */
export interface FunnelRow {
  step: number;
  name: string;
  units: number;
  dropOff: number | null;
  conversionFromPrevious: number | null;
  conversionFromStart: number | null;
  medianSecondsFromPrevious: number | null;
}

/** A request the admin API refused or could not answer; `status` 0 when it was not reached. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

const TIMEOUT_MS = 30_000;

export function createAdmin(collectorUrl: string, token: string) {
  const base = collectorUrl.replace(/\/+$/, '');

  async function get<T>(path: string, allow404 = false): Promise<T | null> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      const cause = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      throw new AdminError(`cannot reach the collector at ${base}: ${cause}`, 0);
    }
    if (res.status === 404 && allow404) {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        message = JSON.parse(text).error.message;
      } catch {
        // not the collector's error shape: the body as it came
      }
      const hint = res.status === 401 ? ' (check --token / SPUR_ADMIN_TOKEN)' : '';
      throw new AdminError(`GET ${path} answered ${res.status}: ${message}${hint}`, res.status);
    }
    return JSON.parse(text) as T;
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    url: base,
    /** Resolves when the collector answers /healthz and accepts the token. */
    async check(): Promise<void> {
      await get('/healthz');
      // Any id: 404 means the token was accepted.
      await get('/v1/profiles/spur-simulate-token-check', true);
    },
    profile: (anyId: string) => get<Profile>(`/v1/profiles/${id(anyId)}`, true),
    async events(profileId: string): Promise<StoredEvent[] | null> {
      const answer = await get<{ events: StoredEvent[] }>(`/v1/profiles/${id(profileId)}/events`, true);
      return answer ? answer.events : null;
    },
    /** Abandoned carts since `from` (ISO); cart detection runs up to now first. */
    async abandonedCarts(from: string): Promise<AbandonedCartRow[]> {
      return (await get<AbandonedCartRow[]>(`/v1/exports/abandoned-carts?format=json&from=${id(from)}`))!;
    },
    async funnel(query: { steps: readonly string[]; unit?: string; from?: string; to?: string }): Promise<FunnelRow[]> {
      const params = new URLSearchParams({ format: 'json', steps: query.steps.join(',') });
      if (query.unit) params.set('unit', query.unit);
      if (query.from) params.set('from', query.from);
      if (query.to) params.set('to', query.to);
      return (await get<{ steps: FunnelRow[] }>(`/v1/exports/funnel?${params}`))!.steps;
    },
  };
}

export type Admin = ReturnType<typeof createAdmin>;
