import { GatewayError } from '../../core/errors.js';
import { DEFAULT_CONTROL_PORT } from './shared.js';

/** `gateway scenario NAME on|off`: flips a scenario on the running simulated site. */
export async function scenarioCommand(name: string, state: string, controlUrl?: string): Promise<number> {
  if (state !== 'on' && state !== 'off') throw new GatewayError(`expected "on" or "off", got "${state}"`);
  const base = controlUrl ?? `http://127.0.0.1:${DEFAULT_CONTROL_PORT}`;
  let res: Response;
  try {
    res = await fetch(`${base}/scenarios/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ active: state === 'on' }),
    });
  } catch (err) {
    throw new GatewayError(`no simulated site answers at ${base} (is \`npm start\` running?)`, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } } & Record<string, unknown>;
  if (!res.ok) throw new GatewayError(body.error?.message ?? `simulator answered HTTP ${res.status}`);
  process.stdout.write(`${name}: ${state}\n`);
  return 0;
}
