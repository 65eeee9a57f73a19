import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { createServerProcesses, findFreePort, type ProcessExit } from '../helpers/server-process.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { threadNices } from '../helpers/thread-nices.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The weft-server CLI as users run it: a child process, configured by flags and environment.
describe('weft-server CLI', () => {
  const processes = createServerProcesses();
  const cleanups: (() => unknown)[] = [];

  const tempDir = async () => {
    const dir = await createTempDir('weft-cli-');
    cleanups.push(dir.remove);
    return dir.path;
  };
  const connect = async (url: string, docName: string, extensions: string[] = []): Promise<ProtocolClient> => {
    const client = await connectProtocolClient(url, docName, { extensions });
    cleanups.push(() => client.close());
    await client.synced;
    return client;
  };

  afterEach(async () => {
    await processes.killAll();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('prints usage for --help and exits 0 without starting a server', async () => {
    const help = processes.spawn({ args: ['--help'] });
    expect(await help.exited).toEqual<ProcessExit>({ code: 0, signal: null });
    expect(help.stdout).toContain('Usage: weft-server [options]');
    for (const option of ['--port', '--host', '--data-dir', 'PORT', 'WEFT_DATA_DIR', 'SIGTERM']) {
      expect(help.stdout).toContain(option);
    }
    expect(help.logs.map((line) => line.msg)).not.toContain('weft-server listening');
    expect(help.stderr).toBe('');
  });

  it('refuses a second server on a data dir in use, and the first keeps serving', async () => {
    const dataDir = await tempDir();
    const first = await processes.start({ dataDir });

    const second = processes.spawn({ args: ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir] });
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.signal).toBeNull();
    expect(second.stderr).toMatch(/in use/);
    expect(second.stderr).toContain(dataDir);
    expect(second.stderr).toContain(String(first.pid));
    expect(second.logs.map((line) => line.msg)).not.toContain('weft-server listening');

    // The failed start neither stopped the first server nor took its lock.
    expect(first.hasExited).toBe(false);
    expect((await readFile(join(dataDir, 'LOCK'), 'utf8')).split(' ')[0]).toBe(String(first.pid));
    await connect(first.url, 'still-served');
    const health = await fetch(`${first.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, connections: 1 });
  });

  it('reads PORT, HOST and WEFT_DATA_DIR from the environment', async () => {
    const dataDir = await tempDir();
    const port = await findFreePort();
    const server = await processes.listening(
      processes.spawn({ env: { PORT: String(port), HOST: '127.0.0.1', WEFT_DATA_DIR: dataDir } }),
    );
    expect(server.port).toBe(port);
    expect(server.logs.find((line) => line.msg === 'weft-server listening')).toMatchObject({
      url: `http://127.0.0.1:${port}`,
      dataDir,
    });
    expect((await readFile(join(dataDir, 'LOCK'), 'utf8')).split(' ')[0]).toBe(String(server.pid));

    // Documents land in that directory: they are still there after a restart with the same env.
    const writer = await connect(server.url, 'env-doc', ['ack']);
    writer.doc.getText('t').insert(0, 'kept in WEFT_DATA_DIR');
    await waitFor(() => writer.ackedUpdates === writer.sentUpdates, 'the insert to be durable');
    expect(await server.kill('SIGTERM')).toEqual<ProcessExit>({ code: 0, signal: null });
    const restarted = await processes.start({ env: { WEFT_DATA_DIR: dataDir } });
    const reader = await connect(restarted.url, 'env-doc');
    expect(reader.doc.getText('t').toString()).toBe('kept in WEFT_DATA_DIR');
  });

  it('mints tokens with `weft-server token` that a server with the same secret accepts, and explains bad use', async () => {
    const env = { WEFT_AUTH_SECRET: 'a-test-secret-of-reasonable-length' };
    const mint = async (args: string[], withEnv: Record<string, string> = env) => {
      const run = processes.spawn({ args: ['token', ...args], env: withEnv });
      return { exit: await run.exited, stdout: run.stdout.trim(), stderr: run.stderr };
    };
    const server = await processes.start({ dataDir: await tempDir(), env });

    const writer = await mint(['--doc', 'minted', '--expires', '10m', '--subject', 'ada']);
    expect(writer.exit).toEqual<ProcessExit>({ code: 0, signal: null });
    expect(writer.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const client = await connectProtocolClient(server.url, 'minted', {
      extensions: ['ack'],
      params: { token: writer.stdout },
    });
    cleanups.push(() => client.close());
    await client.synced;
    client.doc.getText('t').insert(0, 'written with a minted token');
    await waitFor(() => client.ackedUpdates === client.sentUpdates, 'the write to be acked');

    // A token for another document is refused before the upgrade.
    const other = await mint(['--doc', 'elsewhere']);
    await expect(connectProtocolClient(server.url, 'minted', { params: { token: other.stdout } })).rejects.toThrow(
      'upgrade refused with HTTP 403',
    );

    for (const [args, withEnv, message] of [
      [['--doc', 'x', '--access', 'admin'], env, '--access must be read or write'],
      [['--access', 'read'], env, 'either doc or prefix'],
      [['--doc', 'x'], {}, 'a token needs a key'],
    ] as const) {
      const bad = await mint([...args], withEnv);
      expect(bad.exit.code).toBe(1);
      expect(bad.stderr).toContain(message);
      expect(bad.stdout).toBe('');
    }
  });

  it.skipIf(process.platform !== 'linux')(
    'lowers every thread but the main one and the libuv pool to nice 10 on Linux, or none with --helper-nice 0',
    async () => {
      // A pool of 2 makes the count exact: main + 2 pool threads stay at 0, V8's helpers go to 10.
      const lowered = await processes.start({ dataDir: await tempDir(), env: { UV_THREADPOOL_SIZE: '2' } });
      const threads = await threadNices(lowered.pid);
      const atZero = threads.filter((thread) => thread.nice === 0).map((thread) => thread.tid);
      expect(atZero).toHaveLength(3);
      expect(atZero).toContain(lowered.pid);
      expect(threads.filter((thread) => thread.nice === 10).length).toBe(threads.length - 3);
      expect(threads.length).toBeGreaterThanOrEqual(7); // 4 V8 platform threads at least

      const left = await processes.start({ dataDir: await tempDir(), env: { WEFT_HELPER_NICE: '0' } });
      expect((await threadNices(left.pid)).every((thread) => thread.nice === 0)).toBe(true);

      const bad = processes.spawn({ args: ['--port', '0', '--helper-nice', '20'] });
      expect((await bad.exited).code).toBe(1);
      expect(bad.stderr).toContain('invalid helper nice value "20" (0-19)');
    },
  );

  it('answers GET /healthz with 200 and JSON', async () => {
    const server = await processes.start({ dataDir: await tempDir() });
    const idle = await fetch(`${server.httpUrl}/healthz`);
    expect(idle.status).toBe(200);
    expect(idle.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await idle.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, rooms: 0, connections: 0 });
    expect(typeof body.uptimeSeconds).toBe('number');

    await connect(server.url, 'health-doc');
    const busy = await fetch(`${server.httpUrl}/healthz`);
    expect(busy.status).toBe(200);
    expect(await busy.json()).toMatchObject({ ok: true, rooms: 1, connections: 1 });
  });
});
