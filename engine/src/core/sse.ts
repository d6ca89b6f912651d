/**
 * Server-sent events for prediction streams (Replicate's format): what to send next, given the
 * prediction as stored and what was already sent. Pure: no I/O.
 *
 * Event ids are `<pieces sent>.<log characters sent>`, the position after the event, so a client
 * that reconnects with `Last-Event-ID` resumes exactly where it stopped.
 */
export interface StreamPosition {
  pieces: number;
  logChars: number;
}

export interface StreamSnapshot {
  status: string;
  output: unknown;
  logs: string | null;
  error: string | null;
}

export interface SseEvent {
  event: 'output' | 'logs' | 'error' | 'done';
  data: string;
  id: string;
}

export function parseLastEventId(value: unknown): StreamPosition {
  const m = typeof value === 'string' ? /^(\d+)\.(\d+)/.exec(value) : null;
  return m ? { pieces: Number(m[1]), logChars: Number(m[2]) } : { pieces: 0, logChars: 0 };
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

/** The output as a list of streamed pieces (a final non-array output counts as one piece). */
function pieces(snapshot: StreamSnapshot): unknown[] {
  const out = snapshot.output;
  if (Array.isArray(out)) return out;
  if (out === null || out === undefined) return [];
  return TERMINAL.has(snapshot.status) ? [out] : [];
}

const text = (piece: unknown) => (typeof piece === 'string' ? piece : JSON.stringify(piece));

/** Events that bring a client at `pos` up to `snapshot`; advances `pos`. Ends with `done` when terminal. */
export function nextEvents(snapshot: StreamSnapshot, pos: StreamPosition): { events: SseEvent[]; finished: boolean } {
  const events: SseEvent[] = [];
  const id = () => `${pos.pieces}.${pos.logChars}`;
  const logs = snapshot.logs ?? '';
  // Whole lines only while running (a line may still be growing); everything at the end.
  const finished = TERMINAL.has(snapshot.status);
  const logEnd = finished ? logs.length : logs.lastIndexOf('\n') + 1;
  if (logEnd > pos.logChars) {
    const fresh = logs.slice(pos.logChars, logEnd);
    let offset = pos.logChars;
    for (const line of fresh.split(/(?<=\n)/)) {
      offset += line.length;
      pos.logChars = offset;
      events.push({ event: 'logs', data: line.replace(/\n$/, ''), id: id() });
    }
  }
  const all = pieces(snapshot);
  while (pos.pieces < all.length) {
    const piece = all[pos.pieces];
    pos.pieces += 1;
    events.push({ event: 'output', data: text(piece), id: id() });
  }
  if (finished) {
    if (snapshot.status === 'failed') events.push({ event: 'error', data: snapshot.error ?? 'the prediction failed', id: id() });
    const reason = snapshot.status === 'succeeded' ? {} : { reason: snapshot.status === 'failed' ? 'error' : 'canceled' };
    events.push({ event: 'done', data: JSON.stringify(reason), id: `${id()}.done` });
  }
  return { events, finished };
}

/** The wire form of one event; multi-line data becomes several `data:` lines. */
export function formatEvent(e: SseEvent): string {
  const data = e.data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n');
  return `event: ${e.event}\nid: ${e.id}\n${data}\n\n`;
}
