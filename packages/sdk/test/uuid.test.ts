import { uuid } from '../src/uuid';
import { UUID_V4 } from './helpers';

afterEach(() => jest.restoreAllMocks());

it('makes uuid v4s', () => {
  const ids = new Set(Array.from({ length: 1000 }, uuid));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(id).toMatch(UUID_V4);
});

it('makes them from getRandomValues where randomUUID is missing (http pages)', () => {
  const randomUUID = crypto.randomUUID;
  // @ts-expect-error: insecure contexts have no randomUUID
  crypto.randomUUID = undefined;
  try {
    const getRandomValues = jest.spyOn(crypto, 'getRandomValues');
    const ids = new Set(Array.from({ length: 1000 }, uuid));
    expect(getRandomValues).toHaveBeenCalled();
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  } finally {
    crypto.randomUUID = randomUUID;
  }
});
