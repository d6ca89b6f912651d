import { readFileSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import sharp from 'sharp';
import classifier, { BASE_WEIGHTS } from '../../../engine/models/text-classifier/index';
import { parseJsonl, split } from '../../../engine/models/text-classifier/model';
import { trainBase } from '../../../engine/models/text-classifier/train-base';
import { makeCtx, makeTrainCtx } from './ctx';
import { api, startEngine, type EngineHandle } from '../../helpers/engine';

const SUPPORT = join(__dirname, 'fixtures', 'support-tickets.jsonl');
const DATA_DIR = join(dirname(BASE_WEIGHTS()), '..', 'data');

type Out = { label: string; scores: Record<string, number> };
type TrainOut = {
  weights: string;
  metrics: {
    train_accuracy: number;
    holdout_accuracy: number | null;
    labels: string[];
    examples: number;
    train_examples: number;
    holdout_examples: number;
  };
};

const predict = async (text: string, weights?: string) =>
  (await classifier.predict(classifier.input.parse({ text }), makeCtx({ weights }))) as Out;

const PRICE_PER_INPUT_TOKEN = 0.0000001; // Gantry's default list price, engine/src/builtins.ts

function writeData(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-tc-data-'));
  const path = join(dir, 'data.jsonl');
  writeFileSync(path, lines.join('\n'));
  return path;
}

const train = (input: Record<string, unknown>, signal?: AbortSignal) => {
  const ctx = makeTrainCtx({ signal });
  return { ctx, result: Promise.resolve().then(() => classifier.training!.train(input, ctx) as Promise<TrainOut>) };
};

describe('gantry/text-classifier: base weights', () => {
  test('classifies the held-out sentiment test set (never trained on) well above chance', async () => {
    const test = parseJsonl(readFileSync(join(DATA_DIR, 'sentiment-test.jsonl'), 'utf8'));
    const train = readFileSync(join(DATA_DIR, 'sentiment-train.jsonl'), 'utf8');
    let ok = 0;
    for (const e of test) {
      expect(train).not.toContain(JSON.stringify(e.text)); // really held out
      if ((await predict(e.text)).label === e.label) ok++;
    }
    const acc = ok / test.length;
    console.log(`base model accuracy on sentiment-test.jsonl: ${ok}/${test.length} = ${acc.toFixed(4)}`);
    expect(test.length).toBe(80);
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });

  test('sensible labels and normalised scores on fresh sentences', async () => {
    const good = await predict('The staff were lovely and the room was spotless, a wonderful stay.');
    const bad = await predict('The room was filthy, the staff were rude and I want my money back.');
    expect(good.label).toBe('positive');
    expect(bad.label).toBe('negative');
    for (const o of [good, bad]) {
      expect(Object.keys(o.scores).sort()).toEqual(['negative', 'positive']);
      expect(o.scores.positive + o.scores.negative).toBeCloseTo(1, 3);
    }
    expect(good.scores.positive).toBeGreaterThan(0.7);
    expect(bad.scores.negative).toBeGreaterThan(0.7);
    expect(classifier.output!.safeParse(good).success).toBe(true);
  });

  test('setup loads the base weights when the version has none', async () => {
    const ctx = makeCtx();
    await classifier.setup!(ctx);
    expect(ctx.logs.join('\n')).toMatch(/labels positive, negative \(base weights\)/);
  });

  test('the shipped base.json is exactly what train-base.ts produces from the shipped data', async () => {
    const r = await trainBase();
    expect(JSON.stringify(r.json)).toBe(readFileSync(BASE_WEIGHTS(), 'utf8'));
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  test('input validation', () => {
    expect(classifier.input.safeParse({ text: '' }).success).toBe(false);
    expect(classifier.input.safeParse({}).success).toBe(false);
    expect(classifier.training!.input.safeParse({ train_data: '/x', holdout_fraction: 1 }).success).toBe(false);
    expect(classifier.training!.input.safeParse({ train_data: '/x', epochs: 0 }).success).toBe(false);
  });
});

describe('gantry/text-classifier: training', () => {
  let trained: TrainOut;
  let trainLogs: string[];

  beforeAll(async () => {
    const { ctx, result } = train({ train_data: SUPPORT, epochs: 30 });
    trained = await result;
    trainLogs = ctx.logs;
    expect(trained.weights).toBe(join(ctx.outputDir, 'weights.json'));
  });

  test('learns a new label set with holdout accuracy well above chance (1/3)', () => {
    const m = trained.metrics;
    console.log(`support-tickets training metrics: ${JSON.stringify(m)}`);
    expect(m.labels.sort()).toEqual(['billing', 'shipping', 'technical']);
    expect(m.examples).toBe(120);
    expect(m.holdout_examples).toBe(24); // 20% of each of the three labels
    expect(m.train_examples).toBe(96);
    expect(m.train_accuracy).toBeGreaterThanOrEqual(0.95);
    expect(m.holdout_accuracy).not.toBeNull();
    expect(m.holdout_accuracy!).toBeGreaterThanOrEqual(0.7);
  });

  test('holdout accuracy stays well above chance across seeds (different splits)', async () => {
    const accs: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      accs.push((await train({ train_data: SUPPORT, epochs: 20, seed }).result).metrics.holdout_accuracy!);
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    console.log(`support-tickets holdout accuracy by seed 1..5: ${accs.join(', ')} (mean ${mean.toFixed(3)})`);
    expect(mean).toBeGreaterThanOrEqual(0.75);
    expect(Math.min(...accs)).toBeGreaterThan(0.5);
  });

  test('logs progress per epoch', () => {
    expect(trainLogs[0]).toMatch(/training on 96 examples, holding out 24; 3 labels/);
    const epochs = trainLogs.filter((l) => /^epoch \d+\/30 loss=[\d.]+ train_accuracy=[\d.]+ holdout_accuracy=[\d.]+$/.test(l));
    expect(epochs).toHaveLength(30);
    const loss = (l: string) => Number(/loss=([\d.]+)/.exec(l)![1]);
    expect(loss(epochs[29])).toBeLessThan(loss(epochs[0]));
  });

  test('writes new weights, different from the base weights', () => {
    expect(existsSync(trained.weights)).toBe(true);
    const w = JSON.parse(readFileSync(trained.weights, 'utf8'));
    expect(w.labels.sort()).toEqual(['billing', 'shipping', 'technical']);
    expect(readFileSync(trained.weights, 'utf8')).not.toBe(readFileSync(BASE_WEIGHTS(), 'utf8'));
    expect(w.training).toMatchObject({ examples: 120, epochs: 30, seed: 42, holdout_fraction: 0.2 });
  });

  test('predictions with the new weights (file or directory) give the new labels', async () => {
    const cases: [string, string][] = [
      ['I was charged twice and need my money refunded.', 'billing'],
      ['Where is my parcel? The tracking says it is still in transit.', 'shipping'],
      ['The app shows an error and crashes when I log in.', 'technical'],
    ];
    for (const [text, label] of cases) {
      const byFile = await predict(text, trained.weights);
      const byDir = await predict(text, dirname(trained.weights));
      expect(byFile.label).toBe(label);
      expect(byDir).toEqual(byFile);
      expect(Object.keys(byFile.scores).sort()).toEqual(['billing', 'shipping', 'technical']);
    }
    // the base model is untouched
    expect(Object.keys((await predict('I was charged twice.')).scores).sort()).toEqual(['negative', 'positive']);
    const ctx = makeCtx({ weights: dirname(trained.weights) });
    await classifier.setup!(ctx);
    expect(ctx.logs.join('\n')).toMatch(/billing, shipping, technical \(version weights\)/);
  });

  test('is deterministic for a seed; another seed gives another split', async () => {
    const again = await train({ train_data: SUPPORT, epochs: 30 }).result;
    expect(readFileSync(again.weights, 'utf8')).toBe(readFileSync(trained.weights, 'utf8'));
    const examples = parseJsonl(readFileSync(SUPPORT, 'utf8'));
    const a = split(examples, 0.2, 42).holdout.map((e) => e.text);
    const b = split(examples, 0.2, 7).holdout.map((e) => e.text);
    expect(a).toEqual(split(examples, 0.2, 42).holdout.map((e) => e.text));
    expect(b).not.toEqual(a);
  });

  test('holdout_fraction 0 trains on everything and reports no holdout accuracy; data URIs are accepted', async () => {
    const body = readFileSync(SUPPORT).toString('base64');
    const r = await train({ train_data: `data:application/jsonl;base64,${body}`, holdout_fraction: 0, epochs: 5 }).result;
    expect(r.metrics.holdout_accuracy).toBeNull();
    expect(r.metrics.holdout_examples).toBe(0);
    expect(r.metrics.train_examples).toBe(120);
  });

  test('cancel stops a long training quickly', async () => {
    const big = readFileSync(SUPPORT, 'utf8').trim().split('\n');
    const path = writeData(Array.from({ length: 20 }, () => big).flat());
    const ac = new AbortController();
    const t0 = Date.now();
    const { result } = train({ train_data: path, epochs: 1000 }, ac.signal);
    setTimeout(() => ac.abort(), 100);
    await expect(result).rejects.toThrow(/abort|cancel/i);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('gantry/text-classifier: bad training data', () => {
  const ok = (text: string, label: string) => JSON.stringify({ text, label });
  const cases: [string, string[], RegExp][] = [
    ['malformed JSON', [ok('a', 'x'), ok('b', 'y'), '{"text": "c", "label": ', ok('d', 'x')], /line 3: malformed JSON/],
    ['missing text', [ok('a', 'x'), JSON.stringify({ label: 'y' }), ok('c', 'x')], /line 2: missing "text"/],
    ['empty text', [ok('a', 'x'), ok('b', 'y'), ok('c', 'x'), JSON.stringify({ text: '  ', label: 'y' })], /line 4: missing "text"/],
    ['missing label', [ok('a', 'x'), ok('b', 'y'), '', JSON.stringify({ text: 'c' })], /line 4: missing "label"/],
    ['not an object', [ok('a', 'x'), '["a", "x"]'], /line 2: expected a JSON object/],
    ['empty dataset', [], /is empty/],
    ['only blank lines', ['', '   ', ''], /is empty/],
    ['one label', [ok('a', 'spam'), ok('b', 'spam'), ok('c', 'spam')], /only one distinct label \("spam"\)/],
  ];
  test.each(cases)('%s', async (_name, lines, error) => {
    await expect(train({ train_data: writeData(lines) }).result).rejects.toThrow(error);
  });

  test('a missing file and a relative path are named', async () => {
    await expect(train({ train_data: '/nonexistent/train.jsonl' }).result).rejects.toThrow(/cannot read \/nonexistent\/train.jsonl/);
    await expect(train({ train_data: 'train.jsonl' }).result).rejects.toThrow(/absolute path/);
  });

  test('bad weights give a clear error', async () => {
    const path = writeData(['{"format": "something-else"}']);
    await expect(predict('hello', path)).rejects.toThrow(/not a gantry-text-classifier weights file/);
    await expect(predict('hello', '/nonexistent/weights.json')).rejects.toThrow(/weights not found/);
  });
});

describe('gantry/text-classifier: billing', () => {
  test('reports input_token_count = the words its tokenizer reads', async () => {
    const ctx = makeCtx();
    await classifier.predict(classifier.input.parse({ text: "The staff were lovely, and the room wasn't clean!" }), ctx);
    expect(ctx.metrics).toEqual({ input_token_count: 9 });
    const none = makeCtx();
    await classifier.predict(classifier.input.parse({ text: '?!' }), none);
    expect(none.metrics).toEqual({ input_token_count: 0 }); // punctuation is no token
  });
});

describe('gantry/text-classifier over HTTP: cost', () => {
  let engine: EngineHandle;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    engine = await startEngine();
    call = api(engine);
  }, 90_000);

  afterAll(async () => engine?.stop());

  const run = async (model: string, input: Record<string, unknown>) => {
    const res = await call('POST', `/v1/models/${model}/predictions`, { input }, { prefer: 'wait=60' });
    expect(res.json.status).toBe('succeeded');
    return res.json;
  };

  test('a prediction costs its input tokens at the per-token list price', async () => {
    const p = await run('gantry/text-classifier', { text: "The staff were lovely, and the room wasn't clean!" });
    expect(p.metrics.input_token_count).toBe(9);
    expect(p.cost).toEqual(
      expect.objectContaining({ rule: 'per_input_token', quantity: 9, unit_price_usd: PRICE_PER_INPUT_TOKEN, hardware: 'cpu' }),
    );
    expect(p.cost.total_usd).toBeCloseTo(9 * PRICE_PER_INPUT_TOKEN, 12);
    const longer = await run('gantry/text-classifier', { text: 'one two three four five six seven eight nine ten eleven twelve' });
    expect(longer.cost.quantity).toBe(12);
    expect(longer.cost.total_usd).toBeCloseTo(12 * PRICE_PER_INPUT_TOKEN, 12);
  });

  test('a training is billed by hardware time; the trained version keeps the per-token price', async () => {
    expect((await call('POST', '/v1/models', { owner: 'me', name: 'priced-clf', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
    const base = (await call('GET', '/v1/models/gantry/text-classifier')).json.latest_version.id;
    const data = `data:application/jsonl;base64,${readFileSync(SUPPORT).toString('base64')}`;
    const created = await call('POST', `/v1/models/gantry/text-classifier/versions/${base}/trainings`, {
      destination: 'me/priced-clf',
      input: { train_data: data, epochs: 5 },
    });
    expect(created.status).toBe(201);
    let t = created.json;
    while (!['succeeded', 'failed', 'canceled'].includes(t.status)) {
      await new Promise((r) => setTimeout(r, 100));
      t = (await call('GET', `/v1/trainings/${t.id}`)).json;
    }
    expect(t.error).toBeNull();
    expect(t.cost).toEqual(expect.objectContaining({ rule: 'hardware_time', hardware: 'cpu' }));
    expect(t.cost.quantity).toBe(t.metrics.predict_time);
    expect(t.cost.total_usd).toBeGreaterThan(0);

    const trained = (await call('GET', `/v1/models/me/priced-clf/versions/${t.output.version.split(':')[1]}`)).json;
    expect(trained.pricing).toEqual([{ rule: 'per_input_token', unit_price_usd: PRICE_PER_INPUT_TOKEN }]);
    const p = await run('me/priced-clf', { text: 'I was charged twice for my order' });
    expect(p.cost).toEqual(expect.objectContaining({ rule: 'per_input_token', quantity: 7 }));
  });

  test('the built-ins show every pricing style, each with the right total', async () => {
    const pricing = async (name: string) => (await call('GET', `/v1/models/gantry/${name}`)).json.latest_version.pricing;
    expect(await pricing('echo')).toEqual([]); // hardware time
    expect(await pricing('ocr')).toEqual([]); // hardware time
    expect(await pricing('text-classifier')).toEqual([{ rule: 'per_input_token', unit_price_usd: PRICE_PER_INPUT_TOKEN }]);
    expect(await pricing('tts')).toEqual([{ rule: 'per_audio_second', unit_price_usd: 0.0001 }]);
    expect(await pricing('image-resize')).toEqual([{ rule: 'per_image', unit_price_usd: 0.0002 }]);

    // hardware time: predict_time x the CPU price per second
    const blank = await sharp({ create: { width: 120, height: 40, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const ocr = await run('gantry/ocr', { image: `data:image/png;base64,${blank.toString('base64')}` });
    expect(ocr.cost).toEqual(expect.objectContaining({ rule: 'hardware_time', quantity: ocr.metrics.predict_time, hardware: 'cpu' }));
    expect(ocr.cost.unit_price_usd).toBeGreaterThan(0);
    expect(ocr.cost.total_usd).toBeCloseTo(ocr.metrics.predict_time * ocr.cost.unit_price_usd, 9);
  });
});
