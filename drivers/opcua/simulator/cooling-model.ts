/**
 * The demo site's cooling plant as OPC UA objects: Objects/Cooling/CRAC-3 (a close-control air
 * conditioner) and Objects/Cooling/Chiller-1, analog items with EngineeringUnits and EURange.
 * NodeIds are `ns=1;s=<Unit>.<Variable>` (e.g. `ns=1;s=CRAC-3.SupplyAirTemp`).
 *
 * Scenario `cooling-failure`: the CRAC compressor trips and its supply air warms ~1 °C per 10 s
 * toward the return air (high-temperature alarm above 27 °C); the chiller stops, its supply water
 * warms toward the return water and its power falls to standby. When it ends, both recover.
 */
import { DataType, type Namespace, standardUnits, type UAObject, type UAVariable, Variant } from 'node-opcua';
import { createWalk } from './walk.js';

export type ScenarioState = Readonly<Record<string, boolean>>;

export interface CoolingModel {
  /** the NodeIds this model serves, by `<Unit>.<Variable>` */
  readonly nodeIds: ReadonlyMap<string, string>;
  update(nowMs: number, scenarios: ScenarioState): void;
}

type Unit = keyof typeof standardUnits;

interface VariableSpec {
  name: string;
  type: 'Double' | 'Boolean' | 'String';
  unit?: Unit;
  range?: [number, number];
  description: string;
}

const CRAC: VariableSpec[] = [
  { name: 'SupplyAirTemp', type: 'Double', unit: 'degree_celsius', range: [10, 45], description: 'Supply air temperature' },
  { name: 'ReturnAirTemp', type: 'Double', unit: 'degree_celsius', range: [10, 45], description: 'Return air temperature' },
  { name: 'Humidity', type: 'Double', unit: 'percent', range: [0, 100], description: 'Return air relative humidity' },
  { name: 'FanSpeed', type: 'Double', unit: 'percent', range: [0, 100], description: 'Fan speed' },
  { name: 'Setpoint', type: 'Double', unit: 'degree_celsius', range: [15, 30], description: 'Supply air setpoint' },
  { name: 'CoolingCapacity', type: 'Double', unit: 'kilowatt', range: [0, 60], description: 'Cooling capacity' },
  { name: 'CompressorRunning', type: 'Boolean', description: 'Compressor running' },
  { name: 'HighTempAlarm', type: 'Boolean', description: 'High supply air temperature alarm' },
  { name: 'CompressorFault', type: 'Boolean', description: 'Compressor fault' },
  { name: 'UnitStatus', type: 'String', description: 'Unit status (cooling, fault)' },
];

const CHILLER: VariableSpec[] = [
  { name: 'SupplyWaterTemp', type: 'Double', unit: 'degree_celsius', range: [0, 30], description: 'Chilled water supply temperature' },
  { name: 'ReturnWaterTemp', type: 'Double', unit: 'degree_celsius', range: [0, 30], description: 'Chilled water return temperature' },
  { name: 'Power', type: 'Double', unit: 'kilowatt', range: [0, 400], description: 'Electrical power' },
  { name: 'Running', type: 'Boolean', description: 'Chiller running' },
  { name: 'Alarm', type: 'Boolean', description: 'Chiller general alarm' },
];

const DATA_TYPES = { Double: DataType.Double, Boolean: DataType.Boolean, String: DataType.String } as const;
const HIGH_TEMP = 27;
/** °C per second the supply air / water moves toward where the unit drives it */
const AIR_RATE = 0.1;
const WATER_RATE = 0.05;

function addVariables(namespace: Namespace, parent: UAObject, unit: string, specs: VariableSpec[]): Map<string, UAVariable> {
  const out = new Map<string, UAVariable>();
  for (const spec of specs) {
    const nodeId = `s=${unit}.${spec.name}`;
    const common = { componentOf: parent, browseName: spec.name, nodeId, description: spec.description, minimumSamplingInterval: 100 };
    const variable =
      spec.type === 'Double'
        ? namespace.addAnalogDataItem({
            ...common,
            dataType: 'Double',
            engineeringUnits: standardUnits[spec.unit!],
            engineeringUnitsRange: { low: spec.range![0], high: spec.range![1] },
          })
        : namespace.addVariable({ ...common, dataType: spec.type });
    out.set(spec.name, variable as UAVariable);
  }
  return out;
}

