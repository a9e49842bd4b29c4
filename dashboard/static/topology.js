// Topology page: every 5 s, re-colour each node box (worst active alarm, comm down) from the API.
(() => {
  const GW = window.GW;
  const POLL_MS = 5000;
  const STATE_CLASSES = ['sev-critical', 'sev-major', 'sev-minor', 'sev-warning', 'comm-down'];

  function apply(node) {
    // A feed has no readings of its own: its loss shows on the UPSs it feeds.
    if (node.kind === 'feed') return;
    const label =
      node.comm === 'down'
        ? GW.t('status.commDown')
        : node.severity
          ? GW.t(`severity.${node.severity}`)
          : node.comm === 'connecting'
            ? GW.t('status.connecting')
            : GW.t('topology.ok');
    const cls = node.comm === 'down' ? 'comm-down' : node.severity ? `sev-${node.severity}` : null;
    // One node may sit in both chains: update every box of it.
    for (const box of document.querySelectorAll(`[data-node="${CSS.escape(node.id)}"]`)) {
      box.classList.remove(...STATE_CLASSES);
      if (cls) box.classList.add(cls);
      const chip = box.querySelector('[data-node-state]');
      if (chip) chip.textContent = label;
    }
  }

  async function refresh() {
    try {
      const view = await GW.fetchJson('/api/v1/topology');
      for (const node of view.nodes) apply(node);
    } catch {
      // The live indicator already says when the gateway is unreachable; try again next round.
    }
    setTimeout(refresh, POLL_MS);
  }

  if (document.querySelector('[data-node]')) setTimeout(refresh, POLL_MS);
})();
