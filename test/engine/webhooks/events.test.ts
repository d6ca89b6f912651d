/** The pure webhook event policy: filters, throttling, fan-out, URL validation. */
import {
  DEFAULT_WEBHOOK_EVENTS,
  ThrottleClock,
  WebhookValidationError,
  effectiveEvents,
  fanOut,
  parseEventsFilter,
  planWebhookEvent,
  validateWebhookUrl,
  webhookUrlProblem,
  type WebhookPrediction,
  type WebhookSubscription,
} from '../../../engine/src/webhooks/events';

const pred = (over: Partial<WebhookPrediction> = {}): WebhookPrediction => ({
  id: 'p1',
  status: 'processing',
  model: 'acme/sdxl',
  deployment: null,
  webhook: 'https://hooks.example/p',
  webhook_events_filter: null,
  ...over,
});

const sub = (over: Partial<WebhookSubscription>): WebhookSubscription => ({
  id: 'whk_x',
  url: 'https://subs.example/x',
  events: ['completed'],
  model: null,
  deployment: null,
  ...over,
});

describe('event filter', () => {
  test('no filter or an empty one means all four events', () => {
    expect(DEFAULT_WEBHOOK_EVENTS).toEqual(['start', 'output', 'logs', 'completed']);
    expect(effectiveEvents(null)).toEqual(['start', 'output', 'logs', 'completed']);
    expect(effectiveEvents([])).toEqual(['start', 'output', 'logs', 'completed']);
    expect(effectiveEvents(['completed'])).toEqual(['completed']);
  });

  test('parseEventsFilter validates and de-duplicates', () => {
    expect(parseEventsFilter(undefined)).toBeNull();
    expect(parseEventsFilter(['start', 'completed', 'start'])).toEqual(['start', 'completed']);
    expect(() => parseEventsFilter(['finished'])).toThrow(/webhook_events_filter contains "finished"; allowed events are start, output, logs, completed/);
    expect(() => parseEventsFilter('completed')).toThrow(WebhookValidationError);
    try {
      parseEventsFilter(['x'], 'events');
    } catch (err) {
      expect((err as WebhookValidationError).field).toBe('events');
    }
  });
});

describe('planWebhookEvent (throttling)', () => {
  test('start and completed are never throttled', () => {
    expect(planWebhookEvent(pred(), 'start', 1000, 1001)).toBe(true);
    expect(planWebhookEvent(pred({ status: 'succeeded' }), 'completed', 1000, 1001)).toBe(true);
  });

  test('completed only once terminal', () => {
    expect(planWebhookEvent(pred({ status: 'processing' }), 'completed', undefined, 0)).toBe(false);
    for (const s of ['succeeded', 'failed', 'canceled', 'aborted']) expect(planWebhookEvent(pred({ status: s }), 'completed', undefined, 0)).toBe(true);
  });

  test.each([
    ['output', null, 0, true],
    ['output', 1000, 1499, false],
    ['output', 1000, 1500, true],
    ['logs', 1000, 1200, false],
    ['logs', 1000, 2000, true],
  ] as const)('%s last=%s now=%s → %s', (event, last, now, expected) => {
    expect(planWebhookEvent(pred(), event, last, now)).toBe(expected);
  });

  test('no output/logs after a terminal status (completed carries the final state)', () => {
    expect(planWebhookEvent(pred({ status: 'succeeded' }), 'output', null, 0)).toBe(false);
  });

  test('ThrottleClock forgets completed predictions and sweeps stale ones', () => {
    const c = new ThrottleClock(1000);
    c.mark('a', 'output', 0);
    c.mark('a', 'logs', 0);
    c.mark('b', 'output', 900);
    c.forget('a');
    expect(c.get('a', 'output')).toBeUndefined();
    expect(c.size).toBe(1);
    c.sweep(2000);
    expect(c.size).toBe(0);
  });
});

describe('fanOut', () => {
  test("the prediction's own webhook follows its filter", () => {
    expect(fanOut(pred({ webhook_events_filter: ['completed'] }), 'output', [])).toEqual([]);
    expect(fanOut(pred({ webhook_events_filter: ['completed'] }), 'completed', [])).toEqual([
      { url: 'https://hooks.example/p', event: 'completed', events: ['completed'], source: 'prediction' },
    ]);
    expect(fanOut(pred({ webhook: null }), 'completed', [])).toEqual([]);
  });

  test('subscriptions match by model, deployment and event', () => {
    const subs = [
      sub({ id: 'any', url: 'https://s/any', events: ['completed'] }),
      sub({ id: 'model', url: 'https://s/model', events: ['completed', 'start'], model: 'acme/sdxl' }),
      sub({ id: 'other-model', url: 'https://s/other', events: ['completed'], model: 'acme/other' }),
      sub({ id: 'dep', url: 'https://s/dep', events: ['completed'], deployment: 'acme/prod' }),
      sub({ id: 'both', url: 'https://s/both', events: ['completed'], model: 'acme/sdxl', deployment: 'acme/prod' }),
      sub({ id: 'logs-only', url: 'https://s/logs', events: ['logs'] }),
    ];
    const ids = (p: WebhookPrediction, e: 'start' | 'completed' | 'logs') => fanOut(p, e, subs).map((t) => t.subscriptionId ?? t.source);
    expect(ids(pred({ webhook: null, status: 'succeeded' }), 'completed')).toEqual(['any', 'model']);
    expect(ids(pred({ webhook: null, deployment: 'acme/prod' }), 'completed')).toEqual(['any', 'model', 'dep', 'both']);
    expect(ids(pred({ webhook: null, model: 'acme/other' }), 'completed')).toEqual(['any', 'other-model']);
    expect(ids(pred(), 'start')).toEqual(['prediction', 'model']);
    expect(ids(pred({ webhook_events_filter: ['completed'] }), 'logs')).toEqual(['logs-only']);
  });

  test('one delivery per URL', () => {
    const subs = [sub({ url: 'https://hooks.example/p' }), sub({ id: 'dup', url: 'https://hooks.example/p' })];
    expect(fanOut(pred(), 'completed', subs)).toHaveLength(1);
  });
});

describe('webhook URL validation', () => {
  test.each([
    ['https://hooks.example/x?token=1', null],
    ['http://localhost:5678/webhook/abc', null],
    ['http://10.0.0.5/hook', null],
    ['ftp://hooks.example/x', /must use http or https, not ftp/],
    ['https://user:pw@hooks.example/x', /must not contain credentials/],
    ['not a url', /is not a valid absolute URL/],
    ['/relative/path', /is not a valid absolute URL/],
    ['', /non-empty/],
  ] as const)('%s', (url, expected) => {
    const problem = webhookUrlProblem(url);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  test('validateWebhookUrl throws an error naming the field', () => {
    expect(validateWebhookUrl('https://ok.example/')).toBe('https://ok.example/');
    expect(() => validateWebhookUrl('javascript:alert(1)')).toThrow('webhook must use http or https, not javascript');
    expect(() => validateWebhookUrl(42, 'url')).toThrow(/^url must be a non-empty URL string$/);
  });
});
