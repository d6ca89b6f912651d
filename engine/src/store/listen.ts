/**
 * A dedicated connection that LISTENs on Postgres channels and re-emits notifications in this
 * process. It reconnects after a connection loss; listeners should also poll as a safety net.
 */
import { EventEmitter } from 'node:events';
import { Client } from 'pg';

export class Listener extends EventEmitter {
  private client?: Client;
  private closed = false;

  constructor(private readonly url: string, private readonly channels: string[]) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('notification', (msg) => this.emit(msg.channel, msg.payload ?? ''));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    await client.connect();
    for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    this.client = client;
  }

  private reconnect(old: Client): void {
    if (this.closed || this.client !== old) return;
    this.client = undefined;
    setTimeout(() => {
      if (!this.closed) this.start().catch(() => this.reconnect(old));
    }, 500).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
