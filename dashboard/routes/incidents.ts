/**
 * Incident API (issue 15): GET /api/v1/incidents lists every incident with its member alarms, each
 * member with the alarms that are its symptoms grouped under it; POST /:id/ack acknowledges one
 * (an operator, with CSRF like the alarm actions: the auth middleware sees to both).
 */
import { Hono } from 'hono';
import type { AlarmRecord, AlarmService } from '../../gateway/alarms/types.js';
import type { IncidentRecord, IncidentService, SymptomLink } from '../../gateway/incidents/types.js';
import { jsonError } from '../errors.js';
import { readBody, requestActor } from './alarms.js';

export interface IncidentMemberView {
  alarm: AlarmRecord | { id: string };
  /** set when this member is itself a symptom of another alarm */
  causeId: string | null;
  symptoms: Array<AlarmRecord | { id: string }>;
}

export interface IncidentView extends IncidentRecord {
  /** members that are causes (not symptoms of another member), each with its symptoms */
  causes: IncidentMemberView[];
}

/** An incident's members grouped: causes at the top, their symptoms under them. */
export function incidentView(incident: IncidentRecord, links: readonly SymptomLink[], alarms: Pick<AlarmService, 'get'> | undefined): IncidentView {
  const find = (id: string) => alarms?.get(id) ?? { id };
  const causeOf = new Map(links.map((l) => [l.alarmId, l.causeId]));
  const members = new Set(incident.members);
  const causes: IncidentMemberView[] = [];
  for (const id of incident.members) {
    const cause = causeOf.get(id);
    // a member whose cause is in the incident is listed under that cause
    if (cause && members.has(cause)) continue;
    const symptoms = links.filter((l) => l.causeId === id).map((l) => find(l.alarmId));
    causes.push({ alarm: find(id), causeId: cause ?? null, symptoms });
  }
  return { ...incident, causes };
}

export function incidentRoutes(incidents: IncidentService, alarms?: Pick<AlarmService, 'get'>): Hono {
  return new Hono()
    .get('/', (c) => {
      const links = incidents.symptoms();
      return c.json(incidents.list().map((i) => incidentView(i, links, alarms)));
    })
    .get('/:id', (c) => {
      const incident = incidents.get(c.req.param('id'));
      if (!incident) return jsonError(c, 404, 'not-found', `no incident "${c.req.param('id')}"`);
      return c.json(incidentView(incident, incidents.symptoms(), alarms));
    })
    .post('/:id/ack', async (c) => {
      const body = await readBody(c);
      if (typeof body === 'string') return jsonError(c, 400, 'bad-request', body);
      const actor = requestActor(c, body);
      if (typeof actor === 'string') return jsonError(c, 400, 'bad-request', actor);
      const id = c.req.param('id');
      const before = incidents.get(id);
      if (!before) return jsonError(c, 404, 'not-found', `no incident "${id}"`);
      const after = incidents.ack(id, actor.who, actor.comment ?? undefined);
      if (!after || (after.state === before.state && after.ackedAt === before.ackedAt)) {
        return jsonError(c, 409, 'conflict', `nothing to acknowledge (the incident is ${before.state})`);
      }
      return c.json(incidentView(after, incidents.symptoms(), alarms));
    });
}
