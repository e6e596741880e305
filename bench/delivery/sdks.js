'use strict';
// One adapter per SDK: how a shop installs it at its defaults (the page <head>), which files the
// local "CDN" serves, which config endpoints are stubbed, and how the local sink speaks the SDK's
// protocol. Every URL points at 127.0.0.1; nothing is fetched from the internet.
//
// Only what is needed to point an SDK at the local sink and to keep it off remote config is set.
// Each adapter's `settings` string says exactly what that is; the README repeats it.
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { bundleSnowplowIife } = require('../compare/bundle');

const ROOT = path.resolve(__dirname, '..', '..');
/** Folder of an installed package (bench's own node_modules first, then the root's). */
function pkgDir(name) {
  for (const base of [path.join(ROOT, 'bench', 'node_modules'), path.join(ROOT, 'node_modules')]) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`${name} is not installed (a devDependency of bench/package.json): run npm install`);
}
const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version;

// SPUR_BENCH_SDK: another build of spur.js (e.g. the one before a change, to compare).
const SPUR_JS = process.env.SPUR_BENCH_SDK || path.join(ROOT, 'packages', 'sdk', 'dist', 'spur.js');
const WRITE_KEY = 'benchkey';
const PH_TOKEN = 'phc_bench';

const json = (status, obj, headers = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(obj),
});

/** Events in a decoded body: Segment-style {batch: []}, Snowplow {data: []}, PostHog arrays. */
function eventsOf(body) {
  if (Array.isArray(body)) return body.flatMap(eventsOf);
  if (!body || typeof body !== 'object') return [];
  if (Array.isArray(body.batch)) return body.batch.flatMap(eventsOf);
  if (Array.isArray(body.data)) return body.data.flatMap(eventsOf);
  return [body];
}

/** The bench id of one event: properties.bench_seq (Segment, RudderStack, PostHog, spur) or se_la (Snowplow). */
function seqOf(event) {
  const p = event && event.properties;
  if (p && typeof p.bench_seq === 'string') return p.bench_seq;
  if (event && typeof event.se_la === 'string' && event.se_la.startsWith('bseq_')) return event.se_la;
  return undefined;
}

const seqsOf = (body) => eventsOf(body).map(seqOf).filter(Boolean);

/** Forwards a request unchanged to a real server (spur's collector) and buffers the answer. */
function forward(target, request, body) {
  return new Promise((resolve) => {
    const u = new URL(request.url, target);
    const headers = { ...request.headers, host: u.host };
    const out = http.request(u, { method: request.method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const h = { ...res.headers };
        delete h.connection;
        delete h['transfer-encoding'];
        delete h['keep-alive'];
        resolve({ status: res.statusCode, headers: h, body: Buffer.concat(chunks), cors: false });
      });
    });
    out.on('error', (err) => resolve(json(502, { error: { code: 'bench_proxy', message: err.message } })));
    out.end(body);
  });
}

const COMMON_PAGE_API = (ready, track) =>
  `<script>window.__benchReady=function(){try{return !!(${ready})}catch(e){return false}};` +
  `window.__benchTrack=function(id){${track}};</script>`;

