// The storage alone: what openStorage().append() sustains in this process, with no HTTP, no JSON
// parsing and no validation, 16 appends of 20 events in flight at a time (the group commit
// writes each round in one transaction, as it does for 16 connections). The collector can never
// be faster than this; next to the bare-server ceiling it shows where the ingest budget goes.
'use strict';
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { tempDir, cleanup } = require('./collector');
const { batchFactory } = require('./events');

/** Events the way the collector stores them (StoredEvent shape, context already minimised). */
function storedBatch(factory, receivedAt) {
  return JSON.parse(factory.next()).batch.map((e) => {
    const { userAgent: _ua, ...context } = e.context;
    return {
      ...e,
      context: { ...context, device: { type: 'desktop' }, browser: { name: 'Chrome' }, os: { name: 'macOS' }, ip: '127.0.0.0' },
      originalTimestamp: e.timestamp,
      receivedAt,
      sentAt: receivedAt,
    };
  });
}

/** Resolves to { eventsPerSec, seconds, events } for `seconds` of appends on a fresh file. */
async function storageFloor({ seconds = 5, inFlight = 16, batch = 20 } = {}) {
  const { openStorage, createStore } = require('@spur/collector');
  const dir = tempDir('storage');
  const storage = createStore(await openStorage({ db: path.join(dir, 'spur.db') }));
  // Built before the clock starts: parsing bodies and shaping events is the HTTP side's work,
  // not storage's. Each append copies a template batch with fresh messageIds (a shallow copy).
  const factory = batchFactory(batch);
  const receivedAt = new Date().toISOString();
  const templates = Array.from({ length: 50 }, () => storedBatch(factory, receivedAt));
  const prefix = randomUUID();
  let made = 0;
  let turn = 0;
  const nextBatch = () => templates[turn++ % templates.length].map((e) => ({ ...e, messageId: `${prefix}-${made++}` }));
  try {
    let events = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = performance.now();
    async function lane() {
      while (performance.now() < deadline) {
        const { stored } = await storage.append({ writeKey: 'bench', events: nextBatch(), rejected: [] });
        events += stored.filter(Boolean).length;
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane));
    const elapsed = (performance.now() - start) / 1000;
    return { eventsPerSec: events / elapsed, seconds: elapsed, events };
  } finally {
    await storage.close();
    cleanup(dir);
  }
}

module.exports = { storageFloor };
