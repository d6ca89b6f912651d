/**
 * The runs a check makes, fixed when it is created (so a check resumed after a restart makes the
 * same runs). Order: the typical runs first (the first one is the cold-start candidate, and no
 * other run of the check warms an instance before it), then the deadline run and its retry, the
 * worst cases, the other hardware, and the comparison. Pure.
 */
import { markedInput, schemaLimitInput } from './worst-case';
import type { CheckPlan, CheckRequest, HardwareOption, PlannedRun, WorstCaseInput } from './types';

/** Runs that are not about the deadline still get one, so a check always ends. */
export function guardSeconds(deadline: number): number {
  return Math.max(600, 10 * deadline);
}

export interface PlanArgs {
  request: CheckRequest;
  checked: { model: string; version: string; hardware: string; deployment: string | null; inputSchema: Record<string, unknown> };
  /** `input` is the request's own input: the compared version fills in its own defaults. */
  compare: { model: string; version: string; hardware: string; input: Record<string, unknown> } | null;
  /** Why no live worker serves a SKU, or undefined when one does. */
  unservable: (sku: string) => string | undefined;
}

function worstCases(args: PlanArgs): CheckPlan['worst_case'] {
  const wc = args.request.worst_case;
  if (wc === false) return { inputs: [], skipped: 'worst_case is false in the request.' };
  const inputs: WorstCaseInput[] = [];
  let unlimited: string[] = [];
  if (wc.from_schema) {
    const built = schemaLimitInput(args.checked.inputSchema, args.request.input);
    unlimited = built.unlimited;
    if (built.input) inputs.push(built.input);
  }
  wc.inputs.forEach((marked, i) => inputs.push(markedInput(args.request.input, marked, i)));
  if (inputs.length) return { inputs, unlimited };
  const why = wc.from_schema ? `no input field declares a limit (${unlimited.join(', ') || 'no fields'}) and no input was marked` : 'no input was marked';
  return { inputs: [], skipped: `${why[0].toUpperCase()}${why.slice(1)}.` };
}

export function planCheck(args: PlanArgs): CheckPlan {
  const { request, checked, compare } = args;
  const deadline = request.timeout_s;
  const guard = guardSeconds(deadline);
  const base = { target: 'checked' as const, model: checked.model, version: checked.version, input: request.input };
  const runs: PlannedRun[] = [];
  const own = { ...base, deployment: checked.deployment, hardware: checked.hardware };
  for (let i = 1; i <= request.runs; i++) runs.push({ ...own, key: `consistency.${i}`, purpose: 'consistency', cancel_after_s: guard });
  runs.push({ ...own, key: 'timeout_retry.first', purpose: 'timeout_retry', cancel_after_s: deadline });
  runs.push({ ...own, key: 'timeout_retry.retry', purpose: 'timeout_retry', cancel_after_s: deadline, only_if_failed: 'timeout_retry.first' });
  const worst = worstCases(args);
  worst.inputs.forEach((w, i) => runs.push({ ...own, key: `worst_case.${i + 1}`, purpose: 'worst_case', input: w.input, label: w.label, cancel_after_s: deadline }));
  const hardware: HardwareOption[] = request.hardware.map((sku) => {
    const reason = sku === checked.hardware ? undefined : args.unservable(sku);
    return reason ? { sku, available: false, reason } : { sku, available: true };
  });
  for (const h of hardware) {
    if (!h.available || h.sku === checked.hardware) continue;
    // Other hardware runs the version on demand, outside any deployment (which has one SKU).
    for (let i = 1; i <= request.runs; i++) {
      runs.push({ ...base, deployment: null, hardware: h.sku, key: `hardware.${h.sku}.${i}`, purpose: 'hardware', cancel_after_s: guard });
    }
  }
  if (compare) {
    for (let i = 1; i <= request.runs; i++) {
      runs.push({
        key: `compare.${i}`, purpose: 'compare', target: 'compare', model: compare.model, version: compare.version,
        deployment: null, hardware: compare.hardware, input: compare.input, cancel_after_s: guard,
      });
    }
  }
  return { runs, hardware, worst_case: worst, deadline_s: deadline };
}
