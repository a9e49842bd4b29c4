/**
 * `gateway mqtt-passwd`: reads a password (typed twice without echo on a terminal, or one line
 * from a pipe) and prints its scrypt hash for a `mqttBroker.users[].password` entry. The
 * password never goes on the command line, where shell history and `ps` would keep it.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from '../../drivers/mqtt/password.js';
import { GatewayError } from '../../core/errors.js';

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput(s: string): void };
    let prompted = false;
    out._writeToOutput = (s: string) => {
      // echo the prompt once, then nothing of what is typed
      if (!prompted) process.stderr.write(s);
      prompted = true;
    };
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function readLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.split(/\r?\n/)[0] ?? '';
}

export async function mqttPasswdCommand(): Promise<number> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await readHidden('MQTT password: ');
    if ((await readHidden('again: ')) !== password) throw new GatewayError('the passwords differ; nothing written');
  } else {
    password = await readLine();
  }
  if (password.length < 8) throw new GatewayError('use at least 8 characters');
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
