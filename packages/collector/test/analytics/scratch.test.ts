import { createAnalytics, releaseScratch } from '../../src/analytics';
import { SCRATCH_IDLE_MS, scratchBytes } from '../../src/analytics/scratch';
import { generate, STEPS } from './synthetic';

describe('scratch buffers', () => {
  afterEach(() => {
    releaseScratch();
    jest.useRealTimers();
  });

  it('are reused while queries come and dropped once none came for a while', () => {
    jest.useFakeTimers();
    releaseScratch();
    const analytics = createAnalytics();
    for (const fact of generate(5, 200).facts) analytics.append(fact);
    analytics.funnel({ steps: STEPS });
    const held = scratchBytes();
    expect(held).toBeGreaterThan(0);
    jest.advanceTimersByTime(SCRATCH_IDLE_MS - 1);
    // Another query just before the end keeps them for another while, and allocates nothing new.
    analytics.funnel({ steps: STEPS });
    expect(scratchBytes()).toBe(held);
    jest.advanceTimersByTime(SCRATCH_IDLE_MS - 1);
    expect(scratchBytes()).toBe(held);
    jest.advanceTimersByTime(1);
    expect(scratchBytes()).toBe(0);
    // And queries after that work as before.
    expect(analytics.funnel({ steps: STEPS }).steps[0].units).toBeGreaterThan(0);
  });
});
