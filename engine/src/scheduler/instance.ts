/**
 * The lifecycle of one instance (a running copy of a version on its devices):
 *
 *   booting → ready ⇄ busy → stopping → stopped
 *   any live state → failed;  booting/ready/busy → stopping
 *
 * Records are immutable values; every change returns a new record. An illegal transition
 * throws IllegalTransitionError (a programming error in the caller, not a runtime "no").
 */

export type InstanceState = 'booting' | 'ready' | 'busy' | 'stopping' | 'stopped' | 'failed';

const NEXT: Readonly<Record<InstanceState, readonly InstanceState[]>> = {
  booting: ['ready', 'stopping', 'failed'],
  ready: ['busy', 'stopping', 'failed'],
  busy: ['ready', 'stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export interface InstanceRecord {
  id: string;
  versionId: string;
  state: InstanceState;
  /** When the state last changed (ms since epoch). */
  since: number;
  bootStartedAt: number;
  readyAt: number | null;
  /** Boot start → ready, in ms (the cold start); null until ready. */
  setupMs: number | null;
  /** When a prediction last started or ended here; null if never used. */
  lastUsedAt: number | null;
  /** Predictions running now; `busy` exactly when > 0. */
  inFlight: number;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly instanceId: string,
    readonly from: InstanceState,
    readonly to: InstanceState,
  ) {
    super(`instance ${instanceId}: illegal transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** A new instance, booting from `now`. */
export function createInstance(id: string, versionId: string, now: number): InstanceRecord {
  return { id, versionId, state: 'booting', since: now, bootStartedAt: now, readyAt: null, setupMs: null, lastUsedAt: null, inFlight: 0 };
}

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return NEXT[from].includes(to);
}

/** Moves to `to` at `now`; throws IllegalTransitionError when the machine forbids it. */
export function transition(record: InstanceRecord, to: InstanceState, now: number): InstanceRecord {
  if (!canTransition(record.state, to)) throw new IllegalTransitionError(record.id, record.state, to);
  const next: InstanceRecord = { ...record, state: to, since: now };
  if (to === 'ready' && record.state === 'booting') {
    next.readyAt = now;
    next.setupMs = now - record.bootStartedAt;
  }
  return next;
}

/** A prediction starts here: ready → busy (or stays busy), one more in flight. */
export function beginPrediction(record: InstanceRecord, now: number): InstanceRecord {
  const moved = record.state === 'busy' ? record : transition(record, 'busy', now);
  return { ...moved, inFlight: record.inFlight + 1, lastUsedAt: now };
}

/** A prediction ends here: one fewer in flight; busy → ready when none is left. */
export function endPrediction(record: InstanceRecord, now: number): InstanceRecord {
  if (record.inFlight <= 0) throw new IllegalTransitionError(record.id, record.state, 'ready');
  const inFlight = record.inFlight - 1;
  const moved = inFlight === 0 && record.state === 'busy' ? transition(record, 'ready', now) : record;
  return { ...moved, inFlight, lastUsedAt: now };
}

/** True while the instance holds devices and counts toward a version's capacity. */
export function isLive(state: InstanceState): boolean {
  return state === 'booting' || state === 'ready' || state === 'busy';
}

/** When the instance became idle (last use, else ready time); null unless it is ready. */
export function idleSince(record: InstanceRecord): number | null {
  if (record.state !== 'ready') return null;
  return record.lastUsedAt ?? record.readyAt ?? record.since;
}
