/** Opens the store GANTRY_STORAGE_URL names (see settings.ts) and checks it can be used. */
import { LocalStorage } from './local';
import type { StorageSettings } from './settings';
import type { ObjectStorage } from './types';

export * from './types';
export { parseStorageUrl, type StorageSettings, type DownloadMode } from './settings';
export { WeightsStore } from './weights';

/**
 * The configured store, checked (a writable directory, a bucket that answers); rejects with a
 * StorageConfigError naming GANTRY_STORAGE_URL otherwise. The S3 SDK is loaded only when used.
 */
export async function openStorage(settings: StorageSettings, dataDir: string): Promise<ObjectStorage> {
  let storage: ObjectStorage;
  if (settings.kind === 'local') {
    storage = new LocalStorage(settings.root ?? dataDir);
  } else {
    // Required here, not imported above: the AWS SDK costs ~100 ms of start-up that local stores skip.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Storage } = require('./s3') as typeof import('./s3');
    storage = new S3Storage(settings);
  }
  await storage.check();
  return storage;
}
