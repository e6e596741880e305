// One table of settings (the collector's settings.ts): `spur serve` takes each as a flag, its
// help and spur's own help name each, and the README's configuration table has a row for each
// and for nothing else.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { main } from '@spur/cli';
import { loadConfig, SETTINGS } from '@spur/collector';
import { SERVE_FLAGS } from '../src/commands/serve';
import { captureIo } from './io';

const README = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');

async function help(...argv: string[]): Promise<string> {
  const io = captureIo();
  expect(await main(argv, io)).toBe(0);
  return io.stdout;
}

/** The rows of the README's configuration table: [variable, flag]. */
function readmeRows(): [string, string][] {
  const section = README.slice(README.indexOf('## Configuration'), README.indexOf('\n## ', README.indexOf('## Configuration') + 1));
  return [...section.matchAll(/^\| `(SPUR_[A-Z_]+)` \| `--([a-z-]+)` \|/gm)].map((m) => [m[1], m[2]]);
}

describe('the settings table', () => {
  it('names each setting once, by variable, flag and key', () => {
    for (const field of ['env', 'flag', 'key'] as const) {
      const names = SETTINGS.map((s) => s[field]);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('is what spur serve takes as flags', () => {
    expect(Object.keys(SERVE_FLAGS).sort()).toEqual(SETTINGS.map((s) => s.flag).sort());
  });

  it('is what spur serve --help explains, each with its variable, and what spur --help lists', async () => {
    const serve = await help('serve', '--help');
    const spur = await help('--help');
    for (const s of SETTINGS) {
      expect(serve).toContain(`  --${s.flag} ${s.arg} `);
      expect(serve).toContain(`[${s.env}]`);
      expect(spur).toContain(s.env);
    }
  });

  it('has a row in the README configuration table for each setting, and the table nothing else', () => {
    expect(readmeRows().sort()).toEqual(SETTINGS.map((s) => [s.env, s.flag]).sort());
  });

  it('is what loadConfig reads: a bad value of each checked setting is refused naming its variable and flag', () => {
    // Settings that take any text (host, db, the admin token) or have their own words (write keys) aside.
    const checked = SETTINGS.filter((s) => !['host', 'db', 'adminToken', 'metricsToken', 'writeKeys'].includes(s.key));
    for (const s of checked) {
      expect(() => loadConfig({ [s.env]: '-x-' })).toThrow(`${s.env} / --${s.flag}`);
      expect(() => loadConfig({}, { [s.flag]: '-x-' })).toThrow(`${s.env} / --${s.flag}`);
    }
  });
});
