// Writes a long answer (exports, access documents) chunk by chunk, at the client's pace.
import { once } from 'node:events';
import type { Response } from 'express';

/**
 * Sends `chunks` after the headers already set on `res`, waiting for 'drain' when the socket's
 * buffer is full, and stops reading them when the client goes away. A failure midway cuts the
 * connection: headers and part of the body are out, so a status can no longer say it failed,
 * but an answer without its final chunk does, to every HTTP client (and the spur CLI).
 */
export async function streamChunks(res: Response, chunks: AsyncIterable<string>): Promise<void> {
  let gone = false;
  res.once('close', () => (gone = true));
  try {
    for await (const chunk of chunks) {
      if (gone) return;
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end();
  } catch (err) {
    res.destroy(err as Error);
    throw err;
  }
}
