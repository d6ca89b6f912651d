/** Built-in models, created on start under owner `gantry` (idempotent: version ids are content hashes). */
import { existsSync } from 'node:fs';
import type { Db } from './store/db';
import { getModel, insertModel } from './store/catalog';
import { createVersion } from './catalog';
import { resolveModule } from './runners/resolve-module';
import type { PricingRule } from './core/pricing';

interface Builtin {
  name: string;
  description: string;
  license_url: string;
  max_concurrency: number;
  pricing?: PricingRule[];
}

export const BUILTINS: Builtin[] = [
  {
    name: 'echo',
    description: 'Returns its input text; can sleep, fail or stream in chunks. For tests and benchmarks.',
    license_url: 'https://opensource.org/licenses/MIT',
    max_concurrency: 64,
  },
  {
    name: 'ocr',
    description: 'Reads English text from an image (tesseract.js with the eng traineddata, offline).',
    license_url: 'https://www.apache.org/licenses/LICENSE-2.0',
    max_concurrency: 1,
  },
  {
    name: 'text-classifier',
    description: 'Classifies short texts (sentiment out of the box); fine-tune it on your own labels with a JSONL dataset.',
    license_url: 'https://opensource.org/licenses/MIT',
    max_concurrency: 4,
  },
];

export async function ensureBuiltins(db: Db, log: (m: string) => void): Promise<void> {
  for (const b of BUILTINS) {
    const module = `builtin:${b.name}`;
    if (!existsSync(resolveModule(module))) {
      log(`built-in model gantry/${b.name} is not built; skipping`);
      continue;
    }
    if (!(await getModel(db, 'gantry', b.name))) {
      await insertModel(db, {
        owner: 'gantry', name: b.name, description: b.description, visibility: 'public', hardware: 'cpu',
        github_url: null, paper_url: null, license_url: b.license_url, cover_image_url: null,
      });
    }
    await createVersion(db, 'gantry', b.name, {
      runner: { type: 'node', module },
      hardware: 'cpu',
      max_concurrency: b.max_concurrency,
      pricing: b.pricing ?? [],
    });
  }
}
