/**
 * The metrics of one streamed generation, named as Replicate's language models report them
 * (replicate/cog docs/metrics.md): `input_token_count` and `output_token_count` (the billing
 * quantities that per-token pricing rules read), `time_to_first_token` and `tokens_per_second`.
 * Token counts come from the server's usage chunk; a server that sends none gets its output
 * counted as one token per streamed chunk, which is how these servers stream (a chunk per
 * decoded token), and no input count, because guessing one would bill a made-up number.
 */
export class TokenMeter {
  private readonly startedAt: number;
  private firstTokenAt?: number;
  private lastTokenAt?: number;
  private chunks = 0;
  private usage?: { inputTokens: number; outputTokens: number };

  constructor(now = Date.now()) {
    this.startedAt = now;
  }

  /** A text chunk arrived. */
  chunk(now = Date.now()): void {
    this.chunks += 1;
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
  }

  recordUsage(inputTokens: number, outputTokens: number): void {
    this.usage = { inputTokens, outputTokens };
  }

  get hasUsage(): boolean {
    return this.usage !== undefined;
  }

  /** The metrics so far; on a canceled or failed run they describe what was generated before it stopped. */
  metrics(now = Date.now()): Record<string, number> {
    const out: Record<string, number> = {};
    const outputTokens = this.usage?.outputTokens ?? this.chunks;
    if (this.usage) out.input_token_count = this.usage.inputTokens;
    out.output_token_count = outputTokens;
    if (this.firstTokenAt !== undefined) {
      out.time_to_first_token = (this.firstTokenAt - this.startedAt) / 1000;
      // Decoding speed: the tokens after the first over the time they took (the first one's
      // wait is time_to_first_token). With a single chunk there is no such interval, so the
      // whole request time stands in for it.
      const decodeSeconds = ((this.lastTokenAt ?? now) - this.firstTokenAt) / 1000;
      const totalSeconds = (now - this.startedAt) / 1000;
      if (outputTokens > 1 && decodeSeconds > 0) out.tokens_per_second = (outputTokens - 1) / decodeSeconds;
      else if (outputTokens > 0 && totalSeconds > 0) out.tokens_per_second = outputTokens / totalSeconds;
    }
    return out;
  }
}
