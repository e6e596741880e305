import type { ExportKind } from '@spur/collector';
// The settings table alone, not the collector: the help of serve and of spur itself come from it.
import { SETTINGS, settingHelp } from '@spur/collector/settings';

/** Where an option's text starts, and the width it is wrapped to. */
const OPTION_COLUMN = 25;
const WIDTH = 96;

/** `text` in lines of at most `width` characters (a longer word stands alone), the first indented `first`, the rest `indent`. */
function wrap(text: string, indent: number, width: number, first = indent): string[] {
  const lines: string[] = [];
  let line = '';
  // "0 = off" stays on one line.
  for (const word of text.replace(/ = /g, '\u00a0=\u00a0').split(' ')) {
    const start = lines.length === 0 ? first : indent;
    if (line && start + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => ' '.repeat(i === 0 ? first : indent) + l.replace(/\u00a0/g, ' '));
}

// Every setting of the table: the flag and what it takes, then its help wrapped beside it.
function serveOptions(): string {
  return SETTINGS.map((s) => {
    const head = `  --${s.flag} ${s.arg}`;
    const start = Math.max(OPTION_COLUMN, head.length + 2);
    const [firstLine, ...rest] = wrap(settingHelp(s), OPTION_COLUMN, WIDTH, start);
    return [head + firstLine.slice(head.length), ...rest].join('\n');
  }).join('\n');
}

// From the collector's table of export parameters, so that the help lists what is accepted.
// Loaded here, when export's help is asked for: the rest of the help needs only the settings.
async function exportParameterLines(): Promise<string> {
  const { EXPORT_PARAMETERS } = await import('@spur/collector');
  const names: [string, ExportKind][] = [
    ['funnel', 'funnel'],
    ['carts', 'abandoned-carts'],
    ['cart-reasons', 'cart-reasons'],
    ['products', 'products'],
    ['products-together', 'products-together'],
    ['customers', 'customers'],
    ['profiles', 'profiles'],
    ['segments', 'segments'],
    ['history', 'history'],
    ['events', 'events'],
    ['overview', 'overview'],
    ['steps', 'steps'],
  ];
  return names
    .map(([name, kind]) => {
      const flags = EXPORT_PARAMETERS[kind].map((p) => (p.name === 'format' ? `--format ${p.values!.join('|')}` : `--${p.name}`));
      return `  ${name}\n      ${flags.join(' ')}`;
    })
    .join('\n');
}

const SERVE = () => `Usage: spur serve [options]

Runs the collector: Segment-compatible ingest under /v1/*, the admin API,
the SDK at /spur.js, /healthz, /readyz (ingest) and /readyz/analytics (exports).
SIGTERM or SIGINT stops accepting requests, finishes the ones in flight and
closes the database.

It listens at once and opens the database meanwhile (/readyz: 503 starting;
requests wait for the open), then catches the analytics up in the background
(/readyz reports the progress; exports wait for it).

Options (each flag overrides the environment variable in brackets):
${serveOptions()}

Logs: one JSON line per event on stdout (listening, database open, analytics
ready, warnings, rejected ingest requests at most once a minute per write key
and origin, server errors with their request id, storage unavailable, its count
each minute and back, retention purges, shutdown).
Every answer carries X-Request-Id (a sane incoming one is kept).

SIGTERM drains for up to 8 s, closes the database and exits 0 within 10 s.
A port in use (or another listening problem) exits 1 naming the setting to change.
`;

const EXPORT = (parameterLines: string) => `Usage: spur export <funnel|carts|cart-reasons|products|products-together|customers|segments|history|profiles|events|overview|steps> [options]

Writes an export of the collector's data: the same rows and formats as the admin
API's /v1/exports/*. Reads the database file directly (SPUR_DB / --db), or a
running collector over HTTP (--url with --token). Abandoned carts are detected up
to the moment of the export; an export only reads (a running collector records
their Cart Abandoned events). With --out the file appears only when it is
complete; a progress line is drawn on stderr when it is a terminal.

Exports:
  funnel       step counts, drop-off, conversion and median time per step
  carts        one row per abandoned cart, recovered or not
  products     per product: views, adds, checkouts, orders, revenue per currency,
               conversion, abandonment rate
  products-together
               pairs of products bought in the same orders: support, confidence, lift
  customers    per customer (identified, and guests who ordered): statistics per
               currency, RFM scores and segment (previous, since when), prediction
  profiles     the customers export under its earlier name
  segments     customers and value per RFM segment (JSON adds the R x FM grid)
  history      one customer's every event in time order, with a summary on top
               (--customer ID: a customer id, or a guest's anonymous id)
  events       every stored event (NDJSON), streamed
  overview     visitors, sessions, orders, revenue per currency, conversion, carts,
               and a point per day (or hour) of the shop's time zone (CSV: the points)
  steps        the event names and page paths a funnel step can name, with counts

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
  --by B               funnel breakdown: device | browser | channel | utm_source | returning | segment
  --device D,...       only desktop | mobile | tablet | bot | unknown (what each export
                       counts then: README, filters)
  --channel C,...      only these channels: direct, organic_search, ... or phone, store, ...
  --utmSource S,...    only sessions from these UTM sources; (none) for none
  --segment S,...      only customers in these RFM segments (Champions, At risk, ...)
  --includeBots true   count the events of bots (device type bot) too (default false)
  --bom true           CSV: start with a UTF-8 byte order mark, for Excel
  --minOrders N        products-together: pairs in at least N orders (default 2)
  --limit N            products-together: at most N pairs (default 100)
  --asOf DAY|TIME      customers, segments, history: as if this were now (a day
                       YYYY-MM-DD counts to its end, UTC); nothing later is read
  --customer ID        history: whose (a customer id, or a guest's anonymous id)
  --session-minutes N  inactivity that ends a session without a client session id
                       [SPUR_SESSION_MINUTES] (default 30; local database only)
  --abandon-minutes N  minutes without cart activity before a cart counts as abandoned
                       [SPUR_ABANDON_MINUTES] (default 30; local database only)
  --time-zone ZONE     the shop's time zone: dates without a time are midnight there
                       [SPUR_TIME_ZONE] (default UTC; local database only)
  --interval I         overview points: day (default) | hour

What each export takes (any other option is refused, naming it):
${parameterLines}

A funnel step that no stored event matches (a misspelt event name, a path no page
view has) is named in a warning on stderr; the export still runs.
The database file must exist: a missing one exits 2 naming the path (SPUR_DB / --db).

Examples:
  spur export funnel --by device --format csv --out funnel.csv
  spur export carts --from 2026-11-01 --to 2026-12-01 --format csv
  spur export customers --asOf 2026-11-30 --format csv --out customers.csv
  spur export history --customer cus_42 --format ndjson
  spur export events --url https://collector.shop.example --token $SPUR_ADMIN_TOKEN > events.ndjson
`;

const INSIGHTS = `Usage: spur insights purchase-model --calibration-end DAY [options]

Fits the purchase model on the shop's own orders, as GET /v1/insights/purchase-model
does: BG/NBD (purchases, and whether a customer is still one) on every order up to
and including DAY (YYYY-MM-DD, UTC), Gamma-Gamma (spend) per currency; with
--holdout-end, how well that fit predicted the purchases after DAY up to then (per
calibration frequency, and week by week). Prints the answer as JSON.

Options:
  --calibration-end DAY  the last day of the orders the model is fitted on (required)
  --holdout-end DAY      the last day of the holdout period (after --calibration-end)
  --include-bots         count the orders of bots (device type bot) too
  --db FILE              SQLite database [SPUR_DB] (default ./data/spur.db)
  --url URL              a running collector instead of the file [SPUR_URL]
  --token TOKEN          its admin token [SPUR_ADMIN_TOKEN]
  --out FILE, -o FILE    write to FILE instead of stdout

Exit codes: 0 done, 1 failed (e.g. too few customers to fit, with the reason),
2 usage error (a bad or missing date; no database file at --db / SPUR_DB).

Example:
  spur insights purchase-model --calibration-end 2026-06-30 --holdout-end 2026-12-31
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

const MIGRATE = `Usage: spur migrate --to postgres://user:password@host:5432/database [--from FILE]

Copies everything an SQLite database holds into PostgreSQL, once: events, rejected
events (with their search terms), identity links, aliases, erasure records and
suppressions, and the privacy salt that keys the hashed ones; and the dashboard's
accounts (with their password hashes: the same passwords work) and saved funnels;
and the webhook endpoints (with their secrets: receivers keep verifying), their
deliveries (one still pending is made from PostgreSQL, under the same
webhook-id) and the delivery log. Rows are copied as the collector stored them
(duplicates, links and suppressions decided already). Sign-in sessions are not
copied: people sign in again. An account or saved funnel whose name the target
has already, or a webhook endpoint whose id it has, with other details, is left
as the target has it and named at the end; nothing is overwritten.

The target is brought to the current schema first. It must be empty, or hold an
earlier copy of this same database: another spur database's is refused.

Exactly once: the rows go over in chunks, each committed together with a record
of how far the copy got. Interrupted (Ctrl-C, a crash, the server gone), it is
run again and goes on after the last chunk committed; run after the end, it
copies nothing and says so.

Stop the collector on the SQLite file first. The file is read as one snapshot;
if it took writes meanwhile the run says so and exits 3: run it again once the
collector is stopped.

Progress on stderr (a line that updates on a terminal, else a line every 5 s);
at the end, per table, the rows copied now and those already there.

Options:
  --from FILE          SQLite database [SPUR_DB] (default ./data/spur.db)
  --to URL             the PostgreSQL database [SPUR_DATABASE_URL]; its password
                       is never printed

Exit codes: 0 done, 1 failed (what was committed stays), 2 usage error (also: no
file at --from, a bad URL), 3 copied, but the source changed meanwhile, 130
interrupted (run again to go on).
`;

const USERS = `Usage: spur users add NAME --role viewer|admin [--password-stdin]
       spur users list
       spur users passwd NAME [--password-stdin]
       spur users role NAME --role viewer|admin
       spur users remove NAME

The people who sign in to the dashboard (/dashboard on the collector), kept in the
collector's database, so every collector on it knows them.

  viewer   sees every figure and export of the dashboard
  admin    also the data subject tools (access, erasure) and the settings

Names: 1 to 64 letters, digits, '.', '_', '-' or '@' (an email address fits), in
any case (kept lower-case). Passwords: at least 12 characters, hashed with scrypt.
The password is read from standard input when it is not a terminal (a pipe, a
file) or with --password-stdin (one trailing line break is dropped); at a terminal
it is asked for twice, without echo. Never as an argument: it would stay in the
shell's history. A new password, a removal or a new role applies at once: passwd
and remove end the account's sessions, role changes what they may do.

Options:
  --db FILE            SQLite database [SPUR_DB] (default ./data/spur.db; add creates it)
  --database-url URL   PostgreSQL instead [SPUR_DATABASE_URL], as for spur serve
  --role ROLE          viewer | admin (add, role)
  --password-stdin     read the password from standard input (add, passwd)

Exit codes: 0 done, 1 refused (a name taken, no such account), 2 usage error (also
a password too short, or no database at --db for list, passwd, role and remove).

Example:
  printf '%s\n' "$PASSWORD" | spur users add ada --role admin
`;

const WEBHOOKS = `Usage: spur webhooks add URL --events TYPE[,TYPE...]
       spur webhooks list
       spur webhooks rotate ID
       spur webhooks log ID [--limit N]
       spur webhooks remove ID

Endpoints that receive webhooks (Standard Webhooks: webhook-id, webhook-timestamp,
webhook-signature) when the shop's events happen. Types: cart.abandoned,
order.completed, survey.answered. add and rotate print the endpoint's whsec_ secret
on standard output, this once; after a rotation the old secret keeps signing for
24 hours. log lists the latest delivery attempts, newest first.

By default on the collector's database (running collectors pick the changes up
at once); with --collector URL through that collector's admin API instead. A
target must be http(s) on a public address unless SPUR_WEBHOOKS_ALLOW_PRIVATE=true
(where the check runs: here for the database, the collector's setting otherwise).

Options:
  --db FILE            SQLite database [SPUR_DB] (default ./data/spur.db)
  --database-url URL   PostgreSQL instead [SPUR_DATABASE_URL], as for spur serve
  --collector URL      a running collector instead of the database
  --token TOKEN        its admin token [SPUR_ADMIN_TOKEN]
  --events LIST        the types an endpoint receives, comma-separated (add)
  --limit N            attempts listed (log; default 20)

Exit codes: 0 done, 1 refused (a target refused, no such endpoint, the collector
answered an error), 2 usage error.

Example:
  spur webhooks add https://crm.example/hooks/spur --events order.completed,cart.abandoned
`;

const MAIN = () => `spur: first-party customer tracking for webshops

Usage: spur <command> [options]

Commands:
  serve        run the collector (ingest, admin API, SDK bundle)
  export KIND  export funnels, carts, products, customers, segments, histories, events
  insights     the purchase model fitted on the shop's orders, with its holdout check
  simulate     play journey specs in Chromium and check them against the collector
  privacy      export or erase everything stored about a customer
  purge        delete events older than the retention period
  migrate      copy an SQLite database into PostgreSQL
  users        add, list, remove the dashboard's accounts; change passwords and roles
  import       import offline orders from a CSV (spur import orders FILE.csv)
  webhooks     add, list, remove webhook endpoints; rotate secrets; the delivery log
  help CMD     show the help of one command

Options:
  -h, --help     show this help
  -v, --version  print the version

${wrap(`Environment: ${SETTINGS.map((x) => x.env).join(', ')} (see 'spur serve --help');`, 0, 88).join('\n')}
SPUR_URL (see 'spur export --help').

Example:
  SPUR_WRITE_KEYS="demo=http://localhost:3000" SPUR_ADMIN_TOKEN=secret spur serve --port 8080
`;

export function helpText(): string {
  return MAIN();
}

// Built when asked for: export's lists the collector's parameters, simulate's the journeys'
// default funnel, and neither module is loaded for the other commands' help.
const HELP: Record<string, () => Promise<string>> = {
  serve: async () => SERVE(),
  export: async () => EXPORT(await exportParameterLines()),
  insights: async () => INSIGHTS,
  simulate: async () => (await import('./commands/simulate')).SIMULATE_HELP,
  privacy: async () => PRIVACY,
  purge: async () => PURGE,
  migrate: async () => MIGRATE,
  users: async () => USERS,
  import: async () => (await import('./commands/import')).IMPORT_HELP,
  webhooks: async () => WEBHOOKS,
};

/** The help of one command; undefined for a name that is not one. */
export async function commandHelp(name: string): Promise<string | undefined> {
  return Object.hasOwn(HELP, name) ? HELP[name]() : undefined;
}
