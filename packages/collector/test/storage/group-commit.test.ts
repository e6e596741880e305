import { createGroupCommit } from '../../src/storage/group-commit';

describe('createGroupCommit', () => {
  it('commits items submitted in the same tick as one group, in order', async () => {
    const groups: number[][] = [];
    const group = createGroupCommit<number, string>((items) => {
      groups.push(items);
      return items.map((i) => `done ${i}`);
    });
    const results = await Promise.all([group.submit(1), group.submit(2), group.submit(3)]);
    expect(groups).toEqual([[1, 2, 3]]);
    expect(results).toEqual(['done 1', 'done 2', 'done 3']);
  });

  it('settles a submission only after the commit that wrote it returned', async () => {
    const order: string[] = [];
    const group = createGroupCommit<string, void>((items) => {
      order.push(`commit ${items.join(',')}`);
      return items.map(() => undefined);
    });
    const done = group.submit('a').then(() => order.push('ack a'));
    order.push('submitted');
    await done;
    expect(order).toEqual(['submitted', 'commit a', 'ack a']);
  });

  it('settles no submission while the commit that writes it is still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const group = createGroupCommit<number, number>(async (items) => {
      await gate; // e.g. an fsync in flight
      committed = true;
      return items;
    });
    const settled: number[] = [];
    const all = [1, 2, 3].map((i) =>
      group.submit(i).then((r) => {
        expect(committed).toBe(true);
        settled.push(r);
      }),
    );
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    release();
    await Promise.all(all);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('queues items that arrive during a commit for the next group, one commit at a time', async () => {
    const groups: number[][] = [];
    let active = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const group = createGroupCommit<number, number>(async (items) => {
      active += 1;
      expect(active).toBe(1);
      groups.push(items);
      if (groups.length === 1) await gate;
      active -= 1;
      return items;
    });
    const first = group.submit(1);
    await new Promise((r) => setImmediate(r)); // first group is now committing
    const later = [group.submit(2), group.submit(3)];
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([[1], [2, 3]]);
  });

  it('rejects every item of a group whose commit failed, and commits later groups', async () => {
    let fail = true;
    const group = createGroupCommit<number, number>((items) => {
      if (fail) throw new Error('disk full');
      return items;
    });
    const failed = [group.submit(1), group.submit(2)];
    await expect(Promise.all(failed)).rejects.toThrow('disk full');
    await expect(failed[1]).rejects.toThrow('disk full');
    fail = false;
    await expect(group.submit(3)).resolves.toBe(3);
  });

  it('drain() commits what is queued without waiting for the next tick', async () => {
    const committed: number[] = [];
    const group = createGroupCommit<number, number>((items) => {
      committed.push(...items);
      return items;
    });
    const pending = group.submit(7);
    await group.drain();
    expect(committed).toEqual([7]);
    await expect(pending).resolves.toBe(7);
  });
  it('flushed() waits for what was submitted before it (failed too), not for what comes after', async () => {
    const gates: (() => void)[] = [];
    const group = createGroupCommit<number, number>(async (items) => {
      await new Promise<void>((r) => gates.push(r));
      if (items.includes(2)) throw new Error('disk full');
      return items;
    });
    const first = group.submit(2).catch(() => 'failed');
    const flushed = group.flushed().then(() => 'flushed');
    await new Promise((r) => setImmediate(r)); // the first group is committing
    const later = group.submit(3);
    let done = false;
    void flushed.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    gates.shift()!();
    await expect(first).resolves.toBe('failed');
    await expect(flushed).resolves.toBe('flushed');
    // The later group is still waiting on its commit: flushed() did not wait for it.
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await expect(later).resolves.toBe(3);
  });
});
