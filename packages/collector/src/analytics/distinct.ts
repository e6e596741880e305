// Per-profile counting helpers for customer statistics: distinct keys per profile (sessions,
// devices) and small sets of labels per profile (channels, device types), without a Set per
// profile. A session or an anonymous id nearly always belongs to one profile, so the pair is
// counted through its first owner; the rare key shared by profiles (a shared computer) goes
// through one Set of pairs. Labels are few (channels, device types), so a profile's set is a
// 32-bit mask, with a Set per profile only past 32 labels.

/** Counts distinct (profile, key) pairs. */
export class DistinctPairs {
  readonly count: Int32Array;
  private readonly owner: Int32Array;
  private readonly shared = new Set<number>();

  constructor(profiles: number, keys: number) {
    this.count = new Int32Array(profiles);
    this.owner = new Int32Array(keys).fill(-1);
  }

  add(profile: number, key: number): void {
    const owner = this.owner[key];
    if (owner === profile) return;
    if (owner === -1) {
      this.owner[key] = profile;
      this.count[profile]++;
      return;
    }
    // Both numbers stay far below 2^53 (profiles and keys are array indexes).
    const pair = profile * this.owner.length + key;
    if (this.shared.has(pair)) return;
    this.shared.add(pair);
    this.count[profile]++;
  }
}

/** Small sets of labels (strings) per profile. */
export class LabelSets {
  private readonly labels: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly masks: Uint32Array;
  private readonly more = new Map<number, Set<number>>();
  private readonly byMask = new Map<number, readonly string[]>();

  constructor(profiles: number) {
    this.masks = new Uint32Array(profiles);
  }

  /** The index of a label, for add(). */
  label(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.labels.push(value) - 1;
      this.index.set(value, i);
    }
    return i;
  }

  add(profile: number, label: number): void {
    if (label < 32) {
      this.masks[profile] |= 1 << label;
      return;
    }
    let set = this.more.get(profile);
    if (!set) this.more.set(profile, (set = new Set()));
    set.add(label);
  }

  /**
   * The profile's labels, sorted. Profiles with the same set share one frozen array: 100,000
   * customers have a few dozen sets, and an array per customer was garbage to collect.
   */
  of(profile: number): readonly string[] {
    const mask = this.masks[profile];
    const more = this.more.get(profile);
    if (!more) {
      const shared = this.byMask.get(mask);
      if (shared) return shared;
    }
    const out: string[] = [];
    for (let i = 0; i < 32 && i < this.labels.length; i++) if (mask & (1 << i)) out.push(this.labels[i]);
    for (const i of more ?? []) out.push(this.labels[i]);
    const list = Object.freeze(out.sort());
    if (!more) this.byMask.set(mask, list);
    return list;
  }
}