function move(current: number, target: number, ratePerS: number, dtMs: number): number {
  const max = (ratePerS * dtMs) / 1000;
  return current + Math.max(-max, Math.min(max, target - current));
}

export function buildCoolingModel(namespace: Namespace, objects: UAObject, random: () => number = Math.random): CoolingModel {
  const cooling = namespace.addFolder(objects, { browseName: 'Cooling', nodeId: 's=Cooling' });
  const crac = namespace.addObject({ organizedBy: cooling, browseName: 'CRAC-3', nodeId: 's=CRAC-3' });
  const chiller = namespace.addObject({ organizedBy: cooling, browseName: 'Chiller-1', nodeId: 's=Chiller-1' });
  const cracVars = addVariables(namespace, crac, 'CRAC-3', CRAC);
  const chillerVars = addVariables(namespace, chiller, 'Chiller-1', CHILLER);
  const nodeIds = new Map<string, string>();
  for (const s of CRAC) nodeIds.set(`CRAC-3.${s.name}`, `ns=${namespace.index};s=CRAC-3.${s.name}`);
  for (const s of CHILLER) nodeIds.set(`Chiller-1.${s.name}`, `ns=${namespace.index};s=Chiller-1.${s.name}`);

  const returnAir = createWalk({ min: 28, max: 32, start: 30, volatility: 0.1 }, random);
  const humidity = createWalk({ min: 42, max: 48, start: 45, volatility: 0.2 }, random);
  const fan = createWalk({ min: 60, max: 80, start: 70, volatility: 0.5 }, random);
  const capacity = createWalk({ min: 20, max: 30, start: 25, volatility: 0.3 }, random);
  const returnWater = createWalk({ min: 11.5, max: 12.5, start: 12, volatility: 0.05 }, random);
  const load = createWalk({ min: 110, max: 140, start: 125, volatility: 1 }, random);
  const setpoint = 18;
  let supplyAir: number | undefined;
  let supplyWater: number | undefined;
  let last: number | undefined;

  const set = (vars: Map<string, UAVariable>, name: string, value: number | boolean | string, at: Date) => {
    const variable = vars.get(name)!;
    const dataType = DATA_TYPES[typeof value === 'number' ? 'Double' : typeof value === 'boolean' ? 'Boolean' : 'String'];
    variable.setValueFromSource(new Variant({ dataType, value }), undefined, at);
  };

  return {
    nodeIds,
    update(nowMs, scenarios) {
      const dt = last === undefined ? 0 : nowMs - last;
      last = nowMs;
      const failed = scenarios['cooling-failure'] === true;
      const at = new Date(nowMs);

      const ret = returnAir.step(dt);
      const airTarget = failed ? ret : setpoint + 1;
      supplyAir = supplyAir === undefined ? airTarget : move(supplyAir, airTarget, AIR_RATE, dt);
      set(cracVars, 'SupplyAirTemp', round(supplyAir), at);
      set(cracVars, 'ReturnAirTemp', round(ret), at);
      set(cracVars, 'Humidity', round(humidity.step(dt)), at);
      set(cracVars, 'FanSpeed', Math.round(fan.step(dt)), at);
      set(cracVars, 'Setpoint', setpoint, at);
      set(cracVars, 'CoolingCapacity', failed ? 0 : round(capacity.step(dt)), at);
      set(cracVars, 'CompressorRunning', !failed, at);
      set(cracVars, 'HighTempAlarm', supplyAir > HIGH_TEMP, at);
      set(cracVars, 'CompressorFault', failed, at);
      set(cracVars, 'UnitStatus', failed ? 'fault' : 'cooling', at);

      const retWater = returnWater.step(dt);
      const waterTarget = failed ? retWater : 7;
      supplyWater = supplyWater === undefined ? waterTarget : move(supplyWater, waterTarget, WATER_RATE, dt);
      set(chillerVars, 'SupplyWaterTemp', round(supplyWater), at);
      set(chillerVars, 'ReturnWaterTemp', round(retWater), at);
      set(chillerVars, 'Power', failed ? 4.5 : round(load.step(dt)), at);
      set(chillerVars, 'Running', !failed, at);
      set(chillerVars, 'Alarm', failed, at);
    },
  };
}

/** Two decimals: what a real controller reports, and steadier in the page. */
function round(v: number): number {
  return Math.round(v * 100) / 100;
}
