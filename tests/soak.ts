// Reruns the randomized suites with fresh seeds until SOAK_MINUTES (default 30) have passed, and
// prints each failing seed as the command that replays it. Run by hand (`pnpm soak`), not in CI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SEEDED_SUITES = [
  'tests/fuzz/server-input-fuzz.test.ts',
  'tests/fuzz/live-socket-fuzz.test.ts',
  'tests/fuzz/live-process-fuzz.test.ts',
  'tests/fuzz/decode-frame.test.ts',
  'tests/integration/convergence.test.ts',
  'tests/client/provider-convergence.test.ts',
  'tests/client/reconnect.test.ts',
  'tests/crash/kill-9.test.ts',
];

const minutes = Number(process.env.SOAK_MINUTES || 30);
const deadline = Date.now() + minutes * 60_000;
const logs = mkdtempSync(join(tmpdir(), 'weft-soak-'));
const failures: string[] = [];
let rounds = 0;
while (Date.now() < deadline) {
  const seed = Math.floor(Math.random() * 2 ** 32);
  for (const suite of SEEDED_SUITES) {
    const run = spawnSync('npx', ['vitest', 'run', suite], {
      env: { ...process.env, SEED: String(seed) },
      encoding: 'utf8',
    });
    if (run.status === 0) continue;
    const log = join(logs, `${seed}-${suite.replaceAll('/', '_')}.log`);
    writeFileSync(log, `${run.stdout}\n${run.stderr}`);
    failures.push(`SEED=${seed} npx vitest run ${suite}   (output: ${log})`);
    console.log(`FAILED: ${failures.at(-1)}`);
  }
  rounds += 1;
  console.log(`round ${rounds} (SEED=${seed}): ${failures.length} failures so far`);
}
console.log(`${rounds} rounds of ${SEEDED_SUITES.length} suites in ${minutes} min; ${failures.length} failed`);
for (const failure of failures) console.log(`  ${failure}`);
process.exitCode = failures.length > 0 ? 1 : 0;
