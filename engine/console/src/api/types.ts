/** The engine's wire shapes, as far as the console reads them (the README's API section is the contract). */

export interface Page<T> {
  previous: string | null;
  next: string | null;
  results: T[];
}

export interface FieldProblem {
  pointer: string;
  detail: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  'x-order'?: number;
  'x-cog-array-type'?: string;
  'x-cog-array-display'?: string;
  [key: string]: unknown;
};

export interface OpenApiDocument {
  components?: { schemas?: Record<string, JsonSchema> };
  [key: string]: unknown;
}

export interface PricingRule {
  rule: string;
  unit_price_usd?: number;
}

export interface Version {
  id: string;
  created_at: string;
  openapi_schema: OpenApiDocument;
  runner: { type: string; [key: string]: unknown };
  hardware: string;
  gpu_count: number | null;
  gpu_memory_gb: number | null;
  max_concurrency: number;
  pricing: PricingRule[];
  streams: boolean;
  trainable: boolean;
}

export interface Model {
  url: string;
  owner: string;
  name: string;
  description: string | null;
  visibility: string;
  github_url: string | null;
  paper_url: string | null;
  license_url: string | null;
  cover_image_url: string | null;
  run_count: number;
  created_at: string;
  default_example: Partial<Prediction> | null;
  latest_version: Version | null;
  imported_from: string | null;
}

export interface CatalogueModel {
  url: string;
  owner: string;
  name: string;
  description: string | null;
  run_count: number;
  github_url: string | null;
  imported: boolean;
}

export interface Collection {
  name: string;
  slug: string;
  description: string;
  models?: Model[];
}

export interface Cost {
  total_usd: number;
  rule: string;
  quantity: number;
  unit_price_usd: number;
  hardware: string;
  items?: Array<{ rule: string; quantity: number; unit_price_usd: number; total_usd: number }>;
}

export type Status = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface Prediction {
  id: string;
  model: string;
  version: string;
  deployment?: string;
  input: Record<string, unknown>;
  output: unknown;
  logs: string;
  error: string | null;
  status: Status;
  source: string;
  data_removed: boolean;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  urls: { get: string; cancel: string; web?: string; stream?: string };
  metrics: {
    predict_time?: number;
    total_time?: number;
    queue_time?: number;
    setup_time?: number;
    cold_start?: boolean;
    [key: string]: unknown;
  };
  cost?: Cost;
  tags?: Record<string, string>;
  webhook?: string;
}

export interface WebhookDelivery {
  id: string;
  url: string;
  event: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  retryable: boolean;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

export interface Instance {
  id: string;
  state: string;
  devices: unknown;
  since: string;
  worker_id: string;
  hardware: string;
  version: string;
  setup_time: number | null;
  last_used_at: string | null;
  error: string | null;
  deployment?: string | null;
  memory_gb?: number | null;
}

export interface Deployment {
  owner: string;
  name: string;
  current_release: {
    number: number;
    model: string;
    version: string;
    created_at: string;
    configuration: { hardware: string; min_instances: number; max_instances: number };
  };
  created_at: string;
  instances: Instance[];
  cost_so_far_usd: number;
  cost_breakdown: Record<'prediction' | 'setup' | 'idle', { count: number; quantity: number; total_usd: number }>;
}

export interface Hardware {
  name: string;
  sku: string;
}

export interface Price {
  sku: string;
  name: string;
  gpu_count: number;
  gpu_memory_gb: number;
  price_per_second_usd: number;
  price_per_hour_usd: number;
  served: boolean;
}

export interface Gpu {
  index: number;
  sku: string | null;
  name: string | null;
  memory_gb: number | null;
  memory_in_use_gb: number | null;
  instances: string[];
}

export interface Worker {
  id: string;
  name: string;
  hardware: string[];
  cpu_slots: number;
  gpus: Gpu[];
  started_at: string;
  heartbeat_at: string;
  alive: boolean;
  pending: Array<{ version: string; deployment: string | null; reasons: string[] }>;
}

export interface QueueDepth {
  model: string;
  version: string;
  deployment: string | null;
  hardware: string;
  queued: number;
  running: number;
  oldest_queued_at: string | null;
  reason?: string;
}

export interface Cluster {
  workers: Worker[];
  instances: Instance[];
  queues: QueueDepth[];
  unplaceable: QueueDepth[];
}

export interface DailyUsage {
  stack_by: string;
  since: string;
  until: string;
  days: string[];
  series: Array<{ key: string | null; count: number; total_usd: number; daily_usd: number[]; daily_count: number[] }>;
  totals: { count: number; total_usd: number; daily_usd: number[]; daily_count: number[] };
}

export interface Projection {
  month: string;
  month_start: string;
  month_end: string;
  as_of: string;
  month_to_date_usd: number;
  rate_window_start: string;
  rate_window_seconds: number;
  rate_usd_per_day: number;
  projected_month_usd: number;
}

export interface Token {
  id: string;
  name: string;
  scope: 'admin' | 'run' | 'read';
  created_at: string;
  revoked_at: string | null;
}

export interface FileObject {
  id: string;
  name: string;
  content_type: string;
  size: number;
  urls: { get: string; download: string };
}
