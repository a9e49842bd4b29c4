/** Site-wide what-if switches the device models react to (e.g. for demos and alarm tests). */

export const SCENARIOS = ['power-failure', 'cooling-failure', 'hot-spot', 'crac-degrading'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type ScenarioState = Readonly<Record<ScenarioName, boolean>>;

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

export function initialScenarios(): Record<ScenarioName, boolean> {
  return Object.fromEntries(SCENARIOS.map((s) => [s, false])) as Record<ScenarioName, boolean>;
}
