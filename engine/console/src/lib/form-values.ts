/**
 * What a schema form holds and what it sends. The form keeps text as typed; `toInput` turns it
 * into the prediction's `input`, leaving out what is empty (the engine applies defaults) and
 * passing anything it cannot read as typed, so the engine's validation — the one source of truth
 * — names the field. Only JSON that does not parse is caught here: it cannot be sent at all. Pure.
 */
import type { FieldProblem } from '../api/types';
import type { FieldSpec } from './schema';

/** A file input: a URL, or a picked file that is uploaded (and replaced by its URL) on run. */
export interface FileValue {
  url: string;
  file?: File;
}
export type FormValue = string | boolean | FileValue | FormValue[];
export type FormValues = Record<string, FormValue>;

function initialOf(f: FieldSpec, value: unknown): FormValue {
  switch (f.kind) {
    case 'boolean':
      return value === true;
    case 'file':
      return { url: typeof value === 'string' ? value : '' };
    case 'enum':
      return value === undefined ? '' : JSON.stringify(value);
    case 'array':
      return Array.isArray(value) && f.item ? value.map((v) => initialOf(f.item!, v)) : [];
    case 'json':
      return value === undefined ? '' : JSON.stringify(value, null, 2);
    default:
      return value === undefined || value === null ? '' : String(value);
  }
}

/** The form's starting values: the schema's defaults. */
export function initialValues(fields: FieldSpec[]): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, initialOf(f, f.default)]));
}

/** A form filled from an input (a past prediction's, an example's); unknown names are ignored. */
export function valuesFromInput(fields: FieldSpec[], input: Record<string, unknown>): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, initialOf(f, f.name in input ? input[f.name] : f.default)]));
}

/** An empty item for an array field's "add" button. */
export function emptyItem(item: FieldSpec): FormValue {
  return initialOf(item, undefined);
}

const OMIT = Symbol('omit');

function valueOf(f: FieldSpec, v: FormValue, pointer: string, problems: FieldProblem[]): unknown {
  switch (f.kind) {
    case 'boolean':
      return v === true;
    case 'file': {
      const url = typeof v === 'object' && !Array.isArray(v) ? v.url.trim() : '';
      return url === '' ? OMIT : url;
    }
    case 'enum':
      if (v === '') return OMIT;
      try {
        return JSON.parse(String(v));
      } catch {
        return v;
      }
    case 'number':
    case 'integer': {
      const text = String(v).trim();
      if (text === '') return OMIT;
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'array': {
      if (!Array.isArray(v) || !f.item) return OMIT;
      const items = v.map((item, i) => valueOf(f.item!, item, `${pointer}/${i}`, problems)).filter((x) => x !== OMIT);
      return items.length ? items : OMIT;
    }
    case 'json': {
      const text = String(v).trim();
      if (text === '') return OMIT;
      try {
        return JSON.parse(text);
      } catch (err) {
        problems.push({ pointer, detail: `is not valid JSON (${(err as Error).message})` });
        return OMIT;
      }
    }
    default:
      return v === '' ? OMIT : String(v);
  }
}

/** The prediction input for the form's values, and the problems that keep it from being sent. */
export function toInput(fields: FieldSpec[], values: FormValues): { input: Record<string, unknown>; problems: FieldProblem[] } {
  const input: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const f of fields) {
    if (!(f.name in values)) continue;
    const v = valueOf(f, values[f.name], `/input/${f.name}`, problems);
    if (v !== OMIT) input[f.name] = v;
  }
  return { input, problems };
}

/** Replaces every picked file by the URL `upload` gives it (files are uploaded before a run). */
export async function uploadFiles(fields: FieldSpec[], values: FormValues, upload: (file: File) => Promise<string>): Promise<FormValues> {
  const walk = async (f: FieldSpec, v: FormValue): Promise<FormValue> => {
    if (f.kind === 'file' && typeof v === 'object' && !Array.isArray(v) && v.file) return { url: await upload(v.file) };
    if (f.kind === 'array' && Array.isArray(v) && f.item) return Promise.all(v.map((x) => walk(f.item!, x)));
    return v;
  };
  const out: FormValues = {};
  for (const f of fields) if (f.name in values) out[f.name] = await walk(f, values[f.name]);
  return out;
}
