// Types of cluster.js (plain JavaScript, shared with the benchmarks) for the TypeScript tests.

export interface Cluster {
  readonly version: string;
  readonly dir: string;
  readonly bindir: string;
  readonly user: string;
  readonly password: string;
  readonly durable: boolean;
  readonly port: number;
  readonly running: boolean;
  /** A postgres:// URL of database `name` (default `postgres`) as the superuser, over TCP. */
  url(name?: string): string;
  /** postgresql.conf settings for the next start. */
  configure(settings: Record<string, string | number>): void;
  start(): Promise<void>;
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  log(): string;
  destroy(): Promise<void>;
  destroySync(): void;
}

export interface StartOptions {
  /** Folder name prefix under the temp folder; the pid and a random suffix follow. */
  prefix?: string;
  /** fsync and full_page_writes on (benchmarks); off by default (tests). */
  durable?: boolean;
  settings?: Record<string, string | number>;
  bindir?: string;
}

export function findPostgres(env?: NodeJS.ProcessEnv, debianRoot?: string): { bindir: string; reason?: undefined } | { bindir?: undefined; reason: string };
export function startCluster(options?: StartOptions): Promise<Cluster>;
export function cleanStale(prefix: string, bindir?: string): string[];
export const SUPERUSER: string;
