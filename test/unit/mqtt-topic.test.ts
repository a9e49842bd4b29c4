import { describe, expect, it } from 'vitest';
import { filterCovers } from '../../drivers/mqtt/broker-auth.js';
import { fillTopicTemplate, mergeFilters, parseTopicTemplate, type TopicTemplate, templateFilter, topicMatches } from '../../drivers/mqtt/topic.js';

function template(text: string): TopicTemplate {
  const t = parseTopicTemplate(text);
  if (typeof t === 'string') throw new Error(t);
  return t;
}

describe('topic templates', () => {
  it.each([
    ['dc1/rack/a01/env', {}, 'dc1/rack/a01/env', 'dc1/rack/a01/env'],
    ['sensors/{device}/{point}', { device: 'rack-a01', point: 'temperature' }, 'sensors/rack-a01/temperature', 'sensors/+/+'],
    ['site/+rack/env', { rack: 'a07' }, 'site/a07/env', 'site/+/env'],
    ['dc1/rack-{rack}/env', { rack: '07' }, 'dc1/rack-07/env', 'dc1/+/env'],
  ])('%s with %o → topic %s, filter %s', (text, vars, topic, filter) => {
    const t = template(text);
    expect(fillTopicTemplate(t, vars)).toEqual({ topic });
    expect(templateFilter(t)).toBe(filter);
  });

  it('names the first variable without a value', () => {
    expect(fillTopicTemplate(template('a/{rack}/{slot}'), { rack: 'r1' })).toEqual({ missing: 'slot' });
  });

  it.each([
    ['', 'must not be empty'],
    ['a/#', '"#" is not allowed'],
    ['a/+/b', 'unnamed "+"'],
    ['a/b+c', '"+" must be a whole level'],
    ['a/{1x}', 'is not a named segment'],
    ['a/{x', 'unbalanced'],
  ])('refuses %j (%s)', (text, message) => {
    const t = parseTopicTemplate(text);
    expect(typeof t).toBe('string');
    expect(t).toContain(message);
  });
});

describe('topic matching (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'x/y', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/uptime', '$SYS/uptime', false],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ['dc1/rack/a01/#', 'dc1/rack/a01/env', true],
    ['dc1/rack/a01/#', 'dc1/rack/+/env', false],
    ['dc1/+/+/env', 'dc1/rack/+/env', true],
    ['dc1/#', 'dc1/#', true],
    ['dc1/+', 'dc1/#', false],
    ['a/b', 'a/b', true],
  ])('%s covers %s: %s', (pattern, filter, expected) => {
    expect(filterCovers(pattern, filter)).toBe(expected);
  });
});

describe('mergeFilters', () => {
  it('keeps disjoint filters and drops duplicates', () => {
    expect(mergeFilters(['a/b', 'a/c', 'a/b'])).toEqual(['a/b', 'a/c']);
  });

  it('drops a filter another one covers, so no message is delivered twice', () => {
    expect(mergeFilters(['sensors/+/+', 'sensors/rack-a01/temperature'])).toEqual(['sensors/+/+']);
  });

  it('widens partly overlapping filters into one', () => {
    expect(mergeFilters(['a/+/c', 'a/b/+'])).toEqual(['a/+/+']);
  });

  it('never returns two filters a topic could match both of', () => {
    const merged = mergeFilters(['x/+/1', 'x/2/+', 'y/z', 'x/3/1', '+/2/1']);
    const topics = ['x/2/1', 'x/3/1', 'y/z', 'q/2/1', 'x/2/9'];
    for (const t of topics) expect(merged.filter((f) => topicMatches(f, t)).length).toBeLessThanOrEqual(1);
    expect(merged.some((f) => topicMatches(f, 'x/2/1'))).toBe(true);
  });
});
