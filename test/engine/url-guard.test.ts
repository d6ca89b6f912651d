/** SSRF guard rules and the input fetcher against real HTTP servers on loopback. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  blockedReason,
  guardUrl,
  inCidr,
  parseAllowList,
  parseCidr,
  parseIp,
  type Lookup,
} from '../../engine/src/core/url-guard';
import { InputFetchError, allowListFromEnv, decodeDataUri, fetchInput } from '../../engine/src/runners/fetch-input';

describe('address classification', () => {
  test.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /private \(10/],
    ['172.16.0.1', /private \(172\.16/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private \(192\.168/],
    ['169.254.169.254', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['0.0.0.0', /this network/],
    ['0.1.2.3', /this network/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['255.255.255.255', /reserved|broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fc00::1', /private \(fc00/],
    ['fd12:3456::1', /private/],
    ['fe80::1%eth0', /link-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback.*embedded in IPv6/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:10.0.0.1', /private/],
    ['64:ff9b::a00:1', /private.*embedded/],
    ['2002:c0a8:0101::1', /private \(192\.168.*embedded/],
    ['[::1]', /loopback/],
  ])('%s is refused', (ip, reason) => {
    expect(blockedReason(ip)).toMatch(reason);
  });

  test.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])(
    '%s is public',
    (ip) => {
      expect(blockedReason(ip)).toBeNull();
    },
  );

  test('parsing', () => {
    expect(parseIp('1.2.3.4')).toEqual({ v: 4, n: 0x01020304n });
    expect(parseIp('1.2.3')).toBeNull();
    expect(parseIp('256.1.1.1')).toBeNull();
    expect(parseIp('::')).toEqual({ v: 6, n: 0n });
    expect(parseIp('1::2:3::4')).toBeNull();
    expect(parseIp('example.com')).toBeNull();
    expect(parseIp('2001:db8::1')!.n).toBe(0x20010db8000000000000000000000001n);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0/x')).toBeNull();
    expect(inCidr(parseIp('10.9.8.7')!, parseCidr('10.0.0.0/8')!)).toBe(true);
    expect(inCidr(parseIp('11.0.0.1')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(inCidr(parseIp('fd00::5')!, parseCidr('fd00::/8')!)).toBe(true);
    expect(inCidr(parseIp('10.0.0.1')!, parseCidr('::/0')!)).toBe(false);
  });

  test('allow list parsing', () => {
    const a = parseAllowList(' files.internal, .corp.example ,*.svc.local, 10.1.0.0/16, 192.168.1.5, fd00::/8 ,');
    expect([...a.hosts]).toEqual(['files.internal']);
    expect(a.suffixes).toEqual(['.corp.example', '.svc.local']);
    expect(a.cidrs.map((c) => c.bits)).toEqual([16, 32, 8]);
    expect(() => parseAllowList('http://x/')).toThrow(/GANTRY_URL_ALLOWLIST: "http:\/\/x\/" is not a hostname, IP address or CIDR/);
    expect(parseAllowList(undefined).cidrs).toEqual([]);
    expect(allowListFromEnv({ GANTRY_URL_ALLOWLIST: 'minio' }).hosts.has('minio')).toBe(true);
  });
});

describe('guardUrl', () => {
  const dns: Record<string, string[]> = {
    'public.test': ['93.184.216.34'],
    'internal.test': ['10.0.0.7'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
    'meta.test': ['169.254.169.254'],
    'v6.test': ['2606:4700::1', 'fd00::1'],
    'files.corp.example': ['10.2.0.1'],
  };
  const lookup: Lookup = async (h) => {
    const found = dns[h];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const none = parseAllowList('');
  const guard = (url: string, allow = none) => guardUrl(url, { allow, lookup });

  test('public hosts pass and return the addresses to pin', async () => {
    const g = await guard('https://public.test/a.png');
    expect(g.addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  test.each([
    ['http://127.0.0.1:8787/v1/files', /is a loopback \(127\.0\.0\.0\/8\) address/],
    ['http://127.1/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f000001/', /loopback/],
    ['http://[::1]:80/', /loopback \(::1\)/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://0.0.0.0:5432/', /this network/],
    ['http://internal.test/x', /resolves to 10\.0\.0\.7, a private \(10\.0\.0\.0\/8\) address/],
    ['http://meta.test/latest/meta-data', /link-local/],
    ['http://mixed.test/', /resolves to 127\.0\.0\.1/],
    ['http://v6.test/', /resolves to fd00::1/],
  ])('refuses %s', async (url, message) => {
    const err = await guard(url).catch((e) => e);
    expect(err.name).toBe('UrlGuardError');
    expect(err.reason).toBe('blocked');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/GANTRY_URL_ALLOWLIST/);
  });

  test.each([
    ['file:///etc/passwd', 'scheme', /only http, https and data: URLs can be fetched, not file/],
    ['gopher://public.test/', 'scheme', /not gopher/],
    ['not a url', 'invalid_url', /is not a valid URL/],
    ['http://nowhere.test/', 'dns', /could not resolve host nowhere\.test/],
  ])('refuses %s (%s)', async (url, reason, message) => {
    const err = await guard(url).catch((e) => e);
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
  });

  test('the allow list permits hosts, suffixes, IPs and CIDRs', async () => {
    await expect(guard('http://internal.test/', parseAllowList('internal.test'))).resolves.toBeTruthy();
    await expect(guard('http://files.corp.example/', parseAllowList('.corp.example'))).resolves.toBeTruthy();
    await expect(guard('http://internal.test/', parseAllowList('10.0.0.0/24'))).resolves.toBeTruthy();
    await expect(guard('http://127.0.0.1:9000/', parseAllowList('127.0.0.1'))).resolves.toBeTruthy();
    await expect(guard('http://[fd00::1]/', parseAllowList('fd00::/8'))).resolves.toBeTruthy();
    // Each blocked address needs cover: one allowed CIDR is not enough for the other record.
    await expect(guard('http://mixed.test/', parseAllowList('10.0.0.0/8'))).rejects.toThrow(/127\.0\.0\.1/);
    await expect(guard('http://internal.test/', parseAllowList('10.0.1.0/24'))).rejects.toThrow(/private/);
    await expect(guard('http://sub.internal.test/', parseAllowList('internal.test'))).rejects.toThrow(/could not resolve/);
  });
});

describe('fetchInput', () => {
  let server: http.Server;
  let port = 0;
  let hits: string[] = [];
  const big = Buffer.alloc(4096, 7);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url!);
      const u = new URL(req.url!, 'http://x');
      const p = u.pathname;
      if (p === '/images/cat%20photo.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      }
      if (p === '/download') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': `attachment; filename="../../etc/report.txt"` });
        return res.end('hello');
      }
      if (p === '/utf8-name') {
        res.writeHead(200, { 'content-disposition': `attachment; filename*=UTF-8''na%C3%AFve.csv` });
        return res.end('a,b');
      }
      if (p === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) });
        return res.end(big);
      }
      if (p === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(big.subarray(0, 2048));
        setTimeout(() => res.end(big.subarray(2048)), 10);
        return;
      }
      if (p === '/hop') {
        const n = Number(u.searchParams.get('n'));
        res.writeHead(302, { location: n > 0 ? `/hop?n=${n - 1}` : '/images/cat%20photo.png' });
        return res.end();
      }
      if (p === '/to') {
        res.writeHead(307, { location: u.searchParams.get('url')! });
        return res.end();
      }
      if (p === '/missing') {
        res.writeHead(404);
        return res.end('nope');
      }
      res.writeHead(500);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    hits = [];
  });

  const local = (path: string) => `http://127.0.0.1:${port}${path}`;
  const allowLocal = { allow: '127.0.0.1' };
  const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as InputFetchError);

  test('loopback is refused by default, and nothing is requested', async () => {
    const err = await fail(fetchInput(local('/images/cat%20photo.png'), { allow: [] }));
    expect(err).toBeInstanceOf(InputFetchError);
    expect(err.code).toBe('blocked');
    expect(err.message).toContain(`http://127.0.0.1:${port}/images/cat%20photo.png`);
    expect(err.message).toMatch(/loopback/);
    expect(hits).toEqual([]);
  });

  test('an allowed host downloads, with content type and file name', async () => {
    const got = await fetchInput(local('/images/cat%20photo.png'), allowLocal);
    expect([...got.buffer]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(got.contentType).toBe('image/png');
    expect(got.fileName).toBe('cat photo.png');
    const dl = await fetchInput(local('/download'), allowLocal);
    expect(dl.fileName).toBe('report.txt');
    expect(dl.buffer.toString()).toBe('hello');
    expect((await fetchInput(local('/utf8-name'), allowLocal)).fileName).toBe('naïve.csv');
  });

  test('the connection goes to the checked address (pinned; no second resolution)', async () => {
    let calls = 0;
    const lookup: Lookup = async (h) => {
      calls++;
      expect(h).toBe('files.test');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    // "files.test" exists in no real DNS: success proves the socket used the checked address.
    const got = await fetchInput(`http://files.test:${port}/images/cat%20photo.png`, { allow: '127.0.0.0/8', lookup });
    expect(got.buffer).toHaveLength(4);
    expect(calls).toBe(1);
    // The same name answering with a private address and no allow list is refused.
    await expect(fetchInput(`http://files.test:${port}/x`, { allow: [], lookup })).rejects.toMatchObject({ code: 'blocked' });
  });

  test('redirects are followed by hand (relative too), up to 5', async () => {
    const got = await fetchInput(local('/hop?n=4'), allowLocal);
    expect(got.fileName).toBe('cat photo.png');
    expect(got.url).toBe(local('/images/cat%20photo.png'));
    expect(hits).toHaveLength(6);
    const err = await fail(fetchInput(local('/hop?n=5'), allowLocal));
    expect(err.code).toBe('too_many_redirects');
    expect(err.message).toMatch(/more than 5 redirects/);
  });

  test('every redirect hop is checked again', async () => {
    const lookup: Lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    // Allowed by name, then redirected to a loopback IP that is not allowed.
    const err = await fail(
      fetchInput(`http://allowed.test:${port}/to?url=${encodeURIComponent(local('/images/cat%20photo.png'))}`, { allow: 'allowed.test', lookup }),
    );
    expect(err.code).toBe('blocked');
    expect(err.message).toMatch(/redirected to http:\/\/127\.0\.0\.1:\d+\/images\/cat%20photo\.png: host 127\.0\.0\.1 is a loopback/);
    expect(hits).toEqual([`/to?url=${encodeURIComponent(local('/images/cat%20photo.png'))}`]);
    const toFile = await fail(fetchInput(local('/to?url=file:///etc/passwd'), allowLocal));
    expect(toFile.code).toBe('scheme');
  });

  test('size limit: declared length and streamed bytes', async () => {
    const declared = await fail(fetchInput(local('/big'), { ...allowLocal, maxBytes: 1024 }));
    expect(declared.code).toBe('too_large');
    expect(declared.message).toMatch(/is 4 KiB, larger than the input size limit of 1 KiB \(1024 bytes\)/);
    const streamed = await fail(fetchInput(local('/big-chunked'), { ...allowLocal, maxBytes: 3000 }));
    expect(streamed.code).toBe('too_large');
    expect(streamed.message).toMatch(/larger than the input size limit of 2\.9 KiB \(3000 bytes\)/);
    expect((await fetchInput(local('/big'), { ...allowLocal, maxBytes: 4096 })).buffer).toHaveLength(4096);
  });

  test('HTTP errors name the status', async () => {
    const err = await fail(fetchInput(local('/missing'), allowLocal));
    expect(err.code).toBe('http_status');
    expect(err.status).toBe(404);
    expect(err.message).toBe(`${local('/missing')}: the server answered HTTP 404`);
  });

  test('data: URIs are decoded, with the size limit', async () => {
    const png = await fetchInput('data:image/png;base64,iVBORw==');
    expect([...png.buffer]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.contentType).toBe('image/png');
    expect(png.fileName).toBe('file.png');
    const text = decodeDataUri('data:,hello%20w%C3%B6rld');
    expect(text.buffer.toString('utf8')).toBe('hello wörld');
    expect(text.contentType).toBe('text/plain;charset=US-ASCII');
    const tooBig = await fail(fetchInput(`data:application/octet-stream;base64,${Buffer.alloc(2000).toString('base64')}`, { maxBytes: 1000 }));
    expect(tooBig.code).toBe('too_large');
    expect(tooBig.message).toMatch(/limit of 1000 bytes/);
    expect(() => decodeDataUri('data:image/png;base64')).toThrow(/not a valid data: URI/);
  });
});
