import echo, { splitChunks } from '../../../engine/models/echo/index';
import { makeCtx } from './ctx';

const parse = (raw: Record<string, unknown>) => echo.input.parse(raw);

describe('gantry/echo', () => {
  test('returns its text; defaults to "hello"', async () => {
    expect(await echo.predict(parse({ text: 'bonjour' }), makeCtx())).toBe('bonjour');
    expect(await echo.predict(parse({}), makeCtx())).toBe('hello');
    expect(echo.streams).toBe(true);
  });

  test('input validation: sleep bounds, integer chunks', () => {
    expect(echo.input.safeParse({ sleep: -1 }).success).toBe(false);
    expect(echo.input.safeParse({ sleep: 601 }).success).toBe(false);
    expect(echo.input.safeParse({ sleep: 0.25 }).success).toBe(true);
    expect(echo.input.safeParse({ stream_chunks: 1.5 }).success).toBe(false);
    expect(echo.input.safeParse({ stream_chunks: -1 }).success).toBe(false);
    expect(echo.input.safeParse({ text: 3 }).success).toBe(false);
  });

  test('fail throws a clear error', async () => {
    await expect(Promise.resolve().then(() => echo.predict(parse({ fail: true }), makeCtx()))).rejects.toThrow(
      'echo asked to fail',
    );
  });

  test('sleep waits about the requested time', async () => {
    const t0 = Date.now();
    expect(await echo.predict(parse({ text: 'z', sleep: 0.2 }), makeCtx())).toBe('z');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  test('cancel interrupts a long sleep quickly', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = Promise.resolve().then(() => echo.predict(parse({ sleep: 600 }), makeCtx({ signal: ac.signal })));
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow(/abort|cancel/i);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('an already-aborted signal fails at once', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      Promise.resolve().then(() => echo.predict(parse({ sleep: 5 }), makeCtx({ signal: ac.signal }))),
    ).rejects.toThrow(/abort|cancel/i);
  });

  test('stream_chunks emits the text in that many chunks and returns them', async () => {
    const ctx = makeCtx();
    const out = await echo.predict(parse({ text: 'hello streaming world', stream_chunks: 4 }), ctx);
    expect(ctx.emitted).toHaveLength(4);
    expect(out).toEqual(ctx.emitted);
    expect((ctx.emitted as string[]).join('')).toBe('hello streaming world');
    expect((ctx.emitted as string[]).every((c) => c.length > 0)).toBe(true);
  });

  test('streaming stops on cancel', async () => {
    const ac = new AbortController();
    const ctx = makeCtx({ signal: ac.signal });
    const p = Promise.resolve().then(() => echo.predict(parse({ text: 'x'.repeat(1000), stream_chunks: 1000 }), ctx));
    setTimeout(() => ac.abort(), 40);
    await expect(p).rejects.toThrow(/abort|cancel/i);
    expect(ctx.emitted.length).toBeGreaterThan(0);
    expect(ctx.emitted.length).toBeLessThan(1000);
  });

  test('splitChunks keeps every code point, in order', () => {
    expect(splitChunks('abcdefg', 3).join('')).toBe('abcdefg');
    expect(splitChunks('ab', 4)).toHaveLength(4);
    expect(splitChunks('😀😀', 2)).toEqual(['😀', '😀']);
  });

  test('is cheap: 2000 plain predictions well under a second', async () => {
    const ctx = makeCtx();
    const input = parse({ text: 'bench' });
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await echo.predict(input, ctx);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
