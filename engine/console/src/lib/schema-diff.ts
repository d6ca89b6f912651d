/**
 * What changed in the inputs from one version to the next (the Versions tab): inputs added,
 * removed, and those whose type, default, choices, bounds or requiredness changed. Pure.
 */
import { boundsText, typeText, type FieldSpec } from './schema';

export interface InputChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  detail: string;
}

const show = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));

function differences(a: FieldSpec, b: FieldSpec): string[] {
  const out: string[] = [];
  if (typeText(a) !== typeText(b)) out.push(`type ${typeText(a)} → ${typeText(b)}`);
  if (JSON.stringify(a.default) !== JSON.stringify(b.default)) out.push(`default ${show(a.default)} → ${show(b.default)}`);
  if (boundsText(a) !== boundsText(b)) out.push(`range ${boundsText(a) || 'any'} → ${boundsText(b) || 'any'}`);
  if (a.required !== b.required) out.push(b.required ? 'now required' : 'now optional');
  return out;
}

/** Changes from `before` (the older version's fields) to `after`. */
export function inputChanges(before: FieldSpec[], after: FieldSpec[]): InputChange[] {
  const old = new Map(before.map((f) => [f.name, f]));
  const now = new Map(after.map((f) => [f.name, f]));
  const changes: InputChange[] = [];
  for (const f of after) {
    const was = old.get(f.name);
    if (!was) changes.push({ name: f.name, change: 'added', detail: `${typeText(f)}${f.default !== undefined ? `, default ${show(f.default)}` : ''}` });
    else {
      const d = differences(was, f);
      if (d.length) changes.push({ name: f.name, change: 'changed', detail: d.join('; ') });
    }
  }
  for (const f of before) if (!now.has(f.name)) changes.push({ name: f.name, change: 'removed', detail: typeText(f) });
  return changes;
}
