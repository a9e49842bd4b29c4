/**
 * Site topology: the power chain (feed → UPS → PDU → zone) and the cooling chain (CRAC/chiller →
 * zone) as columns of boxes, each coloured by its worst active alarm (grey: comm down). Drawn
 * here as plain HTML; topology.js re-colours the boxes from GET /api/v1/topology every 5 s.
 */
import { Hono } from 'hono';
import type { WebEnv } from '../context.js';
import { html, type Raw } from '../html.js';
import type { MessageKey, Translate } from '../i18n/i18n.js';
import { buildTopologyView, type TopologyNodeView } from '../topology-model.js';
import { type PageKit, renderPage } from './layout.js';

/** The box's state classes and chip text; topology.js computes the same from the API. */
function stateOf(n: TopologyNodeView, t: Translate): { cls: string; label: string } {
  // A feed has no readings of its own: its loss shows on the UPSs it feeds.
  if (n.kind === 'feed') return { cls: '', label: '' };
  if (n.comm === 'down') return { cls: ' comm-down', label: t('status.commDown') };
  if (n.severity) return { cls: ` sev-${n.severity}`, label: t(`severity.${n.severity}` as MessageKey) };
  return { cls: '', label: n.comm === 'connecting' ? t('status.connecting') : t('topology.ok') };
}

function nodeBox(n: TopologyNodeView, byId: ReadonlyMap<string, TopologyNodeView>, t: Translate): Raw {
  const state = stateOf(n, t);
  const nameOf = (id: string) => byId.get(id)?.name ?? id;
  const kind = n.deviceKind ?? t(`topology.kind.${n.kind}` as MessageKey);
  const links = [
    n.fedBy.length > 0 ? html`<span class="tlink">${t('topology.fedBy')}: ${n.fedBy.map(nameOf).join(', ')}</span>` : '',
    n.cools.length > 0 ? html`<span class="tlink">${t('topology.cools')}: ${n.cools.map(nameOf).join(', ')}</span>` : '',
  ];
  const inner = html`<span class="tnode-head"><span class="name">${n.name}</span><span class="chip" data-node-state>${state.label}</span></span>
<span class="tkind">${kind}</span>${links}`;
  const attrs = html`class="tnode k-${n.kind}${state.cls}" data-node="${n.id}"`;
  // Devices open their own page; feeds and zones have none.
  return n.kind === 'device' ? html`<a ${attrs} href="/devices/${encodeURIComponent(n.id)}">${inner}</a>` : html`<div ${attrs}>${inner}</div>`;
}

function chain(id: string, title: string, columns: readonly string[][], byId: ReadonlyMap<string, TopologyNodeView>, t: Translate): Raw {
  if (columns.length === 0) return html``;
  return html`<section class="card tchain-card" aria-labelledby="${id}"><h2 id="${id}">${title}</h2>
<div class="tchain">${columns.map(
    (col) => html`<ol class="tcol">${col.map((nid) => html`<li>${nodeBox(byId.get(nid)!, byId, t)}</li>`)}</ol>`,
  )}</div></section>`;
}

export function topologyPage(kit: PageKit): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const topology = kit.deps.topology;
    if (!topology) {
      return renderPage(c, kit, { title: t('topology.title'), nav: 'topology', body: html`<p class="muted">${t('topology.none')}</p>` });
    }
    const view = buildTopologyView(kit.deps, topology);
    const byId = new Map(view.nodes.map((n) => [n.id, n]));
    const body = html`<p class="muted">${t('topology.legend')}</p>
${view.power.length === 0 && view.cooling.length === 0 ? html`<p class="muted">${t('topology.none')}</p>` : ''}
${chain('h-power', t('topology.power'), view.power, byId, t)}
${chain('h-cooling', t('topology.cooling'), view.cooling, byId, t)}
${view.unlinked.length > 0 ? chain('h-unlinked', t('topology.unlinked'), [view.unlinked], byId, t) : ''}`;
    return renderPage(c, kit, { title: t('topology.title'), nav: 'topology', body, scripts: ['topology.js'], messages: ['topology.'] });
  });
}
