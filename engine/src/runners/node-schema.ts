/**
 * Reads a `node` predictor module's definition into what a version records: the OpenAPI schema
 * (Cog-shaped: components.schemas.Input/Output, plus TrainingInput for trainable models).
 */
import { z } from 'zod';
import type { Predictor } from './predictor';

function toSchema(type: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const schema = z.toJSONSchema(type, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  // Cog orders inputs with x-order; keep the definition's order so UIs can show fields in it.
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (props) Object.keys(props).forEach((key, i) => (props[key]['x-order'] = i));
  // A misspelt input name is a clear 422, not silently ignored.
  if (io === 'input' && schema.type === 'object' && schema.additionalProperties === undefined) schema.additionalProperties = false;
  return { title: io === 'input' ? 'Input' : 'Output', ...schema };
}

export interface NodeModuleInfo {
  openapi_schema: Record<string, unknown>;
  streams: boolean;
  trainable: boolean;
}

export function describeNodeModule(modulePath: string): NodeModuleInfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { default?: Predictor } & Predictor;
  const predictor = mod.default ?? mod;
  if (typeof predictor?.predict !== 'function' || !(predictor.input instanceof Object)) {
    throw new Error('the module does not export a predictor (definePredictor({ input, predict }))');
  }
  const schemas: Record<string, unknown> = { Input: toSchema(predictor.input, 'input') };
  schemas.Output = predictor.output ? toSchema(predictor.output, 'output') : { title: 'Output' };
  if (predictor.streams) {
    Object.assign(schemas.Output as object, { type: 'array', items: {}, 'x-cog-array-type': 'iterator' });
  }
  if (predictor.training) schemas.TrainingInput = toSchema(predictor.training.input, 'input');
  return {
    openapi_schema: {
      openapi: '3.0.2',
      info: { title: 'Cog', version: '0.1.0' },
      paths: {},
      components: { schemas },
    },
    streams: !!predictor.streams,
    trainable: !!predictor.training,
  };
}
