// The build: the SDK through rollup (rollup.config.mjs), then every package through `tsc -b`.
//
//   node scripts/build.mjs            `npm run build`, `npm test`: every rollup build, then tsc -b
//   node scripts/build.mjs --changed  `npm start`: rollup only when an input of the SDK's builds
//                                     changed since the last one or one of its outputs is gone
//
// tsc -b is incremental by itself (composite projects, .tsbuildinfo); rollup is not, and the
// SDK's builds cost most of a start (TypeScript checks the SDK, swc minifies it twice). Merely
// loading rollup.config.mjs costs 0.7 s (it loads TypeScript and swc), so the check does not: each
// build records in node_modules/.cache/spur/sdk-build.json what it read (the folders of the
// config's inputs, the config and the local modules it imports, the SDK's package.json and
// tsconfig files, package-lock.json) with their mtimes, as scanned before it started, and what it
// wrote (every file rollup reports writing, sourcemaps and emitted assets included, and anything
// else that appeared in the output folders meanwhile) with theirs. Rollup is skipped only when a
// new scan finds the same input files with the same mtimes (a file added, removed or saved, even
// during the last build, counts as a change) and every output is still as that build left it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = 'rollup.config.mjs';
const MANIFEST = join(ROOT, 'node_modules/.cache/spur/sdk-build.json');

const rel = (file) => relative(ROOT, file).split('\\').join('/');
const mtime = (file) => {
  try {
    return statSync(join(ROOT, file)).mtimeMs;
  } catch {
    return undefined;
  }
};

/** Every file and folder under the roots (files and folders, relative to ROOT) with its mtime. */
function scan(roots) {
  const found = {};
  const visit = (path) => {
    const stat = statSync(join(ROOT, path), { throwIfNoEntry: false });
    if (!stat) return;
    // A folder's mtime moves when an entry is added, removed or renamed.
    found[path] = stat.mtimeMs;
    if (stat.isDirectory()) for (const name of readdirSync(join(ROOT, path)).sort()) visit(`${path}/${name}`);
  };
  for (const root of roots) visit(root);
  return found;
}

/** The config file and the local modules it imports, recursively (imports of packages are in package-lock.json). */
function configModules(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(join(ROOT, file), 'utf8');
  for (const [, spec] of source.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    configModules(rel(resolve(ROOT, dirname(file), spec)), seen);
  }
  return seen;
}

/** The nearest folder with a package.json above a file. */
function packageOf(file) {
  for (let dir = dirname(join(ROOT, file)); dir.startsWith(ROOT) && dir !== ROOT; dir = dirname(dir)) {
    if (mtime(rel(join(dir, 'package.json'))) !== undefined) return rel(dir);
  }
  return undefined;
}

/** What the SDK's builds read: see the top of this file. */
function inputRoots(builds) {
  const roots = new Set([...configModules(CONFIG), 'package-lock.json', 'tsconfig.base.json']);
  for (const build of builds) {
    const input = build.input;
    const files = typeof input === 'string' ? [input] : Array.isArray(input) ? input : Object.values(input ?? {});
    for (const file of files) {
      roots.add(rel(dirname(resolve(ROOT, file))));
      const pkg = packageOf(rel(resolve(ROOT, file)));
      if (!pkg) continue;
      for (const name of readdirSync(join(ROOT, pkg))) if (name === 'package.json' || /^tsconfig.*\.json$/.test(name)) roots.add(`${pkg}/${name}`);
    }
  }
  // A root inside another is scanned with it.
  return [...roots].filter((r) => ![...roots].some((o) => o !== r && r.startsWith(`${o}/`))).sort();
}

/** Why rollup must run: undefined when the last build's outputs are current. */
function staleReason() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return 'no earlier build recorded';
  }
  if (!Array.isArray(manifest?.roots) || !manifest.inputs || !manifest.outputs) return 'no earlier build recorded';
  const now = scan(manifest.roots);
  for (const [path, time] of Object.entries(now)) if (manifest.inputs[path] !== time) return `${path} ${path in manifest.inputs ? 'changed' : 'is new'}`;
  for (const path of Object.keys(manifest.inputs)) if (!(path in now)) return `${path} is gone`;
  for (const [path, time] of Object.entries(manifest.outputs)) {
    const found = mtime(path);
    if (found === undefined) return `${path} is missing`;
    if (found !== time) return `${path} was written by something else`;
  }
  return undefined;
}

/** Runs every build of rollup.config.mjs, as `rollup -c --silent` does, and records the manifest. */
async function rollupBuild() {
  rmSync(MANIFEST, { force: true });
  const { loadConfigFile } = await import('rollup/loadConfigFile');
  const { rollup } = await import('rollup');
  const { options: builds } = await loadConfigFile(join(ROOT, CONFIG), { silent: true });
  const roots = inputRoots(builds);
  // Scanned before the build reads anything: a file saved during the build differs next time.
  const inputs = scan(roots);
  const started = Date.now();
  const written = new Set();
  const outputDirs = new Set();
  for (const build of builds) {
    const bundle = await rollup(build);
    try {
      for (const output of build.output) {
        const dir = output.dir ?? dirname(output.file);
        outputDirs.add(resolve(ROOT, dir));
        const { output: files } = await bundle.write(output);
        for (const file of files) written.add(rel(resolve(ROOT, dir, file.fileName)));
      }
    } finally {
      await bundle.close();
    }
  }
  // Files a plugin wrote itself, next to the outputs, during the build.
  for (const dir of outputDirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && statSync(join(dir, entry.name)).mtimeMs >= started - 1000) written.add(rel(join(dir, entry.name)));
    }
  }
  const outputs = Object.fromEntries([...written].sort().map((file) => [file, mtime(file)]));
  mkdirSync(dirname(MANIFEST), { recursive: true });
  writeFileSync(MANIFEST, JSON.stringify({ roots, inputs, outputs }, null, 1));
}

function tscBuild() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: ROOT, stdio: 'inherit' });
  return result.status ?? 1;
}

async function main() {
  // rollup resolves the config's inputs and outputs against the working folder.
  process.chdir(ROOT);
  const changedOnly = process.argv.includes('--changed');
  const reason = changedOnly ? staleReason() : 'a full build';
  if (reason) {
    if (changedOnly) console.log(`build: the SDK, since ${reason}`);
    try {
      await rollupBuild();
    } catch (error) {
      console.error(`build: rollup failed: ${error.message}${error.frame ? `\n${error.frame}` : ''}`);
      return 1;
    }
  } else {
    const { outputs } = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    const dirs = [...new Set(Object.keys(outputs).map((file) => dirname(file)))].join(', ');
    console.log(`build: the SDK is up to date (${dirs}), rollup skipped`);
  }
  return tscBuild();
}

process.exitCode = await main();
