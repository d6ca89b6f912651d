/**
 * The console's schema-form logic, run against the real schemas of the built-in models (read from
 * a running engine) and against Cog-shaped schemas: fields in order, kinds, bounds, defaults; the
 * input a form sends; where the API's field errors go.
 */
import { boundsText, inputFields } from '../../engine/console/src/lib/schema';
import { initialValues, toInput, uploadFiles, valuesFromInput, emptyItem } from '../../engine/console/src/lib/form-values';
import { fieldOfPointer, placeProblems } from '../../engine/console/src/lib/problems';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
const schemas: Record<string, any> = {};

beforeAll(async () => {
  engine = await startEngine();
  for (const name of ['echo', 'image-resize', 'tts', 'text-classifier']) {
    // gantry/tts is skipped by the engine when its optional dependency is not installed.
    schemas[name] = (await api(engine)('GET', `/v1/models/gantry/${name}`)).json?.latest_version?.openapi_schema;
  }
}, 90_000);
afterAll(async () => engine?.stop());

test("gantry/echo's schema becomes its form: order, kinds, bounds, defaults", () => {
  const fields = inputFields(schemas.echo);
  expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
    ['text', 'text', false],
    ['sleep', 'number', false],
    ['fail', 'boolean', false],
    ['stream_chunks', 'integer', false],
  ]);
  expect(fields[1]).toEqual(expect.objectContaining({ minimum: 0, maximum: 600, default: 0, description: expect.stringMatching(/Seconds/) }));
  expect(boundsText(fields[1])).toBe('0 – 600');
  expect(initialValues(fields)).toEqual({ text: 'hello', sleep: '0', fail: false, stream_chunks: '0' });
});

test("gantry/image-resize: a required file input, an enum, and optional numbers", () => {
  const fields = inputFields(schemas['image-resize']);
  const by = Object.fromEntries(fields.map((f) => [f.name, f]));
  expect(by.image).toEqual(expect.objectContaining({ kind: 'file', required: true }));
  expect(by.fit).toEqual(expect.objectContaining({ kind: 'enum', enum: ['cover', 'contain', 'fill', 'inside', 'outside'], default: 'cover' }));
  expect(by.width.kind).toBe('integer');
  expect(by.quality).toEqual(expect.objectContaining({ minimum: 1, maximum: 100 }));
  // Empty optional fields are left out (the engine applies defaults); numbers are numbers.
  const values = { ...initialValues(fields), image: { url: 'http://x/v1/files/abc' }, width: '24', format: '"webp"' };
  expect(toInput(fields, values)).toEqual({ input: { image: 'http://x/v1/files/abc', width: 24, fit: 'cover', format: 'webp' }, problems: [] });
});

test('what the form cannot read is sent as typed, so the engine names the field', async () => {
  const fields = inputFields(schemas.echo);
  const { input } = toInput(fields, { ...initialValues(fields), sleep: 'soon', stream_chunks: ' ' });
  expect(input).toEqual({ text: 'hello', sleep: 'soon', fail: false });
  const res = await api(engine)('POST', '/v1/models/gantry/echo/predictions', { input });
  expect(res.status).toBe(422);
  expect(placeProblems(res.json.errors, fields.map((f) => f.name), '/input').byField).toEqual({ sleep: 'must be number' });
});

test('a filled form round-trips through a prediction input', () => {
  const fields = inputFields(schemas.echo);
  const input = { text: 'again', sleep: 1.5, fail: true, stream_chunks: 3, unknown: 'ignored' };
  const values = valuesFromInput(fields, input);
  expect(values).toEqual({ text: 'again', sleep: '1.5', fail: true, stream_chunks: '3' });
  expect(toInput(fields, values).input).toEqual({ text: 'again', sleep: 1.5, fail: true, stream_chunks: 3 });
});

const cogSchema = {
  components: {
    schemas: {
      Input: {
        type: 'object',
        required: ['prompt'],
        properties: {
          seed: { type: 'integer', title: 'Seed', 'x-order': 3 },
          prompt: { type: 'string', title: 'Prompt', 'x-order': 0, description: 'What to draw' },
          scheduler: { allOf: [{ $ref: '#/components/schemas/scheduler' }], default: 'DDIM', 'x-order': 1 },
          guidance: { type: 'number', title: 'Guidance', exclusiveMinimum: 0, maximum: 20, default: 7.5, 'x-order': 2 },
          images: { type: 'array', items: { type: 'string', format: 'uri' }, 'x-order': 4 },
          mask: { anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }], 'x-order': 5 },
          options: { type: 'object', 'x-order': 6 },
          strengths: { type: 'array', items: { type: 'number' }, 'x-order': 7 },
        },
      },
      scheduler: { title: 'scheduler', enum: ['DDIM', 'K_EULER'], type: 'string', description: 'A scheduler.' },
    },
  },
};

