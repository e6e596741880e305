// Checking a run's expectations against what the collector recorded (admin API) and what the
// browser did. Each failed expectation is one message that says what was expected and what was
// found instead.
import { AdminError, type AbandonedCartRow, type Admin, type Profile, type StoredEvent } from './admin';
import { compareEvents, pickedIn, type FailureDetail } from './compare';
import type { SentRequest } from './device';
import { parseDuration } from './duration';
import { describeMatcher, eventLabel, funnelReached, walkMatchers } from './match';
import type { Expectations } from './spec';
import { resolveText, resolveValue, type Vars } from './values';

/** Default conversion window of a funnel expectation: issue 5's default for visitor and customer units. */
export const FUNNEL_WINDOW_MS = 7 * 86_400_000;

/** What the collector holds for a run: the profiles of its anonymous ids and their events, in time order. */
export interface CollectorView {
  profiles: Profile[];
  events: StoredEvent[];
  /** The abandoned-carts export since the run's start, when it was read first (see readCollector). */
  abandonedCarts?: AbandonedCartRow[];
}

/** What the run did in the browser. */
export interface RunEvidence {
  vars: Vars;
  /** The anonymous ids of each device (its spur_aid cookies and the ids its requests carried). */
  devices: { index: number; anonymousIds: string[] }[];
  /** Customer ids the browsers identified as. */
  userIds: string[];
  requests: SentRequest[];
  /** What spur left in each device's browser (only when nothingStored is expected). */
  stored?: { device: number; found: string[] }[];
  /** Simulated start of the run (ISO): carts abandoned before it are not this run's. */
  simulatedStart: string;
}

export interface ExpectationFailure extends FailureDetail {
  /** events, profile, cart, funnel, nothingSent, nothingStored, or identity (runs sharing a profile). */
  expectation: string;
  message: string;
}

const CART_ABANDONED = 'Cart Abandoned';

/**
 * Whether the expectations need the collector's abandoned carts: a `cart` expectation, or an
 * `events` or `funnel` expectation that names Cart Abandoned, an event the collector's
 * abandonment job records itself once a cart's abandonment time has passed (on its timer).
 */
export function needsAbandonedCarts(expect: Expectations, vars: Vars): boolean {
  const names = (m: unknown) => m === CART_ABANDONED || (!!m && typeof m === 'object' && (m as { event?: unknown }).event === CART_ABANDONED);
  const matchers = [...(resolveValue(expect.events ?? [], vars) as unknown[]), ...(expect.funnel?.steps.map((s) => resolveText(s, vars)) ?? [])];
  return expect.cart !== undefined || matchers.some(names);
}

/**
 * How long readCollector waits for the Cart Abandoned events of a run's abandoned carts: the
 * collector's abandonment job records them on a one-minute timer (a demo stack's runs sooner).
 */
export const CART_EVENT_WAIT_MS = 75_000;

// Reads the profiles of the anonymous ids and their events, once.
async function readProfiles(admin: Admin, anonymousIds: readonly string[]): Promise<Pick<CollectorView, 'profiles' | 'events'>> {
  const profiles = new Map<string, Profile>();
  for (const id of anonymousIds) {
    if ([...profiles.values()].some((p) => p.anonymousIds.includes(id))) continue;
    const profile = await admin.profile(id);
    if (profile) profiles.set(profile.id, profile);
  }
  const events = new Map<string, StoredEvent>();
  for (const profile of profiles.values()) for (const e of (await admin.events(profile.id)) ?? []) events.set(e.messageId, e);
  // Stable: the admin API's order (timestamp, then arrival) breaks ties within a profile.
  const ordered = [...events.values()].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  return { profiles: [...profiles.values()], events: ordered };
}

// The carts of the export that are the run's (by its anonymous ids or its profiles' customer ids)
// whose Cart Abandoned event is not among the events read yet.
function cartsWithoutEvent(carts: readonly AbandonedCartRow[], anonymousIds: readonly string[], view: Pick<CollectorView, 'profiles' | 'events'>): AbandonedCartRow[] {
  const ids = new Set(anonymousIds);
  const customers = new Set(view.profiles.flatMap((p) => (p.customerId ? [p.customerId] : [])));
  const recorded = new Set(view.events.filter((e) => e.event === CART_ABANDONED).map((e) => Date.parse(e.timestamp)));
  const mine = (c: AbandonedCartRow) => (c.anonymousId !== null && ids.has(c.anonymousId)) || (c.customerId !== null && customers.has(c.customerId));
  return carts.filter((c) => mine(c) && !recorded.has(Date.parse(c.abandonedAt)));
}

