/**
 * Which hardware an imported model gets. The catalogue does not say what a model runs on, so the
 * operator's default SKU (GANTRY_IMPORT_HARDWARE) is used, grown to more GPUs of the same type
 * when the model's name states a parameter count whose 16-bit weights would not fit.
 */
import { SKUS, findSku } from '../core/hardware';

/** Memory per billion parameters: 2 bytes each, plus a fifth for activations and caches. */
const GB_PER_BILLION_PARAMETERS = 2.4;

/** Billions of parameters a model name states ("llama-2-70b-chat" → 70, "mixtral-8x7b" → 56). */
export function statedParameters(name: string): number | undefined {
  const m = /(?:^|[-_.])(?:(\d+)x)?(\d+(?:\.\d+)?)b(?=$|[-_.])/i.exec(name);
  if (!m) return undefined;
  const experts = m[1] ? Number(m[1]) : 1;
  return experts * Number(m[2]);
}

/**
 * `preferred` itself unless the name says the model needs more memory; then the fewest GPUs of
 * the preferred type that hold it (or the most there are). CPU stays CPU.
 */
export function importHardware(modelName: string, preferred: string): string {
  const base = findSku(preferred);
  const parameters = statedParameters(modelName);
  if (!base?.gpu || parameters === undefined) return preferred;
  const need = parameters * GB_PER_BILLION_PARAMETERS;
  const family = SKUS.filter((s) => s.gpu === base.gpu && s.gpuCount >= base.gpuCount).sort((a, b) => a.gpuCount - b.gpuCount);
  return (family.find((s) => s.gpuCount * s.gpuMemoryGb >= need) ?? family[family.length - 1]).sku;
}
