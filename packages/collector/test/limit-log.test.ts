// The log of what the ingest limits held back (limit-log.ts): one line per kind and subject a
// minute, counting what came in between; bounded however many subjects a flood brings.
import { createLimitLog } from '../src/limit-log';
import { captureLogs } from './log-capture';

function manualClock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('the limit log', () => {
  it('writes the first line per subject, counts the rest, and writes again a minute later with what it counted', () => {
    const clock = manualClock();
    const logs = captureLogs();
    const log = createLimitLog({ logger: logs.logger, now: clock.now });
    log.record('rejected events not stored (over the cap)', { address: '198.51.0.0' }, 3, { by: 'ip' });
    log.record('rejected events not stored (over the cap)', { address: '198.51.0.0' }, 5, { by: 'ip' });
    log.record('rejected events not stored (over the cap)', { writeKey: 'shop' }, 2, { by: 'writeKey' });
    clock.advance(60_000);
    log.record('rejected events not stored (over the cap)', { address: '198.51.0.0' }, 1, { by: 'ip' });
    expect(logs.lines().map(({ level, msg, address, writeKey, count, suppressed }) => ({ level, msg, address, writeKey, count, suppressed }))).toEqual([
      { level: 'warn', msg: 'rejected events not stored (over the cap)', address: '198.51.0.0', count: 3 },
      { level: 'warn', msg: 'rejected events not stored (over the cap)', writeKey: 'shop', count: 2 },
      { level: 'warn', msg: 'rejected events not stored (over the cap)', address: '198.51.0.0', count: 9, suppressed: 5 },
    ]);
  });

  it('keeps at most maxSubjects and gives the others one shared line a minute', () => {
    const clock = manualClock();
    const logs = captureLogs();
    const log = createLimitLog({ logger: logs.logger, now: clock.now, maxSubjects: 10 });
    for (let i = 0; i < 1000; i++) log.record('ingest rate limited', { address: `10.0.${i >> 8}.${i & 255}` }, 1, { limit: 'requests' });
    const lines = logs.lines();
    expect(lines).toHaveLength(11);
    expect(lines[10]).toMatchObject({ trackedSubjects: 10, count: 1 });
    clock.advance(60_000);
    log.record('ingest rate limited', { address: '10.9.9.9' }, 1, { limit: 'requests' });
    expect(logs.lines()).toHaveLength(12); // windows over: the old subjects made room
  });
});
