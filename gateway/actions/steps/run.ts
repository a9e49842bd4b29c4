/**
 * A `run` step: a local program from the one allow-listed folder (`actionsRunDir`). The rules,
 * because an action runs unattended with the gateway's rights:
 * - the program path is resolved with symlinks followed and must still be inside the folder
 *   (no `..`, no absolute path, no link pointing out);
 * - argv only, no shell: arguments are passed as they are (templates filled), never interpreted;
 * - the environment is PATH, LANG and TZ only: none of the gateway's secrets (`${ENV}` values);
 * - a timeout kills the program and everything it started (its own process group);
 * - stdout and stderr are kept up to OUTPUT_CAP bytes each, the rest is dropped.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { errorMessage } from '../../../core/errors.js';
import type { StepContext, StepOutcome } from '../step-runner.js';
import { fillText } from '../template.js';
import type { RunStep } from '../types.js';

export const OUTPUT_CAP = 4096;
const KEPT_ENV = ['PATH', 'LANG', 'TZ'] as const;

/** The program's real path when it is an executable file inside the real folder; else why not. */
export async function resolveProgram(runDir: string, program: string): Promise<{ path: string } | { error: string }> {
  if (isAbsolute(program)) return { error: `${program}: an absolute path; give it relative to actionsRunDir` };
  let dir: string;
  let path: string;
  try {
    dir = await realpath(runDir);
  } catch (err) {
    return { error: `actionsRunDir is not readable (${errorMessage(err)})` };
  }
  try {
    path = await realpath(resolve(dir, program));
  } catch {
    return { error: `${program}: no such program in actionsRunDir` };
  }
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { error: `${program}: resolves outside actionsRunDir; refused` };
  try {
    if (!(await stat(path)).isFile()) return { error: `${program}: not a file` };
    await access(path, constants.X_OK);
  } catch {
    return { error: `${program}: not executable` };
  }
  return { path };
}

export function strippedEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of KEPT_ENV) if (from[k] !== undefined) env[k] = from[k]!;
  return env;
}

export function createRunRunner(runDir: string | undefined) {
  return async (step: RunStep['run'], ctx: StepContext): Promise<StepOutcome> => {
    if (!runDir) return { ok: false, error: 'no actionsRunDir is configured' };
    const found = await resolveProgram(runDir, step.program);
    if ('error' in found) return { ok: false, error: found.error };
    const args = step.args.map((a) => fillText(a, ctx.fields));
    return new Promise<StepOutcome>((done) => {
      const out = { stdout: '', stderr: '' };
      let timedOut = false;
      const child = spawn(found.path, args, { cwd: resolve(found.path, '..'), env: strippedEnv(), shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
        if (out[which].length < OUTPUT_CAP) out[which] = (out[which] + chunk.toString('utf8')).slice(0, OUTPUT_CAP);
      };
      child.stdout.on('data', keep('stdout'));
      child.stderr.on('data', keep('stderr'));
      const killGroup = () => {
        try {
          // detached: the child leads its own group; a negative pid signals the whole group
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, step.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        done({ ok: false, error: `cannot start ${step.program}: ${errorMessage(err)}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const result = { program: step.program, exitCode: code, signal, stdout: out.stdout, stderr: out.stderr, ...(timedOut && { timedOut: true }) };
        if (timedOut) done({ ok: false, result, error: `killed after ${step.timeoutMs} ms` });
        else if (code === 0) done({ ok: true, result });
        else done({ ok: false, result, error: signal ? `ended by ${signal}` : `exit code ${code}` });
      });
    });
  };
}
