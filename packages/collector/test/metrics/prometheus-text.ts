// Reading a scrape of GET /metrics (the Prometheus text format) in tests: a sample's labels and value.

/** Every sample of `name` (exactly that name) as [labels, value]. */
export function samples(text: string, name: string): [Record<string, string>, number][] {
  const out: [Record<string, string>, number][] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    out.push([labels, Number(m[3])]);
  }
  return out;
}

/** The value of the first sample of `name` whose labels include these (others ignored); undefined when none. */
export function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text, name).find(([l]) => Object.entries(labels).every(([k, v]) => l[k] === v))?.[1];
}
