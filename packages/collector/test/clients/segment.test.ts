// Segment's Node libraries, unchanged but for host and write key, against a real collector:
// @segment/analytics-node (3.x) and its predecessor analytics-node (6.x). Each posts batches to
// /v1/batch with the write key as the Basic user.
import { Analytics } from '@segment/analytics-node';
import { CALLS, WRITE_KEY, expectJourney, startCollector, type CallType, type TestCollector } from './collector';

// analytics-node 6.x ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LegacyAnalytics = require('analytics-node') as new (
  writeKey: string,
  options: { host: string; flushAt?: number; flushInterval?: number },
) => Record<'page' | 'track' | 'screen' | 'identify' | 'group' | 'alias', (message: object, done: (err?: Error) => void) => void> & {
  flush(): void;
};

let collector: TestCollector;
beforeEach(async () => {
  collector = await startCollector();
});
afterEach(() => collector.close());

const ids = (lib: string) => ({ anonymousId: `anon-${lib}`, userId: `cus-${lib}` });

describe('@segment/analytics-node 3.x', () => {
  it('stores every call type once, with its time, and identify stitches the visitor', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushInterval: 60_000 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    const { anonymousId, userId } = ids('next');
    const from = Date.now();
    analytics.page({ anonymousId, ...CALLS.page });
    analytics.track({ anonymousId, ...CALLS.track });
    analytics.screen({ anonymousId, ...CALLS.screen });
    analytics.identify({ anonymousId, userId, ...CALLS.identify });
    analytics.group({ anonymousId, userId, ...CALLS.group });
    analytics.alias({ userId, ...CALLS.alias });
    await analytics.closeAndFlush();
    const to = Date.now();
    expect(errors).toEqual([]);
    const types = ['page', 'track', 'screen', 'identify', 'group', 'alias'] as const;
    await expectJourney(collector, { types: [...types], userId, anonymousId, library: '@segment/analytics-node', from, to });
  });
});

describe('analytics-node 6.x', () => {
  it('stores every call type once, with its time, and identify stitches the visitor', async () => {
    const analytics = new LegacyAnalytics(WRITE_KEY, { host: collector.url, flushAt: 20, flushInterval: 60_000 });
    const { anonymousId, userId } = ids('legacy');
    // Each call's callback runs once the request that carried it was answered.
    const sent: Promise<void>[] = [];
    const call = (method: keyof typeof analytics & CallType, message: object) =>
      sent.push(new Promise((resolve, reject) => analytics[method](message, (err) => (err ? reject(err) : resolve()))));
    const from = Date.now();
    call('page', { anonymousId, ...CALLS.page });
    call('track', { anonymousId, ...CALLS.track });
    call('screen', { anonymousId, ...CALLS.screen });
    call('identify', { anonymousId, userId, ...CALLS.identify });
    call('group', { anonymousId, userId, ...CALLS.group });
    call('alias', { userId, ...CALLS.alias });
    analytics.flush();
    await Promise.all(sent);
    const to = Date.now();
    const types = ['page', 'track', 'screen', 'identify', 'group', 'alias'] as const;
    await expectJourney(collector, { types: [...types], userId, anonymousId, library: 'analytics-node', from, to });
  });
});
