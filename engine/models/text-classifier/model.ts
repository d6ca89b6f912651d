/**
 * The text classifier behind gantry/text-classifier: multinomial logistic regression (softmax)
 * over hashed, L2-normalised bag-of-words features, trained with plain SGD. No dependencies.
 *
 * Features of a text: lower-cased word unigrams ("w:good"), adjacent-word bigrams
 * ("b:not good"), negation-scoped unigrams ("n:good" for words within three tokens after
 * not/no/never/...n't), and character 4- and 5-grams of each word with boundary marks
 * ("c:<cha", "c:harg"), which let small datasets generalise across word forms
 * (charge/charged/charges). Each feature is hashed with 32-bit FNV-1a into `dims` buckets;
 * the vector is L2-normalised.
 *
 * Weights file (JSON), format "gantry-text-classifier" version 1:
 *   { format, version, features: { hash, dims, ngrams, negation }, labels: string[],
 *     bias: number[labels], weights: { "<bucket>": number[labels] }, training: {...} }
 */

import { abortError } from '../abort';

export const WEIGHTS_FORMAT = 'gantry-text-classifier';
export const WEIGHTS_VERSION = 1;
export const DEFAULT_DIMS = 1 << 18;

export interface Example {
  text: string;
  label: string;
}

export interface WeightsFile {
  format: typeof WEIGHTS_FORMAT;
  version: typeof WEIGHTS_VERSION;
  features: { hash: 'fnv1a32'; dims: number; ngrams: [1, 2]; char_ngrams: [4, 5]; negation: true };
  labels: string[];
  bias: number[];
  weights: Record<string, number[]>;
  training?: Record<string, unknown>;
}

export interface Prediction {
  label: string;
  scores: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// features

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
const NEGATORS = new Set(['not', 'no', 'never', 'nothing', 'nobody', 'none', 'neither', 'nor', 'without', 'hardly']);
const NEGATION_SCOPE = 3;
const CHAR_NGRAMS = [4, 5] as const;

export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(TOKEN) ?? []).map((t) => t.replace(/’/g, "'"));
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A sparse, L2-normalised feature vector: parallel arrays of bucket indices and values. */
export interface Features {
  idx: Uint32Array;
  val: Float64Array;
}

export function featurize(text: string, dims: number): Features {
  const tokens = tokenize(text);
  const counts = new Map<number, number>();
  const add = (f: string) => {
    const i = fnv1a(f) % dims;
    counts.set(i, (counts.get(i) ?? 0) + 1);
  };
  let negLeft = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    add(`w:${t}`);
    const padded = `<${t}>`;
    for (const n of CHAR_NGRAMS) for (let s = 0; s + n <= padded.length; s++) add(`c:${padded.slice(s, s + n)}`);
    if (i > 0) add(`b:${tokens[i - 1]} ${t}`);
    if (negLeft > 0) {
      add(`n:${t}`);
      negLeft--;
    }
    if (NEGATORS.has(t) || t.endsWith("n't")) negLeft = NEGATION_SCOPE;
  }
  const idx = new Uint32Array(counts.size);
  const val = new Float64Array(counts.size);
  let norm = 0;
  let k = 0;
  for (const [i, c] of counts) {
    idx[k] = i;
    val[k] = c;
    norm += c * c;
    k++;
  }
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < val.length; j++) val[j] /= norm;
  return { idx, val };
}

// ---------------------------------------------------------------------------------------------
// model

export class Model {
  readonly labels: string[];
  readonly dims: number;
  readonly bias: Float64Array;
  readonly weights: Map<number, Float64Array>;

  constructor(labels: string[], dims: number, bias?: Float64Array, weights?: Map<number, Float64Array>) {
    this.labels = labels;
    this.dims = dims;
    this.bias = bias ?? new Float64Array(labels.length);
    this.weights = weights ?? new Map();
  }

  /** Class probabilities for a feature vector. */
  probabilities(x: Features): Float64Array {
    const k = this.labels.length;
    const z = Float64Array.from(this.bias);
    for (let j = 0; j < x.idx.length; j++) {
      const w = this.weights.get(x.idx[j]);
      if (!w) continue;
      const v = x.val[j];
      for (let c = 0; c < k; c++) z[c] += w[c] * v;
    }
    return softmaxInPlace(z);
  }

