/**
 * How alike the outputs of repeated runs are: an exact digest per output (file outputs by the
 * hash of their bytes, since their URLs differ per run) and, for text, a word-level similarity.
 */
import { canonicalJson, sha256 } from '../core/ids';

/** Longest text compared word by word (edit distance is quadratic in it). */
const MAX_WORDS = 1000;

/**
 * The output with every engine file URL replaced by `sha256:<content hash>`; `fileHash` returns
 * the hash for a URL that is one of the engine's files, undefined for any other string.
 */
export function withFileHashes(output: unknown, fileHash: (url: string) => string | undefined): unknown {
  if (typeof output === 'string') {
    const hash = fileHash(output);
    return hash ? `sha256:${hash}` : output;
  }
  if (Array.isArray(output)) return output.map((o) => withFileHashes(o, fileHash));
  if (output && typeof output === 'object') {
    return Object.fromEntries(Object.entries(output as Record<string, unknown>).map(([k, v]) => [k, withFileHashes(v, fileHash)]));
  }
  return output;
}

export function outputDigest(normalised: unknown): string {
  return sha256(canonicalJson(normalised ?? null));
}

/** The output as text: a string, or a list of strings (streamed pieces) joined; null otherwise. */
export function outputText(output: unknown): string | null {
  if (typeof output === 'string') return output;
  if (Array.isArray(output) && output.length > 0 && output.every((p) => typeof p === 'string')) return output.join('');
  if (output && typeof output === 'object' && !Array.isArray(output)) {
    // Structured outputs with one text field (OCR's `text`, a chat model's `text`) compare on it.
    const text = (output as Record<string, unknown>).text;
    if (typeof text === 'string') return text;
  }
  return null;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
}

/** 1 − (word edit distance ÷ the longer length); 1 for two empty texts. */
export function textSimilarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.length === 0 && y.length === 0) return 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return 1 - prev[y.length] / Math.max(x.length, y.length);
}

/** Mean similarity over every pair of texts; null with fewer than two. */
export function meanPairwiseSimilarity(texts: string[]): number | null {
  if (texts.length < 2) return null;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      sum += textSimilarity(texts[i], texts[j]);
      pairs++;
    }
  }
  return sum / pairs;
}

/** The most common value and how often it occurs (first seen wins ties). */
export function mode<T>(values: T[]): { value: T | undefined; count: number; distinct: number } {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let count = 0;
  for (const [v, c] of counts) {
    if (c > count) {
      best = v;
      count = c;
    }
  }
  return { value: best, count, distinct: counts.size };
}
