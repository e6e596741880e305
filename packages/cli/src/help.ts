import type { ExportKind } from '@spur/collector';

// From the collector's table of export parameters, so that the help lists what is accepted.
// Loaded here, when export's help is asked for: the rest of the help needs no collector.
async function exportParameterLines(): Promise<string> {
  const { EXPORT_PARAMETERS } = await import('@spur/collector');
  const names: [string, ExportKind][] = [
    ['funnel', 'funnel'],
    ['carts', 'abandoned-carts'],
    ['products', 'products'],
    ['profiles', 'profiles'],
    ['events', 'events'],
  ];
  return names
    .map(([name, kind]) => {
      const flags = EXPORT_PARAMETERS[kind].map((p) => (p.name === 'format' ? `--format ${p.values!.join('|')}` : `--${p.name}`));
      return `  ${name.padEnd(12)} ${flags.join(' ')}`;
    })
    .join('\n');
}

const SERVE = `Usage: spur serve [options]

Runs the collector: Segment-compatible ingest under /v1/*, the admin API,
the SDK at /spur.js, /healthz, /readyz (ingest) and /readyz/analytics (exports).
SIGTERM or SIGINT stops accepting requests, finishes the ones in flight and
closes the database.

It listens at once and opens the database meanwhile (/readyz: 503 starting;
requests wait for the open), then catches the analytics up in the background
(/readyz reports the progress; exports wait for it).

Options (each flag overrides the environment variable in brackets):
  --port N               port to listen on [SPUR_PORT] (default 8080; 0 = any free port)
  --host ADDR            address to bind [SPUR_HOST] (default 0.0.0.0)
  --db FILE              SQLite database file [SPUR_DB] (default ./data/spur.db)
  --write-keys SPEC      write keys and the browser origins allowed for each
                         [SPUR_WRITE_KEYS], e.g. "shopkey=https://shop.example,https://www.shop.example;backend="
                         (a key with no origins accepts only requests without an Origin header)
  --admin-token TOKEN    Bearer token for the admin API [SPUR_ADMIN_TOKEN]
  --client-clock MODE    correct | trust [SPUR_CLIENT_CLOCK] (default correct: event time is
                         corrected for the client's clock skew using sentAt)
  --ip MODE              truncate | drop | keep [SPUR_IP] (default truncate: IPv4 /16, IPv6 /48)
  --trust-proxy SPEC     proxies whose X-Forwarded-For/-Proto/-Host are honoured [SPUR_TRUST_PROXY]
                         (default false: none); e.g. loopback (nginx on this machine),
                         10.0.0.0/8, a number of hops, or true (any: only if the proxy
                         overwrites these headers)
  --cookie-domain NAME   Domain of the spur_aid cookie the collector re-issues on same-site
                         requests [SPUR_COOKIE_DOMAIN] (default host-only); use the same
                         value as the script tag's data-cookie-domain
  --session-minutes N    inactivity that ends a session for events without a client session
                         id [SPUR_SESSION_MINUTES] (default 30)
  --abandon-minutes N    minutes without cart activity before a cart counts as abandoned and a
                         Cart Abandoned event is recorded [SPUR_ABANDON_MINUTES] (default 30)
  --gpc MODE             honor | ignore [SPUR_GPC] (default honor: requests with Sec-GPC: 1
                         count as consent denied; their events are stored only when the
                         visitor granted consent on the site)
  --rate-limit N[,M]     ingest requests per second per client IP [, per write key]
                         [SPUR_RATE_LIMIT] (default 50, per key 500; bursts of 2 s pass;
                         0 = off); over it: 429 with Retry-After
  --event-rate-limit N[,M]  ingest events per second per client IP [, per write key], valid
                         or not, counted when a body is parsed [SPUR_EVENT_RATE_LIMIT]
                         (default 1000, per key 10000; 0 = off); a client over it gets 429
                         before its next body is read until it is back under
  --rejected-cap N[,M]   rejected events stored per hour per client IP [, per write key]
                         [SPUR_REJECTED_CAP] (default 1000, per key 10000; one per 4 KiB begun;
                         0 = no cap); past it they are still answered, counted and logged
  --body-timeout S       seconds an ingest body may take to arrive [SPUR_BODY_TIMEOUT]
                         (default 30; 0 = none); slower: 408, connection closed
  --headers-timeout S    seconds for a request's headers [SPUR_HEADERS_TIMEOUT] (default 15;
                         0 = none); --request-timeout S: for the whole request
                         [SPUR_REQUEST_TIMEOUT] (default 60; 0 = none)
  --max-connections N    connections held at most [SPUR_MAX_CONNECTIONS] (default 10000;
                         0 = no cap); --max-connections-per-ip N: per client address
                         [SPUR_MAX_CONNECTIONS_PER_IP] (default 256; 0 = no cap; proxies
                         trusted by --trust-proxy are not capped); over a cap: closed at once
  --retention-days N     purge events whose time lies more than N days back, and rejected
                         events received that long ago, at start and then daily
                         [SPUR_RETENTION_DAYS] (default: keep forever); see 'spur purge'
  --rejected-days N      purge rejected events received more than N days ago, at start and
                         then daily, also without --retention-days [SPUR_REJECTED_DAYS]
                         (default 30; 0 = no limit of their own)
  --suppress-days N      after an erasure, drop events carrying the erased ids for N days
                         [SPUR_SUPPRESS_DAYS] (default 30; 0 = not at all); see 'spur privacy'
  --log-level LEVEL      fatal | error | warn | info | debug | trace | silent [SPUR_LOG_LEVEL]
                         (default info; debug adds a line per request)

Logs: one JSON line per event on stdout (listening, database open, analytics
ready, warnings, rejected ingest requests at most once a minute per write key
and origin, server errors with their request id, storage unavailable, its count
each minute and back, retention purges, shutdown).
Every answer carries X-Request-Id (a sane incoming one is kept).

SIGTERM drains for up to 8 s, closes the database and exits 0 within 10 s.
A port in use (or another listening problem) exits 1 naming the setting to change.
`;