  predict(text: string): Prediction {
    const p = this.probabilities(featurize(text, this.dims));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    const scores: Record<string, number> = {};
    this.labels.forEach((l, c) => (scores[l] = Math.round(p[c] * 10000) / 10000));
    return { label: this.labels[best], scores };
  }

  toJSON(training?: Record<string, unknown>): WeightsFile {
    const weights: Record<string, number[]> = {};
    for (const i of [...this.weights.keys()].sort((a, b) => a - b)) {
      const w = this.weights.get(i)!;
      if (w.every((v) => Math.abs(v) < 1e-6)) continue;
      weights[String(i)] = Array.from(w, compact);
    }
    return {
      format: WEIGHTS_FORMAT,
      version: WEIGHTS_VERSION,
      features: { hash: 'fnv1a32', dims: this.dims, ngrams: [1, 2], char_ngrams: [...CHAR_NGRAMS], negation: true },
      labels: this.labels,
      bias: Array.from(this.bias, compact),
      weights,
      ...(training ? { training } : {}),
    };
  }

  static fromJSON(data: unknown, source = 'weights'): Model {
    const bad = (why: string) => new Error(`${source}: not a ${WEIGHTS_FORMAT} weights file (${why})`);
    if (!data || typeof data !== 'object') throw bad('not a JSON object');
    const d = data as Partial<WeightsFile>;
    if (d.format !== WEIGHTS_FORMAT) throw bad(`format is ${JSON.stringify(d.format)}`);
    if (d.version !== WEIGHTS_VERSION) throw bad(`unsupported version ${JSON.stringify(d.version)}`);
    const labels = d.labels;
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) throw bad('labels');
    const dims = d.features?.dims;
    if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1) throw bad('features.dims');
    const cg = d.features?.char_ngrams;
    if (!Array.isArray(cg) || cg.join() !== CHAR_NGRAMS.join()) throw bad('features.char_ngrams: made by another feature set');
    const k = labels.length;
    if (!Array.isArray(d.bias) || d.bias.length !== k) throw bad('bias');
    const weights = new Map<number, Float64Array>();
    for (const [key, w] of Object.entries(d.weights ?? {})) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= dims || !Array.isArray(w) || w.length !== k) throw bad(`weights[${key}]`);
      weights.set(i, Float64Array.from(w));
    }
    return new Model(labels, dims, Float64Array.from(d.bias), weights);
  }
}

/** Six significant digits: keeps weight files small; training metrics are measured after it. */
function compact(v: number): number {
  return Number(v.toPrecision(6));
}

function softmaxInPlace(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let c = 0; c < z.length; c++) {
    z[c] = Math.exp(z[c] - max);
    sum += z[c];
  }
  for (let c = 0; c < z.length; c++) z[c] /= sum;
  return z;
}

// ---------------------------------------------------------------------------------------------
// data

/** mulberry32: a small seeded PRNG, so splits and shuffles are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/**
 * Parses JSONL training data: one {"text": string, "label": string} object per line; blank lines
 * are skipped. Every problem names its 1-based line number.
 */
