/**
 * Passwords and tokens from the config. A Secret never prints its value (logs, JSON, the config
 * page, util.inspect); code that needs it calls reveal() at the one place it is used.
 */
import { z } from 'zod';

const HIDDEN = '[secret]';
/** `${NAME}`: the whole value names an environment variable, so the file itself holds no secret. */
const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return HIDDEN;
  }
}

export interface SecretStringOptions {
  /** where `${NAME}` is looked up; process.env (read at parse time) when not given */
  env?: Record<string, string | undefined>;
}

/**
 * A config field holding a secret: a literal string, or `${NAME}` resolved from the environment
 * when the config is loaded. A missing variable is a config problem; the message never includes
 * any value.
 */
export function secretString(options: SecretStringOptions = {}) {
  // z.unknown rather than z.string: a type error must not echo what was written (it may be the secret).
  return z.unknown().transform((text, ctx) => {
    if (typeof text !== 'string') {
      ctx.addIssue({ code: 'custom', message: text === undefined ? 'required' : 'expected a string (value not shown)' });
      return z.NEVER;
    }
    const ref = ENV_REF.exec(text);
    if (!ref) return new Secret(text);
    const name = ref[1]!;
    const value = (options.env ?? process.env)[name];
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
      return z.NEVER;
    }
    return new Secret(value);
  });
}
