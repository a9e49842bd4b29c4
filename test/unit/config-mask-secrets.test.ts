/**
 * The running site file with its secrets hidden (GET /api/v1/config/source) and put back when the
 * edited text comes back: every kind of secret the schemas know is hidden and nothing else, the
 * comments and layout survive both ways, a reordered list keeps each item's own secret, `${ENV}`
 * references stay, a URL loses only its password, and a marker with nothing behind it is a
 * problem on its line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskSecrets, restoreSecrets, SECRET_KEYS } from '../../config/live/mask-secrets.js';
import { formatProblem } from '../../core/errors.js';
import { REPO_ROOT } from '../helpers/cli.js';

/** `${NAME}` written without tripping the template-string lint */
const ref = (name: string) => '$' + '{' + name + '}';

const SECRETS = {
  ems: 'ems-tok-4b1e',
  backup: 'backup-tok-77aa',
  mqttPass: 'mq-pass-19f0',
  urlPass: 'url-pass-2c3d',
  hook: 'Bearer hook-9a8b',
  hash: 'scrypt$16384$8$1$c2FsdHNhbHQ$aGFzaGhhc2g',
  community: 'trap-comm-5e6f',
  nats: 'nats-tok-0d0d',
  central: 'central-tok-3e3e',
  block: 'block-pass-line',
  opcua: "it's-0pc",
};

const RUNNING = `# the site file, as the integrator wrote it
gateway: { id: gw-mask, dataDir: ./data }   # keep this comment
devices:
  - id: broker-sensors
    name: Broker sensors
    driver: mqtt
    connection:
      url: mqtt://sensors:${SECRETS.urlPass}@127.0.0.1:1883
      username: sensors
      password: ${SECRETS.mqttPass}   # rotated 2026-11
  - id: opc1
    driver: opcua
    connection: { endpoint: "opc.tcp://127.0.0.1:4840", username: op, password: '${SECRETS.opcua.replace("'", "''")}' }
  - id: ups1
    driver: snmp
    connection: { host: 127.0.0.1, community: "${ref('UPS_COMMUNITY')}" }
snmpTraps:
  communities: [${SECRETS.community}, "${ref('TRAP_COMMUNITY')}"]
mqttBroker:
  users:
    - username: meter
      password: "${SECRETS.hash}"
    - username: panel
      password: ${ref('PANEL_PASSWORD')}
alarmSettings:
  notify:
    - type: webhook
      url: https://hooks.example/alarm
      headers:
        Authorization: ${SECRETS.hook}
        X-Site: "${ref('SITE_NAME')}"
    - type: mqtt
      url: "mqtts://alarms:${SECRETS.urlPass}@broker.example:8883"
      password: |
        ${SECRETS.block}
      topic: site/alarms
configSource: { url: "https://central.example/sites/a.yaml", token: "${SECRETS.central}" }
sync:
  targets:
    # the EMS first, the backup after
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "${SECRETS.ems}" }
    - id: backup
      kind: nats
      url: nats://127.0.0.1:4222
      token: ${SECRETS.backup}
`;