export function parseJsonl(content: string, source = 'train_data'): Example[] {
  const out: Example[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line) continue;
    const where = `${source} line ${n + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: malformed JSON (${(e as Error).message})`);
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${where}: expected a JSON object with "text" and "label"`);
    const { text, label } = row as { text?: unknown; label?: unknown };
    if (typeof text !== 'string' || !text.trim()) throw new Error(`${where}: missing "text" (a non-empty string)`);
    let labelStr: string;
    if (typeof label === 'string' && label.trim()) labelStr = label.trim();
    else if (typeof label === 'number' || typeof label === 'boolean') labelStr = String(label);
    else throw new Error(`${where}: missing "label" (a non-empty string)`);
    out.push({ text, label: labelStr });
  }
  if (out.length === 0) throw new Error(`${source} is empty: it has no {"text","label"} lines`);
  const labels = new Set(out.map((e) => e.label));
  if (labels.size < 2) {
    throw new Error(`${source} has only one distinct label (${JSON.stringify(out[0].label)}); a classifier needs at least two`);
  }
  return out;
}

/** Stratified, seeded split: about `fraction` of each label is held out, at least one kept for training. */
export function split(examples: Example[], fraction: number, seed: number): { train: Example[]; holdout: Example[] } {
  const byLabel = new Map<string, Example[]>();
  for (const e of examples) {
    const list = byLabel.get(e.label) ?? [];
    list.push(e);
    byLabel.set(e.label, list);
  }
  const rand = rng(seed ^ 0x5eed);
  const train: Example[] = [];
  const holdout: Example[] = [];
  for (const list of byLabel.values()) {
    const shuffled = shuffle([...list], rand);
    const n = Math.min(Math.round(shuffled.length * fraction), shuffled.length - 1);
    holdout.push(...shuffled.slice(0, n));
    train.push(...shuffled.slice(n));
  }
  return { train, holdout };
}

// ---------------------------------------------------------------------------------------------
// training

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  seed: number;
  /** L2 penalty applied to the weights an example touches. */
  l2?: number;
  dims?: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  trainAccuracy: number;
  holdoutAccuracy: number | null;
}

export interface TrainHooks {
  /** Called after every epoch. */
  onEpoch?(r: EpochReport): void;
  /** Checked between examples; training stops with this error when it returns one. */
  signal?: AbortSignal;
}

export interface TrainResult {
  model: Model;
  /** The model as written to disk (six significant digits) — metrics are measured on this. */
  json: WeightsFile;
  trainAccuracy: number;
  holdoutAccuracy: number | null;
  loss: number;
}

export function accuracy(model: Model, data: { x: Features; y: number }[]): number {
  if (data.length === 0) return NaN;
  let ok = 0;
  for (const { x, y } of data) {
    const p = model.probabilities(x);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    if (best === y) ok++;
  }
  return ok / data.length;
}


const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains a model with SGD on softmax cross-entropy. Labels are ordered by first appearance in
 * `train` then `holdout`. Yields to the event loop regularly so a cancel can arrive.
 */
export async function train(
  trainSet: Example[],
  holdoutSet: Example[],
  opts: TrainOptions,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const dims = opts.dims ?? DEFAULT_DIMS;
  const l2 = opts.l2 ?? 1e-4;
  const labels: string[] = [];
  for (const e of [...trainSet, ...holdoutSet]) if (!labels.includes(e.label)) labels.push(e.label);
  const k = labels.length;
  const encode = (es: Example[]) => es.map((e) => ({ x: featurize(e.text, dims), y: labels.indexOf(e.label) }));
  const tr = encode(trainSet);
  const ho = encode(holdoutSet);

  const model = new Model(labels, dims);
  const rand = rng(opts.seed);
  const order = tr.map((_, i) => i);
  const check = () => {
    if (hooks.signal?.aborted) throw abortError(hooks.signal, 'training');
  };
  let loss = NaN;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    check();
    const lr = opts.learningRate / (1 + 0.05 * (epoch - 1));
    shuffle(order, rand);
    let total = 0;
    for (let n = 0; n < order.length; n++) {
      if (n > 0 && n % 2000 === 0) {
        await yieldToEventLoop();
        check();
      }
      const { x, y } = tr[order[n]];
      const p = model.probabilities(x);
      total -= Math.log(Math.max(p[y], 1e-12));
      p[y] -= 1; // gradient of the loss w.r.t. the logits
      for (let c = 0; c < k; c++) model.bias[c] -= lr * p[c];
      for (let j = 0; j < x.idx.length; j++) {
        let w = model.weights.get(x.idx[j]);
        if (!w) model.weights.set(x.idx[j], (w = new Float64Array(k)));
        const v = x.val[j];
        for (let c = 0; c < k; c++) w[c] -= lr * (p[c] * v + l2 * w[c]);
      }
    }
    loss = total / Math.max(order.length, 1);
    hooks.onEpoch?.({
      epoch,
      epochs: opts.epochs,
      loss,
      trainAccuracy: accuracy(model, tr),
      holdoutAccuracy: ho.length ? accuracy(model, ho) : null,
    });
    await yieldToEventLoop();
  }
  check();
  // measure the model exactly as it will be stored
  const json = model.toJSON();
  const stored = Model.fromJSON(json);
  return {
    model: stored,
    json,
    trainAccuracy: accuracy(stored, tr),
    holdoutAccuracy: ho.length ? accuracy(stored, ho) : null,
    loss,
  };
}
