/**
 * Readiness (`GET /health/ready`): every check must pass for the process to take traffic. Liveness
 * (`GET /health`) only says the process answers. Each check has a time limit, so a hung database
 * makes the probe fail instead of hang.
 */
export type Check = () => Promise<string | void>;

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, { ok: boolean; detail?: string; ms: number }>;
}

const TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Runs the checks together; a check fails by throwing (its message is the detail). */
export async function readiness(checks: Record<string, Check>, timeoutMs = TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = Date.now();
      try {
        const detail = await withTimeout(check(), timeoutMs);
        return [name, { ok: true, ...(detail ? { detail } : {}), ms: Date.now() - started }] as const;
      } catch (err) {
        return [name, { ok: false, detail: (err as Error).message, ms: Date.now() - started }] as const;
      }
    }),
  );
  const all: ReadinessReport['checks'] = Object.fromEntries(entries);
  return { status: Object.values(all).every((c) => c.ok) ? 'ready' : 'not ready', checks: all };
}
