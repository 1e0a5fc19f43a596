// Group commit: what arrives while a write is in flight goes in the next one, each item gets its
// own result, and a failed write fails only its own batch.
import { GroupCommit } from '../../src/group-commit';

test('joins what waits into one write, answers each item in order, and a failed batch fails only its items', async () => {
  const writes: number[][] = [];
  let release!: () => void;
  let fail = false;
  const gc = new GroupCommit<number, string>(async (items) => {
    writes.push(items);
    if (writes.length === 1) await new Promise<void>((r) => (release = r));
    if (fail) throw new Error('write failed');
    return items.map((i) => `row ${i}`);
  });
  const first = gc.add(1);
  // the first write is in flight: these three wait for it, then go together
  await new Promise((r) => setImmediate(r));
  const waiting = [gc.add(2), gc.add(3), gc.add(4)];
  release();
  expect(await first).toBe('row 1');
  expect(await Promise.all(waiting)).toEqual(['row 2', 'row 3', 'row 4']);
  expect(writes).toEqual([[1], [2, 3, 4]]);

  fail = true;
  await expect(gc.add(5)).rejects.toThrow('write failed');
  fail = false;
  expect(await gc.add(6)).toBe('row 6');
});
