/**
 * The contract a `node` predictor module fulfils. A predictor module's default export (or
 * `module.exports`) is the value returned by `definePredictor`. The engine loads it in a child
 * process per instance: `setup()` once, then `predict()` per prediction.
 *
 * The input is a zod object; the engine turns it into the version's OpenAPI `Input` schema, so
 * the same definition validates requests at the API and documents the model.
 */
import type { z } from 'zod';

/** Billing quantities a predictor may report; each has a pricing rule of the same name. */
export type BillingMetric =
  | 'image_count'
  | 'input_token_count'
  | 'output_token_count'
  | 'audio_output_seconds'
  | 'video_output_seconds';

export interface SetupContext {
  /** Where this version's weights live (a file or directory), when the version has weights. */
  weights?: string;
  /** Devices given to this instance, e.g. "0,1"; empty for CPU. Mirrors CUDA_VISIBLE_DEVICES. */
  gpus: string;
  log(line: string): void;
}

export interface PredictContext extends SetupContext {
  /** Stream a piece of output. Streaming predictors' output is the array of emitted pieces. */
  emit(piece: unknown): void;
  /** Report a billing quantity (adds to any earlier report of the same metric). */
  metric(name: BillingMetric, value: number): void;
  /** Aborted when the prediction is canceled; long work should check it. */
  signal: AbortSignal;
  /** A scratch directory private to this prediction (deleted afterwards); write output files here. */
  tmpdir: string;
}

export interface TrainContext extends PredictContext {
  /** Directory the training writes its weights into; the engine keeps it as the new version's weights. */
  outputDir: string;
}

export interface Predictor<I extends z.ZodObject = z.ZodObject> {
  /** Input definition; becomes the version's OpenAPI Input schema. */
  input: I;
  /** Optional output definition; becomes the version's OpenAPI Output schema. */
  output?: z.ZodType;
  /** True when `predict` emits output pieces as it goes (the version gets `urls.stream`). */
  streams?: boolean;
  setup?(ctx: SetupContext): Promise<void> | void;
  predict(input: z.infer<I>, ctx: PredictContext): Promise<unknown> | unknown;
  /** Present on trainable models: the training input definition and the training itself. */
  training?: {
    input: z.ZodObject;
    train(input: Record<string, unknown>, ctx: TrainContext): Promise<Record<string, unknown>> | Record<string, unknown>;
  };
}

/** Identity function that gives predictor modules type checking. */
export function definePredictor<I extends z.ZodObject>(predictor: Predictor<I>): Predictor<I> {
  return predictor;
}

/**
 * A file produced by a predictor. Return it (anywhere inside the output) with `outputFile()`;
 * the engine stores it and replaces it with a URL it serves.
 */
export interface OutputFileRef {
  $file: { path: string; content_type: string; name: string };
}

export function outputFile(path: string, contentType: string, name?: string): OutputFileRef {
  return { $file: { path, content_type: contentType, name: name ?? path.split('/').pop() ?? 'output' } };
}
