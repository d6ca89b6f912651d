/** Starting and stopping the webhook machinery of one engine process. */
import type { Db } from '../store/db';
import { WebhookDispatcher } from './dispatch';
import { WebhookSender, exponentialBackoff } from './outbox';
import { observeWebhookAttempt } from '../observe/metrics';

export interface WebhookRuntimeOptions {
  /** Run a sender here (the API process does; standalone workers only enqueue). */
  send: boolean;
  retryBaseMs?: number;
  retryMaxMs?: number;
  log: (msg: string) => void;
}

export interface WebhookRuntime {
  dispatcher: WebhookDispatcher;
  stop(): Promise<void>;
}

export async function startWebhooks(db: Db, opts: WebhookRuntimeOptions): Promise<WebhookRuntime> {
  const onError = (err: Error) => opts.log(`webhooks: ${err.message}`);
  const dispatcher = new WebhookDispatcher(db, { onError });
  const sender = opts.send
    ? new WebhookSender(db, {
        onError,
        onAttempt: observeWebhookAttempt,
        schedule: exponentialBackoff({ baseMs: opts.retryBaseMs, maxTotalMs: opts.retryMaxMs, capMs: 5 * 60_000 }),
        pollIntervalMs: Math.min(1000, Math.max(100, opts.retryBaseMs ?? 1000)),
      })
    : undefined;
  await sender?.start();
  return {
    dispatcher,
    async stop() {
      dispatcher.close();
      await sender?.stop();
    },
  };
}
