const SERVE = `Usage: spur serve [options]

Runs the collector: Segment-compatible ingest under /v1/*, the admin API,
the SDK at /spur.js, /healthz and /readyz. SIGTERM or SIGINT stops accepting
requests, finishes the ones in flight and closes the database.

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

SIGTERM drains for up to 8 s, closes the database and exits 0 within 10 s.
`;

const MAIN = `spur: first-party customer tracking for webshops

Usage: spur <command> [options]

Commands:
  serve        run the collector (ingest, admin API, SDK bundle)
  help CMD     show the help of one command

Options:
  -h, --help     show this help
  -v, --version  print the version

Environment: SPUR_PORT, SPUR_HOST, SPUR_DB, SPUR_WRITE_KEYS, SPUR_ADMIN_TOKEN,
SPUR_CLIENT_CLOCK, SPUR_IP, SPUR_TRUST_PROXY, SPUR_COOKIE_DOMAIN (see 'spur serve --help').

Example:
  SPUR_WRITE_KEYS="demo=http://localhost:3000" SPUR_ADMIN_TOKEN=secret spur serve --port 8080
`;

export function helpText(): string {
  return MAIN;
}

export function commandHelp(name: string): string | undefined {
  return ({ serve: SERVE } as Record<string, string>)[name];
}
