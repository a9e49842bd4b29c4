/**
 * Commands from the central EMS over an MQTT sync target (issue 14, docs/sync-protocol.md §11):
 * `{id, point, value, comment}` in, one answer with the same id out. Every command goes through
 * the control service like a write from the page; this file only checks the envelope, keeps the
 * ids (a repeated id gets the stored answer and is not executed again) and runs one command at a
 * time per target, so an EMS flood queues here instead of racing for the devices.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ControlService, WriteRefusal, WriteResult } from '../gateway/control/types.js';
import type { CommandLog } from './command-log.js';

/** Larger payloads are dropped unread (a command is a few hundred bytes). */
export const MAX_COMMAND_BYTES = 4096;
export const MAX_COMMAND_ID = 128;
export const MAX_COMMENT = 500;
const MAX_POINT_ID = 256;
/** `<deviceId>.<key>` (keys of table rows carry dots); the control service says whether it exists */
const POINT_ID = /^[A-Za-z0-9_.:-]+$/;
/** Commands waiting behind the one running; beyond, they are answered `busy`. */
export const MAX_QUEUED_COMMANDS = 100;

/** Reasons only this layer gives, next to the control service's refusals. */
export type CommandReason = WriteRefusal | 'bad-request' | 'busy' | 'interrupted' | 'unavailable';

/** What goes out on `<prefix>/<gatewayId>/commands/result`. */
export interface CommandAnswer {
  id: string;
  result: WriteResult['result'];
  point?: string;
  reason?: CommandReason;
  message?: string;
  readBack?: unknown;
  oldValue?: unknown;
  eventSeq?: number;
}

export interface CommandStats {
  received: number;
  /** handed to the control service */
  executed: number;
  /** repeated ids answered from the log */
  repeated: number;
  /** answered `bad-request` */
  badRequests: number;
  /** answered `busy` */
  busy: number;
  /** dropped without an answer: too large, not JSON, or no readable id */
  dropped: number;
}

export interface CommandHandlerOptions {
  /** the sync target's id: the actor's name and the log's key */
  target: string;
  control: ControlService;
  log: CommandLog;
  /** publishes an answer (QoS 1) */
  publish: (answer: CommandAnswer) => void;
  logger: Logger;
  now?: () => number;
}

export interface CommandHandler {
  /** Takes one message from the commands topic; answers later, in arrival order. */
  receive(payload: Buffer): void;
  /** Resolves when the queue is empty (the running command finished). */
  idle(): Promise<void>;
  /** Stops taking commands; the running one still finishes and is answered. */
  close(): Promise<void>;
  stats(): CommandStats;
}

interface Command {
  id: string;
  point: string;
  value: unknown;
  comment?: string;
}

type Parsed = { ok: true; command: Command } | { ok: false; id?: string; message: string };