const EXPORT = (parameterLines: string) => `Usage: spur export <funnel|carts|products|profiles|events> [options]

Writes an export of the collector's data: the same rows and formats as the admin
API's /v1/exports/*. Reads the database file directly (SPUR_DB / --db), or a
running collector over HTTP (--url with --token). Abandoned carts are detected up
to the moment of the export first. With --out the file appears only when it is
complete; a progress line is drawn on stderr when it is a terminal.

Exports:
  funnel       step counts, drop-off, conversion and median time per step
  carts        one row per abandoned cart, recovered or not
  products     per product: views, adds, removes, purchases, revenue, rates
  profiles     per customer: first/last seen, sessions, devices, orders, revenue
  events       every stored event (NDJSON), streamed

Options:
  --db FILE            SQLite database [SPUR_DB] (default ./data/spur.db)
  --url URL            a running collector instead of the file [SPUR_URL]
  --token TOKEN        its admin token [SPUR_ADMIN_TOKEN]
  --out FILE, -o FILE  write to FILE instead of stdout
  --format F           json | csv | ndjson (funnel: json | csv; events: ndjson)
  --from TIME          only from this time on (ISO 8601 date or time, inclusive)
  --to TIME            only before this time (exclusive)
  --steps A,B,C        funnel steps: event names, page, or page:/path (a path prefix)
                       (default Product Viewed,Product Added,Checkout Started,Order Completed)
  --unit U             funnel unit: session (default) | visitor | customer
  --window W           funnel conversion window after step 1, e.g. 30m, 2h, 7d
                       (default: the session for session units, 7d otherwise)
  --by B               funnel breakdown: device | browser | channel | utm_source | returning
  --session-minutes N  inactivity that ends a session without a client session id
                       [SPUR_SESSION_MINUTES] (default 30; local database only)
  --abandon-minutes N  minutes without cart activity before a cart counts as abandoned
                       [SPUR_ABANDON_MINUTES] (default 30; local database only)

What each export takes (any other option is refused, naming it):
${parameterLines}

A funnel step that no stored event matches (a misspelt event name, a path no page
view has) is named in a warning on stderr; the export still runs.
The database file must exist: a missing one exits 2 naming the path (SPUR_DB / --db).

Examples:
  spur export funnel --by device --format csv --out funnel.csv
  spur export carts --from 2026-11-01 --to 2026-12-01 --format csv
  spur export events --url https://collector.shop.example --token $SPUR_ADMIN_TOKEN > events.ndjson
`;

