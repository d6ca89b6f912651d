/**
 * `GET /v1/streams/{id}/{key}`: a prediction's output as server-sent events. No bearer token:
 * the key (the prediction's unguessable stream capability) is the authorisation, because the
 * official client sends none to stream URLs. Late subscribers get everything so far, then
 * follow the prediction's notifications (with a slow poll as a safety net).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../core/errors';
import { formatEvent, nextEvents, parseLastEventId } from '../core/sse';
import { getPrediction } from '../store/predictions';
import type { ApiContext } from './context';

const POLL_MS = 2000;
const KEEPALIVE_MS = 15_000;

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function streamRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get<{ Params: { id: string; key: string } }>('/v1/streams/:id/:key', async (req, reply) => {
    const { id, key } = req.params;
    const first = await getPrediction(ctx.db, id, 'prediction');
    if (!first || !first.stream_key || !sameKey(first.stream_key, key)) throw notFound(`Stream ${id}`);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': gantry stream\n\n');

    const pos = parseLastEventId(req.headers['last-event-id']);
    let closed = false;
    let busy: Promise<void> = Promise.resolve();
    let unsubscribe = () => undefined as void;
    // Declared before `end` (which may run first, on an early hang-up) and set once below.
    // eslint-disable-next-line prefer-const
    let poll: NodeJS.Timeout | undefined;
    // eslint-disable-next-line prefer-const
    let keepalive: NodeJS.Timeout | undefined;
    const end = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(keepalive);
      open.delete(end);
      res.end();
    };
    open.add(end);
    const step = () => {
      busy = busy
        .then(async () => {
          if (closed) return;
          const row = await getPrediction(ctx.db, id, 'prediction');
          if (!row || closed) return end();
          const { events, finished } = nextEvents(row, pos);
          for (const e of events) res.write(formatEvent(e));
          if (finished) end();
        })
        .catch(() => end());
    };
    // The response closes when the client hangs up (the request's own close fires once it is read).
    res.on('close', end);
    unsubscribe = ctx.waiter.subscribe(id, (event) => {
      if (event === 'progress' || event === 'completed' || event === 'start') step();
    });
    poll = setInterval(step, POLL_MS);
    keepalive = setInterval(() => !closed && res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    step();
  });
}
