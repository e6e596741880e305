// A second collector process for group-commit.test.ts: its own pool and group commit on the
// database of SPUR_CHILD_URL, waiting at a barrier (a shared advisory lock the test holds
// exclusively) and then appending the events of SPUR_CHILD_APPENDS (JSON: message ids per
// append) all at once. Prints what it stored, as JSON, on its last line.
import { Client } from 'pg';
import { connectPostgres } from '../../src/storage/postgres/connection';
import { createEventGroupCommit, type EventRow } from '../../src/storage/postgres/group-commit';

export const row = (messageId: string, writer: string): EventRow => ({
  messageId,
  type: 'track',
  anonymousId: 'a-1',
  userId: null,
  timestamp: '2024-05-01T12:00:00.000Z',
  receivedAt: '2024-05-01T12:00:00.000Z',
  writeKey: 'wk',
  body: JSON.stringify({ messageId, writer }),
});

/** Waits at the barrier, then appends; resolves to `stored` per append. */
export async function appendAtBarrier(url: string, barrier: number, appends: string[][], writer: string): Promise<boolean[][]> {
  const connection = connectPostgres({ url });
  const commits = createEventGroupCommit(connection);
  const gate = new Client({ connectionString: url });
  await gate.connect();
  try {
    await connection.query('SELECT 1'); // a session ready, so both sides start alike
    await gate.query('SELECT pg_advisory_lock_shared($1)', [barrier]);
    return await Promise.all(appends.map((ids) => commits.submit(ids.map((id) => row(id, writer)))));
  } finally {
    await gate.end();
    await connection.close();
  }
}

if (process.argv[2]?.endsWith('append-child.ts')) {
  const { SPUR_CHILD_URL, SPUR_CHILD_BARRIER, SPUR_CHILD_APPENDS } = process.env;
  if (SPUR_CHILD_URL && SPUR_CHILD_BARRIER && SPUR_CHILD_APPENDS) {
    appendAtBarrier(SPUR_CHILD_URL, Number(SPUR_CHILD_BARRIER), JSON.parse(SPUR_CHILD_APPENDS) as string[][], 'child').then(
      (stored) => console.log(JSON.stringify(stored)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  }
}
