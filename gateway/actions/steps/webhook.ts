/**
 * A `webhook` step: one HTTP request with a JSON body (the step's template filled in), no
 * redirects, a timeout. Errors and results show the URL as scheme://host:port only.
 */
import { errorMessage } from '../../../core/errors.js';
import { publicUrl, scrubUrls } from '../../../core/redact-url.js';
import type { StepContext, StepOutcome } from '../step-runner.js';
import { fillValue } from '../template.js';
import type { WebhookStep } from '../types.js';

export function createWebhookRunner() {
  return async (step: WebhookStep['webhook'], ctx: StepContext): Promise<StepOutcome> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(step.headers)) headers[k] = v.reveal();
    const body = step.body === undefined ? { actionId: ctx.actionId, trigger: ctx.trigger } : fillValue(step.body, ctx.fields);
    try {
      const res = await fetch(step.url, { method: step.method, headers, body: JSON.stringify(body), signal: AbortSignal.timeout(step.timeoutMs), redirect: 'error' });
      // The body is not needed; reading it frees the connection for keep-alive.
      await res.arrayBuffer().catch(() => undefined);
      const result = { url: publicUrl(step.url), status: res.status };
      return res.ok ? { ok: true, result } : { ok: false, result, error: `HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      return { ok: false, result: { url: publicUrl(step.url) }, error: scrubUrls(cause ? `${errorMessage(err)} (${errorMessage(cause)})` : errorMessage(err)) };
    }
  };
}
