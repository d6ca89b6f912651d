/**
 * Trains the base weights of gantry/text-classifier from the dataset shipped in ./data and
 * writes ./weights/base.json. Deterministic: the same data and options give the same file
 * (test/engine/models/text-classifier.test.ts checks the shipped file against a fresh run).
 *
 *   npx tsc -p engine/tsconfig.json && node engine/dist/models/text-classifier/train-base.js
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { modelAsset } from '../assets';
import { accuracy, featurize, parseJsonl, train, type TrainResult } from './model';

export const BASE_OPTIONS = { epochs: 30, learningRate: 0.5, seed: 42 } as const;
export const BASE_TRAIN_DATA = 'sentiment-train.jsonl';
export const BASE_TEST_DATA = 'sentiment-test.jsonl';

/** Trains on all of the training file; reports accuracy on the separate test file. */
export async function trainBase(): Promise<TrainResult & { testAccuracy: number }> {
  const read = (f: string) => parseJsonl(readFileSync(modelAsset('text-classifier', 'data', f), 'utf8'), f);
  const trainSet = read(BASE_TRAIN_DATA);
  const testSet = read(BASE_TEST_DATA);
  const result = await train(trainSet, [], BASE_OPTIONS);
  const m = result.model;
  const testAccuracy = accuracy(
    m,
    testSet.map((e) => ({ x: featurize(e.text, m.dims), y: m.labels.indexOf(e.label) })),
  );
  result.json.training = {
    data: `data/${BASE_TRAIN_DATA}`,
    examples: trainSet.length,
    epochs: BASE_OPTIONS.epochs,
    learning_rate: BASE_OPTIONS.learningRate,
    seed: BASE_OPTIONS.seed,
    train_accuracy: Math.round(result.trainAccuracy * 10000) / 10000,
    test_data: `data/${BASE_TEST_DATA}`,
    test_examples: testSet.length,
    test_accuracy: Math.round(testAccuracy * 10000) / 10000,
  };
  return { ...result, testAccuracy };
}

if (require.main === module) {
  trainBase().then(
    (r) => {
      const out = modelAsset('text-classifier', 'weights', 'base.json');
      writeFileSync(out, JSON.stringify(r.json));
      console.log(
        `wrote ${out}: ${Object.keys(r.json.weights).length} weight rows, labels ${r.json.labels.join('/')}, ` +
          `train accuracy ${r.trainAccuracy.toFixed(4)}, test accuracy ${r.testAccuracy.toFixed(4)}, loss ${r.loss.toFixed(4)}`,
      );
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
