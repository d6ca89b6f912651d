/** An array input: one row per item, each with the item's own control, plus add and remove buttons. */
import { emptyItem, type FormValue } from '../lib/form-values';
import type { FieldSpec } from '../lib/schema';
import type { describedBy } from '../ui/Field';
import { Control } from './SchemaForm';

interface Props {
  id: string;
  field: FieldSpec;
  value: FormValue[];
  onChange: (v: FormValue) => void;
  describe: ReturnType<typeof describedBy>;
}

export function ArrayInput({ id, field, value, onChange, describe }: Props) {
  const item = field.item!;
  const set = (i: number, v: FormValue) => onChange(value.map((x, j) => (j === i ? v : x)));
  return (
    <div class="array-input" id={id} role="group" {...describe}>
      {value.map((v, i) => (
        <div class="array-row" key={i}>
          <label class="sr-only" for={`${id}-${i}`}>
            {field.title} {i + 1}
          </label>
          <Control id={`${id}-${i}`} field={{ ...item, title: `${field.title} ${i + 1}` }} value={v} onChange={(x) => set(i, x)} describe={{ 'aria-describedby': undefined, 'aria-invalid': undefined }} />
          <button type="button" class="secondary small" aria-label={`Remove ${field.title} ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="secondary small" onClick={() => onChange([...value, emptyItem(item)])}>
        Add {field.title}
      </button>
    </div>
  );
}
