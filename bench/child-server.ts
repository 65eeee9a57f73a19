import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A server running in its own process, so its CPU use never competes with the load generator's event loop. */
export interface ChildServer {
  /** ws://host:port */
  url: string;
  /** The server process, for its CPU time and RSS in /proc. */
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Runs `node --conditions=@weft/source --import tsx <script> ...args` in `cwd` and waits for the
 * first stdout line that is JSON with a `url` field (pino's "weft-server listening" line has one).
 * With `fromSource: false` the `@weft/*` packages resolve to their built `dist/` JavaScript instead
 * (tsx still runs the script itself).
 */
export async function startChildServer(
  cwd: string,
  script: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
  fromSource = true,
): Promise<ChildServer> {
  const conditions = fromSource ? ['--conditions=@weft/source'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...conditions, '--import', 'tsx', script, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  try {
    const url = await listeningUrl(child);
    return { url: url.replace(/^http/, 'ws'), pid: child.pid as number, stop: () => stopChild(child) };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${script} did not start: ${String(error)}\n${stderr.join('')}`);
  }
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => reject(new Error('timed out waiting for the listening line')), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`exited with code ${code}`)));
    lines.on('line', (line) => {
      const url = parseUrl(line);
      if (url === undefined) return;
      clearTimeout(timer);
      resolve(url);
    });
  });
}

function parseUrl(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { url?: unknown };
    return typeof parsed.url === 'string' ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
