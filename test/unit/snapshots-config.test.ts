/** The `snapshots:` section of a site config: defaults when absent, values, located problems. */
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';

const FILE = '/site/site.yaml';
const HEAD = 'gateway: { id: gw1 }\ndevices: []\n';
const parse = (section: string) => parseSiteConfig(`${HEAD}${section}`, FILE);
const messages = (section: string) => parse(section).problems.map((p) => `${p.line} ${p.path}: ${p.message}`);

describe('snapshots config', () => {
  it('is on for critical and major with a 10 + 5 minute window when absent', () => {
    const { config, problems } = parse('');
    expect(problems).toEqual([]);
    expect(config!.snapshots).toEqual({ enabled: true, severities: ['critical', 'major'], beforeMin: 10, afterMin: 5, keepDays: 30, maxMB: 50 });
  });

  it('takes its values, fractions of a minute included', () => {
    const { config, problems } = parse('snapshots: { severities: [critical], beforeMin: 2, afterMin: 0.5, keepDays: 7, maxMB: 5 }\n');
    expect(problems).toEqual([]);
    expect(config!.snapshots).toEqual({ enabled: true, severities: ['critical'], beforeMin: 2, afterMin: 0.5, keepDays: 7, maxMB: 5 });
    expect(parse('snapshots: { enabled: false }\n').config!.snapshots?.enabled).toBe(false);
  });

  it('says where a bad value or an unknown key is', () => {
    const found = messages('snapshots:\n  severities: [critical, loud]\n  beforeMin: -1\n  afterMins: 5\n');
    expect(found).toHaveLength(3);
    expect(found).toContain('4 snapshots.severities[1]: expected one of critical, major, minor, warning, got "loud"');
    expect(found.some((m) => m.startsWith('5 snapshots.beforeMin: '))).toBe(true);
    expect(found.some((m) => /^\d+ snapshots.*afterMins/.test(m))).toBe(true);
  });
});
