import { describe, expect, it } from 'vitest';
import { goals, renderGoals } from './goals.ts';
import type { ScenarioReport } from './report.ts';
import { deliveryTargets } from './targets.ts';

// The names the delivery scenarios put in their rows: the goals find Weft and the relays by them.
const [relay, durableRelay, weft, ...peers] = deliveryTargets('unused.ts').map((target) => target.name);

const report = (id: string, raw: unknown): ScenarioReport => ({
  id,
  title: id,
  explanation: '',
  table: { columns: [], rows: [] },
  notes: [],
  raw,
});

function fanOut(clients: number, weftRow: { p99: number; cpu: number }, peerP99s = [2, 3]): ScenarioReport {
  const row = (target: string | undefined, p99: number, cpu: number) => ({ target, p99, serverCpuUsPerDelivery: cpu });
  return report(`fan-out-${clients}`, {
    rows: [
      row(relay, 1, 10),
      row(weft, weftRow.p99, weftRow.cpu),
      ...peers.map((peer, i) => row(peer, peerP99s[i] ?? 0, 20)),
    ],
  });
}

/** goal text → verdict, read back from the rendered Markdown table. */
function verdicts(reports: ScenarioReport[]): Map<string, string> {
  const rows = renderGoals(reports)
    .join('\n')
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| goal '))
    .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| /, '').replace(/ \|$/, '').trim()));
  return new Map(rows.map((cells) => [cells[0] as string, cells[2] as string]));
}

const only = (reports: ScenarioReport[]) => [...verdicts(reports).values()];

describe('goals', () => {
  it('fan-out: met at exactly the lowest peer p99 and exactly 1.5× the relay CPU', () => {
    expect(only([fanOut(50, { p99: 2, cpu: 10 * goals.cpuPerDeliveryVsRelay })])).toEqual(['**met**', '**met**']);
  });

  it('fan-out: not met just above either', () => {
    expect(only([fanOut(50, { p99: 2.01, cpu: 15.1 })])).toEqual(['**not met**', '**not met**']);
    // Beating one peer is not enough: the p99 must be at or below each peer's.
    expect(only([fanOut(200, { p99: 2.5, cpu: 12 }, [3, 2])])).toEqual(['**not met**', '**met**']);
  });

  it("CPU per delivery is judged in every delivery scenario with a relay row, with the peers' ratios shown", () => {
    const delivery = (id: string, weftCpu: number) =>
      report(id, {
        rows: [
          { target: relay, p99: 1, serverCpuUsPerDelivery: 50 },
          { target: weft, p99: 1, serverCpuUsPerDelivery: weftCpu },
          ...peers.map((peer) => ({ target: peer, p99: 1, serverCpuUsPerDelivery: 100 })),
        ],
      });
    const judged = verdicts([delivery('many-documents', 75), delivery('long-run', 76), delivery('join-storm', 500)]);
    expect([...judged]).toEqual([
      ['Many documents: server CPU per delivery ≤ 1.5× relay', '**met**'],
      ['Long run: server CPU per delivery ≤ 1.5× relay', '**not met**'],
    ]);
    const text = renderGoals([delivery('many-documents', 75)]).join('\n');
    for (const peer of peers) expect(text).toContain(`${peer} 2.00×`);
    // The durable relay is judged beside Weft (not as a peer), when the run measured it.
    const withFloor = report('fan-out-50', {
      rows: [
        { target: relay, p99: 1, serverCpuUsPerDelivery: 10 },
        { target: durableRelay, p99: 1, serverCpuUsPerDelivery: 17 },
        { target: weft, p99: 1, serverCpuUsPerDelivery: 18 },
        ...peers.map((peer) => ({ target: peer, p99: 2, serverCpuUsPerDelivery: 14 })),
      ],
    });
    expect([...verdicts([withFloor])]).toEqual([
      ["Fan-out 50: Weft p99 ≤ each peer's", '**met**'],
      ['Fan-out 50: server CPU per delivery ≤ 1.5× relay', `**not met** (${durableRelay}: not met)`],
    ]);
    const floorText = renderGoals([withFloor]).join('\n');
    expect(floorText).toContain(`1.80× (${durableRelay} 1.70×, ${peers[0]} 1.40×`);
    expect(floorText).not.toContain(`${durableRelay} 1 ms`);
    // Without a relay row there is nothing to divide by.
    const noRelay = report('long-run', { rows: [{ target: weft, p99: 1, serverCpuUsPerDelivery: 1 }] });
    expect(renderGoals([noRelay])).toEqual([]);
  });

  it('ramp, idle memory and cold load at their limits', () => {
    const ramp = (share: number) =>
      report('throughput-ramp', {
        rows: [
          { id: 'relay', sustained: 1000 },
          { id: 'weft', sustained: 1000 * share },
        ],
      });
    expect(only([ramp(goals.sustainedVsRelay)])).toEqual(['**met**']);
    expect(only([ramp(0.79)])).toEqual(['**not met**']);
    const idle = (bytes: number) => report('idle-memory', { rows: [{ id: 'weft', perConnection: bytes }] });
    expect(only([idle(goals.idleConnectionBytes)])).toEqual(['**met**']);
    expect(only([idle(goals.idleConnectionBytes + 1)])).toEqual(['**not met**']);
    const cold = (load: number, withOpen: number) =>
      report('cold-load', [
        {
          document: 'automerge-paper',
          medians: {
            'raw limit: Y.applyUpdate from memory': 10,
            'Weft: load + apply (storage already open)': 10 * load,
            'Weft: createFileStorage + load + apply': 10 * withOpen,
          },
        },
      ]);
    expect(only([cold(1.2, 1.3)])).toEqual(['**met** (with opening: not met)']);
    expect(only([cold(1.21, 1.1)])).toEqual(['**not met** (with opening: met)']);
  });

  it('a scenario that did not run (or was skipped) has no row, and none at all means no section', () => {
    const skipped = { ...fanOut(50, { p99: 1, cpu: 1 }), table: undefined };
    expect(renderGoals([skipped])).toEqual([]);
    expect(verdicts([fanOut(50, { p99: 1, cpu: 1 })]).size).toBe(2);
  });
});
