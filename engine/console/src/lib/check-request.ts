/**
 * The new-check form: what it holds, the `POST /v1/checks` body it sends, and a form filled from
 * an earlier check ("run again"). Values are sent as typed where the engine can name the problem
 * (runs that are not a number go as text, and the API says `/runs` must be an integer); only JSON
 * that does not parse is caught here, since it cannot be sent at all. Pure.
 */
import type { Check, FieldProblem } from '../api/types';

export interface CheckDraft {
  model: string;
  /** A version id, or '' for the latest when the check starts. */
  version: string;
  deployment: string;
  runs: string;
  hardware: string[];
  compare_with: string;
  /** Worst-case inputs built from the schema's limits. */
  worst_from_schema: boolean;
  /** Marked worst-case inputs: a JSON list of input changes, or ''. */
  worst_marked: string;
  timeout: string;
}

/** The request fields the form has a control for (where the API's field errors go). */
export const CHECK_FIELDS = ['model', 'deployment', 'runs', 'hardware', 'compare_with', 'worst_case', 'timeout'] as const;

export function emptyDraft(model = '', version = ''): CheckDraft {
  return { model, version, deployment: '', runs: '5', hardware: [], compare_with: '', worst_from_schema: true, worst_marked: '', timeout: '60s' };
}

/** The form for running a check again: its model (and pinned version), settings and input. */
export function draftFromCheck(check: Check): CheckDraft {
  const pinned = check.report?.items.find((i) => i.key === 'version_stability')?.figures.pinned === true;
  return {
    model: check.model,
    version: pinned ? check.version : '',
    deployment: check.deployment ?? '',
    runs: String(check.runs),
    hardware: [...check.hardware],
    compare_with: check.compare_with ?? '',
    worst_from_schema: check.worst_case,
    worst_marked: '',
    timeout: check.timeout,
  };
}

const numberOrText = (text: string) => (Number.isFinite(Number(text)) ? Number(text) : text);

/** The body for `POST /v1/checks`, and the problems that keep it from being sent. */
export function checkBody(draft: CheckDraft, input: Record<string, unknown>): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const body: Record<string, unknown> = { model: draft.version ? `${draft.model}:${draft.version}` : draft.model, input };
  if (draft.deployment) body.deployment = draft.deployment;
  if (draft.runs.trim() !== '') body.runs = numberOrText(draft.runs.trim());
  if (draft.hardware.length) body.hardware = draft.hardware;
  if (draft.compare_with.trim()) body.compare_with = draft.compare_with.trim();
  if (draft.timeout.trim()) body.timeout = draft.timeout.trim();
  let marked: unknown[] = [];
  if (draft.worst_marked.trim()) {
    try {
      const parsed = JSON.parse(draft.worst_marked);
      // One object is one marked input; anything else goes as typed, for the API to name.
      marked = Array.isArray(parsed) ? parsed : [parsed];
    } catch (err) {
      problems.push({ pointer: '/worst_case/inputs', detail: `is not valid JSON (${(err as Error).message})` });
    }
  }
  body.worst_case = marked.length ? { from_schema: draft.worst_from_schema, inputs: marked } : draft.worst_from_schema;
  return { body, problems };
}

/** How often to read a running check: often at first, then gently (most checks take seconds to minutes). */
export function checkPollMs(ageSeconds: number): number {
  if (ageSeconds < 10) return 1000;
  if (ageSeconds < 60) return 2000;
  return 5000;
}
