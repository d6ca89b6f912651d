import { isAbsolute, join, resolve } from 'node:path';

/** Built-in predictors are referenced as `builtin:<name>`; others by absolute (or cwd-relative) path. */
export function resolveModule(module: string): string {
  if (module.startsWith('builtin:')) return join(__dirname, '..', '..', 'models', module.slice('builtin:'.length), 'index.js');
  return isAbsolute(module) ? module : resolve(module);
}
