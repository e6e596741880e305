// Where a fact came from and on what: its device, browser and OS families (an agent) and its
// origin (page host, referrer host, campaign, with the channel worked out once), each interned so
// that a row holds a small code and every fact with the same ones shares one object.
import { parseUserAgent } from '../useragent';
import { campaignFromUrl, channelOf, hostOf, type Channel, type Origin } from './channels';
import { Dictionary } from './dictionary';

/** Device type, browser and OS families of a fact. */
export interface Agent {
  device: string;
  browser: string;
  os: string;
}

/** An Origin with its channel worked out once (shared by every fact with the same origin). */
export interface OriginInfo extends Origin {
  salesChannel: string | null;
  channel: Channel;
}

/** The fields of an event that its agent and origin are made of. */
export interface AttributionFields {
  device: string | undefined;
  browser: string | undefined;
  os: string | undefined;
  userAgent: string | undefined;
  url: string | undefined;
  referrer: string | undefined;
  source: string | undefined;
  medium: string | undefined;
  campaign: string | undefined;
  /** The sales channel of context.channel (sales-channel.ts); undefined for a library's value. */
  channel: string | undefined;
}

const UNKNOWN_AGENT: Agent = { device: 'unknown', browser: 'Other', os: 'Other' };

/** The agents and origins of a fact table. */
export class Attribution {
  readonly agents: Agent[] = [];
  readonly origins: OriginInfo[] = [];
  private readonly agentKeys = new Dictionary();
  private readonly originKeys = new Dictionary();
  // Raw user agent -> agent id: parsing runs once per distinct string.
  private readonly agentOfUserAgent = new Map<string, number>();
  // The previous fact's families and origin parts with their ids: consecutive facts of a session
  // nearly always share them, and comparing beats building and hashing a key.
  private last = { device: '', browser: '', os: '', agent: -1 };
  private lastOrigin: [string | null, string | null, string | null, string | null, string | null, string | null, number] = [null, null, null, null, null, null, -2];
  private lastFields = { url: '', referrer: '', source: '', medium: '', campaign: '', channel: '', id: -2 } as Pick<
    AttributionFields,
    'url' | 'referrer' | 'source' | 'medium' | 'campaign' | 'channel'
  > & { id: number };

  /** The agent id of a fact; -1 when it carries neither families nor a user agent. */
  agentOf(f: AttributionFields): number {
    if (f.device || f.browser || f.os) {
      const device = f.device || UNKNOWN_AGENT.device;
      const browser = f.browser || UNKNOWN_AGENT.browser;
      const os = f.os || UNKNOWN_AGENT.os;
      const last = this.last;
      if (device !== last.device || browser !== last.browser || os !== last.os) {
        this.last = { device, browser, os, agent: this.internAgent(device, browser, os) };
      }
      return this.last.agent;
    }
    if (!f.userAgent) return -1;
    let id = this.agentOfUserAgent.get(f.userAgent);
    if (id === undefined) {
      const parsed = parseUserAgent(f.userAgent);
      id = this.internAgent(parsed.device.type, parsed.browser.name, parsed.os.name);
      // Bounded like useragent.ts's cache: made-up strings must not grow memory without end.
      if (this.agentOfUserAgent.size >= 10000) this.agentOfUserAgent.clear();
      this.agentOfUserAgent.set(f.userAgent, id);
    }
    return id;
  }

  /** The origin id of a fact; -1 when it carries no page, referrer, campaign or sales channel. */
  originOf(f: AttributionFields): number {
    // Events on one page share their URL, referrer and campaign: the last answer holds.
    const w = this.lastFields;
    if (w.id !== -2 && f.url === w.url && f.referrer === w.referrer && f.source === w.source && f.medium === w.medium && f.campaign === w.campaign && f.channel === w.channel) {
      return w.id;
    }
    const id = this.originOfParts(f);
    this.lastFields = { url: f.url, referrer: f.referrer, source: f.source, medium: f.medium, campaign: f.campaign, channel: f.channel, id };
    return id;
  }

  private originOfParts(f: AttributionFields): number {
    const pageHost = hostOf(f.url);
    const referrerHost = hostOf(f.referrer);
    // The campaign of the event's context wins; the page URL's utm_ parameters are the fallback.
    const given = f.source || f.medium || f.campaign;
    const c = given ? null : campaignFromUrl(f.url);
    const source = (given ? f.source : c?.source) || null;
    const medium = (given ? f.medium : c?.medium) || null;
    const campaign = (given ? f.campaign : c?.campaign) || null;
    const salesChannel = f.channel || null;
    if (!pageHost && !referrerHost && !source && !medium && !campaign && !salesChannel) return -1;
    const l = this.lastOrigin;
    if (l[0] === pageHost && l[1] === referrerHost && l[2] === source && l[3] === medium && l[4] === campaign && l[5] === salesChannel) return l[6];
    const key = `${pageHost ?? ''}\u0001${referrerHost ?? ''}\u0001${source ?? ''}\u0001${medium ?? ''}\u0001${campaign ?? ''}\u0001${salesChannel ?? ''}`;
    const id = this.originKeys.intern(key);
    if (id === this.origins.length) {
      const origin: Origin = { pageHost, referrerHost, source, medium, campaign, salesChannel };
      this.origins.push({ ...origin, salesChannel, channel: channelOf(origin) });
    }
    this.lastOrigin = [pageHost, referrerHost, source, medium, campaign, salesChannel, id];
    return id;
  }

  private internAgent(device: string, browser: string, os: string): number {
    const id = this.agentKeys.intern(`${device}\u0001${browser}\u0001${os}`);
    if (id === this.agents.length) this.agents.push({ device, browser, os });
    return id;
  }
}
