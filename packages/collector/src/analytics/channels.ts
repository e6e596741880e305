// Marketing channel of a session, from its landing event: campaign parameters first, else the
// referrer's host against the page's host. Modelled on GA's default channel grouping, reduced to
// the groups a shop's product team acts on. Rules are ordered; the first that matches wins.
//
// | # | when                                                                   | channel          |
// |---|------------------------------------------------------------------------|------------------|
// |   | **a campaign is present** (utm_source / utm_medium, or a click id)     |                  |
// | 1 | paid medium (cpc, ppc, paid*, sem) and a search-engine source          | `paid_search`    |
// | 2 | paid medium (cpc, ppc, cpm, cpv, cpa, paid*, display, banner, affiliate)| `paid_other`     |
// | 3 | medium email / e-mail / newsletter, or source email / newsletter       | `email`          |
// | 4 | medium social / social-network / social-media / sm, or a social source | `social`         |
// | 5 | medium organic, or no medium and a search-engine source                | `organic_search` |
// | 6 | medium referral, or no medium at all (a tagged link from a partner)    | `referral`       |
// | 7 | any other medium (sms, qr, print, ...): a campaign we cannot place     | `paid_other`     |
// |   | **no campaign**: the referrer decides                                  |                  |
// | 8 | no referrer                                                            | `direct`         |
// | 9 | referrer on the shop's own site (same host, www. and subdomains alike) | `internal`       |
// |10 | referrer is a webmail host (mail.google.com, outlook.live.com, ...)    | `email`          |
// |11 | referrer is a search engine (google.*, bing.com, duckduckgo.com, ...)  | `organic_search` |
// |12 | referrer is a social network (facebook.com, t.co, instagram.com, ...)  | `social`         |
// |13 | any other referrer                                                     | `referral`       |
//
// A Google / Microsoft Ads click id (gclid, gbraid, wbraid, dclid, msclkid) in a URL without
// utm_ parameters reads as source google / bing, medium cpc, as auto-tagging means exactly that.
// Rule 9 ("internal") is what GA calls a self-referral: a session that began on the shop itself,
// typically after 30 minutes idle in an open tab.
//
// Before every rule: an origin with a sales channel (an event's `context.channel` such as
// `phone` or `store`, sales-channel.ts) is in that channel, whatever its page or campaign say.

/** Marketing channel groups. */
export type ChannelGroup =
  | 'direct'
  | 'organic_search'
  | 'paid_search'
  | 'social'
  | 'email'
  | 'referral'
  | 'paid_other'
  | 'internal';

/** A channel: a marketing channel group, or a sales channel an event named (`phone`, `store`, ...). */
export type Channel = ChannelGroup | (string & {});

/** Where a visit came from, as far as the landing event tells. Hosts are lower case, without port. */
export interface Origin {
  pageHost: string | null;
  referrerHost: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  /** The sales channel the event named (sales-channel.ts); it decides the channel when present. */
  salesChannel?: string | null;
}

const SEARCH_ENGINE = /(^|\.)(google|bing|duckduckgo|yahoo|yandex|baidu|ecosia|qwant|startpage|ask|naver|seznam|brave)\.[a-z.]+$/;
const SEARCH_SOURCE = /^(google|bing|duckduckgo|yahoo|yandex|baidu|ecosia|qwant|startpage|ask|naver|seznam|brave)$/;
const SOCIAL_HOST =
  /(^|\.)(facebook\.com|fb\.com|fb\.me|instagram\.com|t\.co|twitter\.com|x\.com|linkedin\.com|lnkd\.in|pinterest\.[a-z.]+|pin\.it|reddit\.com|tiktok\.com|youtube\.com|youtu\.be|snapchat\.com|threads\.net|whatsapp\.com|t\.me|telegram\.org|vk\.com|xing\.com|tumblr\.com|mastodon\.social|bsky\.app)$/;
const SOCIAL_SOURCE =
  /^(facebook|fb|instagram|ig|twitter|x|linkedin|pinterest|reddit|tiktok|youtube|snapchat|threads|whatsapp|telegram|vk|xing|tumblr|mastodon|bluesky)$/;
const WEBMAIL_HOST =
  /^(mail\.google\.com|outlook\.live\.com|outlook\.office\.com|outlook\.office365\.com|mail\.yahoo\.com|mail\.aol\.com|mail\.proton\.me|.*\.mail\.yahoo\.com|navigator\.web\.de|.*\.web\.de|.*\.gmx\.net|mail\.yandex\.[a-z]+)$/;
const PAID_MEDIUM = /^(cpc|ppc|cpm|cpv|cpa|sem|paid.*|display|banner|affiliates?|retargeting|remarketing)$/;
const PAID_SEARCH_MEDIUM = /^(cpc|ppc|sem|paid[-_ ]?search|paid)$/;
const EMAIL = /^(e[-_]?mail|newsletter)$/;
const SOCIAL_MEDIUM = /^(social|social[-_ ]network|social[-_ ]media|sm)$/;

