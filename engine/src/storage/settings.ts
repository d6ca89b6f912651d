/**
 * GANTRY_STORAGE_URL, parsed and checked (pure: no I/O; the store itself is checked at start).
 *
 * - unset: the data dir (`<data dir>/files`, `<data dir>/weights`), as before;
 * - `file:///abs/dir`: another local directory (e.g. a shared mount);
 * - `s3://[KEY:SECRET@]bucket[/prefix]?endpoint=&public_endpoint=&region=&force_path_style=&downloads=`:
 *   an S3-compatible bucket. Credentials in the URL win; otherwise the AWS SDK's default chain
 *   (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and shared
 *   config files, web identity tokens, container and instance metadata) provides them.
 */

export type DownloadMode = 'redirect' | 'proxy';

export type StorageSettings =
  | { kind: 'local'; /** undefined: the data dir */ root?: string }
  | {
      kind: 's3';
      bucket: string;
      /** '' or ending with '/'. */
      prefix: string;
      /** The endpoint the engine talks to; undefined: AWS (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
      endpoint?: string;
      /** The endpoint presigned download URLs name, when clients reach the store elsewhere. */
      publicEndpoint?: string;
      region: string;
      forcePathStyle: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string };
      /** `redirect` (default): downloads answer 302 to a presigned URL; `proxy`: the engine streams the bytes. */
      downloads: DownloadMode;
    };

const S3_PARAMS = ['endpoint', 'public_endpoint', 'region', 'force_path_style', 'downloads'];
/** Bucket naming rules shared by S3, MinIO and R2: 3–63 of a-z 0-9 . -, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function fail(detail: string): never {
  throw new Error(`GANTRY_STORAGE_URL: ${detail}`);
}

function httpUrl(name: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    fail(`${name} must be an http(s) URL, not ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(`${name} must be an http(s) URL, not ${JSON.stringify(value)}`);
  return value.replace(/\/$/, '');
}

function bool(name: string, value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  fail(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

/**
 * Settings from the variable's value. Throws an Error whose message starts with
 * `GANTRY_STORAGE_URL:` and says what is wrong.
 */
export function parseStorageUrl(value: string | undefined, env: NodeJS.ProcessEnv = process.env): StorageSettings {
  if (value === undefined || value.trim() === '') return { kind: 'local' };
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    fail(`must be a URL (file:///dir or s3://bucket/prefix?endpoint=...), not ${JSON.stringify(value)}`);
  }
  if (u.protocol === 'file:') {
    if (u.host !== '' || u.search !== '') fail('a file: URL names a local directory only: file:///absolute/dir');
    const root = decodeURIComponent(u.pathname).replace(/\/+$/, '');
    if (root === '') fail('file:/// names no directory');
    return { kind: 'local', root };
  }
  if (u.protocol !== 's3:') fail(`unknown scheme "${u.protocol.slice(0, -1)}": use file:///dir or s3://bucket/prefix`);

  const bucket = u.hostname;
  if (!bucket) fail('s3:// URLs name the bucket first: s3://bucket/prefix');
  if (!BUCKET.test(bucket)) fail(`"${bucket}" is not a valid bucket name (3-63 characters of a-z, 0-9, '.' and '-')`);
  if (u.port) fail('the bucket takes no port; give the server as ?endpoint=http://host:port');
  const path = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  if (path.split('/').some((s) => s === '.' || s === '..') || path.includes('//')) fail(`the prefix "${path}" has an empty, "." or ".." segment`);
  const prefix = path === '' ? '' : `${path}/`;

  for (const key of u.searchParams.keys()) {
    if (!S3_PARAMS.includes(key)) fail(`unknown parameter "${key}" (known: ${S3_PARAMS.join(', ')})`);
  }
  const p = (k: string) => u.searchParams.get(k) ?? undefined;
  const endpoint = p('endpoint') !== undefined ? httpUrl('endpoint', p('endpoint')!) : undefined;
  const publicEndpoint = p('public_endpoint') !== undefined ? httpUrl('public_endpoint', p('public_endpoint')!) : undefined;
  const downloads = p('downloads') ?? 'redirect';
  if (downloads !== 'redirect' && downloads !== 'proxy') fail(`downloads must be redirect or proxy, not ${JSON.stringify(downloads)}`);
  const region = p('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) fail(`region must look like us-east-1 (or auto), not ${JSON.stringify(region)}`);

  let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  if (u.username || u.password) {
    if (!u.username || !u.password) fail('credentials in the URL need both parts: s3://ACCESS_KEY_ID:SECRET_ACCESS_KEY@bucket/prefix');
    credentials = { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) };
  }
  return {
    kind: 's3',
    bucket,
    prefix,
    endpoint,
    publicEndpoint,
    region,
    // A custom endpoint (MinIO, s3rver) usually serves buckets by path, not as subdomains.
    forcePathStyle: p('force_path_style') !== undefined ? bool('force_path_style', p('force_path_style')!) : endpoint !== undefined,
    credentials,
    downloads,
  };
}
