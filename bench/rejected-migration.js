// How long the upgrade to schema version 5 takes for a database full of rejected events:
// `node bench/rejected-migration.js [--events N]` (needs `npm run build`). It writes a version 4
// file (a row per rejected event, as collectors before version 5 kept them: N SDK-shaped events
// in requests of 500), then times the first open by this build, which moves them into compact
// rows and indexes their values (sqlite-schema.ts, convertRejected).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, cleanup, sqlite } = require('./lib/collector');
const { event } = require('./lib/events');

const args = process.argv.slice(2);
const at = args.indexOf('--events');
const TOTAL = at === -1 ? 100_000 : Number(args[at + 1]);

(async () => {
  const dist = path.dirname(require.resolve('@spur/collector'));
  const { migrate } = require(path.join(dist, 'storage', 'sqlite', 'schema.js'));
  const { openStorage, createStore } = require('@spur/collector');
  const Database = sqlite();
  const dir = tempDir('migration');
  const file = path.join(dir, 'spur.db');
  try {
    const v4 = new Database(file);
    v4.pragma('journal_mode = WAL');
    migrate(v4, { upTo: 4 });
    const insert = v4.prepare('INSERT INTO rejected_events (message_id, reason, write_key, received_at, raw) VALUES (?, ?, ?, ?, ?)');
    v4.transaction(() => {
      for (let i = 0; i < TOTAL; i++) {
        const receivedAt = new Date(Date.parse('2026-11-22T10:00:00.000Z') + Math.floor(i / 500)).toISOString();
        const visitor = { anonymousId: `visitor-${i % 997}`, sessionId: `s-${i % 997}` };
        const raw = JSON.stringify({ messageId: `bad-${i}`, ...event(visitor, i, '2026-11-22T10:00:00') });
        insert.run(`bad-${i}`, 'timestamp must be an ISO 8601 date', 'bench', receivedAt, raw);
      }
    })();
    v4.close();
    const before = fs.statSync(file).size;
    const start = performance.now();
    const storage = createStore(await openStorage({ db: file }));
    const seconds = (performance.now() - start) / 1000;
    const kept = (await storage.listRejected()).length;
    await storage.close();
    console.log(
      `upgraded ${kept} rejected events to schema 5 in ${seconds.toFixed(1)} s ` +
        `(${((seconds * 1e6) / TOTAL).toFixed(0)} µs each); file ${(before / 2 ** 20).toFixed(0)} MiB, ` +
        `${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB after (the freed pages stay in the file until a VACUUM)`,
    );
  } finally {
    cleanup(dir);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
