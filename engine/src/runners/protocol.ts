/** Messages between the worker (parent) and a node predictor instance (child process). */
export type ToChild =
  | { type: 'setup'; module: string; weights?: string; gpus: string }
  | { type: 'run'; id: string; mode: 'predict' | 'train'; input: Record<string, unknown>; outputDir?: string }
  | { type: 'cancel'; id: string };

export type FromChild =
  /** Setup is done; `setupSeconds`: how long the predictor's own setup took (after loading it). */
  | { type: 'ready'; setupSeconds?: number }
  | { type: 'setup_failed'; error: string }
  | { type: 'log'; id?: string; line: string }
  | { type: 'emit'; id: string; piece: unknown }
  | { type: 'metric'; id: string; name: string; value: number }
  | { type: 'done'; id: string; output: unknown }
  | { type: 'error'; id: string; error: string; canceled: boolean };
