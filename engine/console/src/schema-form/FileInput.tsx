/** A file input: pick a file (uploaded through the Files API when the form runs) or type a URL. */
import type { FileValue, FormValue } from '../lib/form-values';
import { bytes } from '../lib/format';
import type { describedBy } from '../ui/Field';

interface Props {
  id: string;
  value: FileValue | undefined;
  onChange: (v: FormValue) => void;
  describe: ReturnType<typeof describedBy>;
}

export function FileInput({ id, value, onChange, describe }: Props) {
  const v = value ?? { url: '' };
  return (
    <div class="file-input">
      <input
        id={id}
        type="file"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          onChange(file ? { url: '', file } : { url: v.url });
        }}
        {...describe}
      />
      {v.file && (
        <span class="muted" data-testid={`${id}-picked`}>
          {v.file.name} ({bytes(v.file.size)}) — uploaded when you run
        </span>
      )}
      <label class="sub-label" for={`${id}-url`}>
        or a URL
      </label>
      <input
        id={`${id}-url`}
        type="url"
        inputMode="url"
        placeholder="https://… or data:…"
        value={v.file ? '' : v.url}
        disabled={!!v.file}
        onInput={(e) => onChange({ url: e.currentTarget.value })}
      />
    </div>
  );
}
