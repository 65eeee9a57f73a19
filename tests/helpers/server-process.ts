import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from here so `--import tsx` and the source condition resolve. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ARGS = ['--conditions=@weft/source', '--import', 'tsx', 'packages/server/src/cli.ts'];
/** Variables the CLI reads; cleared so the environment running the tests cannot change what a test asks for. */
const CLI_ENV = [
  'PORT',
  'HOST',
  'WEFT_DATA_DIR',
  'LOG_LEVEL',
  'WEFT_AUTH_SECRET',
  'WEFT_AUTH_PUBLIC_KEY_FILE',
  'WEFT_ALLOWED_ORIGINS',
  'WEFT_HELPER_NICE',
  'UV_THREADPOOL_SIZE',
];

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One parsed pino line of the CLI's stdout. */
export interface LogLine {
  msg?: string;
  level?: number;
  [field: string]: unknown;
}

/** A `weft-server` CLI running as a child process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON log lines of stdout so far. */
  readonly logs: readonly LogLine[];
  /** True once the process exited. */
  readonly hasExited: boolean;
  /** Resolves once the process exited and its stdout and stderr are fully read. */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (if still running) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
}

/** A CLI process that logged "weft-server listening". */
export interface ListeningServerProcess extends ServerProcess {
  readonly port: number;
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
}

export interface SpawnOptions {
  /** CLI arguments, e.g. `['--port', '0', '--data-dir', dir]`. */
  args?: string[];
  /** Environment variables for the CLI, on top of the test's environment minus the CLI's own. */
  env?: Record<string, string>;
}

export interface StartOptions {
  /** `--data-dir`; omit to pass it some other way (e.g. `WEFT_DATA_DIR` in `env`). */
  dataDir?: string;
  /** Arguments added after `--port 0 --host 127.0.0.1 [--data-dir ...]`. */
  args?: string[];
  env?: Record<string, string>;
  /** Give up waiting for the listening line after this long (the process is then killed). */
  timeoutMs?: number;
}

/** Spawns and tracks CLI processes so a test's `afterEach` can kill every one of them. */
export interface ServerProcesses {
  /** Spawns the CLI with exactly these arguments and returns at once. */
  spawn(options?: SpawnOptions): ServerProcess;
  /** Spawns the CLI on 127.0.0.1, port 0, and resolves once it listens; rejects if it exits first. */
  start(options?: StartOptions): Promise<ListeningServerProcess>;
  /** Resolves with the port once `process` logged that it listens; rejects if it exits first. */
  listening(process: ServerProcess, timeoutMs?: number): Promise<ListeningServerProcess>;
  /** SIGKILLs every process still running and waits for all of them. */
  killAll(): Promise<void>;
}

const describeOutput = (server: ServerProcess) =>
  `stdout:\n${server.stdout.slice(-2000)}\nstderr:\n${server.stderr.slice(-2000)}`;

function spawnCli(options: SpawnOptions): ServerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLI_ENV) delete env[name];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [...CLI_ARGS, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the weft-server CLI');
  let stdout = '';
  let stderr = '';
  let partialLine = '';
  let hasExited = false;
  const logs: LogLine[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partialLine + chunk).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line; it stays in `stdout`.
      }
    }
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' comes after the exit and after stdout and stderr ended, so the output is complete.
  const exited = (once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => {
    hasExited = true;
    return { code, signal };
  });
  const serverProcess: ServerProcess = {
    child,
    pid: child.pid,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    logs,
    get hasExited() {
      return hasExited;
    },
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return serverProcess;
}

/** The same process with its address; the getters stay live. */
function withAddress(server: ServerProcess, port: number): ListeningServerProcess {
  const listening = Object.defineProperties({}, Object.getOwnPropertyDescriptors(server));
  return Object.assign(listening, {
    port,
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
  }) as ListeningServerProcess;
}

function waitUntilListening(server: ServerProcess, timeoutMs: number): Promise<ListeningServerProcess> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Error | number) => {
      clearTimeout(timer);
      server.child.stdout?.off('data', check);
      if (outcome instanceof Error) reject(outcome);
      else resolve(withAddress(server, outcome));
    };
    function check() {
      const line = server.logs.find((log) => log.msg === 'weft-server listening');
      if (line === undefined) return;
      const port = Number(new URL(String(line.url)).port);
      finish(Number.isInteger(port) && port > 0 ? port : new Error(`no port in the listening line: ${line.url}`));
    }
    // Registered after spawnCli's own listener, so `logs` already holds the chunk being checked.
    server.child.stdout?.on('data', check);
    void server.exited.then((exit) =>
      finish(new Error(`weft-server exited (${exit.code ?? exit.signal}) before listening\n${describeOutput(server)}`)),
    );
    timer = setTimeout(() => {
      void server.kill('SIGKILL');
      finish(new Error(`weft-server did not listen within ${timeoutMs} ms\n${describeOutput(server)}`));
    }, timeoutMs);
    check();
  });
}

/**
 * Runs the real `weft-server` CLI (from the TypeScript sources) as child processes.
 *
 * @example
 * const processes = createServerProcesses();
 * afterEach(() => processes.killAll());
 * const server = await processes.start({ dataDir });
 * await server.kill('SIGKILL');
 */
export function createServerProcesses(): ServerProcesses {
  const running = new Set<ServerProcess>();
  const track = (serverProcess: ServerProcess) => {
    running.add(serverProcess);
    void serverProcess.exited.then(() => running.delete(serverProcess));
    return serverProcess;
  };
  const listening = (serverProcess: ServerProcess, timeoutMs = 20_000) => waitUntilListening(serverProcess, timeoutMs);
  return {
    spawn: (options = {}) => track(spawnCli(options)),
    listening,
    start(options = {}) {
      const args = ['--port', '0', '--host', '127.0.0.1'];
      if (options.dataDir !== undefined) args.push('--data-dir', options.dataDir);
      const serverProcess = track(spawnCli({ args: [...args, ...(options.args ?? [])], env: options.env }));
      return listening(serverProcess, options.timeoutMs);
    },
    async killAll() {
      await Promise.all([...running].map((serverProcess) => serverProcess.kill('SIGKILL')));
    },
  };
}

/** A port that was free a moment ago (for tests that must name a port, e.g. through `PORT`). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}
