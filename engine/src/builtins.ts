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
  /** Absent: hardware time. Unit prices are Gantry's default list prices (LIST_PRICES). */
  pricing?: PricingRule[];
  /** A package the predictor loads that may not be installed (copyleft, kept optional): skip without it. */
  requires?: string;
}

/** Gantry's default list prices (USD) for the built-in models priced per unit. */
export const LIST_PRICES = {
  /** text-classifier: $0.10 per million input tokens (words, see models/README.md). */
  classifierInputToken: 0.0000001,
  /** tts: $0.006 per minute of speech. */
  ttsAudioSecond: 0.0001,
  /** image-resize: $0.20 per thousand output images. */
  resizedImage: 0.0002,
} as const;

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
    pricing: [{ rule: 'per_input_token', unit_price_usd: LIST_PRICES.classifierInputToken }],
  },
  {
    name: 'tts',
    description: 'Speaks text in 100+ languages and accents (eSpeak-NG, WebAssembly, offline); returns a WAV file. eSpeak-NG is GPL-3.0.',
    license_url: 'https://www.gnu.org/licenses/gpl-3.0.html',
    // synthesis is synchronous inside one WebAssembly instance: one at a time per instance
    max_concurrency: 1,
    pricing: [{ rule: 'per_audio_second', unit_price_usd: LIST_PRICES.ttsAudioSecond }],
    requires: '@echogarden/espeak-ng-emscripten',
  },
  {
    name: 'image-resize',
    description: 'Resizes and converts images (png, jpeg, webp, avif) with sharp/libvips.',
    license_url: 'https://www.apache.org/licenses/LICENSE-2.0',
    max_concurrency: 4,
    pricing: [{ rule: 'per_image', unit_price_usd: LIST_PRICES.resizedImage }],
  },
];

/**
 * Whether `pkg` is installed where the engine and its built-in models resolve packages. Looked up
 * by its package.json, which also finds ES-module-only packages that `require` cannot load.
 */
function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

export async function ensureBuiltins(db: Db, log: (m: string) => void): Promise<void> {
  for (const b of BUILTINS) {
    const module = `builtin:${b.name}`;
    if (!existsSync(resolveModule(module))) {
      log(`built-in model gantry/${b.name} is not built; skipping`);
      continue;
    }
    if (b.requires && !installed(b.requires)) {
      log(`built-in model gantry/${b.name} needs the package ${b.requires}, which is not installed; skipping`);
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
