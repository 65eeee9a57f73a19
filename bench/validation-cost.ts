import * as Y from 'yjs';
import { assertOriginsInOrder } from '../packages/server/src/origin-order.ts';
import { assertValidUpdate } from '../packages/server/src/peer-input.ts';
import { formatMs, formatRatio, type ScenarioReport } from './report.ts';
import { median } from './stats.ts';
import type { ReplayedTrace } from './trace.ts';

// The server decodes every peer update in full and checks its items' origins before applying it
// (peer-input.ts, origin-order.ts). This measures
// what that costs on the two shapes that matter: a stream of keystroke updates, and one big
// SyncStep2 (a client arriving with the whole document).
export const validationCostDefaults = { keystrokes: 50_000, runs: 5 } as const;

const perUpdate = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(2)} µs` : `${formatMs(ms)} ms`);

function applyAll(updates: readonly Uint8Array[], validate: boolean): number {
  const doc = new Y.Doc();
  const start = performance.now();
  for (const update of updates) {
    if (validate) assertOriginsInOrder(doc, assertValidUpdate(update).structs);
    Y.applyUpdate(doc, update);
  }
  return performance.now() - start;
}

function timeBoth(updates: readonly Uint8Array[], runs: number) {
  const plain: number[] = [];
  const validated: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Alternate the order so neither side always pays for the other's garbage.
    if (run % 2 === 0) {
      plain.push(applyAll(updates, false));
      validated.push(applyAll(updates, true));
    } else {
      validated.push(applyAll(updates, true));
      plain.push(applyAll(updates, false));
    }
  }
  return { plainMs: median(plain), validatedMs: median(validated) };
}

export function runValidationCost(trace: ReplayedTrace): ScenarioReport {
  const { keystrokes, runs } = validationCostDefaults;
  const stream = trace.updates.slice(0, keystrokes);
  const full = [Y.encodeStateAsUpdate(trace.doc)];
  const streamTimes = timeBoth(stream, runs);
  const fullTimes = timeBoth(full, runs);
  const row = (label: string, times: { plainMs: number; validatedMs: number }, count: number) => [
    label,
    formatMs(times.plainMs),
    formatMs(times.validatedMs),
    formatRatio(times.validatedMs / times.plainMs),
    perUpdate((times.validatedMs - times.plainMs) / count),
  ];
  return {
    id: 'validation-cost',
    title: 'Cost of validating peer updates before applying them',
    explanation: `Y.applyUpdate alone (the raw limit, what an unvalidated relay does) against assertValidUpdate + assertOriginsInOrder + Y.applyUpdate (what Weft does); median of ${runs} runs, in process.`,
    table: {
      columns: ['input', 'apply only ms', 'validate + apply ms', '× apply only', 'extra per update'],
      rows: [
        row(`${stream.length.toLocaleString('en')} keystroke updates of automerge-paper`, streamTimes, stream.length),
        row('the final automerge-paper document as one update', fullTimes, 1),
      ],
    },
    notes: [],
    raw: { keystrokes: stream.length, runs, stream: streamTimes, full: fullTimes },
  };
}
