/** The pure helpers of checks: statistics, similarity, worst-case inputs, the plan, the request, the Markdown page. */
import { percentile, spread, ratio } from '../../../engine/src/checks/stats';
import { meanPairwiseSimilarity, mode, outputDigest, outputText, textSimilarity, withFileHashes } from '../../../engine/src/checks/similarity';
import { markedInput, schemaLimitInput } from '../../../engine/src/checks/worst-case';
import { guardSeconds, planCheck } from '../../../engine/src/checks/plan';
import { parseCheckRequest } from '../../../engine/src/checks/request';
import { reportMarkdown } from '../../../engine/src/checks/markdown';
import { buildReport } from '../../../engine/src/checks/report';
import { ApiError } from '../../../engine/src/core/errors';
import { input, run, typical } from './fixtures';

test.each([
  [[5], 50, 5],
  [[1, 2, 3, 4], 50, 2],
  [[1, 2, 3, 4], 95, 4],
  [[3, 1, 2], 95, 3],
  [Array.from({ length: 20 }, (_, i) => i + 1), 95, 19],
])('nearest-rank percentile of %j at p%d is %d', (values, p, expected) => {
  expect(percentile(values, p)).toBe(expected);
});

test('spread and ratio', () => {
  expect(spread([0.1, 0.3, 0.2])).toEqual({ n: 3, mean: 0.2, p50: 0.2, p95: 0.3, min: 0.1, max: 0.3 });
  expect(spread([])).toBeNull();
  expect(ratio(2, 4)).toBe(0.5);
  expect(ratio(2, 0)).toBeNull();
  expect(ratio(null, 1)).toBeNull();
});

test('similarity of texts, word by word', () => {
  expect(textSimilarity('a b c d', 'a b c d')).toBe(1);
  expect(textSimilarity('a b c d', 'a b x d')).toBe(0.75);
  expect(textSimilarity('', '')).toBe(1);
  expect(textSimilarity('a', '')).toBe(0);
  expect(meanPairwiseSimilarity(['a b', 'a b', 'a c'])).toBeCloseTo((1 + 0.5 + 0.5) / 3, 10);
  expect(meanPairwiseSimilarity(['only one'])).toBeNull();
  expect(mode(['x', 'y', 'x'])).toEqual({ value: 'x', count: 2, distinct: 2 });
});

test('output text and digests: file URLs compare by their content hash', () => {
  expect(outputText('hi')).toBe('hi');
  expect(outputText(['a', 'b'])).toBe('ab');
  expect(outputText({ text: 'read', confidence: 90 })).toBe('read');
  expect(outputText({ label: 'x' })).toBeNull();
  const hashOf = (url: string) => (url.includes('/files/f1/') ? 'aaa' : undefined);
  const a = withFileHashes({ image: 'http://e/v1/files/f1/download?sig=1', n: 1 }, hashOf);
  const b = withFileHashes({ image: 'http://e/v1/files/f1/download?sig=2', n: 1 }, hashOf);
  expect(a).toEqual({ image: 'sha256:aaa', n: 1 });
  expect(outputDigest(a)).toBe(outputDigest(b));
  expect(outputDigest({ n: 1, m: 2 })).toBe(outputDigest({ m: 2, n: 1 }));
});

describe('worst-case inputs from the schema', () => {
  const schema = {
    properties: {
      prompt: { type: 'string', maxLength: 50 },
      steps: { type: 'integer', exclusiveMaximum: 51 },
      scale: { type: 'number', maximum: 2.5 },
      images: { type: 'array', maxItems: 3, items: { type: 'string' } },
      seed: { type: 'integer', maximum: 99999 },
      mode: { type: 'string', enum: ['a', 'b'] },
      file: { type: 'string', format: 'uri' },
      free: { type: 'string' },
    },
  };
  test('each limited field at its limit; the others kept, with why', () => {
    const typicalInput = { prompt: 'a cat', steps: 20, scale: 1, images: ['u1'], seed: 1, mode: 'a', file: 'data:x', free: 'f' };
    const { input: built, unlimited } = schemaLimitInput(schema, typicalInput);
    expect(built!.input).toEqual({ ...typicalInput, prompt: expect.any(String), steps: 50, scale: 2.5, images: ['u1', 'u1', 'u1'] });
    expect((built!.input.prompt as string).length).toBe(50);
    expect((built!.input.prompt as string).startsWith('a cat a cat')).toBe(true);
    expect(built!.changes.map((c) => c.field)).toEqual(['prompt', 'steps', 'scale', 'images']);
    expect(unlimited).toEqual(['seed (not a load)', 'mode (a choice, not a size)', 'file (a file: the schema declares no size limit)', 'free (no maxLength declared)']);
  });
  test('nothing limited: no input', () => {
    expect(schemaLimitInput({ properties: { free: { type: 'string' } } }, { free: 'x' }).input).toBeUndefined();
  });
  test('a marked input over the typical one', () => {
    expect(markedInput({ a: 1, b: 2 }, { b: 3 }, 0)).toEqual({ label: 'marked input 1', input: { a: 1, b: 3 }, changes: [{ field: 'b', from: '2', to: '3', why: 'marked by the request' }] });
  });
});