// ---------------------------------------------------------------------------------------------
const spur = {
  name: 'spur',
  /** Its handle() names the ids of every batch that arrived (`sent`), whatever the answer. */
  reportsSent: true,
  version: () => JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'sdk', 'package.json'), 'utf8')).version,
  settings:
    'script tag from the shop origin with data-write-key and data-endpoint (the sink); a real spur collector ' +
    '(@spur/collector, SQLite in a temp dir, clientClock trust) behind a counting pass-through',
  async prepare() {
    if (!fs.existsSync(SPUR_JS)) throw new Error(`${SPUR_JS} is missing: run \`npx rollup -c\` first`);
  },
  async start({ siteUrl, sinkUrl, tmpDir }) {
    const { openStorage, createCollector, startServer } = require('@spur/collector');
    const db = path.join(tmpDir, `spur-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
    const storage = await openStorage({ db });
    const app = createCollector({
      storage,
      writeKeys: { [WRITE_KEY]: [siteUrl] },
      adminToken: 'bench-admin',
      clientClock: 'trust',
      rateLimit: 0, // the tabs scenario sends 600 events from one address within seconds
    });
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    let dedupedByCollector = 0;
    return {
      head:
        `<script>window.spur=window.spur||function(){(spur.q=spur.q||[]).push(arguments)}</script>\n` +
        `<script async src="/spur.js" data-write-key="${WRITE_KEY}" data-endpoint="${sinkUrl}"></script>\n` +
        COMMON_PAGE_API(
          "typeof spur.user==='function'&&spur.user().anonymousId",
          "spur.track('Bench Event',{bench_seq:id})",
        ),
      assets: { '/spur.js': { file: SPUR_JS } },
      async handle(request, url, body) {
        const res = await forward(server.url, request, body);
        // Delivered means the collector acknowledged it (2xx), as for the other sinks; sent, that
        // the browser sent it and it got here, whatever the answer.
        const batch = url.pathname.startsWith('/v1/');
        const ok = res.status >= 200 && res.status < 300 && batch;
        if (ok) {
          const answer = decode(res.body);
          if (answer && typeof answer.duplicates === 'number') dedupedByCollector += answer.duplicates;
        }
        const sent = batch ? seqsOf(decode(body)) : [];
        return { ...res, seqs: ok ? sent : [], sent };
      },
      notes: () =>
        dedupedByCollector ? [`the collector recognised ${dedupedByCollector} resent events as duplicates and stored them once`] : [],
      close: () => server.close(),
    };
  },
};

// ---------------------------------------------------------------------------------------------
const SEGMENT_DIR = () => path.join(pkgDir('@segment/analytics-next'), 'dist', 'umd');

const segment = {
  name: 'segment',
  version: () => pkgVersion('@segment/analytics-next'),
  settings:
    "Segment's snippet (5.2.0 as in its docs) with the script URL on the local CDN and analytics._cdn set to it " +
    "(analytics-next reads it as its CDN; its script-URL detection only matches https); analytics.load(writeKey, {integrations: {'Segment.io': " +
    "{apiHost: '<sink>/v1', protocol: 'http'}}}); local CDN settings stub for a source with no " +
    'destinations (Segment.io only, metrics sampleRate 0.1 like a real source)',
  async prepare() {},
  async start({ siteUrl, sinkUrl }) {
    const apiHost = `${new URL(sinkUrl).host}/v1`;
    const settings = {
      integrations: {
        'Segment.io': {
          apiKey: WRITE_KEY,
          unbundledIntegrations: [],
          addBundledMetadata: true,
          maybeBundledConfigIds: {},
          versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
          apiHost,
        },
      },
      plan: {
        track: { __default: { enabled: true, integrations: {} } },
        identify: { __default: { enabled: true } },
        group: { __default: { enabled: true } },
      },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0.1 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    };
    const loadOptions = { integrations: { 'Segment.io': { apiHost, protocol: 'http' } } };
    // Segment's snippet (5.2.0, as in Segment's docs: the stub queue, the page context it buffers,
    // load() inserting the async script), with the script URL and analytics._cdn on the local CDN.
    const snippet =
      `!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src="${siteUrl}/analytics.js/v1/"+key+"/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="${WRITE_KEY}";analytics._cdn="${siteUrl}";analytics.SNIPPET_VERSION="5.2.0";\n` +
      `analytics.load("${WRITE_KEY}",${JSON.stringify(loadOptions)});\n` +
      `analytics.page();\n}}();`;
    const dir = SEGMENT_DIR();
    const assets = {
      [`/analytics.js/v1/${WRITE_KEY}/analytics.min.js`]: { file: path.join(dir, 'standalone.js') },
      [`/v1/projects/${WRITE_KEY}/settings`]: { body: JSON.stringify(settings), type: 'application/json' },
    };
    for (const f of fs.readdirSync(dir)) {
      if (/\.bundle\.[0-9a-f]+\.js$/.test(f)) {
        assets[`/analytics-next/bundles/${f}`] = { file: path.join(dir, f) };
      }
    }
    return {
      head:
        `<script>\n${snippet}\n</script>\n` +
        COMMON_PAGE_API(
          'window.analytics&&window.analytics.initialized===true',
          "window.analytics.track('Bench Event',{bench_seq:id})",
        ),
      assets,
      async handle(request, url, body) {
        if (request.method !== 'POST') return json(404, { error: 'not found' });
        return { ...json(200, { success: true }), seqs: seqsOf(decode(body)) };
      },
      close: async () => {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
const snowplow = {
  name: 'snowplow',
  version: () => pkgVersion('@snowplow/browser-tracker'),
  settings:
    "@snowplow/browser-tracker bundled with rollup (node-resolve + terser) into one script; newTracker('sp', " +
    "'<sink>', {appId: 'bench'}) and trackPageView(), as in Snowplow's quick start; everything else default " +
    '(POST to /com.snowplowanalytics.snowplow/tp2, bufferSize 1, localStorage queue, credentials include)',
  async prepare({ tmpDir }) {
    this.bundle = path.join(tmpDir, 'snowplow.iife.js');
    if (!fs.existsSync(this.bundle)) await bundleSnowplowIife(this.bundle);
  },
  async start({ sinkUrl }) {
    const bundle = this.bundle;
    return {
      head:
        `<script src="/snowplow.js"></script>\n` +
        `<script>snowplow.newTracker('sp','${sinkUrl}',{appId:'bench'});snowplow.trackPageView();</script>\n` +
        COMMON_PAGE_API(
          "typeof snowplow.trackStructEvent==='function'",
          "snowplow.trackStructEvent({category:'bench',action:'event',label:id})",
        ),
      assets: { '/snowplow.js': { file: bundle } },
      async handle(request, url, body) {
        if (request.method === 'GET' && url.pathname === '/i') {
          const seq = url.searchParams.get('se_la');
          const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
          return { status: 200, headers: { 'content-type': 'image/gif' }, body: gif, seqs: seq && seq.startsWith('bseq_') ? [seq] : [] };
        }
        if (request.method === 'POST' && url.pathname === '/com.snowplowanalytics.snowplow/tp2') {
          return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok', seqs: seqsOf(decode(body)) };
        }
        return json(404, { error: 'not found' });
      },
      close: async () => {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
const PH_DIR = () => path.join(pkgDir('posthog-js'), 'dist');
const posthogRemoteConfig = {
  token: PH_TOKEN,
  supportedCompression: ['gzip', 'gzip-js'],
  hasFeatureFlags: false,
  captureDeadClicks: false,
  capturePerformance: false,
  autocapture_opt_out: false,
  autocaptureExceptions: false,
  analytics: { endpoint: '/i/v0/e/' },
  elementsChainAsString: true,
  errorTracking: { autocaptureExceptions: false, suppressionRules: [] },
  sessionRecording: false,
  heatmaps: false,
  surveys: false,
  productTours: false,
  defaultIdentifiedOnly: true,
  siteApps: [],
};

const posthog = {
  name: 'posthog',
  version: () => pkgVersion('posthog-js'),
  settings:
    "PostHog's standard snippet loading <api_host>/static/array.js; posthog.init(token, {api_host: '<sink>'}) and " +
    'nothing else. The sink plays PostHog: /static/* from the package, /array/<token>/config(.js) and /flags/ stubs ' +
    'answering like a fresh project (no flags, no recordings, no surveys, gzip-js compression supported)',
  async prepare() {},
  async start({ sinkUrl }) {
    const dist = PH_DIR();
    // PostHog's snippet as in its docs (the stub with its method list, array.js from the assets
    // host derived from api_host), then init with api_host only.
    const snippet =
      `!function(t,e){var o,n,p,r;e.__SV||(window.posthog&&window.posthog.__loaded)||(window.posthog=e,e._i=[],e.init=function(i,s,a){function g(t,e){var o=e.split(".");2==o.length&&(t=t[o[0]],e=o[1]),t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}}(p=t.createElement("script")).type="text/javascript",p.crossOrigin="anonymous",p.async=!0,p.src=s.api_host.replace(".i.posthog.com","-assets.i.posthog.com")+"/static/array.js",(r=t.getElementsByTagName("script")[0]).parentNode.insertBefore(p,r);var u=e;for(void 0!==a?u=e[a]=[]:a="posthog",u.people=u.people||[],u.toString=function(t){var e="posthog";return"posthog"!==a&&(e+="."+a),t||(e+=" (stub)"),e},u.people.toString=function(){return u.toString(1)+".people (stub)"},o="init capture register register_once register_for_session unregister unregister_for_session getFeatureFlag getFeatureFlagPayload isFeatureEnabled reloadFeatureFlags updateEarlyAccessFeatureEnrollment getEarlyAccessFeatures on onFeatureFlags onSurveysLoaded onSessionId getSurveys getActiveMatchingSurveys renderSurvey canRenderSurvey canRenderSurveyAsync identify setPersonProperties group resetGroups setPersonPropertiesForFlags resetPersonPropertiesForFlags setGroupPropertiesForFlags resetGroupPropertiesForFlags reset get_distinct_id getGroups get_session_id get_session_replay_url alias set_config startSessionRecording stopSessionRecording sessionRecordingStarted captureException loadToolbar get_property getSessionProperty createPersonProfile opt_in_capturing opt_out_capturing has_opted_in_capturing has_opted_out_capturing get_explicit_consent_status is_capturing clear_opt_in_out_capturing debug".split(" "),n=0;n<o.length;n++)g(u,o[n]);e._i.push([i,s,a])},e.__SV=1)}(document,window.posthog||[]);\n` +
      `posthog.init('${PH_TOKEN}',{api_host:'${sinkUrl}'});`;
    const configJs =
      `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};` +
      `window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(PH_TOKEN)}]={config:${JSON.stringify(posthogRemoteConfig)},siteApps:[]};})();`;
    return {
      head:
        `<script>\n${snippet}\n</script>\n` +
        COMMON_PAGE_API(
          'window.posthog&&window.posthog.__loaded',
          "window.posthog.capture('bench_event',{bench_seq:id})",
        ),
      assets: {},
      async handle(request, url, body) {
        const p = url.pathname;
        if (request.method === 'GET' && p.startsWith('/static/')) {
          // /static/<kind>.js?v=<version> or /static/<version>/<kind>.js
          const file = path.join(dist, path.basename(p));
          if (fs.existsSync(file)) {
            return { status: 200, headers: { 'content-type': 'application/javascript' }, body: fs.readFileSync(file) };
          }
          return json(404, { error: 'not found' });
        }
        if (p === `/array/${PH_TOKEN}/config.js`) {
          return { status: 200, headers: { 'content-type': 'application/javascript' }, body: configJs };
        }
        if (p === `/array/${PH_TOKEN}/config`) return json(200, posthogRemoteConfig);
        if (p.startsWith('/flags')) {
          return json(200, { flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: 'bench' });
        }
        if (p.startsWith('/decide')) {
          return json(200, { featureFlags: {}, featureFlagPayloads: {}, sessionRecording: false, supportedCompression: ['gzip', 'gzip-js'] });
        }
        if (request.method === 'POST') return { ...json(200, { status: 1 }), seqs: seqsOf(decode(body)) };
        return json(404, { error: 'not found' });
      },
      close: async () => {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
const rudderstack = {
  name: 'rudderstack',
  version: () => pkgVersion('@rudderstack/analytics-js'),
  settings:
    'The npm package ships no CDN build (dist/cdn is not in it), and its default npm entry fetches its plugins at run ' +
    'time from cdn.rudderlabs.com (files not in the package). So the page loads the package\'s `bundled` UMD build ' +
    '(same SDK, same default plugin list, plugins compiled in) and calls new RudderAnalytics().load(writeKey, ' +
    "'<sink>', {configUrl: '<local CDN>'}) then page(), as the npm README shows. Local sourceConfig stub: one enabled " +
    'source, no destinations, error/metrics stats collection off',
  async prepare() {},
  async start({ siteUrl, sinkUrl }) {
    const umd = path.join(pkgDir('@rudderstack/analytics-js'), 'dist', 'npm', 'modern', 'bundled', 'umd', 'index.js');
    const sourceConfig = {
      isHosted: true,
      source: {
        config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
        id: 'bench-source',
        name: 'bench',
        writeKey: WRITE_KEY,
        workspaceId: 'bench-workspace',
        enabled: true,
        destinations: [],
      },
    };
    return {
      head:
        `<script src="/rsa.js"></script>\n` +
        `<script>(function(){var a=new window.rudderanalytics.RudderAnalytics();` +
        `a.load('${WRITE_KEY}','${sinkUrl}',{configUrl:'${siteUrl}'});` +
        `a.ready(function(){window.__rsReady=true});a.page();})();</script>\n` +
        COMMON_PAGE_API('window.__rsReady===true', "window.rudderanalytics.track('Bench Event',{bench_seq:id})"),
      assets: {
        '/rsa.js': { file: umd },
        '/sourceConfig/': { body: JSON.stringify(sourceConfig), type: 'application/json' },
      },
      async handle(request, url, body) {
        if (request.method === 'POST' && url.pathname.startsWith('/v1/')) {
          return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK', seqs: seqsOf(decode(body)) };
        }
        return json(404, { error: 'not found' });
      },
      close: async () => {},
    };
  },
};

const { decodeBody: decode } = require('./http-util');

const SDKS = { spur, segment, snowplow, posthog, rudderstack };

module.exports = { SDKS, seqsOf, eventsOf, WRITE_KEY, pkgDir, pkgVersion };
