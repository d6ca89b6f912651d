/** Engine configuration from the environment (README lists every variable). */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { defaultPrices, findSku, type PriceTable } from './core/hardware';

const env = z.object({
  GANTRY_HOST: z.string().default('127.0.0.1'),
  GANTRY_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  GANTRY_DATA_DIR: z.string().default('.gantry'),
  GANTRY_PUBLIC_URL: z.string().url().optional(),
  GANTRY_API_TOKEN: z.string().min(8).optional(),
  GANTRY_PG_PORT: z.coerce.number().int().default(54329),
  GANTRY_CPU_SLOTS: z.coerce.number().int().min(1).optional(),
  GANTRY_IDLE_WINDOW: z.coerce.number().min(0).default(300),
  GANTRY_BODY_LIMIT: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  GANTRY_PRICES: z.string().optional(),
  GANTRY_WORKER_NAME: z.string().optional(),
  GANTRY_LOG: z.enum(['silent', 'info', 'debug']).default('info'),
  GANTRY_EMBEDDED_WORKER: z.enum(['true', 'false']).default('true'),
  DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
});

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  publicUrl?: string;
  apiToken?: string;
  pgPort: number;
  cpuSlots: number;
  idleWindowMs: number;
  bodyLimit: number;
  prices: PriceTable;
  workerName?: string;
  log: 'silent' | 'info' | 'debug';
  embeddedWorker: boolean;
  databaseUrl?: string;
  redisUrl?: string;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const prices = defaultPrices();
  if (e.GANTRY_PRICES) {
    let overrides: Record<string, unknown>;
    try {
      overrides = JSON.parse(e.GANTRY_PRICES);
    } catch {
      throw new Error('invalid configuration: GANTRY_PRICES must be JSON like {"gpu-h100": 0.0012}');
    }
    for (const [sku, price] of Object.entries(overrides)) {
      if (!findSku(sku) || typeof price !== 'number' || price < 0) throw new Error(`invalid configuration: GANTRY_PRICES entry ${sku}`);
      prices[sku] = price;
    }
  }
  return {
    host: e.GANTRY_HOST,
    port: e.GANTRY_PORT,
    dataDir: resolve(e.GANTRY_DATA_DIR),
    publicUrl: e.GANTRY_PUBLIC_URL?.replace(/\/$/, ''),
    apiToken: e.GANTRY_API_TOKEN,
    pgPort: e.GANTRY_PG_PORT,
    cpuSlots: e.GANTRY_CPU_SLOTS ?? Math.max(2, cpus().length),
    idleWindowMs: e.GANTRY_IDLE_WINDOW * 1000,
    bodyLimit: e.GANTRY_BODY_LIMIT,
    prices,
    workerName: e.GANTRY_WORKER_NAME,
    log: e.GANTRY_LOG,
    embeddedWorker: e.GANTRY_EMBEDDED_WORKER === 'true',
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
  };
}