/** Checks the envelope only; the value itself is the control service's to judge. */
export function parseCommand(payload: Buffer): Parsed {
  if (payload.length > MAX_COMMAND_BYTES) return { ok: false, message: `payload over ${MAX_COMMAND_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, message: 'payload is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'payload is not a JSON object' };
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || b.id.length === 0 || b.id.length > MAX_COMMAND_ID) {
    return { ok: false, message: `id must be a string of 1 to ${MAX_COMMAND_ID} characters` };
  }
  const id = b.id;
  const bad = (message: string): Parsed => ({ ok: false, id, message });
  if (typeof b.point !== 'string' || b.point.length === 0 || b.point.length > MAX_POINT_ID || !POINT_ID.test(b.point)) {
    return bad('point must be a point id (<deviceId>.<point>)');
  }
  if (!('value' in b)) return bad('value is missing');
  const v = b.value;
  if (!(typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
    return bad('value must be a number, a boolean or an enum label');
  }
  if (b.comment !== undefined && (typeof b.comment !== 'string' || b.comment.length > MAX_COMMENT)) {
    return bad(`comment must be a string of at most ${MAX_COMMENT} characters`);
  }
  return { ok: true, command: { id, point: b.point, value: v, ...(typeof b.comment === 'string' ? { comment: b.comment } : {}) } };
}

function answerOf(command: Command, result: WriteResult): CommandAnswer {
  return {
    id: command.id,
    result: result.result,
    point: command.point,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.message ? { message: result.message } : {}),
    ...(result.readBack !== undefined ? { readBack: result.readBack } : {}),
    ...(result.oldValue !== undefined ? { oldValue: result.oldValue } : {}),
    ...(result.eventSeq !== undefined ? { eventSeq: result.eventSeq } : {}),
  };
}

export function createCommandHandler(opts: CommandHandlerOptions): CommandHandler {
  const { target, control, log, publish, logger } = opts;
  const now = opts.now ?? Date.now;
  const stats: CommandStats = { received: 0, executed: 0, repeated: 0, badRequests: 0, busy: 0, dropped: 0 };
  const queue: Command[] = [];
  let running: Promise<void> | undefined;
  let closed = false;

  function dropped(why: string): void {
    stats.dropped++;
    // A flood of junk must not flood the log too: the first and then every hundredth.
    if (stats.dropped === 1 || stats.dropped % 100 === 0) logger.warn('EMS command dropped', { why, dropped: stats.dropped });
  }

  async function execute(command: Command): Promise<void> {
    let known: ReturnType<CommandLog['find']>;
    try {
      known = log.find(target, command.id);
      if (!known) log.begin(target, command.id, now());
    } catch (err) {
      // Without the mark a resend could execute twice: do not execute at all.
      logger.error('cannot record an EMS command; not executed', { id: command.id, err: errorMessage(err) });
      publish({ id: command.id, result: 'refused', point: command.point, reason: 'unavailable', message: 'the gateway cannot record commands now; send again later' });
      return;
    }
    if (known?.state === 'answered') {
      stats.repeated++;
      publish(JSON.parse(known.answer) as CommandAnswer);
      return;
    }
    let answer: CommandAnswer;
    if (known?.state === 'pending') {
      // Marked, never answered: the gateway stopped while this ran. Whether the device took the
      // value is unknown here; the control.write event (if it was recorded) says.
      answer = {
        id: command.id,
        result: 'failed',
        point: command.point,
        reason: 'interrupted',
        message: 'the gateway stopped while this command ran; see its control.write event or read the point',
      };
    } else {
      stats.executed++;
      try {
        const result = await control.write({
          pointId: command.point,
          value: command.value,
          ...(command.comment !== undefined ? { comment: command.comment } : {}),
          actor: { kind: 'ems', name: target, role: 'ems' },
          commandId: command.id,
        });
        answer = answerOf(command, result);
      } catch (err) {
        logger.error('control service failed on an EMS command', { id: command.id, err: errorMessage(err) });
        answer = { id: command.id, result: 'failed', point: command.point, reason: 'write-failed', message: errorMessage(err) };
      }
    }
    try {
      log.answer(target, command.id, JSON.stringify(answer), now());
    } catch (err) {
      logger.error('cannot record the answer of an EMS command', { id: command.id, err: errorMessage(err) });
    }
    publish(answer);
  }

  async function drain(): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await execute(next);
      } catch (err) {
        logger.error('EMS command failed', { id: next.id, err: errorMessage(err) });
      }
    }
    running = undefined;
  }

  return {
    receive(payload) {
      if (closed) return;
      stats.received++;
      const parsed = parseCommand(payload);
      if (!parsed.ok) {
        if (parsed.id === undefined) return dropped(parsed.message);
        stats.badRequests++;
        // Nothing ran: not logged, so a corrected command may reuse the id.
        publish({ id: parsed.id, result: 'refused', reason: 'bad-request', message: parsed.message });
        return;
      }
      if (queue.length >= MAX_QUEUED_COMMANDS) {
        stats.busy++;
        publish({ id: parsed.command.id, result: 'refused', point: parsed.command.point, reason: 'busy', message: 'too many commands waiting; send again later' });
        return;
      }
      queue.push(parsed.command);
      running ??= drain();
    },
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      // Queued commands were never marked: an EMS resending them later gets them executed then.
      queue.length = 0;
      while (running) await running;
    },
    stats: () => ({ ...stats }),
  };
}
