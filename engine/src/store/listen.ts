/**
 * A dedicated connection that LISTENs on Postgres channels and re-emits notifications in this
 * process. It reconnects after a connection loss and then emits `reconnected` (notifications
 * sent meanwhile are lost: re-read what matters); listeners should also poll as a safety net.
 * Give it a direct URL: LISTEN does not work through a transaction-mode pooler.
 *
 * A connection whose network path silently died (a partition drops packets; nothing resets the
 * socket) would wait for TCP keepalive for hours, so the connection is pinged every few seconds
 * and replaced when a ping does not come back.
 */
import { EventEmitter } from 'node:events';
import { Client } from 'pg';

const PING_MS = 5000;
const RETRY_MS = 500;

export class Listener extends EventEmitter {
  private client?: Client;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private ping?: NodeJS.Timeout;

  constructor(private readonly url: string, private readonly channels: string[]) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.connect();
    this.ping = setInterval(() => void this.check(), PING_MS);
    this.ping.unref();
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, query_timeout: PING_MS, connectionTimeoutMillis: PING_MS, keepAlive: true });
    client.on('notification', (msg) => this.emit(msg.channel, msg.payload ?? ''));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
  }

  private async check(): Promise<void> {
    const client = this.client;
    if (!client || this.closed) return;
    try {
      await client.query('SELECT 1');
    } catch {
      this.lost(client);
    }
  }

  /** The current connection failed: drop it and keep trying until a new one listens. */
  private lost(client: Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.closed) return;
      this.connect().then(
        () => this.emit('reconnected'),
        () => this.scheduleReconnect(),
      );
    }, RETRY_MS);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.ping) clearInterval(this.ping);
    await this.client?.end().catch(() => undefined);
  }
}
