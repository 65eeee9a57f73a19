import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WeftError } from '@weft/protocol';
import { type Logger, silentLogger } from '../logger.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';
import type { DocStorage, StoredDoc } from './doc-storage.ts';
import { type AppendLog, createGroupCommit, type GroupCommit } from './group-commit.ts';
import { encodeRecord, scanRecords } from './record-format.ts';

/** Options of {@link createFileStorage}. */
export interface FileStorageOptions {
  /** The data directory; created if missing. */
  directory: string;
  /**
   * Extra milliseconds to wait before a group commit to gather more records into one fsync.
   * At 0 a commit starts on the next turn of the event loop; records that arrive while four fsyncs
   * run share the next one, which already batches well under load.
   */
  groupCommitDelayMs?: number;
  logger?: Logger;
}

export const fileStorageDefaults = { groupCommitDelayMs: 0 } as const;

interface OpenLog extends AppendLog {
  generation: number;
}

/** What is held open for one document. */
interface DocFiles {
  name: string;
  directory: string;
  /** Creating the folder and its `name` file, shared by everyone who needs them (single flight). */
  directoryReady: Promise<void> | undefined;
  /** The generation new records go to: `log-<generation>`, after `snapshot-<generation>`. */
  generation: number;
  log: OpenLog | undefined;
  commits: GroupCommit;
  compacting: Promise<void>;
}

/** An append that waits for its document to open. */
interface PendingAppend {
  record: Buffer;
  resolve(): void;
  reject(error: unknown): void;
}

interface RecoveredDoc {
  stored: StoredDoc;
  generation: number;
  /** False when a crash came between creating the folder and writing its `name` file. */
  hasNameFile: boolean;
}

const FILE_PATTERN = /^(snapshot|log)-(\d{10})\.bin$/;
const fileName = (kind: 'snapshot' | 'log', generation: number) =>
  `${kind}-${String(generation).padStart(10, '0')}.bin`;

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readDirectory(path: string): Promise<string[] | undefined> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function generationsOf(entries: string[], kind: 'snapshot' | 'log'): number[] {
  return entries
    .map((entry) => FILE_PATTERN.exec(entry))
    .filter((match) => match?.[1] === kind)
    .map((match) => Number(match?.[2]))
    .sort((a, b) => a - b);
}

/**
 * The embedded default storage: per document, an append-only checksummed log plus an immutable
 * snapshot, under `<directory>/docs/<hash>/`. Appends are group-committed (many records, one
 * fsync) and resolve only after the fsync. See docs/storage.md for the file format and recovery.
 *
 * @example
 * const storage = await createFileStorage({ directory: './data' })
 */
