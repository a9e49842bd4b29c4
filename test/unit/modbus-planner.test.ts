import { describe, expect, it } from 'vitest';
import { type PlanLimits, planReads, type ReadRequest } from '../../drivers/modbus/planner.js';
import { type ModbusPoint, MODBUS_TYPES, type ModbusTable, pointWidth } from '../../drivers/modbus/point.js';

type Spec = Partial<ModbusPoint> & { address: number };

function pt(spec: Spec): ModbusPoint {
  const table = spec.table ?? 'holding';
  const key = spec.key ?? `${table}${spec.address}${spec.bit === undefined ? '' : `b${spec.bit}`}`;
  return {
    id: `dev.${key}`,
    key,
    name: key,
    table,
    type: table === 'coil' || table === 'discrete' ? 'bool' : 'uint16',
    wordOrder: 'ABCD',
    ...spec,
  };
}

const LIMITS: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 10 };

/** What a reader checks: which ranges are requested and which points each carries. */
function shape(requests: ReadRequest[]) {
  return requests.map((r) => `${r.table} ${r.address}+${r.count}: ${r.points.map((p) => p.key).join(',')}`);
}

describe('planReads', () => {
  it.each<{ what: string; points: Spec[]; limits?: Partial<PlanLimits>; want: string[] }>([
    { what: 'empty input', points: [], want: [] },
    {
      what: 'adjacent registers merge',
      points: [{ address: 0 }, { address: 1 }, { address: 2 }],
      want: ['holding 0+3: holding0,holding1,holding2'],
    },
    {
      what: 'gap equal to maxGap merges',
      points: [{ address: 0 }, { address: 5 }],
      limits: { maxGap: 4 },
      want: ['holding 0+6: holding0,holding5'],
    },
    {
      what: 'gap one above maxGap splits',
      points: [{ address: 0 }, { address: 5 }],
      limits: { maxGap: 3 },
      want: ['holding 0+1: holding0', 'holding 5+1: holding5'],
    },
    {
      what: 'maxGap 0 still merges adjacent points',
      points: [{ address: 0 }, { address: 1 }, { address: 3 }],
      limits: { maxGap: 0 },
      want: ['holding 0+2: holding0,holding1', 'holding 3+1: holding3'],
    },
    {
      what: 'the gap is measured from the end of a wide point',
      points: [{ address: 0, type: 'uint64', key: 'u64' }, { address: 6 }],
      limits: { maxGap: 2 },
      want: ['holding 0+7: u64,holding6'],
    },
    {
      what: 'exactly 125 registers fit in one request',
      points: [{ address: 0 }, { address: 124 }],
      limits: { maxGap: 200 },
      want: ['holding 0+125: holding0,holding124'],
    },
    {
      what: 'the 126th register starts a new request',
      points: [{ address: 0 }, { address: 125 }],
      limits: { maxGap: 200 },
      want: ['holding 0+1: holding0', 'holding 125+1: holding125'],
    },
    {
      what: 'a 32-bit value ending on register 125 fits, one register later does not',
      points: [{ address: 0 }, { address: 123, type: 'uint32', key: 'a' }, { address: 124, type: 'uint32', key: 'b' }],
      limits: { maxGap: 200 },
      want: ['holding 0+125: holding0,a', 'holding 124+2: b'],
    },
    {
      what: 'a smaller device limit',
      points: [{ address: 0 }, { address: 9 }, { address: 10 }],
      limits: { maxRegisters: 10 },
      want: ['holding 0+10: holding0,holding9', 'holding 10+1: holding10'],
    },
    {
      what: 'a limit above the protocol ceiling is clamped to 125',
      points: [{ address: 0 }, { address: 125 }],
      limits: { maxRegisters: 500, maxGap: 500 },
      want: ['holding 0+1: holding0', 'holding 125+1: holding125'],
    },
    {
      what: 'exactly 2000 coils fit in one request',
      points: [{ address: 0, table: 'coil' }, { address: 1999, table: 'coil' }],
      limits: { maxGap: 5000 },
      want: ['coil 0+2000: coil0,coil1999'],
    },
    {
      what: 'the 2001st bit starts a new request',
      points: [{ address: 0, table: 'discrete' }, { address: 2000, table: 'discrete' }],
      limits: { maxGap: 5000 },
      want: ['discrete 0+1: discrete0', 'discrete 2000+1: discrete2000'],
    },
    {
      what: 'maxBits limits bit tables independently of maxRegisters',
      points: [{ address: 0, table: 'coil' }, { address: 200, table: 'coil' }],
      limits: { maxRegisters: 10, maxBits: 200, maxGap: 5000 },
      want: ['coil 0+1: coil0', 'coil 200+1: coil200'],
    },
    {
      what: 'bit fields sharing a register go into one request',
      points: [{ address: 1 }, { address: 0, bit: 2 }, { address: 0, bit: 0 }, { address: 0, bit: 15 }],
      want: ['holding 0+2: holding0b2,holding0b0,holding0b15,holding1'],
    },
    {
      what: 'bit fields on the last register of a full request still join it',
      points: [{ address: 0 }, { address: 124, bit: 0 }, { address: 124, bit: 1 }],
      limits: { maxGap: 200 },
      want: ['holding 0+125: holding0,holding124b0,holding124b1'],
    },
    {
      what: 'overlapping definitions share a request',
      points: [{ address: 10, type: 'uint32', key: 'u32' }, { address: 11, key: 'low' }],
      want: ['holding 10+2: u32,low'],
    },
    {
      what: 'a point inside a wider one does not shrink the request',
      points: [{ address: 0, type: 'uint64', key: 'u64' }, { address: 1, key: 'inner' }],
      want: ['holding 0+4: u64,inner'],
    },
    {
      what: 'points at one address keep the caller’s order',
      points: [{ address: 7, key: 'b' }, { address: 7, type: 'int32', key: 'a' }, { address: 7, bit: 1, key: 'c' }],
      want: ['holding 7+2: b,a,c'],
    },
    {
      what: 'tables never merge; order is coil, discrete, holding, input',
      points: [
        { address: 0, table: 'input' },
        { address: 0, table: 'holding' },
        { address: 1, table: 'holding' },
        { address: 0, table: 'discrete' },
        { address: 0, table: 'coil' },
        { address: 1, table: 'input' },
      ],
      want: ['coil 0+1: coil0', 'discrete 0+1: discrete0', 'holding 0+2: holding0,holding1', 'input 0+2: input0,input1'],
    },
    {
      what: 'unsorted input comes out in address order',
      points: [{ address: 30 }, { address: 2 }, { address: 17 }, { address: 5 }],
      want: ['holding 2+4: holding2,holding5', 'holding 17+1: holding17', 'holding 30+1: holding30'],
    },
    {
      what: 'a string wider than the limit gets its own oversize request',
      points: [{ address: 0 }, { address: 1, type: 'string', length: 300, key: 'long' }, { address: 151 }],
      want: ['holding 0+1: holding0', 'holding 1+150: long', 'holding 151+1: holding151'],
    },
  ])('$what', ({ points, limits, want }) => {
    expect(shape(planReads(points.map(pt), { ...LIMITS, ...limits }))).toEqual(want);
  });

  it('keeps the caller’s point objects (the driver maps results back by identity)', () => {
    const points = [pt({ address: 3 }), pt({ address: 1 })];
    const [request] = planReads(points, LIMITS);
    expect(request?.points[0]).toBe(points[1]);
    expect(request?.points[1]).toBe(points[0]);
  });

  it('does not reorder or mutate its input', () => {
    const points = [pt({ address: 3 }), pt({ address: 1 })];
    const copy = structuredClone(points);
    planReads(points, LIMITS);
    expect(points).toEqual(copy);
  });

  // Invariants over many random maps: every point exactly once, inside its request, requests within
  // limits (unless a single point is wider), no hole above maxGap, deterministic ordering.
  it('holds its invariants on random register maps', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const tables: ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];
    const registerTypes = MODBUS_TYPES.filter((t) => t !== 'bool');
    for (let round = 0; round < 200; round++) {
      const limits = { maxRegisters: 1 + rand(125), maxBits: 1 + rand(2000), maxGap: rand(20) };
      const points = Array.from({ length: rand(60) }, (_, i) => {
        const table = tables[rand(4)] as ModbusTable;
        const type = registerTypes[rand(registerTypes.length)] as ModbusPoint['type'];
        return pt({ key: `p${i}`, table, address: rand(round % 2 === 0 ? 3000 : 150), type, length: 1 + rand(40) });
      });
      const requests = planReads(points, limits);

      const seen = requests.flatMap((r) => r.points);
      expect(seen.length).toBe(points.length);
      expect(new Set(seen).size).toBe(points.length);

      let last = '';
      for (const r of requests) {
        const limit = r.table === 'coil' || r.table === 'discrete' ? limits.maxBits : limits.maxRegisters;
        if (r.points.length > 1) expect(r.count).toBeLessThanOrEqual(limit);
        const order = `${tables.indexOf(r.table)}:${String(r.address).padStart(5, '0')}`;
        expect(order >= last).toBe(true);
        last = order;
        let end = r.address;
        for (const p of r.points) {
          expect(p.table).toBe(r.table);
          expect(p.address - end).toBeLessThanOrEqual(limits.maxGap);
          expect(p.address + pointWidth(p)).toBeLessThanOrEqual(r.address + r.count);
          end = Math.max(end, p.address + pointWidth(p));
        }
        expect(r.points.map((p) => p.address)).toEqual(r.points.map((p) => p.address).sort((a, b) => a - b));
        expect(end).toBe(r.address + r.count);
      }
    }
  });
});
