/** Pricing: the version's price rules in words, priced with this engine's hardware prices. */
import { api } from '../../api';
import type { Price } from '../../api/types';
import { describeRule, effectiveRules } from '../../lib/pricing';
import { usd } from '../../lib/format';
import { ProblemNotice } from '../../ui/ProblemNotice';
import { useResource } from '../../ui/use-resource';
import type { ModelTabProps } from '../ModelPage';

export function Pricing({ version }: ModelTabProps) {
  const prices = useResource((signal) => api.get<{ results: Price[] }>('/v1/prices', { signal }), []);
  const hw = prices.data?.results.find((p) => p.sku === version.hardware);
  const rules = effectiveRules(version.pricing);
  return (
    <div class="stack">
      <ProblemNotice problem={prices.error} />
      <section class="card" data-testid="pricing">
        <h2>How a prediction is priced</h2>
        <ul class="rules">
          {rules.map((r) => {
            const t = describeRule(r, version.hardware, hw?.price_per_second_usd);
            return (
              <li key={r.rule}>
                <strong>{t.rule}</strong>: {t.price}
                {t.example && <p class="muted">For example: {t.example}.</p>}
              </li>
            );
          })}
        </ul>
        <p class="hint">
          Runs on <strong>{hw?.name ?? version.hardware}</strong>
          {hw && ` (${usd(hw.price_per_hour_usd)} an hour when a deployment keeps it warm; setup and idle time of deployment instances are billed at this rate)`}.
          Trainings are billed by hardware time. Every finished prediction carries its exact <code>cost</code>.
        </p>
      </section>
    </div>
  );
}
