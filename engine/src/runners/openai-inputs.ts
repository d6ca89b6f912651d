/**
 * The inputs of a version served by an OpenAI-compatible server, in the shape of Replicate's
 * language models (prompt, system_prompt, max_tokens, temperature, top_p, stop, ...), and how
 * they become a streamed `POST /v1/chat/completions` body. The generated OpenAPI document is
 * what a version gets when it is created without its own `openapi_schema`.
 */

/** Replicate language models' defaults (meta/meta-llama-3-8b-instruct and its peers). */
const DEFAULT_MAX_TOKENS = 512;
const DEFAULT_TEMPERATURE = 0.6;
const DEFAULT_TOP_P = 0.9;

const inputProperties: Record<string, Record<string, unknown>> = {
  prompt: { type: 'string', title: 'Prompt', description: 'The user message sent to the model.' },
  system_prompt: {
    type: 'string',
    title: 'System Prompt',
    description: 'Sent as a system message before the prompt; left out when empty.',
  },
  max_tokens: {
    type: 'integer',
    title: 'Max Tokens',
    description: 'The most tokens the model may generate.',
    default: DEFAULT_MAX_TOKENS,
    minimum: 1,
  },
  max_new_tokens: {
    type: 'integer',
    title: 'Max New Tokens',
    description: 'The older Replicate name of max_tokens; when given, it is used instead of max_tokens.',
    minimum: 1,
  },
  temperature: {
    type: 'number',
    title: 'Temperature',
    description: 'Randomness of sampling: 0 is nearly deterministic, higher is more varied.',
    default: DEFAULT_TEMPERATURE,
    minimum: 0,
    maximum: 2,
  },
  top_p: {
    type: 'number',
    title: 'Top P',
    description: 'Samples from the smallest set of tokens whose probabilities add up to top_p.',
    default: DEFAULT_TOP_P,
    minimum: 0,
    maximum: 1,
  },
  stop: {
    // A string first: UIs that pick one alternative (the n8n nodes do) show a text field.
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    title: 'Stop',
    description: 'Sequences that end generation: a comma-separated string, or a list when a sequence contains a comma.',
  },
  seed: { type: 'integer', title: 'Seed', description: 'A fixed seed for reproducible sampling, where the server supports it.' },
  presence_penalty: {
    type: 'number',
    title: 'Presence Penalty',
    description: 'Penalises tokens that already appeared, encouraging new topics.',
    default: 0,
    minimum: -2,
    maximum: 2,
  },
  frequency_penalty: {
    type: 'number',
    title: 'Frequency Penalty',
    description: 'Penalises tokens by how often they already appeared, discouraging repetition.',
    default: 0,
    minimum: -2,
    maximum: 2,
  },
};

/** A Cog-shaped OpenAPI document for a streaming language model, like Replicate's LLMs publish. */
export function languageModelOpenApi(): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(inputProperties).map(([name, schema], i) => [name, { ...schema, 'x-order': i }]));
  return {
    openapi: '3.0.2',
    info: { title: 'Cog', version: '0.1.0' },
    paths: {},
    components: {
      schemas: {
        // A misspelt input name is a clear 422, not silently ignored.
        Input: { title: 'Input', type: 'object', properties, required: ['prompt'], additionalProperties: false },
        Output: {
          title: 'Output',
          type: 'array',
          items: { type: 'string' },
          'x-cog-array-type': 'iterator',
          'x-cog-array-display': 'concatenate',
        },
      },
    },
  };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `stop` as the list the API takes: a comma-separated string is split (Replicate's stop_sequences style). */
function stopSequences(stop: unknown): string[] | undefined {
  const list = typeof stop === 'string' ? stop.split(',') : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
  const cleaned = list.filter((s) => s.length > 0);
  return cleaned.length ? cleaned : undefined;
}

/**
 * The chat-completions request for one prediction. Only inputs that are present are sent, so a
 * version with its own schema (and no defaults) gets the server's defaults for the rest.
 */
export function chatCompletionRequest(model: string, input: Record<string, unknown>): Record<string, unknown> {
  const messages: Array<{ role: string; content: string }> = [];
  if (typeof input.system_prompt === 'string' && input.system_prompt !== '') messages.push({ role: 'system', content: input.system_prompt });
  messages.push({ role: 'user', content: typeof input.prompt === 'string' ? input.prompt : String(input.prompt ?? '') });
  const body: Record<string, unknown> = {
    model,
    messages,
    stream: true,
    // The last chunk then carries token usage: the billing quantities.
    stream_options: { include_usage: true },
  };
  const maxTokens = isNumber(input.max_new_tokens) ? input.max_new_tokens : input.max_tokens;
  if (isNumber(maxTokens)) body.max_tokens = maxTokens;
  for (const key of ['temperature', 'top_p', 'seed', 'presence_penalty', 'frequency_penalty'] as const) {
    if (isNumber(input[key])) body[key] = input[key];
  }
  const stop = stopSequences(input.stop);
  if (stop) body.stop = stop;
  return body;
}
