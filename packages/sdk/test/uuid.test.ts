import { randomUUID } from 'node:crypto';
import { uuid } from '../src/uuid';
import { UUID_V4 } from './helpers';

afterEach(() => jest.restoreAllMocks());

it('makes uuid v4s', () => {
  const ids = new Set(Array.from({ length: 1000 }, uuid));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(id).toMatch(UUID_V4);
});

it('takes the one of a blob: URL where randomUUID is missing (http pages), and revokes the URL', () => {
  const original = crypto.randomUUID;
  // @ts-expect-error: insecure contexts have no randomUUID
  crypto.randomUUID = undefined;
  // jsdom has no blob: URLs; browsers end them with a UUID v4 of their own.
  const revoked: string[] = [];
  Object.assign(URL, {
    createObjectURL: () => `blob:http://shop.example:8080/${randomUUID()}`,
    revokeObjectURL: (url: string) => revoked.push(url),
  });
  try {
    const ids = new Set(Array.from({ length: 1000 }, uuid));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(revoked).toHaveLength(1000);
  } finally {
    crypto.randomUUID = original;
    delete (URL as { createObjectURL?: unknown }).createObjectURL;
    delete (URL as { revokeObjectURL?: unknown }).revokeObjectURL;
  }
});
