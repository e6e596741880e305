// A store that can be handed to the collector while it is still opening, so that `spur serve`
// listens at once. Opening a database after an unclean stop reads its whole WAL back in (SQLite
// rebuilds the WAL index from every frame): about half a second per GiB from a warm page cache,
// many seconds from a slow disk. Meanwhile /healthz answers, /readyz says `starting`, and every
// other call (ingest included) waits for the open and then runs as usual.
import { StorageUnavailableError } from '../errors';
import type { AccountStorage } from './accounts';
import type { Storage } from './types';

// Every method of AccountStorage: the compiler checks the list is complete (see `complete`).
const ACCOUNT_METHODS = [
  'accounts',
  'account',
  'addAccount',
  'setPassword',
  'setRole',
  'removeAccount',
  'addSession',
  'session',
  'touchSession',
  'endSession',
  'endExpiredSessions',
  'failures',
  'addFailure',
  'clearFailures',
  'funnels',
  'saveFunnel',
  'deleteFunnel',
] as const satisfies readonly (keyof AccountStorage)[];
const complete: Exclude<keyof AccountStorage, (typeof ACCOUNT_METHODS)[number]> extends never ? true : false = true;
void complete;

type Forwarded = Exclude<keyof Storage, 'ping' | 'close' | 'accounts'>;

/**
 * A Storage usable at once while `opening` settles: ping() rejects with reason `starting` until
 * it has, every other method waits for it. If the open fails, calls reject with
 * StorageUnavailableError (the owner of `opening` reports the open's own error and stops).
 */
export function storageWhenOpen(opening: Promise<Storage>): Storage {
  let opened: Storage | null = null;
  let failure: StorageUnavailableError | null = null;
  const ready = opening.then(
    (storage) => (opened = storage),
    (err: Error) => {
      // 'closed': this store will never take a call (whoever opened it reports the failure and
      // stops), so jobs that meet it (retention, analytics) stand down as at a shutdown.
      failure = new StorageUnavailableError(`the database could not be opened: ${err.message}`, { cause: err, reason: 'closed' });
      throw failure;
    },
  );
  ready.catch(() => undefined); // each caller gets the failure; nothing is left unhandled

  // Every method of the contract is asynchronous: a call waits for the open, then runs.
  const forward = <K extends Forwarded>(name: K): Storage[K] =>
    (async (...args: unknown[]) => {
      const storage = opened ?? (await ready);
      return (storage[name] as (...a: unknown[]) => unknown)(...args);
    }) as Storage[K];

  const accounts = Object.fromEntries(
    ACCOUNT_METHODS.map((name) => [
      name,
      async (...args: unknown[]) => {
        const storage = opened ?? (await ready);
        return (storage.accounts[name] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as AccountStorage;

  return {
    accounts,
    read: forward('read'),
    write: forward('write'),
    scrub: forward('scrub'),
    eventsAfter: forward('eventsAfter'),
    factsAfter: forward('factsAfter'),
    backfillFacts: forward('backfillFacts'),
    readsOnCallingThread: () => opened?.readsOnCallingThread() ?? false,
    eventCountEstimate: forward('eventCountEstimate'),
    identityGraph: forward('identityGraph'),
    eventPage: forward('eventPage'),
    identifyPage: forward('identifyPage'),
    countEvents: forward('countEvents'),
    listRejected: forward('listRejected'),
    listErasures: forward('listErasures'),
    purge: forward('purge'),
    generation: forward('generation'),
    // Readiness must answer now, not when the open is done.
    ping: () => (opened ? opened.ping() : Promise.reject(failure ?? new StorageUnavailableError('the database is still opening', { reason: 'starting' }))),
    close: () => ready.then((storage) => storage.close(), () => undefined),
  };
}
