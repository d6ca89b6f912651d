/**
 * The form generated from a version's input schema: one labelled control per input, in the
 * model's order, with its description, default and bounds as hints and the API's error for it
 * beside it. Strings, prose (multi-line), numbers, choices, booleans, files (upload or URL),
 * arrays of those, and JSON for anything else.
 */
import type { FieldSpec } from '../lib/schema';
import { boundsText } from '../lib/schema';
import type { FileValue, FormValue, FormValues } from '../lib/form-values';
import { Field, describedBy } from '../ui/Field';
import { FileInput } from './FileInput';
import { ArrayInput } from './ArrayInput';

export interface ControlProps {
  id: string;
  field: FieldSpec;
  value: FormValue;
  onChange: (v: FormValue) => void;
  describe: ReturnType<typeof describedBy>;
}

/** The control for one value (arrays use it for each item). */
export function Control({ id, field, value, onChange, describe }: ControlProps) {
  switch (field.kind) {
    case 'boolean':
      return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} {...describe} />;
    case 'enum':
      return (
        <select id={id} value={String(value)} onChange={(e) => onChange(e.currentTarget.value)} {...describe}>
          {!field.required && <option value="">(default)</option>}
          {(field.enum ?? []).map((v) => (
            <option key={JSON.stringify(v)} value={JSON.stringify(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      );
    case 'number':
    case 'integer':
      return (
        <input
          id={id}
          type="number"
          inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
          step={field.kind === 'integer' ? 1 : 'any'}
          min={field.exclusiveMinimum ? undefined : field.minimum}
          max={field.exclusiveMaximum ? undefined : field.maximum}
          value={String(value)}
          placeholder={field.default !== undefined ? String(field.default) : ''}
          onInput={(e) => onChange(e.currentTarget.value)}
          {...describe}
        />
      );
    case 'text':
    case 'json':
      return (
        <textarea
          id={id}
          rows={field.kind === 'json' ? 4 : 3}
          class={field.kind === 'json' ? 'mono' : undefined}
          value={String(value)}
          onInput={(e) => onChange(e.currentTarget.value)}
          {...describe}
        />
      );
    case 'file':
      return <FileInput id={id} value={value as FileValue} onChange={onChange} describe={describe} />;
    case 'array':
      return <ArrayInput id={id} field={field} value={Array.isArray(value) ? value : []} onChange={onChange} describe={describe} />;
    default:
      return <input id={id} type="text" value={String(value)} onInput={(e) => onChange(e.currentTarget.value)} {...describe} />;
  }
}

function hintOf(f: FieldSpec) {
  const bits: string[] = [];
  if (f.description) bits.push(/[.!?]$/.test(f.description.trim()) ? f.description.trim() : `${f.description.trim()}.`);
  const bounds = f.kind === 'number' || f.kind === 'integer' ? boundsText(f) : '';
  if (bounds) bits.push(`Range ${bounds}.`);
  if (f.default !== undefined && f.kind !== 'boolean') bits.push(`Default: ${typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}.`);
  if (f.kind === 'file') bits.push('Upload a file or give a URL.');
  return bits.join(' ');
}

interface Props {
  /** Prefix of control ids, so two forms on a page never clash. */
  idPrefix: string;
  fields: FieldSpec[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (values: FormValues) => void;
}

export function SchemaForm({ idPrefix, fields, values, errors, onChange }: Props) {
  if (!fields.length) return <p class="muted">This version takes no inputs.</p>;
  return (
    <div class="schema-form">
      {fields.map((f) => {
        const id = `${idPrefix}-${f.name}`;
        const hint = hintOf(f);
        return (
          <Field key={f.name} id={id} label={f.title} required={f.required} hint={hint || undefined} error={errors[f.name]} inline={f.kind === 'boolean'}>
            <Control id={id} field={f} value={values[f.name]} onChange={(v) => onChange({ ...values, [f.name]: v })} describe={describedBy(id, !!hint, errors[f.name])} />
          </Field>
        );
      })}
    </div>
  );
}
