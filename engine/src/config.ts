/** Engine configuration from the environment (README lists every variable). */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { defaultPrices, findSku, type PriceTable } from './core/hardware';
import type { AutoscalerKnobs } from './scheduler';
import { PRICE_SECTIONS, parsePriceOverrides, type PriceOverrides } from './checks/decide/prices';
import { parseStorageUrl, type StorageSettings } from './storage/settings';
import type { ArtifactCacheSettings } from './storage/artifact-cache';
import { parseByteSize } from './core/byte-size';

/** A size variable (`50GB`, `512MiB`, bytes), rejected with what a size looks like. */
const byteSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const bytes = parseByteSize(v);
      if (typeof bytes === 'number') return bytes;
      ctx.addIssue({ code: 'custom', message: bytes.error });
      return z.NEVER;
    });

/**
 * How an imported Cog image runs: its port published on loopback only, the worker reachable from
 * the container as host.docker.internal (for webhooks and uploads), and Cog's server started with
 * an upload URL, so file outputs of async predictions reach the engine (without one, the legacy
 * server answers with paths inside the container).
 */
const COG_DOCKER_TAIL = '-p 127.0.0.1:{port}:5000 --add-host=host.docker.internal:host-gateway {image} python -m cog.server.http --upload-url={upload_url}';
const DEFAULT_COG_GPU_COMMAND = `docker run --rm --gpus '"device={gpus}"' ${COG_DOCKER_TAIL}`;
const DEFAULT_COG_CPU_COMMAND = `docker run --rm ${COG_DOCKER_TAIL}`;
/** How the default commands' containers reach the worker (their --add-host). */
const DOCKER_HOST_NAME = 'host.docker.internal';