describe('maskSecrets', () => {
  const { text, masked } = maskSecrets(RUNNING);

  it('hides every secret value and counts them', () => {
    for (const [name, value] of Object.entries(SECRETS)) expect(text, name).not.toContain(value);
    // broker-sensors url + password, opc1 password, the trap community, the meter's hash, the
    // Authorization header, the alarm mqtt url + block password, the central token, two sync tokens
    expect(masked).toBe(11);
  });

  it('changes nothing else: comments, layout, quoting, the names of headers', () => {
    const lines = text.split('\n');
    const before = RUNNING.split('\n');
    expect(lines.length).toBe(before.length - 1); // the block scalar's one line of text is gone
    expect(text).toContain('# the site file, as the integrator wrote it\n');
    expect(text).toContain('gateway: { id: gw-mask, dataDir: ./data }   # keep this comment\n');
    expect(text).toContain('      url: mqtt://sensors:[secret]@127.0.0.1:1883\n');
    expect(text).toContain('      password: "[secret]"   # rotated 2026-11\n');
    expect(text).toContain(`connection: { endpoint: "opc.tcp://127.0.0.1:4840", username: op, password: "[secret]" }\n`);
    expect(text).toContain(`  communities: ["[secret]", "${ref('TRAP_COMMUNITY')}"]\n`);
    expect(text).toContain('        Authorization: "[secret]"\n');
    expect(text).toContain('      url: "mqtts://alarms:[secret]@broker.example:8883"\n');
    expect(text).toContain('      password: "[secret]"\n      topic: site/alarms\n');
    expect(text).toContain('token: "[secret]" }\n');
    expect(text).toContain('    # the EMS first, the backup after\n');
    expect(text).toContain('      token: "[secret]"\n');
  });

  it('leaves environment references, user names and URLs without a password as they are', () => {
    expect(text).toContain(`community: "${ref('UPS_COMMUNITY')}"`);
    expect(text).toContain(`      password: ${ref('PANEL_PASSWORD')}\n`);
    expect(text).toContain(`        X-Site: "${ref('SITE_NAME')}"\n`);
    expect(text).toContain('      username: sensors\n');
    expect(text).toContain('      url: nats://127.0.0.1:4222\n');
    expect(text).toContain('url: "https://central.example/sites/a.yaml"');
    // a URL whose password is a reference names a variable too
    expect(maskSecrets(`url: mqtt://u:${ref('P')}@h\n`)).toEqual({ text: `url: mqtt://u:${ref('P')}@h\n`, masked: 0 });
  });

  it('keeps anchors and hides the value where it is written', () => {
    const out = maskSecrets('a:\n  token: &t abc # c\nb:\n  token: *t\n');
    expect(out).toEqual({ text: 'a:\n  token: &t "[secret]" # c\nb:\n  token: *t\n', masked: 1 });
  });

  it('quotes a URL in a flow collection, where a bare [ ] would be a list', () => {
    const out = maskSecrets('targets: [{ url: mqtt://u:pw@h:1883 }]\n');
    expect(out.text).toBe('targets: [{ url: "mqtt://u:[secret]@h:1883" }]\n');
  });
});

