/**
 * A `write` step: through the control service like any write from the page (its checks, rate
 * limit, read-back and `control.write` event), as the actor `action:<id>` with the operator role.
 */
import type { ControlService } from '../../control/types.js';
import type { StepContext, StepOutcome } from '../step-runner.js';
import { fillText } from '../template.js';
import type { WriteStep } from '../types.js';

export function createWriteRunner(control: ControlService | undefined) {
  return async (step: WriteStep['write'], ctx: StepContext): Promise<StepOutcome> => {
    if (!control) return { ok: false, error: 'this gateway has no control service' };
    const comment = step.comment !== undefined ? fillText(step.comment, ctx.fields) : `action ${ctx.actionId} on ${ctx.trigger.type} ${ctx.trigger.id} ${ctx.trigger.transition}`;
    const out = await control.write({
      pointId: step.point,
      value: step.value,
      comment,
      actor: { kind: 'action', name: `action:${ctx.actionId}`, role: 'operator' },
    });
    const result = { result: out.result, oldValue: out.oldValue ?? null, ...(out.readBack !== undefined && { readBack: out.readBack }), ...(out.eventSeq !== undefined && { controlEventSeq: out.eventSeq }) };
    if (out.result === 'verified' || out.result === 'written') return { ok: true, result };
    return { ok: false, result, error: `${out.reason ?? out.result}: ${out.message ?? ''}`.trim() };
  };
}
