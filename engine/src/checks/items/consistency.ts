/** consistency: the same input `runs` times. */
import { meanPairwiseSimilarity, mode } from '../similarity';
import { roundRatio } from '../stats';
import type { ReportItem } from '../types';
import { item, missingReason, notSucceeded, outcome, runsFor, skipped, succeeded, type ReportInput } from './common';

function outputKind(texts: number, files: number, total: number): 'text' | 'files' | 'structured' | 'none' {
  if (total === 0) return 'none';
  if (files > 0) return 'files';
  return texts === total ? 'text' : 'structured';
}

export function consistencyItem(input: ReportInput): ReportItem {
  const runs = runsFor(input, 'consistency');
  if (runs.length === 0) return skipped('consistency', missingReason(input, 'no runs were made'));
  const ok = succeeded(runs);
  const failed = notSucceeded(runs);
  const digests = mode(ok.map((r) => r.output_digest ?? ''));
  const texts = ok.map((r) => r.output_text).filter((t): t is string => t !== null);
  const withFiles = ok.filter((r) => r.file_hashes.length > 0);
  const kind = outputKind(texts.length, withFiles.length, ok.length);
  const similarity = kind === 'text' || (texts.length === ok.length && ok.length > 0) ? meanPairwiseSimilarity(texts) : null;
  const schemaProps = (input.model.checked_schema.properties ?? {}) as Record<string, unknown>;
  const seed = { in_schema: 'seed' in schemaProps, used: input.request.input.seed !== undefined && input.request.input.seed !== null };
  const rate = ok.length ? roundRatio(digests.count / ok.length) : 0;
  const figures = {
    runs: runs.length,
    succeeded: ok.length,
    failed: failed.length,
    identical_output_rate: rate,
    distinct_outputs: digests.distinct,
    output_kind: kind,
    text_similarity: similarity === null ? null : roundRatio(similarity),
    file_hashes: withFiles.length ? [...new Set(withFiles.flatMap((r) => r.file_hashes))] : [],
    seed,
  };
  if (failed.length) {
    return item('consistency', 'fail', `${failed.length} of ${runs.length} runs of the same input did not succeed (${outcome(failed[0])}).`, figures, runs);
  }
  if (digests.count === ok.length) {
    return item('consistency', 'pass', `All ${ok.length} runs gave the identical output.`, figures, runs);
  }
  const advice = seed.in_schema && !seed.used ? ' The model takes a seed: set one for repeatable output.' : seed.in_schema ? '' : ' The model takes no seed.';
  const similar = similarity === null ? '' : `, mean text similarity ${(similarity * 100).toFixed(1)} %`;
  return item('consistency', 'warn', `${digests.count} of ${ok.length} runs gave the most common output (${digests.distinct} distinct${similar}).${advice}`, figures, runs);
}
