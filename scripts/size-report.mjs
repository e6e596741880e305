// Prints the minified, gzip and brotli size of the script-tag build and fails the build over budget.
import { gzipSync, brotliCompressSync } from 'node:zlib';

/** Budget for dist/spur.js, gzip. */
export const GZIP_BUDGET = 4096;

export function sizes(code) {
  const buf = Buffer.from(code);
  return { min: buf.length, gzip: gzipSync(buf, { level: 9 }).length, brotli: brotliCompressSync(buf).length };
}

export function sizeReport() {
  return {
    name: 'spur-size-report',
    generateBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const s = sizes(chunk.code);
        const line = `${options.file}: ${s.min} B min, ${s.gzip} B gzip, ${s.brotli} B brotli (budget ${GZIP_BUDGET} B gzip)`;
        console.log(line);
        if (s.gzip > GZIP_BUDGET) this.error(`${options.file} is ${s.gzip} B gzip, over the ${GZIP_BUDGET} B budget`);
      }
    },
  };
}