/** What `gantry serve` runs: everything in one process, or one role of a fleet (README, "Roles"). */
export const ROLES = ['all', 'api', 'controller', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const env = z.object({
  GANTRY_HOST: z.string().default('127.0.0.1'),
  GANTRY_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  GANTRY_DATA_DIR: z.string().default('.gantry'),
  GANTRY_PUBLIC_URL: z.string().url().optional(),
  GANTRY_API_TOKEN: z.string().min(8).optional(),
  GANTRY_PG_PORT: z.coerce.number().int().default(54329),
  GANTRY_CPU_SLOTS: z.coerce.number().int().min(1).optional(),
  GANTRY_GPUS: z.string().optional(),
  GANTRY_IDLE_WINDOW: z.coerce.number().min(0).default(60),
  GANTRY_SCALE_UP_DELAY: z.coerce.number().min(0).default(1),
  GANTRY_TO_ZERO_DELAY: z.coerce.number().min(0).optional(),
  GANTRY_KEEP_ALIVE: z.enum(['adaptive', 'fixed']).default('adaptive'),
  GANTRY_MAX_INSTANCES: z.coerce.number().int().min(1).default(4),
  GANTRY_PLACEMENT: z.enum(['binpack', 'spread']).default('binpack'),
  GANTRY_EVICTION: z.enum(['hazard', 'lru']).default('hazard'),
  GANTRY_PREWARM: z.enum(['on', 'off']).default('on'),
  GANTRY_BODY_LIMIT: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  GANTRY_PRICES: z.string().optional(),
  GANTRY_WORKER_NAME: z.string().optional(),
  GANTRY_LOG: z.enum(['silent', 'info', 'debug']).default('info'),
  GANTRY_EMBEDDED_WORKER: z.enum(['true', 'false']).default('true'),
  GANTRY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  GANTRY_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(1).default(35 * 60_000),
  GANTRY_MAX_FILE_BYTES: z.coerce.number().int().min(1).default(100 * 1024 * 1024),
  GANTRY_FILE_TTL: z.coerce.number().int().min(1).default(24 * 3600),
  GANTRY_DATA_RETENTION: z
    .string()
    .trim()
    .default('3600')
    .refine((v) => v === 'off' || /^\d+(\.\d+)?$/.test(v), 'must be a number of seconds (0 or "off" keeps data forever)'),
  GANTRY_COG_COMMAND: z.string().min(1).default(DEFAULT_COG_GPU_COMMAND),
  GANTRY_COG_CPU_COMMAND: z.string().min(1).default(DEFAULT_COG_CPU_COMMAND),
  GANTRY_COG_WEBHOOK_HOST: z.string().optional(),
  GANTRY_IMPORT_HARDWARE: z.string().default('gpu-l40s'),
  GANTRY_STORAGE_URL: z.string().optional(),
  GANTRY_MAX_QUEUE: z.coerce.number().int().min(0).optional(),
  GANTRY_MAX_QUEUE_PER_VERSION: z.coerce.number().int().min(0).optional(),
  GANTRY_QUEUE_RETRY_AFTER: z.coerce.number().int().min(1).max(3600).default(5),
  GANTRY_IDEMPOTENCY_TTL: z.coerce.number().int().min(1).default(24 * 3600),
  GANTRY_METRICS_TOKEN: z.string().min(16).optional(),
  GANTRY_METRICS_LISTEN: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
  GANTRY_LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  DATABASE_URL: z.string().optional(),
  GANTRY_DIRECT_DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  GANTRY_ROLE: z.enum(ROLES).default('all'),
  GANTRY_LEASE_SECONDS: z.coerce.number().min(2).max(300).default(10),
  GANTRY_CACHE_BYTES: byteSize('50GB'),
  GANTRY_CACHE_MEMORY_BYTES: byteSize('0'),
  GANTRY_CACHE_MEMORY_DIR: z.string().min(1).default('/dev/shm'),
});

export interface Config {
  /** `all` (one process: API, sweeps, an embedded worker) or one fleet role. */
  role: Role;
  /** The worker's artifact cache: disk budget, host-memory tier (storage/artifact-cache.ts). */
  artifactCache: ArtifactCacheSettings;
  host: string;
  port: number;
  dataDir: string;
  publicUrl?: string;
  apiToken?: string;
  pgPort: number;
  cpuSlots: number;
  /** Declared GPU inventory (`gpu-h100:8,gpu-t4:2`); undefined means read nvidia-smi. */
  gpus?: string;
  /** Autoscaler knobs (see README: idle window, scale-up delay, to-zero delay, keep-alive). */
  knobs: Partial<AutoscalerKnobs>;
  bodyLimit: number;
  prices: PriceTable;
  /** GANTRY_PRICES sections for the cost decision: Replicate's prices, official models, dedicated GPUs. */
  priceOverrides: PriceOverrides;
  workerName?: string;
  log: 'silent' | 'info' | 'debug';
  embeddedWorker: boolean;
  /**
   * The database for ordinary queries. With `directDatabaseUrl` set it may be a transaction-mode
   * pooler (PgBouncer): no named prepared statements or session state are used on it.
   */
  databaseUrl?: string;
  /**
   * A direct connection to the same database, for what a transaction pooler cannot carry:
   * migrations (advisory lock), LISTEN, the controller lease, BullMQ on Postgres, workers'
   * asynchronous-commit sessions. Unset: `databaseUrl` is direct.
   */
  directDatabaseUrl?: string;
  redisUrl?: string;
  /** Seconds a controller lease lasts without renewal (renewed every quarter of it). */
  leaseSeconds: number;
  /** First webhook retry delay (doubling, capped at 5 min) and the total retry budget. */
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  /** Largest upload or input download, in bytes. */
  maxFileBytes: number;
  /** Lifetime of stored files and of signed download URLs, in seconds. */
  fileTtlSeconds: number;
  /**
   * Seconds after completion at which an API prediction's input, output, logs and output files are
   * removed (`data_removed`); null keeps them forever.
   */
  dataRetentionSeconds: number | null;
  /** Where files and weights live (GANTRY_STORAGE_URL): the data dir unless set. */
  storage: StorageSettings;
  /** Backpressure: queue limits (engine-wide, per on-demand version) and the Retry-After of a 429. */
  maxQueue?: number;
  maxQueuePerVersion?: number;
  queueRetryAfterSeconds: number;
  /** How long an Idempotency-Key is remembered, in seconds. */
  idempotencyTtlSeconds: number;
  /** A token that may scrape GET /metrics (besides admin API tokens). */
  metricsToken?: string;
  /** host:port of a separate listener for /metrics and /health/ready, without auth. */
  metricsListen?: { host: string; port: number };
  /** `text`: one readable line per event; `json`: pino's JSON lines (for log collectors). */
  logFormat: 'text' | 'json';
  /** How versions imported from the public catalogue start their Cog image (see docs/catalogue.md). */
  catalogueImport: {
    /** Command template for GPU hardware ({port}, {gpus}, {image}). */
    gpuCommand: string;
    /** Command template for `cpu` hardware (no GPU flags). */
    cpuCommand: string;
    /** Hardware SKU an import gets unless the request names one (the catalogue does not say). */
    hardware: string;
    /**
     * The runner's webhook_host with each command: how its server reaches the worker; empty for
     * loopback. GANTRY_COG_WEBHOOK_HOST, else host.docker.internal for the default (Docker)
     * commands and loopback for commands the operator set.
     */
    webhookHost: { gpu: string; cpu: string };
  };
}

/** `host:port` (IPv6 hosts in brackets) → its parts. */
function parseListen(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (port > 65535) throw new Error('invalid configuration:\n  GANTRY_METRICS_LISTEN: the port must be at most 65535');
  return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port };
}

