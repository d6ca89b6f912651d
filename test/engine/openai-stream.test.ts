/**
 * The pure parts of the `openai` runner: reading server-sent events split at awkward byte
 * boundaries, interpreting chat-completion chunks, mapping inputs to the request, and the token
 * metrics. (The runner end to end is in openai-runner.test.ts.)
 */
import { chatCompletionRequest } from '../../engine/src/runners/openai-inputs';
import { httpErrorText, interpretChunk, sseData, StreamProtocolError } from '../../engine/src/runners/openai-stream';
import { TokenMeter } from '../../engine/src/runners/token-meter';

async function* pieces(parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? new TextEncoder().encode(p) : p;
}
const collect = async (parts: Array<string | Uint8Array>) => {
  const out: string[] = [];
  for await (const d of sseData(pieces(parts))) out.push(d);
  return out;
};

test('SSE: CRLF split across reads, comments, multi-line data, other fields and an unterminated last event', async () => {
  expect(await collect([': keep-alive\r', '\n', 'data: {"a":1}\r', '\n\r', '\nid: 7\nevent: x\ndata: line one\ndata:line two\n\n', 'data: [DONE]'])).toEqual([
    '{"a":1}',
    'line one\nline two',
    '[DONE]',
  ]);
});

test('SSE: a multi-byte character split between reads is decoded whole', async () => {
  const bytes = new TextEncoder().encode('data: "héllo ✓"\n\n');
  expect(await collect([bytes.slice(0, 9), bytes.slice(9, 17), bytes.slice(17)])).toEqual(['"héllo ✓"']);
});

test('chunks: text, finish reason, usage, [DONE]; errors and garbage are protocol errors', () => {
  expect(interpretChunk('{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}')).toEqual([]);
  expect(interpretChunk('{"choices":[{"index":0,"delta":{"content":" hi"},"finish_reason":null}]}')).toEqual([{ kind: 'text', text: ' hi' }]);
  expect(interpretChunk('{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}')).toEqual([{ kind: 'finish', reason: 'length' }]);
  expect(interpretChunk('{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}')).toEqual([
    { kind: 'usage', inputTokens: 9, outputTokens: 3 },
  ]);
  expect(interpretChunk('[DONE]')).toEqual([{ kind: 'done' }]);
  expect(() => interpretChunk('{"choices": [')).toThrow(StreamProtocolError);
  expect(() => interpretChunk('{"choices": {"delta": 1}}')).toThrow(/choices is not a list/);
  expect(() => interpretChunk('{"error":{"message":"boom","type":"x"}}')).toThrow('the OpenAI-compatible server failed during generation: boom');
  expect(() => interpretChunk('{"object":"error","message":"vllm says no","type":"BadRequestError","code":400}')).toThrow(
    'the OpenAI-compatible server failed during generation: vllm says no',
  );
});

test('HTTP errors: OpenAI, vLLM and plain-text bodies', () => {
  expect(httpErrorText(400, '{"error":{"message":"bad temperature","type":"invalid_request_error"}}')).toBe('the OpenAI-compatible server answered 400: bad temperature');
  expect(httpErrorText(400, '{"object":"error","message":"max_tokens too large","type":"BadRequestError","code":400}')).toBe(
    'the OpenAI-compatible server answered 400: max_tokens too large',
  );
  expect(httpErrorText(502, '<html>Bad Gateway</html>')).toBe('the OpenAI-compatible server answered 502: <html>Bad Gateway</html>');
  expect(httpErrorText(503, '')).toBe('the OpenAI-compatible server answered 503: no body');
});

test('inputs: max_new_tokens wins over max_tokens, stop strings are split, empty ones dropped, absent inputs not sent', () => {
  expect(chatCompletionRequest('m', { prompt: 'p', max_tokens: 512, max_new_tokens: 20, stop: 'a,,b', system_prompt: '' })).toEqual({
    model: 'm',
    messages: [{ role: 'user', content: 'p' }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 20,
    stop: ['a', 'b'],
  });
  expect(chatCompletionRequest('m', { prompt: 'p', stop: ['\n', ''] }).stop).toEqual(['\n']);
  expect(chatCompletionRequest('m', { prompt: 'p', stop: '' }).stop).toBeUndefined();
});

test('metrics: usage wins over chunk counts; decode speed excludes the wait for the first token', () => {
  const meter = new TokenMeter(1000);
  meter.chunk(1500);
  meter.chunk(1600);
  meter.chunk(1700);
  expect(meter.metrics(1800)).toEqual({ output_token_count: 3, time_to_first_token: 0.5, tokens_per_second: 10 });
  meter.recordUsage(12, 3);
  expect(meter.metrics(1800)).toEqual({ input_token_count: 12, output_token_count: 3, time_to_first_token: 0.5, tokens_per_second: 10 });
  const single = new TokenMeter(0);
  single.chunk(200);
  expect(single.metrics(500)).toEqual({ output_token_count: 1, time_to_first_token: 0.2, tokens_per_second: 2 });
  expect(new TokenMeter(0).metrics(100)).toEqual({ output_token_count: 0 });
});
