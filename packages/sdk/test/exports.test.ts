// Pins the public API of the ESM build.
import * as sdk from '../src/index';

it('exports the API as named functions, and createSpur', () => {
  expect(Object.keys(sdk).sort()).toEqual(
    [
      'cart',
      'cartViewed',
      'checkoutStarted',
      'consent',
      'createSpur',
      'flush',
      'identify',
      'init',
      'orderCompleted',
      'page',
      'productAdded',
      'productListViewed',
      'productRemoved',
      'productViewed',
      'reset',
      'track',
      'user',
    ].sort(),
  );
  for (const value of Object.values(sdk)) expect(typeof value).toBe('function');
});

it('exports functions that work unbound, as imports are used', async () => {
  const { cart, flush, user } = sdk;
  expect(cart()).toEqual([]);
  expect(user()).toEqual({});
  await expect(flush()).resolves.toBeUndefined();
});
