/**
 * The wire side of a streamed chat completion (OpenAI's API reference, "chat completion chunk"):
 * server-sent events whose `data:` is a JSON chunk, `data: [DONE]` at the end, and, with
 * `stream_options.include_usage`, a last chunk with empty `choices` and the token `usage`.
 * vLLM, Ollama, llama.cpp's server and LocalAI all speak it. Anything else on the wire is a
 * protocol error, so a prediction fails with a clear message instead of a silent short output.
 */

export class StreamProtocolError extends Error {}

/**
 * The `data` of each server-sent event in a byte stream (WHATWG SSE parsing: lines end with
 * CRLF, LF or CR; `:` starts a comment; a blank line ends an event; several `data:` lines join
 * with LF). An event left unterminated when the stream ends is still yielded: the caller decides
 * whether the stream was complete.
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const line = (text: string): string | undefined => {
    if (text === '') {
      const event = data.length ? data.join('\n') : undefined;
      data = [];
      return event;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    return undefined;
  };
  // A CR at the very end is held back: it may be the first half of a CRLF split across reads.
  const lineEnd = /\r\n|\n|\r(?=[^\n])/;
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    for (let m = lineEnd.exec(buffer); m; m = lineEnd.exec(buffer)) {
      const event = line(buffer.slice(0, m.index));
      buffer = buffer.slice(m.index + m[0].length);
      if (event !== undefined) yield event;
    }
  }
  buffer += decoder.decode();
  if (buffer.replace(/\r$/, '') !== '') line(buffer.replace(/\r$/, ''));
  const last = line('');
  if (last !== undefined) yield last;
}

export type ChunkPart =
  | { kind: 'text'; text: string }
  | { kind: 'finish'; reason: string }
  | { kind: 'usage'; inputTokens: number; outputTokens: number }
  | { kind: 'done' };

interface ChatChunk {
  object?: unknown;
  choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }> | null;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: unknown;
}

const snippet = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** What one event's data says: text deltas, a finish reason, usage, or the end of the stream. */
export function interpretChunk(data: string): ChunkPart[] {
  if (data.trim() === '[DONE]') return [{ kind: 'done' }];
  let chunk: ChatChunk;
  try {
    chunk = JSON.parse(data) as ChatChunk;
  } catch {
    throw new StreamProtocolError(`the OpenAI-compatible server sent a malformed stream event (not JSON): ${snippet(data)}`);
  }
  if (typeof chunk !== 'object' || chunk === null) throw new StreamProtocolError(`the OpenAI-compatible server sent a malformed stream event: ${snippet(data)}`);
  // vLLM and others report a failure during generation as an error object inside the stream
  // (`{"error": {...}}`, or an error response itself: `{"object": "error", "message": ...}`).
  if (chunk.error !== undefined && chunk.error !== null) throw new StreamProtocolError(`the OpenAI-compatible server failed during generation: ${errorText(chunk.error)}`);
  if (chunk.object === 'error') throw new StreamProtocolError(`the OpenAI-compatible server failed during generation: ${errorText(chunk)}`);
  if (chunk.choices !== undefined && chunk.choices !== null && !Array.isArray(chunk.choices)) {
    throw new StreamProtocolError(`the OpenAI-compatible server sent a malformed stream event (choices is not a list): ${snippet(data)}`);
  }
  const parts: ChunkPart[] = [];
  // One prediction asks for one completion (n = 1), so only choice 0 is read.
  const choice = chunk.choices?.[0];
  const content = choice?.delta?.content;
  if (typeof content === 'string' && content !== '') parts.push({ kind: 'text', text: content });
  if (typeof choice?.finish_reason === 'string') parts.push({ kind: 'finish', reason: choice.finish_reason });
  const usage = chunk.usage;
  if (usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number') {
    parts.push({ kind: 'usage', inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
  }
  return parts;
}

/** The message in an OpenAI-style error (`{error: {message}}`, vLLM's `{message}`, or a string). */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const e = error as { message?: unknown; error?: unknown; detail?: unknown };
    if (typeof e.message === 'string') return e.message;
    if (e.error !== undefined) return errorText(e.error);
    if (typeof e.detail === 'string') return e.detail;
  }
  return snippet(JSON.stringify(error));
}

/** A one-line reason for a non-2xx answer, from its body whatever shape the server gives it. */
export function httpErrorText(status: number, body: string): string {
  let message = snippet(body.trim()) || 'no body';
  try {
    message = errorText(JSON.parse(body));
  } catch {
    // not JSON: the text itself is the best description
  }
  return `the OpenAI-compatible server answered ${status}: ${message}`;
}
