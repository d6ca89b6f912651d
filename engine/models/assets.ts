/**
 * Locating the non-TypeScript assets (datasets, weights) of the built-in predictors.
 *
 * Predictor modules run both from source (`engine/models/<name>/index.ts`, e.g. under jest/swc)
 * and compiled (`engine/dist/models/<name>/index.js`). tsc does not copy assets into dist, so
 * assets always stay in `engine/models/<name>/...` and are resolved from the engine package root:
 * the nearest ancestor of this file whose package.json is named `gantry-engine`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ENGINE_PACKAGE_NAME = 'gantry-engine';

let cachedRoot: string | undefined;

/** The engine package root (the directory holding gantry-engine's package.json). */
export function engineRoot(from: string = __dirname): string {
  if (from === __dirname && cachedRoot) return cachedRoot;
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === ENGINE_PACKAGE_NAME) {
          if (from === __dirname) cachedRoot = dir;
          return dir;
        }
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${ENGINE_PACKAGE_NAME} package root above ${from}`);
    }
    dir = parent;
  }
}

/** Absolute path of an asset of a built-in model: `<engine root>/models/<model>/<...parts>`. */
export function modelAsset(model: string, ...parts: string[]): string {
  return join(engineRoot(), 'models', model, ...parts);
}
