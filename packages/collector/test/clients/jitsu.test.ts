// Jitsu's library (@jitsu/js) in Node, unchanged but for host and write key, against a real
// collector: one event per request to /api/s/<type> (/api/s/s2s/<type> server-to-server), the
// write key as `key:secret` in X-Write-Key.
import { jitsuAnalytics } from '@jitsu/js';
import { CALLS, WRITE_KEY, expectJourney, startCollector, type CallType, type TestCollector } from './collector';

let collector: TestCollector;
beforeEach(async () => {
  collector = await startCollector();
});
afterEach(() => collector.close());

// Jitsu's client has no screen or alias call.
const TYPES: CallType[] = ['page', 'track', 'identify', 'group'];

describe.each([
  ['browser-style paths', false],
  ['server-to-server paths', true],
])('@jitsu/js 1.x in Node, %s', (_name, s2s) => {
  it('stores every call type once, with its time, and identify stitches the visitor', async () => {
    const errors: string[] = [];
    const analytics = jitsuAnalytics({
      host: collector.url,
      writeKey: `${WRITE_KEY}:not-a-secret-spur-reads`,
      s2s,
      errorPolicy: (message: string) => errors.push(message),
    });
    const userId = `cus-jitsu-${s2s}`;
    const from = Date.now();
    // Each call resolves once the collector answered it.
    await analytics.page(CALLS.page.name, { ...CALLS.page.properties });
    await analytics.track(CALLS.track.event, { ...CALLS.track.properties });
    await analytics.identify(userId, { ...CALLS.identify.traits });
    await analytics.group(CALLS.group.groupId, { ...CALLS.group.traits });
    const to = Date.now();
    expect(errors).toEqual([]);
    // Jitsu's page(name, properties) sends the name as properties.name.
    await expectJourney(collector, { types: TYPES, userId, library: '@jitsu/js', pageName: 'properties', from, to });
  });
});
