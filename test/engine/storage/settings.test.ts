/** GANTRY_STORAGE_URL parsing: what each form means, and every mistake named with the variable. */
import { parseStorageUrl } from '../../../engine/src/storage/settings';
import { loadConfig } from '../../../engine/src/config';

const noAwsEnv = {};

test.each([
  [undefined, { kind: 'local' }],
  ['', { kind: 'local' }],
  ['file:///srv/gantry/store', { kind: 'local', root: '/srv/gantry/store' }],
  ['file:///mnt/shared%20disk/', { kind: 'local', root: '/mnt/shared disk' }],
])('%p is a local directory', (value, expected) => {
  expect(parseStorageUrl(value, noAwsEnv)).toEqual(expected);
});

test('an S3 URL with every parameter', () => {
  expect(
    parseStorageUrl(
      's3://AKIA%2FX:se%2Bcret@my-bucket.v2/gantry/prod/?endpoint=http://minio.storage:9000/&public_endpoint=https://s3.example.com&region=eu-west-1&force_path_style=false&downloads=proxy',
      noAwsEnv,
    ),
  ).toEqual({
    kind: 's3',
    bucket: 'my-bucket.v2',
    prefix: 'gantry/prod/',
    endpoint: 'http://minio.storage:9000',
    publicEndpoint: 'https://s3.example.com',
    region: 'eu-west-1',
    forcePathStyle: false,
    credentials: { accessKeyId: 'AKIA/X', secretAccessKey: 'se+cret' },
    downloads: 'proxy',
  });
});

test('S3 defaults: AWS (no endpoint), virtual-hosted style, the region from AWS_REGION, credentials from the SDK chain, redirects', () => {
  expect(parseStorageUrl('s3://bucket', { AWS_REGION: 'ap-south-1' })).toEqual({
    kind: 's3', bucket: 'bucket', prefix: '', endpoint: undefined, publicEndpoint: undefined, region: 'ap-south-1', forcePathStyle: false, credentials: undefined, downloads: 'redirect',
  });
  expect(parseStorageUrl('s3://bucket/p', { AWS_DEFAULT_REGION: 'us-west-2' })).toMatchObject({ region: 'us-west-2', prefix: 'p/' });
  expect(parseStorageUrl('s3://bucket/p', noAwsEnv)).toMatchObject({ region: 'us-east-1' });
  // A custom endpoint (MinIO, R2) defaults to path-style requests.
  expect(parseStorageUrl('s3://bucket?endpoint=http://127.0.0.1:9000', noAwsEnv)).toMatchObject({ forcePathStyle: true, endpoint: 'http://127.0.0.1:9000' });
  expect(parseStorageUrl('s3://bucket?endpoint=https://acc.r2.cloudflarestorage.com&region=auto', noAwsEnv)).toMatchObject({ region: 'auto' });
});

test.each([
  ['not a url', /must be a URL/],
  ['gs://bucket/p', /unknown scheme "gs"/],
  ['file://host/dir', /file: URL names a local directory only/],
  ['file:///', /names no directory/],
  ['s3:///prefix', /name the bucket first/],
  ['s3://Bucket_Upper/p', /"Bucket_Upper" is not a valid bucket name/],
  ['s3://ab/p', /"ab" is not a valid bucket name/],
  ['s3://bucket:9000/p', /takes no port/],
  ['s3://bucket/a//b', /has an empty, "\." or "\.\." segment/],
  ['s3://bucket/p?endpoint=minio:9000', /endpoint must be an http\(s\) URL/],
  ['s3://bucket/p?endpoint=ftp://x', /endpoint must be an http\(s\) URL/],
  ['s3://bucket/p?public_endpoint=nope', /public_endpoint must be an http\(s\) URL/],
  ['s3://bucket/p?force_path_style=maybe', /force_path_style must be true or false/],
  ['s3://bucket/p?downloads=stream', /downloads must be redirect or proxy/],
  ['s3://bucket/p?region=EU%20West', /region must look like us-east-1/],
  ['s3://bucket/p?endpont=http://x', /unknown parameter "endpont"/],
  ['s3://onlykey@bucket/p', /credentials in the URL need both parts/],
])('%p is refused: %p', (value, message) => {
  expect(() => parseStorageUrl(value, noAwsEnv)).toThrow(/^GANTRY_STORAGE_URL: /);
  expect(() => parseStorageUrl(value, noAwsEnv)).toThrow(message);
});

test('loadConfig reports a bad GANTRY_STORAGE_URL as invalid configuration and carries good ones', () => {
  expect(() => loadConfig({ GANTRY_STORAGE_URL: 'gs://x/y' })).toThrow(/^invalid configuration:\n {2}GANTRY_STORAGE_URL: unknown scheme/);
  expect(loadConfig({}).storage).toEqual({ kind: 'local' });
  expect(loadConfig({ GANTRY_STORAGE_URL: 's3://b-1/x?endpoint=http://h:1' }).storage).toMatchObject({ kind: 's3', bucket: 'b-1', prefix: 'x/' });
});