/**
 * The role `gantry serve` was asked for on its command line (`--role X` or `--role=X`), or
 * undefined when none was (GANTRY_ROLE, else `all`). Throws naming a bad flag or value.
 */
export function roleFromArgs(args: readonly string[]): Role | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--role') value = args[++i] ?? '';
    else if (args[i].startsWith('--role=')) value = args[i].slice('--role='.length);
    else throw new Error(`unknown argument "${args[i]}" (gantry serve takes --role all|api|controller|worker)`);
  }
  if (value === undefined) return undefined;
  if (!(ROLES as readonly string[]).includes(value)) throw new Error(`--role: "${value}" is not one of ${ROLES.join(', ')}`);
  return value as Role;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (!findSku(e.GANTRY_IMPORT_HARDWARE)) {
    throw new Error(`invalid configuration:\n  GANTRY_IMPORT_HARDWARE: unknown hardware SKU "${e.GANTRY_IMPORT_HARDWARE}"`);
  }
  let storage: StorageSettings;
  try {
    storage = parseStorageUrl(e.GANTRY_STORAGE_URL, source);
  } catch (err) {
    throw new Error(`invalid configuration:\n  ${(err as Error).message}`);
  }
  const prices = defaultPrices();
  let priceOverrides: PriceOverrides = {};
  if (e.GANTRY_PRICES) {
    let overrides: Record<string, unknown>;
    try {
      overrides = JSON.parse(e.GANTRY_PRICES);
    } catch {
      throw new Error('invalid configuration: GANTRY_PRICES must be JSON like {"gpu-h100": 0.0012}');
    }
    // Besides Gantry's own $/s per SKU, sections price the cost decision's options (README, Decide).
    const sections: Record<string, unknown> = {};
    for (const [sku, price] of Object.entries(overrides)) {
      if ((PRICE_SECTIONS as readonly string[]).includes(sku)) sections[sku] = price;
      else if (!findSku(sku) || typeof price !== 'number' || price < 0) throw new Error(`invalid configuration: GANTRY_PRICES entry ${sku}`);
      else prices[sku] = price;
    }
    const parsed = parsePriceOverrides(sections, 'GANTRY_PRICES');
    if (parsed.errors.length) throw new Error(`invalid configuration:\n${parsed.errors.map((e) => `  ${e.pointer}: ${e.detail}`).join('\n')}`);
    priceOverrides = parsed.overrides;
  }
  if (e.GANTRY_CACHE_MEMORY_BYTES > 0 && !existsSync(e.GANTRY_CACHE_MEMORY_DIR)) {
    throw new Error(`invalid configuration:\n  GANTRY_CACHE_MEMORY_DIR: ${e.GANTRY_CACHE_MEMORY_DIR} does not exist (the memory tier needs a tmpfs directory; GANTRY_CACHE_MEMORY_BYTES=0 turns it off)`);
  }
  const dataDir = resolve(e.GANTRY_DATA_DIR);
  // One memory directory per data dir: several workers may share a host (and its /dev/shm).
  const memoryDir = join(e.GANTRY_CACHE_MEMORY_DIR, `gantry-cache-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
  if (e.GANTRY_DIRECT_DATABASE_URL && !e.DATABASE_URL) {
    throw new Error('invalid configuration:\n  GANTRY_DIRECT_DATABASE_URL: needs DATABASE_URL (the pooled URL) as well');
  }
  return {
    role: e.GANTRY_ROLE,
    artifactCache: { diskBytes: e.GANTRY_CACHE_BYTES, memoryBytes: e.GANTRY_CACHE_MEMORY_BYTES, memoryDir },
    host: e.GANTRY_HOST,
    port: e.GANTRY_PORT,
    dataDir,
    publicUrl: e.GANTRY_PUBLIC_URL?.replace(/\/$/, ''),
    apiToken: e.GANTRY_API_TOKEN,
    pgPort: e.GANTRY_PG_PORT,
    cpuSlots: e.GANTRY_CPU_SLOTS ?? Math.max(2, cpus().length),
    gpus: e.GANTRY_GPUS,
    knobs: {
      idleWindowMs: e.GANTRY_IDLE_WINDOW * 1000,
      scaleUpDelayMs: e.GANTRY_SCALE_UP_DELAY * 1000,
      ...(e.GANTRY_TO_ZERO_DELAY !== undefined ? { toZeroDelayMs: e.GANTRY_TO_ZERO_DELAY * 1000 } : {}),
      keepAlive: e.GANTRY_KEEP_ALIVE,
      onDemandMaxInstances: e.GANTRY_MAX_INSTANCES,
      placement: { strategy: e.GANTRY_PLACEMENT },
      eviction: e.GANTRY_EVICTION,
      prewarm: e.GANTRY_PREWARM === 'on',
    },
    bodyLimit: e.GANTRY_BODY_LIMIT,
    prices,
    priceOverrides,
    workerName: e.GANTRY_WORKER_NAME,
    log: e.GANTRY_LOG,
    embeddedWorker: e.GANTRY_EMBEDDED_WORKER === 'true',
    databaseUrl: e.DATABASE_URL,
    directDatabaseUrl: e.GANTRY_DIRECT_DATABASE_URL,
    redisUrl: e.REDIS_URL,
    leaseSeconds: e.GANTRY_LEASE_SECONDS,
    webhookRetryBaseMs: e.GANTRY_WEBHOOK_RETRY_BASE_MS,
    webhookRetryMaxMs: e.GANTRY_WEBHOOK_RETRY_MAX_MS,
    maxFileBytes: e.GANTRY_MAX_FILE_BYTES,
    fileTtlSeconds: e.GANTRY_FILE_TTL,
    dataRetentionSeconds: e.GANTRY_DATA_RETENTION === 'off' || Number(e.GANTRY_DATA_RETENTION) === 0 ? null : Number(e.GANTRY_DATA_RETENTION),
    maxQueue: e.GANTRY_MAX_QUEUE,
    maxQueuePerVersion: e.GANTRY_MAX_QUEUE_PER_VERSION,
    queueRetryAfterSeconds: e.GANTRY_QUEUE_RETRY_AFTER,
    idempotencyTtlSeconds: e.GANTRY_IDEMPOTENCY_TTL,
    metricsToken: e.GANTRY_METRICS_TOKEN,
    metricsListen: e.GANTRY_METRICS_LISTEN ? parseListen(e.GANTRY_METRICS_LISTEN) : undefined,
    logFormat: e.GANTRY_LOG_FORMAT,
    storage,
    catalogueImport: { gpuCommand: e.GANTRY_COG_COMMAND, cpuCommand: e.GANTRY_COG_CPU_COMMAND, hardware: e.GANTRY_IMPORT_HARDWARE,
      webhookHost: {
        gpu: e.GANTRY_COG_WEBHOOK_HOST ?? (e.GANTRY_COG_COMMAND === DEFAULT_COG_GPU_COMMAND ? DOCKER_HOST_NAME : ''),
        cpu: e.GANTRY_COG_WEBHOOK_HOST ?? (e.GANTRY_COG_CPU_COMMAND === DEFAULT_COG_CPU_COMMAND ? DOCKER_HOST_NAME : ''),
      },
    },
  };
}
