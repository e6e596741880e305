// The mapping itself, for failures a test cannot easily make a server produce; connection.test.ts
// and server-failures.test.ts provoke the others for real.
import { StorageUnavailableError } from '../../src/errors';
import { isRetryable, toPostgresError } from '../../src/storage/postgres/failures';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('toPostgresError', () => {
  it.each([
    ['53100', 'disk_full'],
    ['58030', 'io_error'],
    ['58000', 'io_error'], // by class
    ['XX001', 'corrupt'],
    ['57P03', 'unavailable'],
    ['08006', 'unavailable'],
    ['53200', 'unavailable'],
    ['55P03', 'locked'],
  ])('SQLSTATE %s is %s', (code, reason) => {
    const err = toPostgresError('append', withCode(code));
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect(err).toMatchObject({ reason, code, retryable: false });
    expect(err?.message).toContain(`postgres append failed: `);
    expect(err?.message).toContain(`(${code}: boom)`);
  });

  it.each([
    ['Connection terminated unexpectedly', 'unavailable'],
    ['Connection terminated due to connection timeout', 'unavailable'],
    ['timeout exceeded when trying to connect', 'unavailable'],
    ['Query read timeout', 'unavailable'],
    ['Client has encountered a connection error and is not queryable', 'unavailable'],
    ['Cannot use a pool after calling end on the pool', 'closed'],
  ])('the driver saying "%s" is %s', (message, reason) => {
    expect(toPostgresError('query', new Error(message))).toMatchObject({ reason });
  });

  it.each(['ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'])('socket error %s is unavailable, the session lost', (code) => {
    expect(toPostgresError('connect', withCode(code))).toMatchObject({ reason: 'unavailable', connectionLost: true, code });
  });

  it('leaves other errors alone (bugs: 500, not 503)', () => {
    expect(toPostgresError('query', withCode('23505', 'duplicate key'))).toBeNull();
    expect(toPostgresError('query', withCode('42P01', 'relation does not exist'))).toBeNull();
    expect(toPostgresError('query', new TypeError('x is not a function'))).toBeNull();
    expect(toPostgresError('query', 'a string')).toBeNull();
  });

  it('calls only serialization failures and deadlocks retryable', () => {
    expect(isRetryable(withCode('40001'))).toBe(true);
    expect(isRetryable(withCode('40P01'))).toBe(true);
    expect(isRetryable(withCode('53300'))).toBe(false);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});