/** Channel of an origin: its sales channel, else the group of the rule table at the top of this file. */
export function channelOf(o: Origin): Channel {
  if (o.salesChannel) return o.salesChannel;
  const source = o.source ? o.source.toLowerCase() : '';
  const medium = o.medium ? o.medium.toLowerCase() : '';
  if (source || medium) {
    const searchSource = SEARCH_SOURCE.test(source) || SEARCH_ENGINE.test(source);
    if (PAID_SEARCH_MEDIUM.test(medium) && searchSource) return 'paid_search';
    if (PAID_MEDIUM.test(medium)) return 'paid_other';
    if (EMAIL.test(medium) || EMAIL.test(source)) return 'email';
    if (SOCIAL_MEDIUM.test(medium) || SOCIAL_SOURCE.test(source) || SOCIAL_HOST.test(source)) return 'social';
    if (medium === 'organic' || (!medium && searchSource)) return 'organic_search';
    if (medium === 'referral' || !medium) return 'referral';
    return 'paid_other';
  }
  const ref = o.referrerHost;
  if (!ref) return 'direct';
  if (o.pageHost && sameSite(ref, o.pageHost)) return 'internal';
  if (WEBMAIL_HOST.test(ref)) return 'email';
  if (SEARCH_ENGINE.test(ref)) return 'organic_search';
  if (SOCIAL_HOST.test(ref)) return 'social';
  return 'referral';
}

const bare = (host: string) => (host.startsWith('www.') ? host.slice(4) : host);

// shop.example and www.shop.example and checkout.shop.example are one site to a shopper.
function sameSite(a: string, b: string): boolean {
  const x = bare(a);
  const y = bare(b);
  return x === y || x.endsWith('.' + y) || y.endsWith('.' + x);
}

// scheme://[user@]host[:port]... A regex rather than `new URL`: it runs for every fact appended,
// and `new URL` costs microseconds per call.
const HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)/i;

// Nearly every URL a shop sends starts with the shop's own origin: remember the last prefix that
// ended a host, and answer a URL with the same prefix without the regex.
let lastPrefix = '';
let lastHost: string | null = null;

/** Lower-case host of an absolute URL, or null. */
export function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  if (lastPrefix && url.startsWith(lastPrefix)) {
    const next = url.charCodeAt(lastPrefix.length);
    // The host ends at / ? # : or the end of the URL; otherwise it is a longer host.
    if (Number.isNaN(next) || next === 47 || next === 63 || next === 35 || next === 58) return lastHost;
  }
  const m = HOST.exec(url);
  if (!m || !m[1]) return null;
  lastPrefix = m[0];
  lastHost = m[1].toLowerCase();
  return lastHost;
}

type CampaignFields = Pick<Origin, 'source' | 'medium' | 'campaign'>;

const TAGGED = /utm_|clid=|clkid=|braid=/;
const CLICK_IDS: [string, string][] = [
  ['gclid', 'google'],
  ['gbraid', 'google'],
  ['wbraid', 'google'],
  ['dclid', 'google'],
  ['msclkid', 'bing'],
];

/**
 * utm_source / utm_medium / utm_campaign of a page URL, else an ads click id read as cpc;
 * null when the URL carries neither.
 */
export function campaignFromUrl(url: string | undefined): CampaignFields | null {
  // Cheap tests first: almost no URL carries either, and parsing costs more than the whole append.
  if (!url) return null;
  const q = url.indexOf('?');
  if (q === -1 || !TAGGED.test(url)) return null;
  const hash = url.indexOf('#', q);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(url.slice(q + 1, hash === -1 ? undefined : hash));
  } catch {
    return null;
  }
  const source = params.get('utm_source') || null;
  const medium = params.get('utm_medium') || null;
  const campaign = params.get('utm_campaign') || null;
  if (source || medium || campaign) return { source, medium, campaign };
  for (const [key, engine] of CLICK_IDS) if (params.get(key)) return { source: engine, medium: 'cpc', campaign: null };
  return null;
}

/**
 * What attribution reads of a URL, as a shorter URL that hostOf and (with `query`)
 * campaignFromUrl answer exactly as for the whole one: `scheme://[user@]host`, and the query
 * (without the fragment) only when it carries utm_ parameters or click ids. What the stored facts
 * keep of page URLs and referrers (stored-facts.ts): a path and an untagged query are read by
 * nothing, and most of a URL's length.
 */
export function attributionUrl(url: string | undefined, query: boolean): string | undefined {
  if (!url) return undefined;
  const m = HOST.exec(url);
  let out = m ? m[0] : '';
  const q = query ? url.indexOf('?') : -1;
  if (q !== -1) {
    // The same part campaignFromUrl reads: from the first '?' to the next '#'.
    const hash = url.indexOf('#', q);
    const part = url.slice(q, hash === -1 ? undefined : hash);
    if (TAGGED.test(part)) out += part;
  }
  return out || undefined;
}
