// createCollector(config) builds the Express app; listening and shutdown live in server.ts.
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { createKeyring } from './cors';
import { errorMiddleware, notFound } from './errors';
import type { IpMode } from './ip';
import { createAdminRouter } from './routes/admin';
import { createHealthRouter } from './routes/health';
import { createIngestRouter } from './routes/ingest';
import { createSdkRouter } from './routes/sdk';
import type { Storage } from './storage/types';
import type { ClientClock } from './stored-event';

export interface CollectorConfig {
  /** From openStorage / openSqliteStorage. The app never closes it; startServer's close() does. */
  storage: Storage;
  /** Write key -> browser origins allowed to send with it (e.g. 'http://localhost:3000'). */
  writeKeys: Record<string, string[]>;
  /** Bearer token of the admin API; without one the admin API answers 401. */
  adminToken?: string;
  /** 'trust' keeps client timestamps as they are. @defaultValue 'correct' */
  clientClock?: ClientClock;
  /** File served at /spur.js. @defaultValue the built `@spur/sdk/spur.js` (404 until built) */
  sdkPath?: string;
  /** Clock, ms since epoch; injectable for tests. @defaultValue Date.now */
  now?: () => number;
  /** What is stored of the client IP. @defaultValue 'truncate' */
  ip?: IpMode;
  /** Receives server-side failures (5xx). @defaultValue console.error */
  log?: (message: string, err: unknown) => void;
}

export function createCollector(config: CollectorConfig): Express {
  const { storage } = config;
  const app = express();
  app.disable('x-powered-by');
  // API answers are not cacheable by ETag; /spur.js sets its own strong ETag.
  app.set('etag', false);
  // req.ip is the socket's peer; X-Forwarded-For is not trusted until proxies are configurable.
  app.set('trust proxy', false);

  app.use(createHealthRouter({ storage })); // first: liveness depends on nothing below
  app.use(cookieParser());
  // Seam for the first-party spur_aid re-issue (DESIGN.md, a later issue): a middleware here
  // reads req.cookies.spur_aid and sets it as a server cookie on same-site requests.
  app.use(createSdkRouter({ sdkPath: config.sdkPath }));
  app.use(
    createIngestRouter({
      storage,
      keyring: createKeyring(config.writeKeys),
      clientClock: config.clientClock ?? 'correct',
      ipMode: config.ip ?? 'truncate',
      now: config.now ?? Date.now,
    }),
  );
  app.use(createAdminRouter({ storage, adminToken: config.adminToken }));
  app.use((req) => {
    throw notFound(`no route for ${req.method} ${req.path}`);
  });
  app.use(errorMiddleware(config.log ?? ((message, err) => console.error(message, err))));
  return app;
}
