// RudderStack's Node library, unchanged but for the data plane URL and write key, against a real
// collector. It posts batches to /v1/batch with the write key as the Basic user, and the event
// time as originalTimestamp (no timestamp), identify's traits also in context.traits.
import { CALLS, WRITE_KEY, expectJourney, startCollector, type CallType, type TestCollector } from './collector';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Analytics = require('@rudderstack/rudder-sdk-node') as new (
  writeKey: string,
  options: { dataPlaneUrl: string; flushAt?: number; flushInterval?: number; logLevel?: string },
) => Record<CallType, (message: object, done: (err?: Error) => void) => void> & { flush(): Promise<unknown> };

let collector: TestCollector;
beforeEach(async () => {
  collector = await startCollector();
});
afterEach(() => collector.close());

describe('@rudderstack/rudder-sdk-node 3.x', () => {
  it('stores every call type once, at the time it happened, and identify stitches the visitor', async () => {
    const analytics = new Analytics(WRITE_KEY, { dataPlaneUrl: collector.url, flushAt: 20, flushInterval: 60_000, logLevel: 'error' });
    const anonymousId = 'anon-rudder';
    const userId = 'cus-rudder';
    // Each call's callback runs once the request that carried it was answered (err on failure).
    const sent: Promise<void>[] = [];
    const call = (method: CallType, message: object) =>
      sent.push(new Promise((resolve, reject) => analytics[method](message, (err) => (err ? reject(err) : resolve()))));
    const from = Date.now();
    call('page', { anonymousId, ...CALLS.page });
    call('track', { anonymousId, ...CALLS.track });
    call('screen', { anonymousId, ...CALLS.screen });
    call('identify', { anonymousId, userId, ...CALLS.identify });
    call('group', { anonymousId, userId, ...CALLS.group });
    call('alias', { userId, ...CALLS.alias });
    await analytics.flush();
    await Promise.all(sent);
    const to = Date.now();
    const types: CallType[] = ['page', 'track', 'screen', 'identify', 'group', 'alias'];
    await expectJourney(collector, { types, userId, anonymousId, library: 'analytics-node', from, to });
  });
});
