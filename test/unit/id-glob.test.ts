/**
 * Incident id patterns: the literal-prefix/suffix shortcut in front of the regex must answer
 * exactly as the regex does (`*` any run of characters, dots included; no `*`: the id itself).
 */
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../core/id-glob.js';

describe('id patterns', () => {
  it.each([
    ['*.on-battery', 'ups1.on-battery', true],
    ['*.on-battery', 'ups1.on-battery.x', false],
    ['racks-a.*-temperature', 'racks-a.r1.inlet-temperature', true],
    ['racks-a.*-temperature', 'racks-b.r1-temperature', false],
    ['dev5.p*', 'dev5.p0', true],
    ['dev5.p*', 'dev55.p0', false],
    ['dev5.p*', 'dev5.p', true],
    ['*', 'anything.at.all', true],
    ['*', '', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'ac', false],
    ['a*b*c', 'axxbyyc', true],
    ['ups1.on-battery', 'ups1.on-battery', true],
    ['ups1.on-battery', 'ups1xon-battery', false],
    ['x.(y)+', 'x.(y)+', true],
    ['x.(y)+*', 'x.(y)+z', true],
  ])('%s against %s: %s', (pattern, id, expected) => {
    const match = globMatcher(pattern);
    expect(match(id)).toBe(expected);
    // the second answer comes from the cache or the shortcut: the same
    expect(match(id)).toBe(expected);
  });
});