/**
 * Reads the profile of every anonymous id of the run, and the events of those profiles. With
 * `abandonedCartsFrom` it first reads the abandoned-carts export since then, and reads the events
 * again until each of the run's carts there has its Cart Abandoned event (the collector's
 * abandonment job records it; reading an export writes nothing), or `cartWaitMs` has passed (the
 * expectations then say what is missing). A collector without that export (404) is read without it.
 */
export async function readCollector(
  admin: Admin,
  anonymousIds: readonly string[],
  abandonedCartsFrom?: string,
  cartWaitMs: number = CART_EVENT_WAIT_MS,
): Promise<CollectorView> {
  let abandonedCarts: AbandonedCartRow[] | undefined;
  if (abandonedCartsFrom !== undefined) {
    try {
      abandonedCarts = await admin.abandonedCarts(abandonedCartsFrom);
    } catch (error) {
      if (!(error instanceof AdminError && error.status === 404)) throw error;
    }
  }
  const deadline = Date.now() + cartWaitMs;
  let view = await readProfiles(admin, anonymousIds);
  while (abandonedCarts && cartsWithoutEvent(abandonedCarts, anonymousIds, view).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    view = await readProfiles(admin, anonymousIds);
  }
  return { ...view, ...(abandonedCarts ? { abandonedCarts } : {}) };
}

const list = (labels: string[], max = 30) => (labels.length ? labels.slice(0, max).join(', ') + (labels.length > max ? `, ... (${labels.length} in all)` : '') : 'nothing');

type Check = { message: string } & FailureDetail;

function checkEvents(specMatchers: unknown[], vars: Vars, view: CollectorView): Check | undefined {
  const matchers = resolveValue(specMatchers, vars) as unknown[];
  const { missing, from } = walkMatchers(matchers, view.events);
  if (missing === -1) return undefined;
  const after = missing > 0 ? ` after ${describeMatcher(matchers[missing - 1])}` : '';
  const compared = compareEvents(matchers[missing], view.events, from);
  return {
    message: `expected ${describeMatcher(matchers[missing])}${after} (event ${missing + 1} of ${matchers.length}, in order); the collector holds for this run: ${list(view.events.map(eventLabel))}`,
    ...detail(pickedIn(specMatchers[missing], vars), compared),
  };
}

/** The parts of a detail that have something to say. */
const detail = (picked: Record<string, unknown> | undefined, compared?: FailureDetail['compared']): FailureDetail => ({
  ...(picked ? { picked } : {}),
  ...(compared?.length ? { compared } : {}),
});

function checkProfile(expected: NonNullable<Expectations['profile']>, evidence: RunEvidence, view: CollectorView): string | undefined {
  const customers = view.profiles.filter((p) => p.customerId);
  let profile: Profile | undefined;
  const want = expected.customerId;
  if (want === false) {
    if (customers.length) return `expected an anonymous profile; the collector has customer ${customers.map((p) => p.customerId).join(', ')} for this run`;
    profile = view.profiles.find((p) => evidence.devices[0]?.anonymousIds.some((id) => p.anonymousIds.includes(id)));
  } else if (want !== undefined) {
    if (customers.length !== 1) {
      return customers.length
        ? `expected one customer profile; this run's anonymous ids belong to ${customers.length}: ${customers.map((p) => p.customerId).join(', ')}`
        : `expected a profile with a customer id; the run's ${view.profiles.length} profile(s) are anonymous` +
            (evidence.userIds.length ? ` although the browser identified as ${evidence.userIds.join(', ')}` : ' (the browser sent no identify)');
    }
    profile = customers[0];
    const id = want === true ? undefined : resolveText(want, evidence.vars);
    if (id !== undefined && profile.customerId !== id) return `expected customer id ${id}, got ${profile.customerId}`;
    if (id === undefined && evidence.userIds.length && !evidence.userIds.includes(profile.customerId!)) {
      return `expected the customer id the browser identified with (${evidence.userIds.join(', ')}), got ${profile.customerId}`;
    }
  } else {
    profile = customers[0] ?? view.profiles.find((p) => evidence.devices[0]?.anonymousIds.some((id) => p.anonymousIds.includes(id)));
  }
  if (!profile) return 'expected a profile; the collector holds none for the anonymous ids of this run';
  if (expected.devices !== undefined) {
    const on = evidence.devices.filter((d) => d.anonymousIds.some((id) => profile!.anonymousIds.includes(id)));
    if (on.length !== expected.devices) {
      return (
        `expected ${expected.devices} device${expected.devices === 1 ? '' : 's'} in profile ${profile.id}, got ${on.length}` +
        ` (its anonymous ids: ${profile.anonymousIds.join(', ') || 'none'}; the run's devices: ` +
        `${evidence.devices.map((d) => `${d.index}: ${d.anonymousIds.join(' ') || 'no id'}`).join('; ')})`
      );
    }
  }
  return undefined;
}

