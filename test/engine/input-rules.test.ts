/** The pure input rules the API's edge applies (issue 12): text, identifiers, JSON nesting, instants. */
import { findTextProblems, identifierProblem, MAX_IDENTIFIER_LENGTH, MAX_REPORTED_PROBLEMS, textProblem } from '../../engine/src/core/text-rules';
import { excessNestingAt, MAX_JSON_DEPTH } from '../../engine/src/core/json-limits';
import { isCursorInstant, isStorableInstant } from '../../engine/src/core/instants';
import { MAX_CANCEL_AFTER_SECONDS, parseCancelAfter, parsePreferWait } from '../../engine/src/core/durations';

describe('text rules', () => {
  test.each([
    ['plain', undefined],
    ['emoji \ud83d\ude00 (a surrogate pair)', undefined],
    ['日本語, é, \u202e, \uFEFF', undefined],
    ['a\u0000b', 'must not contain U+0000 (NUL)'],
    ['lone high \ud800', 'must not contain an unpaired UTF-16 surrogate'],
    ['lone low \udc00', 'must not contain an unpaired UTF-16 surrogate'],
    ['reversed \udc00\ud800', 'must not contain an unpaired UTF-16 surrogate'],
  ])('%j', (text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });

  test('every string and key is checked, each named by its JSON pointer', () => {
    const value = { input: { text: 'a\u0000', list: ['ok', '\ud800'], 'a/b~c': 'x\u0000', 'bad\u0000key': 'fine' }, tags: { k: 'v' } };
    expect(findTextProblems(value, '').map((e) => e.pointer).sort()).toEqual(['/input/a~1b~0c', '/input/bad\u0000key', '/input/list/1', '/input/text']);
    expect(findTextProblems('\u0000', '/metadata')).toEqual([{ pointer: '/metadata', detail: 'must not contain U+0000 (NUL)' }]);
    expect(findTextProblems({ n: 1, b: true, z: null })).toEqual([]);
  });

  test('a huge body reports a bounded number of problems', () => {
    const many = Array.from({ length: 10_000 }, () => '\u0000');
    expect(findTextProblems(many)).toHaveLength(MAX_REPORTED_PROBLEMS);
  });
});

describe('identifier rules', () => {
  test.each(['2c26b20fb155d744c8322b0f28a4c68028319da1e7a5134f729f349310cd1ad3', 'gantry', 'text-classifier', 'a.b_c~d:e', 'x'.repeat(MAX_IDENTIFIER_LENGTH)])('accepts %s', (id) => {
    expect(identifierProblem(id)).toBeUndefined();
  });
  test.each(['', 'a b', '<script>', 'a/b', 'é', 'x'.repeat(MAX_IDENTIFIER_LENGTH + 1), 'a\u0000'])('refuses %j', (id) => {
    expect(identifierProblem(id)).toEqual(expect.any(String));
  });
});

describe('JSON nesting', () => {
  const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  test('counts arrays and objects, up to the limit', () => {
    expect(excessNestingAt(nest(MAX_JSON_DEPTH))).toBe(-1);
    expect(excessNestingAt(nest(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(excessNestingAt(`${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`)).toBeGreaterThan(0);
  });
  test('brackets inside strings, escaped quotes included, do not count', () => {
    const text = JSON.stringify({ s: '['.repeat(500), t: '\\"[[[[' + '{'.repeat(500) });
    expect(excessNestingAt(text)).toBe(-1);
  });
  test('siblings do not add up', () => {
    expect(excessNestingAt(`[${Array.from({ length: 1000 }, () => '[1]').join(',')}]`)).toBe(-1);
  });
});

describe('instants', () => {
  test('stored range: years 0001 to 9999', () => {
    expect(isStorableInstant(new Date('0001-01-01T00:00:00Z'))).toBe(true);
    expect(isStorableInstant(new Date('9999-12-31T23:59:59.999Z'))).toBe(true);
    expect(isStorableInstant(new Date('+010000-01-01T00:00:00Z'))).toBe(false);
    expect(isStorableInstant(new Date('-000001-01-01T00:00:00Z'))).toBe(false);
    expect(isStorableInstant(new Date('garbage'))).toBe(false);
  });
  test('cursor positions are the store’s own format', () => {
    expect(isCursorInstant('2025-01-31T12:00:00.123456Z')).toBe(true);
    expect(isCursorInstant('2025-01-31T12:00:00Z')).toBe(true);
    expect(isCursorInstant('2025-01-31')).toBe(false);
    expect(isCursorInstant('2025-13-31T12:00:00Z')).toBe(false);
    expect(isCursorInstant('-271821-04-20T00:00:00.000Z')).toBe(false);
  });
});

describe('timing headers: unreadable is an Error, out of range a RangeError', () => {
  test('Cancel-After', () => {
    expect(parseCancelAfter('1h30m')).toBe(5400);
    expect(parseCancelAfter(String(MAX_CANCEL_AFTER_SECONDS))).toBe(MAX_CANCEL_AFTER_SECONDS);
    expect(() => parseCancelAfter(String(MAX_CANCEL_AFTER_SECONDS + 1))).toThrow(RangeError);
    expect(() => parseCancelAfter('99999999999999999999')).toThrow(RangeError);
    expect(() => parseCancelAfter('2s')).toThrow(RangeError);
    let thrown: unknown;
    try {
      parseCancelAfter('soon');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(RangeError);
  });
  test('Prefer: wait', () => {
    expect(parsePreferWait('wait=5')).toBe(5);
    expect(() => parsePreferWait('wait=61')).toThrow(RangeError);
    expect(parsePreferWait('respond-async')).toBeUndefined();
  });
});
