/**
 * Places the field errors of a problem+json answer: `/input/sleep` belongs next to the `sleep`
 * field, `/name` next to a form's `name` field; whatever names no field of the form is shown
 * above it with the problem's detail. Pure.
 */
import type { FieldProblem } from '../api/types';

export interface PlacedProblems {
  /** Field name → what is wrong with it (several problems of one field joined). */
  byField: Record<string, string>;
  /** Problems that name no field of this form. */
  other: FieldProblem[];
}

/** The first segment after `prefix` of a JSON pointer (`~1` and `~0` unescaped), if any. */
export function fieldOfPointer(pointer: string, prefix = ''): string | undefined {
  if (!pointer.startsWith(`${prefix}/`)) return undefined;
  const first = pointer.slice(prefix.length + 1).split('/')[0];
  return first === '' ? undefined : first.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function placeProblems(errors: FieldProblem[], fields: string[], prefix = ''): PlacedProblems {
  const byField: Record<string, string> = {};
  const other: FieldProblem[] = [];
  for (const e of errors) {
    const name = fieldOfPointer(e.pointer, prefix);
    if (name !== undefined && fields.includes(name)) byField[name] = byField[name] ? `${byField[name]}; ${e.detail}` : e.detail;
    else other.push(e);
  }
  return { byField, other };
}

/**
 * Places errors whose pointers name exact controls (`/prices/replicate/gpu-t4` beside that price)
 * rather than a form's top-level fields; the rest are `other`.
 */
export function placeByPointer(errors: FieldProblem[], pointers: string[]): { byPointer: Record<string, string>; other: FieldProblem[] } {
  const byPointer: Record<string, string> = {};
  const other: FieldProblem[] = [];
  for (const e of errors) {
    if (pointers.includes(e.pointer)) byPointer[e.pointer] = byPointer[e.pointer] ? `${byPointer[e.pointer]}; ${e.detail}` : e.detail;
    else other.push(e);
  }
  return { byPointer, other };
}