const PRIVACY = `Usage: spur privacy export <customerId> [options]
       spur privacy erase <customerId> --yes [options]

Answers a data subject's request (GDPR Art. 15 and 17) for a customer id, or for
the anonymous id of a visitor who never logged in.

  export   everything stored about them as one JSON document: profile, anonymous
           ids, identity links and aliases, abandoned carts, every event in time
           order, rejected events carrying their ids
  erase    deletes all of it (events, Cart Abandoned events, identity links,
           aliases, rejected events) in one transaction and keeps only an audit
           entry (a salted hash of the id, counts, time); later events carrying
           their ids are dropped for --suppress-days. Prints the counts as JSON.
           Cannot be undone: needs --yes.

A device shared with another customer stays theirs: only what this customer did
on it is shown and erased, and its id is not suppressed.

Options:
  --db FILE            SQLite database [SPUR_DB] (default ./data/spur.db)
  --url URL            a running collector instead of the file [SPUR_URL]
  --token TOKEN        its admin token [SPUR_ADMIN_TOKEN]
  --out FILE, -o FILE  export: write to FILE instead of stdout
  --yes                erase: go ahead
  --suppress-days N    erase, with --db: days during which later events carrying the
                       erased ids are dropped [SPUR_SUPPRESS_DAYS] (default 30; 0 = none)

Exit codes: 0 done, 1 failed (e.g. nothing stored about that id), 2 usage error
(also: no database file at --db / SPUR_DB; none is created).
`;

const PURGE = `Usage: spur purge [options]

Deletes events whose time lies more than the retention period back, and rejected
events received that long ago, from the database file: what the collector does at
start and then daily when SPUR_RETENTION_DAYS is set. Runs in small transactions,
so a collector on the same file keeps taking events. Identity links stay.

Options:
  --db FILE            SQLite database [SPUR_DB] (default ./data/spur.db)
  --retention-days N   days to keep [SPUR_RETENTION_DAYS] (required, from 1)
  --dry-run            only count what would be purged

A missing database file exits 2 naming the path; none is created.
`;

const MAIN = `spur: first-party customer tracking for webshops

Usage: spur <command> [options]

Commands:
  serve        run the collector (ingest, admin API, SDK bundle)
  export KIND  export funnels, abandoned carts, products, profiles or events
  simulate     play journey specs in Chromium and check them against the collector
  privacy      export or erase everything stored about a customer
  purge        delete events older than the retention period
  help CMD     show the help of one command

Options:
  -h, --help     show this help
  -v, --version  print the version

Environment: SPUR_PORT, SPUR_HOST, SPUR_DB, SPUR_WRITE_KEYS, SPUR_ADMIN_TOKEN,
SPUR_CLIENT_CLOCK, SPUR_IP, SPUR_TRUST_PROXY, SPUR_COOKIE_DOMAIN, SPUR_SESSION_MINUTES,
SPUR_ABANDON_MINUTES, SPUR_RATE_LIMIT, SPUR_EVENT_RATE_LIMIT, SPUR_REJECTED_CAP,
SPUR_BODY_TIMEOUT, SPUR_HEADERS_TIMEOUT, SPUR_REQUEST_TIMEOUT, SPUR_MAX_CONNECTIONS,
SPUR_MAX_CONNECTIONS_PER_IP, SPUR_RETENTION_DAYS, SPUR_SUPPRESS_DAYS, SPUR_LOG_LEVEL
(see 'spur serve --help');
SPUR_URL (see 'spur export --help').

Example:
  SPUR_WRITE_KEYS="demo=http://localhost:3000" SPUR_ADMIN_TOKEN=secret spur serve --port 8080
`;

export function helpText(): string {
  return MAIN;
}

// Built when asked for: export's lists the collector's parameters, simulate's the journeys'
// default funnel, and neither module is loaded for the other commands' help.
const HELP: Record<string, () => Promise<string>> = {
  serve: async () => SERVE,
  export: async () => EXPORT(await exportParameterLines()),
  simulate: async () => (await import('./commands/simulate')).SIMULATE_HELP,
  privacy: async () => PRIVACY,
  purge: async () => PURGE,
};

/** The help of one command; undefined for a name that is not one. */
export async function commandHelp(name: string): Promise<string | undefined> {
  return Object.hasOwn(HELP, name) ? HELP[name]() : undefined;
}
