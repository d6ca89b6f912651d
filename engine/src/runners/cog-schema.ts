/**
 * A Cog version's schema, read from the server itself (`GET /openapi.json`: the `Input`,
 * `Output`, and for trainable models `TrainingInput` schemas).
 *
 * A version is immutable and its id hashes its schema, and inputs are validated when a
 * prediction is created, so the schema has to exist before the version does. For a server given
 * by URL that is one request. For a command, the engine boots the command once, just long enough
 * to read the schema (Cog serves it before, and regardless of, `setup()`), then shuts it down.
 */
import { cogRequest } from './cog-http';
import { launchCog, shutdownCog } from './cog-instance';
import { LogTail } from './server-process';

const PROBE_TIMEOUT_MS = 120_000;
const PROBE_POLL_MS = 250;

type OpenApi = Record<string, unknown>;

function hasInput(doc: unknown): doc is OpenApi {
  const schemas = (doc as { components?: { schemas?: Record<string, unknown> } } | undefined)?.components?.schemas;
  return !!schemas && typeof schemas.Input === 'object';
}

/** What a Cog server says about itself: its schema, and its Cog release when it names one. */
export interface CogDescription {
  openapi: OpenApi;
  cogVersion?: string;
}

/** The server's OpenAPI document; throws with the reason when it cannot be read. */
async function readOpenApi(url: string): Promise<OpenApi> {
  const res = await cogRequest(`${url.replace(/\/$/, '')}/openapi.json`, 'GET', { timeoutMs: 10_000 });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return res.body;
}

/** `cog_version` of the discovery document `GET /` (coglet sends it; the legacy server does not). */
async function readCogVersion(url: string): Promise<string | undefined> {
  const res = await cogRequest(`${url.replace(/\/$/, '')}/`, 'GET', { timeoutMs: 5000 }).catch(() => undefined);
  const version = res?.status === 200 ? res.body.cog_version : undefined;
  return typeof version === 'string' && version.length > 0 && version.length <= 64 ? version : undefined;
}

/** Describes the server at `url`; throws with the reason when its schema cannot be read. */
export async function describeCogServer(url: string): Promise<CogDescription> {
  const openapi = await readOpenApi(url);
  return { openapi, cogVersion: await readCogVersion(url) };
}

/**
 * Starts `command` without GPUs ({gpus} empty), waits for `/openapi.json` to describe an Input,
 * and stops it. Throws with the command's last output when it exits or never serves a schema.
 */
export async function probeCogCommand(command: string, image?: string): Promise<CogDescription> {
  const output = new LogTail();
  const proc = await launchCog(command, { gpus: '', image }, (text) => output.push(text), () => undefined);
  const tail = () => (output.lines.length ? `: ${output.lines.slice(-3).join(' | ')}` : '');
  const started = Date.now();
  try {
    for (;;) {
      if (proc.exitReason) throw new Error(`the command ${proc.exitReason} before serving /openapi.json${tail()}`);
      if (Date.now() - started > PROBE_TIMEOUT_MS) throw new Error(`the command served no /openapi.json within ${PROBE_TIMEOUT_MS / 1000}s${tail()}`);
      // 503 (schema not available yet) and refused connections both mean: not yet.
      const doc = await readOpenApi(proc.base).catch(() => undefined);
      if (hasInput(doc)) return { openapi: doc, cogVersion: await readCogVersion(proc.base) };
      await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
    }
  } finally {
    await shutdownCog(proc, { requestMs: 1000, exitMs: 2000, killMs: 3000 });
  }
}

/** Whether the Output is an iterator (Cog's marker for outputs yielded piece by piece). */
export function cogStreams(doc: OpenApi): boolean {
  const output = (doc as { components?: { schemas?: { Output?: Record<string, unknown> } } }).components?.schemas?.Output;
  return output?.type === 'array' && output['x-cog-array-type'] === 'iterator';
}