test('Cog-shaped schemas: x-order, $ref enums, exclusive bounds, nullable files, arrays, JSON', () => {
  const fields = inputFields(cogSchema);
  expect(fields.map((f) => [f.name, f.kind])).toEqual([
    ['prompt', 'text'],
    ['scheduler', 'enum'],
    ['guidance', 'number'],
    ['seed', 'integer'],
    ['images', 'array'],
    ['mask', 'file'],
    ['options', 'json'],
    ['strengths', 'array'],
  ]);
  const by = Object.fromEntries(fields.map((f) => [f.name, f]));
  expect(by.prompt).toEqual(expect.objectContaining({ required: true, title: 'prompt' }));
  expect(by.scheduler).toEqual(expect.objectContaining({ enum: ['DDIM', 'K_EULER'], default: 'DDIM', description: 'A scheduler.' }));
  expect(boundsText(by.guidance)).toBe('> 0, ≤ 20');
  expect(by.images.item?.kind).toBe('file');
  const values = {
    ...initialValues(fields),
    prompt: 'a cat',
    images: [{ url: 'https://a/1.png' }, { url: '' }, { url: 'https://a/2.png' }],
    strengths: ['0.5', emptyItem(by.strengths.item!)],
    options: '{"steps": 4}',
  };
  expect(toInput(fields, values).input).toEqual({
    prompt: 'a cat',
    scheduler: 'DDIM',
    guidance: 7.5,
    images: ['https://a/1.png', 'https://a/2.png'],
    options: { steps: 4 },
    strengths: [0.5],
  });
  // JSON that does not parse cannot be sent: it is the one problem found in the browser.
  expect(toInput(fields, { ...values, options: '{steps' }).problems).toEqual([{ pointer: '/input/options', detail: expect.stringMatching(/^is not valid JSON/) }]);
});

test('picked files are uploaded and replaced by their URLs before the run', async () => {
  const fields = inputFields(cogSchema);
  const picked = new File(['x'], 'cat.png', { type: 'image/png' });
  const uploaded: string[] = [];
  const values = await uploadFiles(fields, { ...initialValues(fields), mask: { url: '', file: picked }, images: [{ url: '', file: picked }, { url: 'https://kept' }] }, async (f) => {
    uploaded.push(f.name);
    return `http://engine/v1/files/${uploaded.length}`;
  });
  expect(uploaded).toEqual(['cat.png', 'cat.png']);
  // In the form's order: images (x-order 4) before mask (5).
  expect(values.images).toEqual([{ url: 'http://engine/v1/files/1' }, { url: 'https://kept' }]);
  expect(values.mask).toEqual({ url: 'http://engine/v1/files/2' });
});

test('problems are placed at the field their pointer names; the rest stay above the form', () => {
  expect(fieldOfPointer('/input/sleep', '/input')).toBe('sleep');
  expect(fieldOfPointer('/input/images/2', '/input')).toBe('images');
  expect(fieldOfPointer('/input/a~1b', '/input')).toBe('a/b');
  expect(fieldOfPointer('/version', '/input')).toBeUndefined();
  const placed = placeProblems(
    [
      { pointer: '/input/sleep', detail: 'must be <= 600' },
      { pointer: '/input/sleep', detail: 'must be number' },
      { pointer: '/input/nope', detail: 'is not an input of this model' },
      { pointer: '/webhook', detail: 'must be a URL' },
    ],
    ['sleep', 'text'],
    '/input',
  );
  expect(placed.byField).toEqual({ sleep: 'must be <= 600; must be number' });
  expect(placed.other.map((e) => e.pointer)).toEqual(['/input/nope', '/webhook']);
});

test('every built-in schema gives a form whose defaults the engine accepts', async () => {
  for (const name of ['echo', 'tts', 'text-classifier'].filter((n) => schemas[n])) {
    const fields = inputFields(schemas[name]);
    const { input } = toInput(fields, initialValues(fields));
    if (name !== 'echo') input.text = 'a short text';
    const res = await api(engine)('POST', `/v1/models/gantry/${name}/predictions`, { input }, { prefer: 'wait' });
    expect({ name, status: res.json.status }).toEqual({ name, status: 'succeeded' });
  }
});