async function checkCart(expected: NonNullable<Expectations['cart']>, evidence: RunEvidence, view: CollectorView, admin: Admin): Promise<string | undefined> {
  const profileIds = new Set(view.profiles.map((p) => p.id));
  const customerIds = new Set(view.profiles.map((p) => p.customerId).filter(Boolean));
  const anonymousIds = new Set(evidence.devices.flatMap((d) => d.anonymousIds));
  let rows = view.abandonedCarts;
  try {
    rows ??= await admin.abandonedCarts(evidence.simulatedStart);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404) return `cannot check: the collector has no /v1/exports/abandoned-carts (404); cart expectations need a collector with the exports (issue 5)`;
    throw error;
  }
  const mine = rows.filter(
    (r) => profileIds.has(r.profileId) || (r.customerId && customerIds.has(r.customerId)) || (r.anonymousId && anonymousIds.has(r.anonymousId)),
  );
  const left = mine.filter((r) => !r.recovered);
  const recovered = mine.filter((r) => r.recovered);
  const found = mine.length
    ? `the collector has ${mine.length} abandoned cart${mine.length === 1 ? '' : 's'} for this run: ` +
      mine.map((r) => `${r.value} abandoned ${r.abandonedAt}${r.recovered ? `, recovered by ${r.recoveredOrderId}` : ', not recovered'}`).join('; ')
    : 'the collector has no abandoned cart for this run';
  if (expected === 'none' && mine.length) return `expected no abandoned cart; ${found}`;
  if (expected === 'abandoned' && !left.length) return `expected a cart abandoned and not bought; ${found}`;
  if (expected === 'recovered' && !recovered.length) return `expected an abandoned cart that was recovered by an order; ${found}`;
  return undefined;
}

function checkFunnel(expected: NonNullable<Expectations['funnel']>, view: CollectorView): string | undefined {
  const windowMs = expected.window ? parseDuration(expected.window)! : FUNNEL_WINDOW_MS;
  const reached = funnelReached(expected.steps, view.events, windowMs);
  if (reached === expected.reached) return undefined;
  return (
    `expected the run to reach ${expected.reached} of ${expected.steps.length} funnel steps, it reached ${reached}` +
    (reached ? ` (${expected.steps.slice(0, reached).join(' → ')})` : '') +
    `; the collector holds: ${list(view.events.map(eventLabel))}`
  );
}

/**
 * Every profile of the run must hold only the run's anonymous ids: another id there means two
 * runs (or a run and earlier data) became one customer, and nothing else about the run can be
 * trusted. A spec that logs in with a fixed email and runs more than once ends up here.
 */
function checkIdentity(evidence: RunEvidence, view: CollectorView): string | undefined {
  const own = new Set(evidence.devices.flatMap((d) => d.anonymousIds));
  for (const profile of view.profiles) {
    const foreign = profile.anonymousIds.filter((id) => !own.has(id));
    if (foreign.length) {
      return (
        `profile ${profile.id} also holds anonymous ids no device of this run had (${list(foreign, 5)}): ` +
        'runs are not independent; give each run its own customer, e.g. {"email": "unique"}'
      );
    }
  }
  return undefined;
}

/** Checks the spec's expectations of one run; an empty list when all hold. */
export async function checkExpectations(expect: Expectations, evidence: RunEvidence, view: CollectorView, admin: Admin): Promise<ExpectationFailure[]> {
  const failures: ExpectationFailure[] = [];
  const fail = (expectation: string, found: string | Check | undefined, spec?: unknown) => {
    if (!found) return;
    const check = typeof found === 'string' ? { message: found, ...detail(pickedIn(spec, evidence.vars)) } : found;
    failures.push({ expectation, ...check });
  };

  fail('identity', checkIdentity(evidence, view));
  if (expect.events) fail('events', checkEvents(expect.events, evidence.vars, view));
  if (expect.profile) fail('profile', checkProfile(expect.profile, evidence, view), expect.profile);
  if (expect.cart) fail('cart', await checkCart(expect.cart, evidence, view, admin));
  if (expect.funnel) fail('funnel', checkFunnel(resolveValue(expect.funnel, evidence.vars) as NonNullable<Expectations['funnel']>, view), expect.funnel);
  if (expect.nothingSent && evidence.requests.length) {
    const events = evidence.requests.flatMap((r) => r.events.map(eventLabel));
    fail('nothingSent', `expected no request to the collector; the browser sent ${evidence.requests.length} (${list(events, 10)})`);
  }
  if (expect.nothingStored) {
    const stored = (evidence.stored ?? []).filter((d) => d.found.length);
    if (stored.length) fail('nothingStored', `expected spur to store nothing in the browser; ${stored.map((d) => `device ${d.device} has ${d.found.join(', ')}`).join('; ')}`);
  }
  return failures;
}
