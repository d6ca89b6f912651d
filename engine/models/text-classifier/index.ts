/**
 * gantry/text-classifier — a small, real, trainable text classifier in plain TypeScript:
 * multinomial logistic regression over hashed word/bigram features (see ./model.ts).
 *
 * The base weights (weights/base.json) classify English review-style sentences as "positive"
 * or "negative"; they are produced by ./train-base.ts from data/sentiment-train.jsonl (see
 * DATA.md). Training (fine-tuning in Replicate's terms) learns a new model — any label set —
 * from a JSONL file of {"text": ..., "label": ...} lines.
 *
 * Predict input:  { text: string }
 * Predict output: { label: string, scores: { [label]: probability } }   (probabilities sum to 1)
 *   Billing metric: input_token_count = the number of words the tokenizer reads (runs of letters
 *   and digits, with apostrophe suffixes such as "n't" kept in the word; punctuation is no token).
 *   Uses ctx.weights (a weights.json file, or a directory holding one) when the version has
 *   weights, otherwise the base weights.
 *
 * Training input: { train_data: path | file:// URL | data URI of a JSONL file (the engine turns
 *                   http(s) URLs into local paths first), epochs = 30, learning_rate = 0.5,
 *                   holdout_fraction = 0.2, seed = 42 }
 * Training output: { weights: "<outputDir>/weights.json",
 *                    metrics: { train_accuracy, holdout_accuracy, labels, examples,
 *                               train_examples, holdout_examples, loss, epochs } }
 *   holdout_accuracy is null when nothing is held out (holdout_fraction 0 or too little data).
 */
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { definePredictor } from '../../src/runners/predictor';
import { modelAsset } from '../assets';
import { Model, parseJsonl, split, tokenize, train } from './model';

export const MODEL_DIR = 'text-classifier';
export const BASE_WEIGHTS = () => modelAsset(MODEL_DIR, 'weights', 'base.json');

const loaded = new Map<string, Promise<Model>>();

/** Resolves a weights location (file, or directory holding weights.json) to the JSON file. */
async function weightsFile(location: string): Promise<string> {
  const s = await stat(location).catch(() => {
    throw new Error(`weights not found at ${location}`);
  });
  return s.isDirectory() ? join(location, 'weights.json') : location;
}

/** Loads (once per path) the model stored at `location`; the base model when none is given. */
export function loadModel(location?: string): Promise<Model> {
  const key = location ?? BASE_WEIGHTS();
  let m = loaded.get(key);
  if (!m) {
    m = (async () => {
      const file = await weightsFile(key);
      let data: unknown;
      try {
        data = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read weights ${file}: ${(e as Error).message}`);
      }
      return Model.fromJSON(data, file);
    })();
    m.catch(() => loaded.delete(key));
    loaded.set(key, m);
  }
  return m;
}

/** Reads the training data given as a local path, file:// URL, data URI or http(s) URL. */
async function readTrainData(ref: string, signal: AbortSignal): Promise<string> {
  const s = ref.trim();
  if (s.startsWith('data:')) {
    const comma = s.indexOf(',');
    if (comma < 0) throw new Error('train_data: malformed data URI');
    const meta = s.slice(5, comma);
    const body = s.slice(comma + 1);
    return meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  }
  if (/^https?:\/\//i.test(s)) {
    const res = await fetch(s, { signal });
    if (!res.ok) throw new Error(`train_data: GET ${s} answered ${res.status}`);
    return res.text();
  }
  const path = s.startsWith('file://') ? fileURLToPath(s) : s;
  if (!isAbsolute(path)) throw new Error('train_data must be an absolute path, a file:// URL, a data URI or an http(s) URL');
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`train_data: cannot read ${path}: ${(e as Error).message}`);
  }
}

const trainingInput = z.object({
  train_data: z
    .string()
    .min(1)
    .describe('JSONL file, one {"text": "...", "label": "..."} object per line')
    .meta({ format: 'uri' }), // a file input in Replicate's schema convention
  epochs: z.number().int().min(1).max(1000).default(30).describe('Passes over the training set'),
  learning_rate: z.number().gt(0).max(100).default(0.5).describe('Initial SGD step size (decays per epoch)'),
  holdout_fraction: z
    .number()
    .min(0)
    .max(0.9)
    .default(0.2)
    .describe('Fraction of each label held out to measure accuracy (deterministic, by seed)'),
  seed: z.number().int().default(42).describe('Seed for the held-out split and the shuffling'),
});

const round4 = (n: number | null) => (n === null || Number.isNaN(n) ? null : Math.round(n * 10000) / 10000);

export default definePredictor({
  input: z.object({
    text: z.string().min(1).describe('Text to classify'),
  }),
  output: z.object({
    label: z.string(),
    scores: z.record(z.string(), z.number()),
  }),
  async setup(ctx) {
    const m = await loadModel(ctx.weights);
    ctx.log(`text classifier ready: labels ${m.labels.join(', ')} (${ctx.weights ? 'version weights' : 'base weights'})`);
  },
  async predict(input, ctx) {
    const model = await loadModel(ctx.weights);
    const prediction = model.predict(input.text);
    // Billed per input token: the words the classifier's tokenizer reads (see tokenize in ./model.ts)
    ctx.metric('input_token_count', tokenize(input.text).length);
    return prediction;
  },
  training: {
    input: trainingInput,
    async train(raw, ctx) {
      const input = trainingInput.parse(raw);
      const examples = parseJsonl(await readTrainData(input.train_data, ctx.signal));
      const { train: trainSet, holdout } = split(examples, input.holdout_fraction, input.seed);
      const labels = [...new Set(examples.map((e) => e.label))];
      ctx.log(
        `training on ${trainSet.length} examples, holding out ${holdout.length}; ` +
          `${labels.length} labels: ${labels.join(', ')}`,
      );
      const every = Math.max(1, Math.ceil(input.epochs / 50));
      const result = await train(
        trainSet,
        holdout,
        { epochs: input.epochs, learningRate: input.learning_rate, seed: input.seed },
        {
          signal: ctx.signal,
          onEpoch: (r) => {
            if (r.epoch % every !== 0 && r.epoch !== r.epochs) return;
            ctx.log(
              `epoch ${r.epoch}/${r.epochs} loss=${r.loss.toFixed(4)} train_accuracy=${r.trainAccuracy.toFixed(4)}` +
                (r.holdoutAccuracy === null ? '' : ` holdout_accuracy=${r.holdoutAccuracy.toFixed(4)}`),
            );
          },
        },
      );
      const metrics = {
        train_accuracy: round4(result.trainAccuracy),
        holdout_accuracy: round4(result.holdoutAccuracy),
        labels: result.model.labels,
        examples: examples.length,
        train_examples: trainSet.length,
        holdout_examples: holdout.length,
        loss: round4(result.loss),
        epochs: input.epochs,
      };
      result.json.training = {
        examples: examples.length,
        epochs: input.epochs,
        learning_rate: input.learning_rate,
        holdout_fraction: input.holdout_fraction,
        seed: input.seed,
        train_accuracy: metrics.train_accuracy,
        holdout_accuracy: metrics.holdout_accuracy,
      };
      const out = join(ctx.outputDir, 'weights.json');
      await writeFile(out, JSON.stringify(result.json));
      ctx.log(`wrote ${out}`);
      return { weights: out, metrics };
    },
  },
});
