/**
 * The prices a decision compares with, as an editable table: Replicate's $ per second per SKU,
 * dedicated $ per GPU-hour (each provider's, and yours), the provider to rent from, and official
 * models' per-unit prices. "Apply" sends them as `POST /v1/decide { prices }`; the API's error
 * for a price shows beside that price. Sources and dates of the shipped tables are listed.
 */
import type { Decision } from '../../api/types';
import { usd } from '../../lib/format';
import {
  dedicatedPointer,
  gpuTypes,
  OFFICIAL_RULES,
  officialPointer,
  PROVIDER_POINTER,
  replicatePointer,
  skusInUse,
  type PriceDraft,
} from '../../lib/price-overrides';
import { describedBy, errorId, Field } from '../../ui/Field';
import { Table } from '../../ui/Table';

interface Props {
  decision: Decision;
  draft: PriceDraft;
  onChange: (draft: PriceDraft) => void;
  errors: Record<string, string>;
  onApply: () => void;
  onReset: () => void;
  busy: boolean;
}

/** One price control, labelled for assistive technology, with the API's error for it beneath. */
function PriceInput({ id, label, value, placeholder, error, onInput }: { id: string; label: string; value: string; placeholder: string; error?: string; onInput: (v: string) => void }) {
  return (
    <div class={`price-input${error ? ' has-error' : ''}`} data-field={id}>
      <input
        id={id}
        type="number"
        step="any"
        inputMode="decimal"
        aria-label={label}
        value={value}
        placeholder={placeholder}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-describedby={error ? errorId(id) : undefined}
        aria-invalid={error ? true : undefined}
      />
      {error && (
        <p class="field-error" id={errorId(id)} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

const idOf = (pointer: string) => `price${pointer.replace(/[^a-z0-9]+/gi, '-')}`;

export function PriceForm({ decision, draft, onChange, errors, onApply, onReset, busy }: Props) {
  const prices = decision.prices;
  const { used, others } = skusInUse(decision.groups, prices);
  const gpus = gpuTypes(used, prices);
  const providers = prices.dedicated.providers.filter((p) => p.id !== 'custom');
  const replicateRow = (sku: string) => {
    const pointer = replicatePointer(sku);
    return (
      <tr key={sku} data-sku={sku}>
        <th scope="row">{sku}</th>
        <td>{usd(prices.replicate.per_second[sku])}</td>
        <td>
          <PriceInput
            id={idOf(pointer)}
            label={`Replicate $ per second for ${sku}`}
            value={draft.replicate[sku] ?? ''}
            placeholder={String(prices.replicate.per_second[sku] ?? '')}
            error={errors[pointer]}
            onInput={(v) => onChange({ ...draft, replicate: { ...draft.replicate, [sku]: v } })}
          />
        </td>
      </tr>
    );
  };
  const hiddenTouched = others.some((s) => draft.replicate[s] || errors[replicatePointer(s)]);
  const added = draft.added;
  const addedModel = added.model.trim();
  const addedNameError = addedModel ? errors[officialPointer(addedModel)] : undefined;
  const addedPriceError = addedModel ? errors[officialPointer(addedModel, added.rule)] : undefined;
  return (
    <form
      class="card price-form"
      id="prices"
      aria-label="Prices"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onApply();
      }}
    >
      <h2>Prices</h2>
      <p class="hint">
        Type a price to see the same usage under it (empty: the price shown). Applied to this page only; the engine's own prices come from GANTRY_PRICES.
      </p>
      {prices.overridden.length > 0 && (
        <div class="notice" data-testid="overridden">
          <strong>Overridden</strong>
          <ul>
            {prices.overridden.map((o) => (
              <li key={o}>{o}</li>
            ))}
          </ul>
        </div>
      )}
      <h3>Replicate, $ per second</h3>
      <Table head={['SKU', 'Price used', 'Your price']} testid="replicate-prices" caption="Replicate's price per second of each SKU">
        {used.map(replicateRow)}
      </Table>
      {others.length > 0 && (
        <details open={hiddenTouched}>
          <summary>Other SKUs ({others.length})</summary>
          <Table head={['SKU', 'Price used', 'Your price']} caption="Replicate's price per second of the SKUs not used in the period">
            {others.map(replicateRow)}
          </Table>
        </details>
      )}
      <h3>Dedicated, $ per GPU-hour</h3>
      <Field id="price-provider" label="Provider" error={errors[PROVIDER_POINTER]} hint="Whose on-demand price the dedicated option uses; by default the cheapest listed for each GPU, or your price where you give one.">
        <select id="price-provider" value={draft.provider} onChange={(e) => onChange({ ...draft, provider: e.currentTarget.value })} {...describedBy('price-provider', true, errors[PROVIDER_POINTER])}>
          <option value="">the cheapest listed (or yours)</option>
          {providers.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </Field>
      <Table head={['GPU', ...providers.map((p) => p.id), 'Your price']} testid="dedicated-prices" caption="Dedicated price per GPU-hour by provider">
        {gpus.map((gpu) => {
          const pointer = dedicatedPointer(gpu);
          return (
            <tr key={gpu} data-gpu={gpu}>
              <th scope="row">{gpu}</th>
              {providers.map((p) => (
                <td key={p.id}>{p.per_gpu_hour[gpu] === undefined ? '—' : usd(p.per_gpu_hour[gpu])}</td>
              ))}
              <td>
                <PriceInput
                  id={idOf(pointer)}
                  label={`Your dedicated $ per GPU-hour for ${gpu}`}
                  value={draft.dedicated[gpu] ?? ''}
                  placeholder="none"
                  error={errors[pointer]}
                  onInput={(v) => onChange({ ...draft, dedicated: { ...draft.dedicated, [gpu]: v } })}
                />
              </td>
            </tr>
          );
        })}
      </Table>
      <h3>Official models, $ per unit</h3>
      <p class="hint">Replicate bills its official models per unit (image, token, …) instead of per second.</p>
      <Table head={['Model', 'Rule', 'Price used', 'Your price']} testid="official-prices" caption="Per-unit prices of official models">
        {Object.entries(prices.official_models.models).flatMap(([model, rules]) =>
          rules.map((r) => {
            const pointer = officialPointer(model, r.rule);
            return (
              <tr key={pointer}>
                <th scope="row">{model}</th>
                <td>{r.rule}</td>
                <td>{usd(r.unit_price_usd)}</td>
                <td>
                  <PriceInput
                    id={idOf(pointer)}
                    label={`Your ${r.rule.replace(/_/g, ' ')} price for ${model}`}
                    value={draft.official[model]?.[r.rule] ?? ''}
                    placeholder={String(r.unit_price_usd)}
                    error={errors[pointer]}
                    onInput={(v) => onChange({ ...draft, official: { ...draft.official, [model]: { ...(draft.official[model] ?? {}), [r.rule]: v } } })}
                  />
                </td>
              </tr>
            );
          }),
        )}
      </Table>
      <div class="row3">
        <Field id="price-add-model" label="Another official model" error={addedNameError} hint="owner/name, priced per unit on Replicate.">
          <input id="price-add-model" value={added.model} placeholder="owner/name" onInput={(e) => onChange({ ...draft, added: { ...added, model: e.currentTarget.value } })} {...describedBy('price-add-model', true, addedNameError)} />
        </Field>
        <Field id="price-add-rule" label="Rule">
          <select id="price-add-rule" value={added.rule} onChange={(e) => onChange({ ...draft, added: { ...added, rule: e.currentTarget.value } })}>
            {OFFICIAL_RULES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field id="price-add-price" label="$ per unit" error={addedPriceError}>
          <input id="price-add-price" type="number" step="any" inputMode="decimal" value={added.price} onInput={(e) => onChange({ ...draft, added: { ...added, price: e.currentTarget.value } })} {...describedBy('price-add-price', false, addedPriceError)} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Applying…' : 'Apply prices'}
        </button>
        <button type="button" class="secondary" onClick={onReset} disabled={busy}>
          Back to the engine's prices
        </button>
      </div>
      <h3>Sources</h3>
      <ul class="sources" data-testid="price-sources">
        <li>
          Replicate's hardware prices: {prices.replicate.source}, retrieved {prices.replicate.retrieved}
        </li>
        <li>
          Official models: {prices.official_models.source}, retrieved {prices.official_models.retrieved}
        </li>
        {providers.map((p) => (
          <li key={p.id}>
            {p.name}: {p.source}, retrieved {p.retrieved}
            {p.note ? ` (${p.note})` : ''}
          </li>
        ))}
      </ul>
    </form>
  );
}
