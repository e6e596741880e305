// Group commit: every item submitted while the event loop is busy with one tick is written by
// ONE commit call (one transaction, one fsync), and each submitter's promise settles only after
// that commit returned. Items submitted while a commit is running wait for the next group.
// Durability is decided by `commit`; this module only decides grouping and acknowledgement.

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommit<I, R> {
  /** Queues one item; resolves with its result after the commit that wrote it. */
  submit(item: I): Promise<R>;
  /** Commits whatever is queued now and waits for commits in flight. */
  drain(): Promise<void>;
  /**
   * Resolves once every item submitted so far is committed (or failed), without waiting for
   * items submitted later: what must come after them waits for this.
   */
  flushed(): Promise<void>;
}

/**
 * `commit` receives the items of one group in submission order and returns one result per item,
 * or throws, which rejects every item of the group (none of them is acknowledged).
 */
export function createGroupCommit<I, R>(commit: (items: I[]) => R[] | Promise<R[]>): GroupCommit<I, R> {
  let queue: Waiting<I, R>[] = [];
  let timer: NodeJS.Immediate | null = null;
  let running: Promise<void> | null = null;
  // The latest item submitted: groups commit in order, so it settles after every earlier one.
  let latest: Promise<unknown> = Promise.resolve();

  function schedule(): void {
    // setImmediate runs after the I/O callbacks of this loop turn: requests whose bodies finished
    // arriving together land in the same group.
    if (timer === null && running === null) timer = setImmediate(() => void flush());
  }

  async function flush(): Promise<void> {
    timer = null;
    // One commit at a time: a group that queues up meanwhile is scheduled when this one ends.
    if (running !== null || queue.length === 0) return;
    const group = queue;
    queue = [];
    running = (async () => {
      try {
        const results = await commit(group.map((w) => w.item));
        group.forEach((w, i) => w.resolve(results[i]));
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    })();
    await running;
    running = null;
    if (queue.length > 0) schedule();
  }

  return {
    submit(item) {
      const submitted = new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
      latest = submitted.catch(() => undefined);
      return submitted;
    },
    flushed: () => latest.then(() => undefined),
    async drain() {
      while (running !== null || queue.length > 0) {
        if (timer !== null) {
          clearImmediate(timer);
          timer = null;
        }
        if (running !== null) await running;
        else await flush();
      }
    },
  };
}
