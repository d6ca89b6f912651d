/**
 * SSRF guard for URLs the engine fetches on a user's behalf (URL inputs). Pure: the DNS resolver
 * is passed in (`runners/fetch-input.ts` gives it `dns.lookup`), so the rules test as tables.
 *
 * Refused unless allowed: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
 * (169.254/16, fe80::/10), CGNAT (100.64/10), "this network" (0/8), multicast, reserved and
 * broadcast, and the IPv6 forms that embed such an IPv4 address (::ffff:a.b.c.d, NAT64, 6to4).
 * Every address a name resolves to must pass; one bad record refuses the URL.
 *
 * Allow list (`GANTRY_URL_ALLOWLIST`): comma-separated hostnames (`files.internal`), domain
 * suffixes (`.corp.example`, matches subdomains), IPs and CIDRs (`10.1.0.0/16`, `fd00::/8`).
 * A host allowed by name may resolve anywhere; otherwise each blocked address must be covered by
 * an allowed IP/CIDR.
 *
 * Webhook URLs are not guarded: they are the operator's own receivers, often on localhost.
 */

export interface Ip {
  v: 4 | 6;
  n: bigint;
}

export interface Cidr extends Ip {
  bits: number;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to all its addresses (like `dns.lookup(host, { all: true })`). */
export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface AllowList {
  hosts: Set<string>;
  /** Lower-case suffixes starting with a dot. */
  suffixes: string[];
  cidrs: Cidr[];
}

export const EMPTY_ALLOWLIST: AllowList = { hosts: new Set(), suffixes: [], cidrs: [] };

export type UrlGuardReason = 'invalid_url' | 'scheme' | 'blocked' | 'dns';

export class UrlGuardError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly reason: UrlGuardReason,
  ) {
    super(message);
    this.name = 'UrlGuardError';
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseIpv6(text: string): bigint | null {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return null;
  // A trailing dotted IPv4 becomes two hextets.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  let groups: string[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** Parses a textual IPv4 or IPv6 address (brackets and zone ids tolerated), or null. */
export function parseIp(text: string): Ip | null {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(t);
  if (v4 !== null) return { v: 4, n: v4 };
  if (!t.includes(':')) return null;
  const v6 = parseIpv6(t);
  return v6 === null ? null : { v: 6, n: v6 };
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare IP (a /32 or /128), or null. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.v === 4 ? 32 : 128;
  const bits = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) return null;
  return { ...ip, n: ip.n & mask(ip.v, bits), bits };
}

function mask(v: 4 | 6, bits: number): bigint {
  const width = v === 4 ? 32n : 128n;
  const all = (1n << width) - 1n;
  return bits === 0 ? 0n : (all >> (width - BigInt(bits))) << (width - BigInt(bits));
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  return ip.v === cidr.v && (ip.n & mask(ip.v, cidr.bits)) === cidr.n;
}

const cidr = (text: string): Cidr => parseCidr(text)!;

const BLOCKED_V4: Array<[Cidr, string]> = [
  [cidr('0.0.0.0/8'), '"this network" (0.0.0.0/8)'],
  [cidr('10.0.0.0/8'), 'private (10.0.0.0/8)'],
  [cidr('100.64.0.0/10'), 'carrier-grade NAT (100.64.0.0/10)'],
  [cidr('127.0.0.0/8'), 'loopback (127.0.0.0/8)'],
  [cidr('169.254.0.0/16'), 'link-local (169.254.0.0/16)'],
  [cidr('172.16.0.0/12'), 'private (172.16.0.0/12)'],
  [cidr('192.0.0.0/24'), 'IETF protocol assignment (192.0.0.0/24)'],
  [cidr('192.168.0.0/16'), 'private (192.168.0.0/16)'],
  [cidr('198.18.0.0/15'), 'benchmarking (198.18.0.0/15)'],
  [cidr('224.0.0.0/4'), 'multicast (224.0.0.0/4)'],
  [cidr('240.0.0.0/4'), 'reserved (240.0.0.0/4)'],
];

const BLOCKED_V6: Array<[Cidr, string]> = [
  [cidr('::/128'), 'unspecified (::)'],
  [cidr('::1/128'), 'loopback (::1)'],
  [cidr('fc00::/7'), 'private (fc00::/7)'],
  [cidr('fe80::/10'), 'link-local (fe80::/10)'],
  [cidr('fec0::/10'), 'site-local (fec0::/10)'],
  [cidr('ff00::/8'), 'multicast (ff00::/8)'],
];

/** IPv6 ranges whose addresses carry an IPv4 address that decides. */
const EMBEDDED_V4: Array<[Cidr, (n: bigint) => bigint]> = [
  [cidr('::ffff:0:0/96'), (n) => n & 0xffffffffn], // IPv4-mapped
  [cidr('::/96'), (n) => n & 0xffffffffn], // IPv4-compatible (deprecated)
  [cidr('64:ff9b::/96'), (n) => n & 0xffffffffn], // NAT64
  [cidr('2002::/16'), (n) => (n >> 80n) & 0xffffffffn], // 6to4
];

/** Why an address is not public (e.g. `loopback (127.0.0.0/8)`), or null when it is public. */
export function blockedReason(address: string | Ip): string | null {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (!ip) return 'not an IP address';
  if (ip.v === 4) {
    for (const [range, why] of BLOCKED_V4) if (inCidr(ip, range)) return why;
    if (ip.n === 0xffffffffn) return 'broadcast';
    return null;
  }
  for (const [range, why] of BLOCKED_V6) if (inCidr(ip, range)) return why;
  for (const [range, extract] of EMBEDDED_V4) {
    if (inCidr(ip, range)) {
      const inner = blockedReason({ v: 4, n: extract(ip.n) });
      return inner ? `${inner}, embedded in IPv6` : null;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Allow list

/** Parses `GANTRY_URL_ALLOWLIST`-style entries (comma-separated string or array). */
export function parseAllowList(value: string | readonly string[] | undefined | null): AllowList {
  const entries = (typeof value === 'string' ? value.split(',') : (value ?? [])).map((e) => e.trim().toLowerCase()).filter(Boolean);
  const out: AllowList = { hosts: new Set(), suffixes: [], cidrs: [] };
  for (const entry of entries) {
    const c = parseCidr(entry);
    if (c) out.cidrs.push(c);
    else if (entry.startsWith('*.')) out.suffixes.push(entry.slice(1));
    else if (entry.startsWith('.')) out.suffixes.push(entry);
    else if (/^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/.test(entry)) out.hosts.add(entry.replace(/\.$/, ''));
    else throw new Error(`GANTRY_URL_ALLOWLIST: ${JSON.stringify(entry)} is not a hostname, IP address or CIDR`);
  }
  return out;
}

export function hostAllowed(hostname: string, allow: AllowList): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return allow.hosts.has(h) || allow.suffixes.some((s) => h.endsWith(s));
}

export function ipAllowed(address: string | Ip, allow: AllowList): boolean {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  return !!ip && allow.cidrs.some((c) => inCidr(ip, c));
}

// ---------------------------------------------------------------------------------------------
// The check

export interface GuardOptions {
  allow: AllowList;
  lookup: Lookup;
}

export interface GuardedUrl {
  url: URL;
  /** The checked addresses; connect only to these (pinning). */
  addresses: ResolvedAddress[];
}

/**
 * Checks an http(s) URL: parses it, resolves its host, and refuses it when any address is not
 * public and not allowed. Returns the addresses to connect to. Throws `UrlGuardError` with a
 * message fit for the user.
 */
export async function guardUrl(input: string | URL, opts: GuardOptions): Promise<GuardedUrl> {
  const text = String(input);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlGuardError(`${JSON.stringify(text)} is not a valid URL`, text, 'invalid_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlGuardError(`${text}: only http, https and data: URLs can be fetched, not ${url.protocol.replace(/:$/, '')}`, text, 'scheme');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const byName = hostAllowed(host, opts.allow);
  const literal = parseIp(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal.v }];
  } else {
    try {
      addresses = await opts.lookup(host);
    } catch (err) {
      throw new UrlGuardError(`${text}: could not resolve host ${host} (${(err as Error).message})`, text, 'dns');
    }
    if (addresses.length === 0) throw new UrlGuardError(`${text}: host ${host} has no addresses`, text, 'dns');
  }
  if (!byName) {
    for (const a of addresses) {
      const why = blockedReason(a.address);
      if (why && !ipAllowed(a.address, opts.allow)) {
        const where = literal ? `is a ${why} address` : `resolves to ${a.address}, a ${why} address`;
        throw new UrlGuardError(
          `${text}: host ${host} ${where}; inputs are only fetched from public addresses (an operator can permit it with GANTRY_URL_ALLOWLIST)`,
          text,
          'blocked',
        );
      }
    }
  }
  return { url, addresses };
}