describe('the secret keys', () => {
  /** every `.ts` file under the folders whose schemas read a site file */
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it('are every key a schema reads as a Secret (a new one must be hidden too)', () => {
    // `key: secretString()`, `key: envSecret()`, `key: z.array(envSecret())`, `key: z.record(z.string(), secretString())`, the broker's hashes
    const field = /(\w+): *(?:secretString\(|envSecret\(|brokerPassword\b|z\.(?:array|record)\((?:z\.string\(\), *)?(?:secretString|envSecret)\()/g;
    const found = new Map<string, string>();
    for (const folder of ['config', 'drivers', 'sync', 'gateway', 'app']) {
      for (const file of sources(join(REPO_ROOT, folder))) {
        for (const m of readFileSync(file, 'utf8').matchAll(field)) found.set(m[1]!, relative(REPO_ROOT, file));
      }
    }
    // the scan sees what it should (a broken pattern would find nothing and prove nothing)
    expect([...found.keys()].sort()).toEqual(expect.arrayContaining(['authKey', 'communities', 'headers', 'password', 'token']));
    expect([...found].filter(([key]) => !SECRET_KEYS.has(key))).toEqual([]);
  });
});

describe('restoreSecrets', () => {
  const { text: masked } = maskSecrets(RUNNING);

  it('puts every value back where it was: the text is the running file again', () => {
    expect(restoreSecrets(masked, RUNNING, 'site.yaml')).toEqual({ ok: true, text: RUNNING, restored: 11 });
  });

  it('keeps the edit around the markers: a renamed device, a new comment', () => {
    const edited = masked.replace('name: Broker sensors', 'name: Broker sensors, hall B # renamed');
    const out = restoreSecrets(edited, RUNNING, 'site.yaml');
    expect(out).toEqual({ ok: true, text: RUNNING.replace('name: Broker sensors', 'name: Broker sensors, hall B # renamed'), restored: 11 });
  });

  it('gives each reordered list item its own secret, by id or username', () => {
    const swapped = `mqttBroker:
  users:
    - username: panel
      password: "[secret]"
    - username: meter
      password: "[secret]"
sync:
  targets:
    - { id: backup, kind: nats, url: "nats://127.0.0.1:4222", token: "[secret]" }
    - { id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "[secret]" }
`;
    const out = restoreSecrets(swapped, RUNNING, 'site.yaml');
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    // the panel user's password was a reference in the running file: it comes back as one
    expect(out.text).toContain(`    - username: panel\n      password: ${ref('PANEL_PASSWORD')}\n    - username: meter\n      password: "${SECRETS.hash}"\n`);
    expect(out.text).toContain(`{ id: backup, kind: nats, url: "nats://127.0.0.1:4222", token: ${SECRETS.backup} }`);
    expect(out.text).toContain(`{ id: ems, kind: http, url: "http://127.0.0.1:9/ingest", token: "${SECRETS.ems}" }`);
  });

  it('puts back a URL password under the URL as edited (another user), the rest as typed', () => {
    const edited = masked.replace('mqtt://sensors:[secret]@127.0.0.1:1883', 'mqtt://sensors-b:[secret]@127.0.0.1:1883');
    const out = restoreSecrets(edited, RUNNING, 'site.yaml');
    expect(out.ok && out.text).toContain(`      url: mqtt://sensors-b:${SECRETS.urlPass}@127.0.0.1:1883\n`);
    // a secret typed anew replaces the marker: it is kept as typed, nothing to restore there
    const typed = masked.replace('token: "[secret]" }', 'token: "a-new-token" }');
    const out2 = restoreSecrets(typed, RUNNING, 'site.yaml');
    expect(out2.ok && out2.text).toContain('token: "a-new-token" }');
    expect(out2.ok && out2.restored).toBe(10);
  });

  it('puts back a list item by its index when it has no id', () => {
    const running = `snmpTraps:\n  communities:\n    - ${SECRETS.community}\n    - other-comm\n`;
    const out = restoreSecrets('snmpTraps:\n  communities: ["[secret]", "[secret]"]\n', running, 'site.yaml');
    expect(out).toEqual({ ok: true, text: `snmpTraps:\n  communities: [${SECRETS.community}, other-comm]\n`, restored: 2 });
  });

  it('writes a kept value so it reads the same where the marker now sits', () => {
    const running = 'a:\n  password: |\n    pw-line\n  token: x,y\n';
    expect(maskSecrets(running).text).toBe('a:\n  password: "[secret]"\n  token: "[secret]"\n');
    // the block as it was under a line indented as before; as a quoted string under another indent
    expect(restoreSecrets('a:\n  password: "[secret]"\n', running, 'f.yaml')).toMatchObject({ text: 'a:\n  password: |\n    pw-line\n' });
    expect(restoreSecrets('a:\n    password: "[secret]"\n', running, 'f.yaml')).toMatchObject({ text: 'a:\n    password: "pw-line\\n"\n' });
    // a plain value with a comma, quoted inside { } where the comma would end it
    expect(restoreSecrets('a: { token: "[secret]" }\n', running, 'f.yaml')).toMatchObject({ text: 'a: { token: "x,y" }\n' });
    expect(restoreSecrets('a:\n  token: "[secret]"\n', running, 'f.yaml')).toMatchObject({ text: 'a:\n  token: x,y\n' });
  });

  it('takes a bare [secret] (YAML reads a one-item list) as the marker too', () => {
    const out = restoreSecrets(masked.replace('token: "[secret]" }', 'token: [secret] }'), RUNNING, 'site.yaml');
    expect(out).toEqual({ ok: true, text: RUNNING, restored: 11 });
  });

  it('refuses a marker with no value behind it, naming its line and path, and returns no text', () => {
    const added = `${masked}    - { id: new-ems, kind: http, url: "http://127.0.0.1:9/b", token: [secret] }\n`;
    const line = added.split('\n').findIndex((l) => l.includes('new-ems')) + 1;
    const out = restoreSecrets(added, RUNNING, 'site.yaml');
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems.map(formatProblem)).toEqual([
      `site.yaml:${line} sync.targets[2].token: [secret] stands for a value kept on the gateway, but the running config has none here; type the value or an ${ref('ENV')} reference`,
    ]);
    // a URL password likewise, when the running URL had none
    const url = restoreSecrets('sync:\n  targets:\n    - id: backup\n      url: nats://me:[secret]@127.0.0.1:4222\n', RUNNING, 'site.yaml');
    expect(url.ok ? [] : url.problems.map(formatProblem)).toEqual([
      `site.yaml:4 sync.targets[0].url: [secret] stands for a value kept on the gateway, but the running config has none here; type the value or an ${ref('ENV')} reference`,
    ]);
    // and any marker when no running text is known
    expect(restoreSecrets('sync:\n  targets:\n    - { id: ems, token: "[secret]" }\n', undefined, 'site.yaml').ok).toBe(false);
  });

  it('does not send a kept secret to another address: a changed host or port is a problem, a changed path is not', () => {
    const problemsOf = (edited: string) => {
      const out = restoreSecrets(edited, RUNNING, 'site.yaml');
      return out.ok ? [] : out.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    };
    const lineOf = (t: string, part: string) => t.split('\n').findIndex((l) => l.includes(part)) + 1;
    const because = (key: string) => `[secret] would send the value kept on the gateway to another address (${key} changed); type the value or an ${ref('ENV')} reference`;
    // the token beside a URL now pointing elsewhere
    const elsewhere = masked.replace('url: "http://127.0.0.1:9/ingest"', 'url: "http://collector.example:9/ingest"');
    expect(problemsOf(elsewhere)).toEqual([`${lineOf(elsewhere, 'collector.example')} sync.targets[0].token: ${because('url')}`]);
    // a header follows its webhook's URL (the mapping above `headers:`)
    const hook = masked.replace('url: https://hooks.example/alarm', 'url: https://other.example/alarm');
    expect(problemsOf(hook)).toEqual([`${lineOf(hook, 'Authorization')} alarmSettings.notify[0].headers.Authorization: ${because('url')}`]);
    // a URL's own password follows its host and port, and so does the password beside it
    const port = masked.replace('mqtt://sensors:[secret]@127.0.0.1:1883', 'mqtt://sensors:[secret]@127.0.0.1:1884');
    expect(problemsOf(port)).toEqual([
      `${lineOf(port, '1884')} devices[0].connection.url: ${because('url')}`,
      `${lineOf(port, 'rotated')} devices[0].connection.password: ${because('url')}`,
    ]);
    // an OPC UA password follows its endpoint
    const endpoint = masked.replace('opc.tcp://127.0.0.1:4840', 'opc.tcp://10.9.9.9:4840');
    expect(problemsOf(endpoint)).toEqual([`${lineOf(endpoint, '10.9.9.9')} devices[1].connection.password: ${because('endpoint')}`]);
    // the same host under another path, or the scheme and host in capitals, is the same address
    expect(problemsOf(masked.replace('url: "http://127.0.0.1:9/ingest"', 'url: "HTTP://127.0.0.1:9/v2/ingest"'))).toEqual([]);
    // with the value typed again, the new address is the integrator's choice
    expect(problemsOf(elsewhere.replace('token: "[secret]" }', 'token: "typed-again" }').replace('token: "[secret]" }', 'token: "typed-again" }'))).toEqual([]);
  });

  it('never puts a secret into a problem', () => {
    const moved = masked.replace('id: ems,', 'id: ems2,');
    const out = restoreSecrets(moved, RUNNING, 'site.yaml');
    expect(out.ok).toBe(false);
    const text = JSON.stringify(out);
    for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
  });

  it('passes a text without markers, or one that is not YAML, through unchanged', () => {
    expect(restoreSecrets('a: 1\n', RUNNING, 'site.yaml')).toEqual({ ok: true, text: 'a: 1\n', restored: 0 });
    const broken = 'a: [1\ntoken: "[secret]"\n';
    expect(restoreSecrets(broken, RUNNING, 'site.yaml')).toEqual({ ok: true, text: broken, restored: 0 });
  });
});
