import {
  IllegalTransitionError,
  beginPrediction,
  canTransition,
  createInstance,
  endPrediction,
  idleSince,
  transition,
  type InstanceState,
} from '../../../engine/src/scheduler/instance';

describe('instance lifecycle', () => {
  it('records setup time (boot start → ready) and last use', () => {
    let i = createInstance('i1', 'v1', 1_000);
    i = transition(i, 'ready', 31_000);
    expect(i).toMatchObject({ state: 'ready', readyAt: 31_000, setupMs: 30_000, lastUsedAt: null });
    expect(idleSince(i)).toBe(31_000);
    i = beginPrediction(i, 40_000);
    i = beginPrediction(i, 41_000);
    expect(i).toMatchObject({ state: 'busy', inFlight: 2, lastUsedAt: 41_000 });
    expect(idleSince(i)).toBeNull();
    i = endPrediction(i, 45_000);
    expect(i).toMatchObject({ state: 'busy', inFlight: 1 });
    i = endPrediction(i, 50_000);
    expect(i).toMatchObject({ state: 'ready', inFlight: 0, lastUsedAt: 50_000, since: 50_000 });
    expect(idleSince(i)).toBe(50_000);
    i = transition(transition(i, 'stopping', 60_000), 'stopped', 61_000);
    expect(i.state).toBe('stopped');
  });

  const legal: [InstanceState, InstanceState][] = [
    ['booting', 'ready'], ['booting', 'failed'], ['booting', 'stopping'],
    ['ready', 'busy'], ['busy', 'ready'], ['ready', 'stopping'], ['busy', 'stopping'],
    ['stopping', 'stopped'], ['ready', 'failed'], ['busy', 'failed'], ['stopping', 'failed'],
  ];
  const states: InstanceState[] = ['booting', 'ready', 'busy', 'stopping', 'stopped', 'failed'];
  const all = states.flatMap((from) => states.map((to) => [from, to] as [InstanceState, InstanceState]));

  it.each(all)('%s → %s is legal only if listed', (from, to) => {
    const isLegal = legal.some(([f, t]) => f === from && t === to);
    expect(canTransition(from, to)).toBe(isLegal);
    const rec = { ...createInstance('i', 'v', 0), state: from };
    if (isLegal) expect(transition(rec, to, 1).state).toBe(to);
    else expect(() => transition(rec, to, 1)).toThrow(IllegalTransitionError);
  });

  it('ending a prediction that never began throws', () => {
    const ready = transition(createInstance('i', 'v', 0), 'ready', 1);
    expect(() => endPrediction(ready, 2)).toThrow('illegal transition');
  });

  it('a booting instance cannot take predictions', () => {
    expect(() => beginPrediction(createInstance('i', 'v', 0), 1)).toThrow('booting → busy');
  });
});
