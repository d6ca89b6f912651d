/**
 * The console's pure view logic: output previews, same-origin URLs, amounts and durations,
 * version changes, deployment cost warnings, pricing words, licences, stacked series, routes.
 */
import { mediaOfUrl, previewItems } from '../../engine/console/src/lib/output';
import { engineFileId, localPath } from '../../engine/console/src/lib/local-url';
import { ago, seconds, usd } from '../../engine/console/src/lib/format';
import { inputChanges } from '../../engine/console/src/lib/schema-diff';
import { idleCostWarnings } from '../../engine/console/src/lib/deployment-cost';
import { describeRule, effectiveRules } from '../../engine/console/src/lib/pricing';
import { isCopyleft, licenceName } from '../../engine/console/src/lib/licences';
import { cumulative, topSeries } from '../../engine/console/src/lib/stack';
import { matchRoute } from '../../engine/console/src/lib/route-match';
import type { FieldSpec } from '../../engine/console/src/lib/schema';
import type { Deployment } from '../../engine/console/src/api/types';

test('output previews: text, a streamed list as one text, files by type, JSON otherwise', () => {
  expect(previewItems(null)).toEqual([]);
  expect(previewItems('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
  expect(previewItems(['he', 'llo'])).toEqual([{ kind: 'text', text: 'hello' }]);
  expect(previewItems(42)).toEqual([{ kind: 'text', text: '42' }]);
  expect(previewItems('http://e/v1/files/abc/download?sig=1')).toEqual([{ kind: 'file', url: 'http://e/v1/files/abc/download?sig=1', media: undefined }]);
  expect(previewItems(['https://x/a.png', 'https://x/b.wav'])).toEqual([
    { kind: 'file', url: 'https://x/a.png', media: 'image' },
    { kind: 'file', url: 'https://x/b.wav', media: 'audio' },
  ]);
  expect(previewItems({ label: 'positive' })).toEqual([{ kind: 'json', value: { label: 'positive' } }]);
  expect(mediaOfUrl('data:image/png;base64,AAA')).toBe('image');
  expect(mediaOfUrl('https://x/clip.mp4?x=1')).toBe('video');
});

test('engine URLs are read through this origin; other URLs are never fetched', () => {
  const origin = 'http://localhost:8787';
  // Written with GANTRY_PUBLIC_URL's host, served by the same engine.
  expect(localPath('http://127.0.0.1:8787/v1/files/f1/download?expires=1&sig=s', origin)).toBe('/v1/files/f1/download?expires=1&sig=s');
  expect(localPath('http://127.0.0.1:8787/v1/streams/p1/key', origin)).toBe('/v1/streams/p1/key');
  expect(localPath('http://localhost:8787/console/x', origin)).toBe('/console/x');
  expect(localPath('data:image/png;base64,AAA', origin)).toBe('data:image/png;base64,AAA');
  expect(localPath('https://replicate.delivery/out.png', origin)).toBeUndefined();
  expect(engineFileId('http://h/v1/files/abc_1/download?x')).toBe('abc_1');
  expect(engineFileId('http://h/v1/files/abc')).toBe('abc');
  expect(engineFileId('http://h/v1/other/abc')).toBeUndefined();
});

test('amounts keep their significant digits; durations and ages read naturally', () => {
  expect(usd(0)).toBe('$0');
  expect(usd(0.0002)).toBe('$0.0002');
  expect(usd(0.000000300)).toBe('$0.0000003');
  expect(usd(0.0001234567)).toBe('$0.000123');
  expect(usd(0.0456)).toBe('$0.0456');
  expect(usd(12.345)).toBe('$12.35');
  expect(usd(undefined)).toBe('—');
  expect(seconds(0.1234)).toBe('0.123 s');
  expect(seconds(12.34)).toBe('12.3 s');
  expect(seconds(125)).toBe('2 min 05 s');
  expect(seconds(7380)).toBe('2 h 03 min');
  const now = Date.parse('2025-01-01T12:00:00Z');
  expect(ago('2025-01-01T11:59:59.5Z', now)).toBe('just now');
  expect(ago('2025-01-01T11:57:00Z', now)).toBe('3 min ago');
  expect(ago('2024-12-30T12:00:00Z', now)).toBe('2 d ago');
});

const f = (over: Partial<FieldSpec> & { name: string }): FieldSpec => ({ title: over.name, kind: 'string', required: false, ...over });

test('version changes: added, removed, and changed type, default, range or requiredness', () => {
  const before = [f({ name: 'text', default: 'hi' }), f({ name: 'steps', kind: 'integer', minimum: 1, maximum: 50 }), f({ name: 'old' })];
  const after = [f({ name: 'text', default: 'hello', required: true }), f({ name: 'steps', kind: 'integer', minimum: 1, maximum: 100 }), f({ name: 'seed', kind: 'integer' })];
  expect(inputChanges(before, after)).toEqual([
    { name: 'text', change: 'changed', detail: 'default "hi" → "hello"; now required' },
    { name: 'steps', change: 'changed', detail: 'range 1 – 50 → 1 – 100' },
    { name: 'seed', change: 'added', detail: 'integer' },
    { name: 'old', change: 'removed', detail: 'string' },
  ]);
  expect(inputChanges(after, after)).toEqual([]);
});

function deployment(min: number, idle: number, total: number): Deployment {
  return {
    owner: 'gantry',
    name: 'd',
    created_at: '',
    instances: [],
    current_release: { number: 1, model: 'm/x', version: 'v', created_at: '', configuration: { hardware: 'gpu-t4', min_instances: min, max_instances: 2 } },
    cost_so_far_usd: total,
    cost_breakdown: { prediction: { count: 1, quantity: 1, total_usd: total - idle }, setup: { count: 0, quantity: 0, total_usd: 0 }, idle: { count: 1, quantity: 1, total_usd: idle } },
  };
}

test('idle-cost warnings: an always-on instance priced per hour and month, and a cost mostly idle', () => {
  const warm = idleCostWarnings(deployment(2, 0, 0), 0.000225);
  expect(warm).toHaveLength(1);
  expect(warm[0].message).toMatch(/min_instances 2 keeps 2 instances of gpu-t4 running all the time: about \$1\.62 an hour \(\$1182\.60 a month\)/);
  expect(idleCostWarnings(deployment(0, 0.8, 1), 0.000225).map((w) => [w.kind, w.message])).toEqual([
    ['idle-share', "80 % of this deployment's cost so far is idle time ($0.8 of $1.00): instances waited for work."],
  ]);
  expect(idleCostWarnings(deployment(0, 0.1, 1), 0.000225)).toEqual([]);
});

test('pricing in words, with an example run', () => {
  expect(effectiveRules([])).toEqual([{ rule: 'hardware_time' }]);
  expect(describeRule({ rule: 'hardware_time' }, 'cpu', 0.0001)).toEqual({
    rule: 'Hardware time',
    price: '$0.0001 per second of cpu ($0.36 an hour)',
    example: 'a 2-second prediction costs $0.0002; 1,000 of them $0.2',
  });
  expect(describeRule({ rule: 'per_input_token', unit_price_usd: 0.0000001 }, 'cpu', 0.0001)).toEqual({
    rule: 'Per input token',
    price: '$0.0000001 per input token ($0.1 per million)',
    example: '1,000 input tokens cost $0.0001',
  });
  expect(describeRule({ rule: 'per_image', unit_price_usd: 0.0002 }, 'cpu', undefined).example).toBe('1 output image cost $0.0002');
});

test('licences by their URLs', () => {
  expect(licenceName('https://opensource.org/licenses/MIT')).toBe('MIT License');
  expect(licenceName('https://www.apache.org/licenses/LICENSE-2.0')).toBe('Apache License 2.0');
  expect(licenceName('https://www.gnu.org/licenses/gpl-3.0.html')).toBe('GNU General Public License v3.0');
  expect(isCopyleft('https://www.gnu.org/licenses/gpl-3.0.html')).toBe(true);
  expect(isCopyleft('https://opensource.org/licenses/MIT')).toBe(false);
  expect(licenceName('https://example.com/terms')).toBeUndefined();
});

test('stacked series: the costliest kept, the rest summed as other; running totals bottom-up', () => {
  const s = (key: string, daily: number[]) => ({ key, count: daily.length, total_usd: daily.reduce((a, b) => a + b, 0), daily_usd: daily, daily_count: daily.map(() => 1) });
  const all = [s('a', [3, 3]), s('b', [2, 2]), s('c', [1, 0]), s('d', [0, 1])];
  const top = topSeries(all, 3);
  expect(top.map((x) => x.key)).toEqual(['a', 'b', 'other (2)']);
  expect(top[2].daily_usd).toEqual([1, 1]);
  expect(topSeries(all, 4)).toBe(all);
  expect(cumulative(top)).toEqual([
    [3, 3],
    [5, 5],
    [6, 6],
  ]);
});

test('routes', () => {
  expect(matchRoute('/models/:owner/:name/:tab?', '/models/gantry/echo')).toEqual({ owner: 'gantry', name: 'echo' });
  expect(matchRoute('/models/:owner/:name/:tab?', '/models/gantry/echo/api')).toEqual({ owner: 'gantry', name: 'echo', tab: 'api' });
  expect(matchRoute('/models/:owner/:name/:tab?', '/models/gantry')).toBeUndefined();
  expect(matchRoute('/predictions/:id', '/predictions/a%20b')).toEqual({ id: 'a b' });
  expect(matchRoute('/deployments/new', '/deployments/new/x')).toBeUndefined();
  expect(matchRoute('/models', '/models/')).toEqual({});
});
