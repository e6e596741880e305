// A slow way to the collector, for tests: an HTTP proxy in front of the real collector that holds
// the requests a rule picks (by their body) for a while before passing them on, as a busy
// collector or a slow network would. Everything else passes at once, answers included.
import http from 'node:http';

export interface SlowProxy {
  url: string;
  /** How many requests were held so far. */
  held(): number;
  close(): Promise<void>;
}

/** Starts the proxy to `target`; `holdMs(body)` says how long to hold a request (0: not at all). */
export async function startSlowProxy(target: string, holdMs: (body: string) => number): Promise<SlowProxy> {
  const to = new URL(target);
  let held = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const wait = holdMs(body.toString('utf8'));
      if (wait > 0) held++;
      setTimeout(() => {
        const upstream = http.request(
          { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => held,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
