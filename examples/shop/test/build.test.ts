// scripts/build.mjs, which `npm start` runs with --changed: rollup runs only when an input of the
// SDK's builds changed or one of their outputs is gone, whatever outputs the config makes. Played
// in a throwaway copy of the repository's layout with a small rollup config of its own (a plain
// JS input; one plugin emits an asset, one writes a file itself), so that it never touches the
// real packages/sdk/dist that other tests load; rollup and TypeScript are the real ones.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

jest.setTimeout(60_000);

const REPO = resolve(__dirname, '../../..');

const CONFIG = `import { writeFileSync } from 'node:fs';
import { banner } from './scripts/banner.mjs';

// Emitted through rollup (as a precompressed copy would be).
const copy = () => ({ name: 'copy', generateBundle(options, bundle) {
  this.emitFile({ type: 'asset', fileName: 'spur.js.copy', source: bundle['spur.js'].code });
} });
// Written by the plugin itself, next to the outputs.
const stamp = () => ({ name: 'stamp', writeBundle() { writeFileSync('packages/sdk/dist/stamp.txt', 'built'); } });

export default [
  { input: 'packages/sdk/src/browser.js', output: { file: 'packages/sdk/dist/spur.js', format: 'iife', banner, sourcemap: 'hidden' }, plugins: [copy(), stamp()] },
  { input: 'packages/sdk/src/index.js', output: { file: 'packages/sdk/dist/spur.mjs', format: 'es', sourcemap: true } },
];
`;

let root: string;

/** A new copy of the layout: scripts/build.mjs, the config, the SDK's sources, node_modules with rollup and TypeScript. */
function layout(): void {
  root = mkdtempSync(join(tmpdir(), 'spur-build-'));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write('scripts/build.mjs', readFileSync(join(REPO, 'scripts/build.mjs'), 'utf8'));
  write('scripts/banner.mjs', "export const banner = '/* spur */';\n");
  write('rollup.config.mjs', CONFIG);
  write('packages/sdk/package.json', '{ "name": "@spur/sdk", "private": true }\n');
  write('packages/sdk/src/browser.js', "import { track } from './track.js';\nwindow.spur = { track };\n");
  write('packages/sdk/src/index.js', "export { track } from './track.js';\n");
  write('packages/sdk/src/track.js', 'export const track = (name) => name;\n');
  // One small project for tsc -b: the packages are not part of this copy.
  write('tsconfig.json', '{ "compilerOptions": { "composite": true, "outDir": "out", "types": [] }, "files": ["check.ts"] }\n');
  write('check.ts', 'export const checked: number = 1;\n');
  write('tsconfig.base.json', '{}\n');
  write('package-lock.json', '{}\n');
  mkdirSync(join(root, 'node_modules/@rollup'), { recursive: true });
  for (const name of ['rollup', 'typescript', '@rollup/rollup-linux-x64-gnu']) {
    symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name), 'dir');
  }
}

function build(...args: string[]): string {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build.mjs ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const mtime = (file: string) => statSync(join(root, file)).mtimeMs;
const OUTPUTS = ['spur.js', 'spur.js.map', 'spur.js.copy', 'stamp.txt', 'spur.mjs', 'spur.mjs.map'].map((f) => `packages/sdk/dist/${f}`);
const SKIPPED = 'build: the SDK is up to date (packages/sdk/dist), rollup skipped\n';

beforeEach(layout);
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scripts/build.mjs --changed (npm start)', () => {
  it('builds when no build was recorded, then skips rollup while nothing changed', () => {
    expect(build('--changed')).toBe('build: the SDK, since no earlier build recorded\n');
    const times = OUTPUTS.map(mtime);
    expect(build('--changed')).toBe(SKIPPED);
    expect(OUTPUTS.map(mtime)).toEqual(times);
  });

  it('records every file the builds wrote: outputs, sourcemaps, emitted assets and files plugins wrote', () => {
    build('--changed');
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules/.cache/spur/sdk-build.json'), 'utf8'));
    expect(Object.keys(manifest.outputs).sort()).toEqual([...OUTPUTS].sort());
    expect(manifest.roots).toEqual([
      'package-lock.json',
      'packages/sdk/package.json',
      'packages/sdk/src',
      'rollup.config.mjs',
      'scripts/banner.mjs',
      'tsconfig.base.json',
    ]);
  });

  // A sourcemap, an asset emitted through rollup, a file a plugin wrote itself.
  it.each(['spur.mjs.map', 'spur.js.copy', 'stamp.txt'].map((f) => `packages/sdk/dist/${f}`))('rebuilds when %s is gone', (output) => {
    build('--changed');
    unlinkSync(join(root, output));
    expect(build('--changed')).toBe(`build: the SDK, since ${output} is missing\n`);
    for (const file of OUTPUTS) statSync(join(root, file));
    expect(build('--changed')).toBe(SKIPPED);
  });

  it('rebuilds when a source is saved, added or removed, or the config or a module it imports changes', () => {
    build('--changed');
    writeFileSync(join(root, 'packages/sdk/src/track.js'), "export const track = (name) => 'tracked ' + name;\n");
    expect(build('--changed')).toBe('build: the SDK, since packages/sdk/src/track.js changed\n');
    expect(readFileSync(join(root, 'packages/sdk/dist/spur.mjs'), 'utf8')).toContain('tracked');

    writeFileSync(join(root, 'packages/sdk/src/cart.js'), 'export const cart = [];\n');
    expect(build('--changed')).toMatch(/^build: the SDK, since packages\/sdk\/src(\/cart\.js is new| changed)\n$/);
    unlinkSync(join(root, 'packages/sdk/src/cart.js'));
    expect(build('--changed')).toMatch(/^build: the SDK, since packages\/sdk\/src(\/cart\.js is gone| changed)\n$/);

    writeFileSync(join(root, 'scripts/banner.mjs'), "export const banner = '/* spur 2 */';\n");
    expect(build('--changed')).toBe('build: the SDK, since scripts/banner.mjs changed\n');
    expect(readFileSync(join(root, 'packages/sdk/dist/spur.js'), 'utf8')).toMatch(/^\/\* spur 2 \*\//);

    appendFileSync(join(root, 'rollup.config.mjs'), '// another build later\n');
    expect(build('--changed')).toBe('build: the SDK, since rollup.config.mjs changed\n');
    expect(build('--changed')).toBe(SKIPPED);
  });

  it('rebuilds when an output was overwritten by something else', () => {
    build('--changed');
    writeFileSync(join(root, 'packages/sdk/dist/spur.js'), 'stale');
    expect(build('--changed')).toBe('build: the SDK, since packages/sdk/dist/spur.js was written by something else\n');
    expect(readFileSync(join(root, 'packages/sdk/dist/spur.js'), 'utf8')).not.toBe('stale');
  });
});

describe('scripts/build.mjs (npm run build, npm test)', () => {
  it('always runs rollup', () => {
    build();
    const before = mtime('packages/sdk/dist/spur.js');
    expect(build()).toBe('');
    expect(mtime('packages/sdk/dist/spur.js')).toBeGreaterThan(before);
    // …and records it, so that the next start skips rollup; tsc -b ran too.
    expect(build('--changed')).toBe(SKIPPED);
    expect(readFileSync(join(root, 'out/check.js'), 'utf8')).toContain('checked = 1');
  });
});
