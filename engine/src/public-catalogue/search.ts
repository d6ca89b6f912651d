/**
 * Ranking catalogue models for a query, offline. Each query word scores where it matches — the
 * whole name, a word of the name, the owner, part of the name or owner, the description — and
 * models are ordered by how many words matched, then by those scores, then by how often they
 * have been run on Replicate (the catalogue's popularity signal).
 */
import type { LiteModel } from './data';

/** What the ranker reads: catalogue entries and the engine's own models both have these. */
export interface Searchable {
  owner: string;
  name: string;
  description: string | null;
}

/** What one query word earns, by where it matches (best place only). */
const SCORE = {
  fullRef: 12, // "stability-ai/sdxl"
  name: 8, // "sdxl" for stability-ai/sdxl
  nameWord: 6, // "lightning" for bytedance/sdxl-lightning-4step
  owner: 5, // "meta" for meta/meta-llama-3-8b-instruct
  inRef: 3, // "llama" inside meta-llama-3-8b-instruct
  description: 1,
} as const;

function wordScore(model: Searchable, word: string): number {
  const owner = model.owner.toLowerCase();
  const name = model.name.toLowerCase();
  const ref = `${owner}/${name}`;
  if (word.includes('/')) return ref === word ? SCORE.fullRef : ref.includes(word) ? SCORE.inRef : 0;
  if (name === word) return SCORE.name;
  if (name.split(/[-_.]/).includes(word)) return SCORE.nameWord;
  if (owner === word) return SCORE.owner;
  if (ref.includes(word)) return SCORE.inRef;
  if (model.description?.toLowerCase().includes(word)) return SCORE.description;
  return 0;
}

export function queryWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * `models` ranked for `query`, best first, each with its score: a model must match at least one
 * word (an empty query keeps them all, unscored). Ties are broken by `popularity`, higher first.
 */
export function rankModels<T extends Searchable>(models: readonly T[], query: string, popularity: (m: T) => number = () => 0): Array<{ model: T; score: number }> {
  const words = queryWords(query);
  const ranked: Array<{ model: T; matched: number; score: number }> = [];
  for (const model of models) {
    let matched = 0;
    let score = 0;
    for (const word of words) {
      const s = wordScore(model, word);
      if (s > 0) matched++;
      score += s;
    }
    if (words.length === 0 || matched > 0) ranked.push({ model, matched, score });
  }
  ranked.sort((a, b) => b.matched - a.matched || b.score - a.score || popularity(b.model) - popularity(a.model));
  return ranked.map(({ model, score }) => ({ model, score }));
}

/**
 * The best `limit` models for `query`. An empty query lists the most-run models; otherwise a model
 * must match at least one word.
 */
export function searchModels<T extends LiteModel>(models: readonly T[], query: string, limit: number): T[] {
  return rankModels(models, query, (m) => m.run_count).slice(0, limit).map((r) => r.model);
}
