import { readdir, readFile } from 'node:fs/promises';

/** Linux only: each thread of process `pid` with its nice value, read from /proc. */
export async function threadNices(pid: number): Promise<{ tid: number; nice: number }[]> {
  return Promise.all(
    (await readdir(`/proc/${pid}/task`)).map(async (tid) => {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: state is field 3, nice is field 19.
      return { tid: Number(tid), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    }),
  );
}
