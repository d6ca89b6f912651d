/** What route modules need from the running engine. */
import type { Db } from '../store/db';
import type { Dispatcher } from '../queue';
import type { PriceTable } from '../core/hardware';
import type { PredictionWaiter } from './waiter';
import type { Lifecycle } from '../lifecycle';
import type { FileStore } from '../files';

export interface ApiContext {
  db: Db;
  dispatcher: Dispatcher;
  waiter: PredictionWaiter;
  publicUrl: string;
  prices: PriceTable;
  /** Seconds after which a worker without heartbeat counts as gone. */
  workerStaleSeconds: number;
  /** Terminal transitions (with their webhooks) go through this. */
  lifecycle: Lifecycle;
  files: FileStore;
}
