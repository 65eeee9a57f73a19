import { createFileStorage, createMemoryStorage, type DocStorage } from '@weft/server';
import { createTempDir } from '../helpers/temp-dir.ts';
import { describeDocStorageContract } from './doc-storage.contract.ts';

describeDocStorageContract('MemoryStorage', async () => {
  // One backing store per fixture: "reopen" returns the same instance, whose close() keeps the data.
  const storage: DocStorage = createMemoryStorage();
  return { open: async () => storage, cleanup: async () => {} };
});

describeDocStorageContract('FileStorage', async () => {
  const dir = await createTempDir();
  return { open: () => createFileStorage({ directory: dir.path }), cleanup: dir.remove };
});