describe('the request', () => {
  test('defaults', () => {
    const r = parseCheckRequest({ model: 'acme/m', input: { a: 1 } });
    expect(r).toEqual(expect.objectContaining({ model: 'acme/m', pinned_version: null, runs: 5, hardware: [], timeout_s: 60, worst_case: { from_schema: true, inputs: [] }, compare_with: null }));
  });
  test('every bad field at once', () => {
    try {
      parseCheckRequest({ model: 1, runs: 0, timeout: '1s', hardware: ['x'], extra: 1 });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).errors!.map((e) => e.pointer).sort()).toEqual(['/extra', '/hardware/0', '/input', '/model', '/runs', '/timeout']);
    }
  });
  test('timeouts as durations or seconds', () => {
    expect(parseCheckRequest({ model: 'a/b', input: {}, timeout: '1m30s' }).timeout_s).toBe(90);
    expect(parseCheckRequest({ model: 'a/b', input: {}, timeout: 45 }).timeout_s).toBe(45);
  });
});

describe('the plan', () => {
  const request = { ...parseCheckRequest({ model: 'acme/m', input: { a: 1 }, runs: 2, hardware: ['cpu', 'gpu-t4', 'gpu-h100'], timeout: '10s', worst_case: { inputs: [{ a: 2 }] } }) };
  const plan = planCheck({
    request,
    checked: { model: 'acme/m', version: 'v1', hardware: 'cpu', deployment: null, inputSchema: { properties: { a: { type: 'integer', maximum: 9 } } } },
    compare: { model: 'acme/o', version: 'v9', hardware: 'gpu-t4', input: { a: 1 } },
    unservable: (sku) => (sku === 'gpu-h100' ? 'no worker in the cluster has gpu-h100' : undefined),
  });
  test('typical runs first, then the deadline run and its retry, worst cases, other hardware, the comparison', () => {
    expect(plan.runs.map((r) => r.key)).toEqual([
      'consistency.1', 'consistency.2', 'timeout_retry.first', 'timeout_retry.retry', 'worst_case.1', 'worst_case.2',
      'hardware.gpu-t4.1', 'hardware.gpu-t4.2', 'compare.1', 'compare.2',
    ]);
    expect(plan.runs.find((r) => r.key === 'timeout_retry.retry')!.only_if_failed).toBe('timeout_retry.first');
  });
  test('deadlines: the timeout for the deadline and worst-case runs, a guard for the rest', () => {
    const deadline = (key: string) => plan.runs.find((r) => r.key === key)!.cancel_after_s;
    expect(deadline('timeout_retry.first')).toBe(10);
    expect(deadline('worst_case.1')).toBe(10);
    expect(deadline('consistency.1')).toBe(guardSeconds(10));
    expect(guardSeconds(10)).toBe(600);
    expect(guardSeconds(120)).toBe(1200);
  });
  test('hardware: the model\'s own SKU and served SKUs available, others not', () => {
    expect(plan.hardware).toEqual([{ sku: 'cpu', available: true }, { sku: 'gpu-t4', available: true }, { sku: 'gpu-h100', available: false, reason: 'no worker in the cluster has gpu-h100' }]);
    expect(plan.runs.filter((r) => r.purpose === 'hardware').every((r) => r.hardware === 'gpu-t4' && r.deployment === null)).toBe(true);
  });
  test('worst cases: the schema limit and the marked input', () => {
    expect(plan.worst_case.inputs.map((w) => [w.label, w.input])).toEqual([['schema limits', { a: 9 }], ['marked input 1', { a: 2 }]]);
  });
});

test('the Markdown page: a table per item, runs listed, cells escaped', () => {
  const report = buildReport(input([...typical(2, () => ({ error: null })), run('timeout_retry.first', { status: 'failed', error: 'bad | pipe\nnewline' })]));
  const md = reportMarkdown({ id: 'c1', status: 'succeeded', created_at: '2026-12-01T00:00:00.000Z', completed_at: '2026-12-01T00:01:00.000Z' }, report);
  expect(md).toContain('# Model check c1');
  expect(md).toContain('| item | status | summary |');
  expect(md).toContain('## Consistency');
  expect(md).toContain('| figure | value |');
  expect(md).toContain('failed: bad \\| pipe newline');
  expect(md).toContain('p-consistency.1');
  expect(reportMarkdown({ id: 'c2', status: 'processing', created_at: 'now', completed_at: null }, null)).toContain('the report is written when the check ends');
});