export async function createFileStorage(options: FileStorageOptions): Promise<DocStorage> {
  const { directory } = options;
  const logger = options.logger ?? silentLogger;
  const groupCommitDelayMs = options.groupCommitDelayMs ?? fileStorageDefaults.groupCommitDelayMs;
  const docsDirectory = join(directory, 'docs');
  await mkdir(docsDirectory, { recursive: true });
  const lock = await acquireDataDirLock(directory);
  const docs = new Map<string, Promise<DocFiles>>();
  /** The documents of `docs` whose open has finished: an append goes straight to its group commit. */
  const openDocs = new Map<string, DocFiles>();
  /** Appends made while their document opens, in call order; the open hands them on before any later one. */
  const appendsWhileOpening = new Map<string, PendingAppend[]>();
  let closed = false;

  const directoryOf = (name: string) => {
    const hash = createHash('sha256').update(name, 'utf8').digest('hex');
    return join(docsDirectory, hash.slice(0, 2), hash);
  };

  async function readLog(path: string, repair: boolean, name: string): Promise<Uint8Array[]> {
    const scan = scanRecords(await readFile(path));
    if (scan.kind === 'corrupt') {
      throw new WeftError(
        'document-corrupt',
        `document "${name}" is quarantined: ${path} is damaged at byte ${scan.offset} (${scan.reason})`,
      );
    }
    if (scan.kind === 'torn-tail' && repair) {
      // The torn bytes were never fsynced, so never acknowledged: cutting them loses nothing promised.
      logger.warn('truncating torn log tail', { doc: name, path, validBytes: scan.validBytes });
      await truncate(path, scan.validBytes);
    }
    return scan.records;
  }

  /** Reads a document's files: newest snapshot plus every log of its generation or later. */
  async function recover(name: string, path: string, repair: boolean): Promise<RecoveredDoc | undefined> {
    const entries = await readDirectory(path);
    if (entries === undefined) return undefined;
    const snapshots = generationsOf(entries, 'snapshot');
    const logs = generationsOf(entries, 'log');
    const snapshotGeneration = snapshots.at(-1) ?? 0;
    let snapshot: Uint8Array | undefined;
    if (snapshots.length > 0) {
      const file = join(path, fileName('snapshot', snapshotGeneration));
      const scan = scanRecords(await readFile(file));
      // A snapshot becomes visible only by rename after fsync, so a damaged one is real corruption.
      if (scan.kind !== 'clean' || scan.records.length !== 1) {
        throw new WeftError('document-corrupt', `document "${name}" is quarantined: snapshot ${file} is damaged`);
      }
      snapshot = scan.records[0];
    }
    let updates: Uint8Array[] = [];
    for (const generation of logs.filter((g) => g >= snapshotGeneration)) {
      // concat, not push(...records): a spread of a few hundred thousand records overflows the stack.
      updates = updates.concat(await readLog(join(path, fileName('log', generation)), repair, name));
    }
    if (repair) {
      // Leftovers of a compaction that crashed before it finished deleting.
      const stale = entries.filter((entry) => {
        const match = FILE_PATTERN.exec(entry);
        return entry.endsWith('.tmp') || (match !== null && Number(match[2]) < snapshotGeneration);
      });
      await Promise.all(stale.map((entry) => unlink(join(path, entry)).catch(() => undefined)));
    }
    return {
      stored: { snapshot, updates },
      generation: Math.max(snapshotGeneration, logs.at(-1) ?? 0),
      hasNameFile: entries.includes('name'),
    };
  }

  async function openDoc(name: string): Promise<{ files: DocFiles; stored: StoredDoc | undefined }> {
    const path = directoryOf(name);
    const recovered = await recover(name, path, true);
    const files: DocFiles = {
      name,
      directory: path,
      directoryReady: recovered?.hasNameFile ? Promise.resolve() : undefined,
      generation: recovered?.generation ?? 0,
      log: undefined,
      commits: createGroupCommit({
        name,
        logger,
        delayMs: groupCommitDelayMs,
        log: (synced) => currentLog(files, synced),
      }),
      compacting: Promise.resolve(),
    };
    return { files, stored: recovered?.stored };
  }

  /** Opens (recovers) a document and registers it, so concurrent callers share one open. */
  function register(name: string): ReturnType<typeof openDoc> {
    const opening = openDoc(name);
    const files = opening.then((opened) => opened.files);
    const waiting: PendingAppend[] = [];
    docs.set(name, files);
    appendsWhileOpening.set(name, waiting);
    files.then(
      (opened) => {
        appendsWhileOpening.delete(name);
        openDocs.set(name, opened);
        for (const { record, resolve, reject } of waiting) opened.commits.append(record).then(resolve, reject);
      },
      (error: unknown) => {
        appendsWhileOpening.delete(name);
        docs.delete(name);
        for (const { reject } of waiting) reject(error);
      },
    );
    return opening;
  }

  function filesOf(name: string): Promise<DocFiles> {
    if (closed) return Promise.reject(new WeftError('server-closed', 'storage is closed'));
    // Starts the open unless one runs. Every caller gets the same promise, whose first reaction
    // (registered in `register`) hands on the appends that waited for the open.
    if (!docs.has(name)) void register(name).catch(() => undefined);
    return docs.get(name) as Promise<DocFiles>;
  }

  function ensureDirectory(files: DocFiles): Promise<void> {
    files.directoryReady ??= createDirectory(files).catch((error: unknown) => {
      files.directoryReady = undefined;
      throw error;
    });
    return files.directoryReady;
  }

  async function createDirectory(files: DocFiles): Promise<void> {
    await mkdir(files.directory, { recursive: true });
    // Written aside and renamed into place, so a crash never leaves an empty or partial name.
    const nameFile = await open(join(files.directory, 'name.tmp'), 'w');
    try {
      await nameFile.writeFile(files.name, 'utf8');
      await nameFile.sync();
    } finally {
      await nameFile.close();
    }
    await rename(join(files.directory, 'name.tmp'), join(files.directory, 'name'));
    await fsyncDirectory(files.directory);
    await fsyncDirectory(join(files.directory, '..'));
    await fsyncDirectory(docsDirectory);
  }

  /** The open log when it is the current generation's (so a batch is written at once), else opens it. */
  function currentLog(files: DocFiles, synced: () => Promise<void>): OpenLog | Promise<OpenLog> {
    return files.log?.generation === files.generation ? files.log : openLog(files, synced);
  }

  async function openLog(files: DocFiles, synced: () => Promise<void>): Promise<OpenLog> {
    // Read once: a compaction may bump the generation during the awaits below, and the handle must
    // be labelled with the generation of the file it actually opened.
    const generation = files.generation;
    if (files.log !== undefined) {
      await synced();
      await files.log.handle.close();
    }
    files.log = undefined;
    await ensureDirectory(files);
    const handle = await open(join(files.directory, fileName('log', generation)), 'a');
    const { size } = await handle.stat();
    // A new file's directory entry must be durable too, or the fsynced records could vanish with it.
    if (size === 0) await fsyncDirectory(files.directory);
    files.log = { generation, handle, size };
    return files.log;
  }

  async function drain(files: DocFiles): Promise<void> {
    await files.compacting;
    await files.commits.drain();
  }

  async function writeSnapshot(files: DocFiles, generation: number, snapshot: Uint8Array): Promise<void> {
    await ensureDirectory(files);
    const finalPath = join(files.directory, fileName('snapshot', generation));
    const temporaryPath = `${finalPath}.tmp`;
    try {
      const handle = await open(temporaryPath, 'w');
      try {
        await handle.writeFile(encodeRecord(snapshot));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporaryPath, finalPath);
      await fsyncDirectory(files.directory);
    } catch (cause) {
      await unlink(temporaryPath).catch(() => undefined);
      throw new WeftError('storage-failed', `could not write a snapshot of "${files.name}": ${cause}`, { cause });
    }
    // Only now is the snapshot durable, so only now may older files go.
    const entries = (await readDirectory(files.directory)) ?? [];
    for (const entry of entries) {
      const match = FILE_PATTERN.exec(entry);
      if (match !== null && Number(match[2]) < generation) await unlink(join(files.directory, entry));
    }
  }

  const storage: DocStorage = {
    async load(name) {
      const open = docs.get(name);
      if (open !== undefined) {
        const files = await open;
        await drain(files);
        return (await recover(name, files.directory, false))?.stored;
      }
      return (await register(name)).stored;
    },

    append(name, update) {
      // An empty update changes nothing, and a zero-length record would read back as damage.
      if (update.length === 0) return Promise.resolve();
      // Encode (copy) before any await: the caller may reuse its buffer as soon as we return.
      const record = encodeRecord(update);
      if (closed) return Promise.reject(new WeftError('server-closed', 'storage is closed'));
      const files = openDocs.get(name);
      if (files !== undefined) return files.commits.append(record);
      // Not open yet: wait in the document's list (starting the open if none runs).
      void filesOf(name);
      const waiting = appendsWhileOpening.get(name) as PendingAppend[];
      return new Promise((resolve, reject) => waiting.push({ record, resolve, reject }));
    },

    async compact(name, snapshot) {
      const files = await filesOf(name);
      // Switch generations before any await: records appended from here on go to the new log,
      // and everything appended before this call is covered by `snapshot`.
      const generation = ++files.generation;
      const previous = files.compacting;
      files.compacting = previous.then(() => writeSnapshot(files, generation, snapshot));
      // Keep the chain alive for later compactions even when this one fails; the caller sees the error.
      const result = files.compacting;
      files.compacting = result.catch(() => undefined);
      return result;
    },

    async remove(name) {
      await storage.release(name);
      await rm(directoryOf(name), { recursive: true, force: true });
    },

    async list() {
      const names: string[] = [];
      for (const prefix of (await readDirectory(docsDirectory)) ?? []) {
        for (const hash of (await readDirectory(join(docsDirectory, prefix))) ?? []) {
          const name = await readFile(join(docsDirectory, prefix, hash, 'name'), 'utf8').catch(() => undefined);
          if (name !== undefined) names.push(name);
        }
      }
      return names.sort();
    },

    async release(name) {
      const open = docs.get(name);
      if (open === undefined) return;
      const files = await open.catch(() => undefined);
      if (files === undefined) return;
      await drain(files);
      await files.log?.handle.close();
      files.log = undefined;
      docs.delete(name);
      openDocs.delete(name);
    },

    async close() {
      if (closed) return;
      await Promise.all([...docs.keys()].map((name) => storage.release(name)));
      closed = true;
      await lock.release();
    },
  };
  return storage;
}
