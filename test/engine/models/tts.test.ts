/**
 * gantry/tts through a real engine over HTTP: eSpeak-NG (WebAssembly) speaks text into a WAV
 * file the engine stores and serves; the billed audio seconds match the file; cost = seconds ×
 * the per-second list price; the voice list matches what eSpeak-NG can select.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../../helpers/engine';
import { VOICES } from '../../../engine/models/tts/voices';

const TTS_PRICE_PER_SECOND = 0.0001; // Gantry's default list price, engine/src/builtins.ts

let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
}, 90_000);

afterAll(async () => engine?.stop());

/** The fields of a RIFF/WAVE file that matter here, read independently of the engine's code. */
function parseWav(buf: Buffer) {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  const chunks = new Map<string, Buffer>();
  for (let at = 12; at + 8 <= buf.length; ) {
    const size = buf.readUInt32LE(at + 4);
    chunks.set(buf.toString('ascii', at, at + 4), buf.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  const fmt = chunks.get('fmt ')!;
  const data = chunks.get('data')!;
  const samples = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const rms = Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length);
  return {
    format: fmt.readUInt16LE(0),
    channels: fmt.readUInt16LE(2),
    sampleRate: fmt.readUInt32LE(4),
    byteRate: fmt.readUInt32LE(8),
    bitsPerSample: fmt.readUInt16LE(14),
    seconds: data.length / fmt.readUInt32LE(8),
    rms,
  };
}

async function speak(input: Record<string, unknown>) {
  const res = await call('POST', '/v1/models/gantry/tts/predictions', { input }, { prefer: 'wait=60' });
  expect(res.status).toBe(201);
  const p = res.json;
  expect(p.error).toBeNull();
  expect(p.status).toBe('succeeded');
  const download = await fetch(p.output as string); // a signed URL: no token needed
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('audio/wav');
  expect(download.headers.get('content-disposition') ?? '').toContain('speech.wav');
  return { p, wav: parseWav(Buffer.from(await download.arrayBuffer())) };
}

test('speaks text into a 16-bit mono WAV whose duration is the billed metric; cost = seconds × price', async () => {
  const { p, wav } = await speak({ text: 'Gantry turns text into speech.' });
  expect(wav).toEqual(expect.objectContaining({ format: 1, channels: 1, sampleRate: 22050, byteRate: 44100, bitsPerSample: 16 }));
  expect(wav.rms).toBeGreaterThan(500); // real speech, not silence
  expect(wav.seconds).toBeGreaterThan(1);
  expect(wav.seconds).toBeLessThan(4);
  expect(p.metrics.audio_output_seconds).toBeCloseTo(wav.seconds, 9);
  expect(p.cost).toEqual(
    expect.objectContaining({ rule: 'per_audio_second', unit_price_usd: TTS_PRICE_PER_SECOND, hardware: 'cpu' }),
  );
  expect(p.cost.quantity).toBeCloseTo(wav.seconds, 9);
  expect(p.cost.total_usd).toBeCloseTo(wav.seconds * TTS_PRICE_PER_SECOND, 9);
  expect(p.logs).toMatch(/spoke 30 characters \(en-us, 175 wpm, pitch 50\)/);
});

test('longer text gives longer audio; a faster speed gives shorter audio', async () => {
  const short = (await speak({ text: 'One short sentence.' })).wav.seconds;
  const long = (await speak({ text: 'One short sentence. And then a second, much longer sentence follows it, with many more words.' })).wav.seconds;
  expect(long).toBeGreaterThan(short * 2);
  const fast = (await speak({ text: 'One short sentence.', speed: 400 })).wav.seconds;
  expect(fast).toBeLessThan(short * 0.7);
});

test('other voices and pitch are accepted and produce speech', async () => {
  const de = await speak({ text: 'Guten Morgen, wie geht es dir?', voice: 'de', pitch: 80 });
  expect(de.wav.seconds).toBeGreaterThan(1);
  expect(de.wav.rms).toBeGreaterThan(500);
  expect(de.p.logs).toMatch(/\(de, 175 wpm, pitch 80\)/);
  const gb = await speak({ text: 'Tomato', voice: 'en-gb' });
  expect(gb.wav.seconds).toBeGreaterThan(0.3);
});

test('a bad voice, speed or pitch is a 422 naming the field', async () => {
  const bad = async (input: Record<string, unknown>, pointer: string) => {
    const res = await call('POST', '/v1/models/gantry/tts/predictions', { input });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  };
  await bad({ text: 'hi', voice: 'klingon' }, '/input/voice');
  await bad({ text: 'hi', speed: 1000 }, '/input/speed');
  await bad({ text: 'hi', pitch: 100 }, '/input/pitch');
  await bad({}, '/input/text');
  await bad({ text: '' }, '/input/text');
  await bad({ text: 'x'.repeat(5001) }, '/input/text');
});

test('text of only whitespace fails with a clear error and costs nothing per second', async () => {
  const res = await call('POST', '/v1/models/gantry/tts/predictions', { input: { text: '   ' } }, { prefer: 'wait=60' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toMatch(/^text: nothing to say/);
  expect(res.json.cost.total_usd).toBe(0);
});

test('the schema lists the voices, and they are exactly what eSpeak-NG can select', async () => {
  const model = (await call('GET', '/v1/models/gantry/tts')).json;
  expect(model.license_url).toMatch(/gpl-3\.0/);
  const voice = model.latest_version.openapi_schema.components.schemas.Input.properties.voice;
  expect(voice.enum).toEqual([...VOICES]);
  expect(voice.default).toBe('en-us');
  expect(model.latest_version.openapi_schema.components.schemas.Output).toEqual(expect.objectContaining({ type: 'string', format: 'uri' }));
  // eSpeak-NG is an ES module that jest's module loader cannot import: ask it in a plain node process.
  const espeak = join(__dirname, '..', '..', '..', 'engine', 'dist', 'models', 'tts', 'espeak.js');
  const script = `require(${JSON.stringify(espeak)}).selectableVoices().then((v) => console.log(JSON.stringify(v)))`;
  const selectable = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  expect(selectable).toEqual([...VOICES]);
  expect(VOICES).toEqual(expect.arrayContaining(['en', 'en-us', 'en-gb', 'de', 'fr', 'es', 'zh']));
});
