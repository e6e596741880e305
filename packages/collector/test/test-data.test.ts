// The real data sets the tests read (test/data/*) are in the repository, byte for byte what their
// READMEs list: a clone has everything `npm test` needs, and a truncated or re-encoded copy (a
// Git LFS pointer, CRLF line ends) fails here, by name, rather than as odd figures elsewhere.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA = join(__dirname, 'data');

/** The rows of a README's file table: `| \`name\` | … | bytes | sha256 |`. */
function listed(readme: string): { name: string; bytes: number; sha256: string }[] {
  const rows = [];
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    const sha256 = cells.at(-2);
    if (!name || !/^[0-9a-f]{64}$/.test(sha256 ?? '')) continue;
    rows.push({ name, bytes: Number(cells.at(-3)!.replace(/,/g, '')), sha256: sha256! });
  }
  return rows;
}

const sets = readdirSync(DATA, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe('test/data', () => {
  it('holds the OTTO excerpt and the CDNOW sample', () => {
    expect(sets.sort()).toEqual(['cdnow', 'otto-sample']);
  });

  it.each(sets)('%s: every file is listed in its README with its size and SHA-256, and matches', (set) => {
    const files = listed(readFileSync(join(DATA, set, 'README.md'), 'utf8'));
    expect(files.length).toBeGreaterThan(0);
    expect(readdirSync(join(DATA, set)).filter((f) => f !== 'README.md' && !f.startsWith('.')).sort()).toEqual(files.map((f) => f.name).sort());
    for (const file of files) {
      const bytes = readFileSync(join(DATA, set, file.name));
      expect({ name: file.name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual(file);
    }
  });
});
