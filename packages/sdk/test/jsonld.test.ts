// productFromJsonLd on fixtures shaped like the JSON-LD of Shopify, WooCommerce, Shopware and
// Magento themes (test/fixtures/jsonld), and on the odd shapes themes emit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productFromJsonLd } from '../src/jsonld';

/** The contents of every JSON-LD script of a fixture, as the chunk reads them. */
const fixture = (name: string) =>
  [...readFileSync(join(__dirname, 'fixtures/jsonld', `${name}.html`), 'utf8').matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map(
    (m) => m[1],
  );

describe('productFromJsonLd(documents, url)', () => {
  it('reads a Shopify-style Product with one offer per variant, choosing the offer of ?variant=', () => {
    const url = 'https://fjord.example/products/harbour-rain-jacket';
    const base = { product_id: 'HRJ-BLUE-M', name: 'Harbour Rain Jacket', brand: 'Fjord Outfitters', category: 'Jackets', currency: 'EUR' };
    expect(productFromJsonLd(fixture('shopify'), url)).toEqual({ ...base, sku: 'HRJ-BLUE-M', price: 129 });
    expect(productFromJsonLd(fixture('shopify'), `${url}?variant=40002`)).toEqual({ ...base, sku: 'HRJ-RED-L', price: 139 });
  });

  it('reads a ProductGroup: the variant ?variant= names, else the first; the group id for every variant', () => {
    const url = 'https://fjord.example/products/wool-beanie';
    const base = { product_id: '7001', name: 'Wool Beanie', brand: 'Fjord Outfitters', category: 'Hats', currency: 'EUR' };
    expect(productFromJsonLd(fixture('shopify-group'), url)).toEqual({ ...base, sku: 'WB-GREY', variant: 'Grey', price: 24.9 });
    expect(productFromJsonLd(fixture('shopify-group'), `${url}?variant=52`)).toEqual({ ...base, sku: 'WB-OCHRE', variant: 'Ochre', price: 26.9 });
    expect(productFromJsonLd(fixture('shopify-group'), `${url}?sku=WB-OCHRE`)).toMatchObject({ sku: 'WB-OCHRE' });
  });

  it('reads a WooCommerce-style @graph with an offer array and priceSpecification', () => {
    expect(productFromJsonLd(fixture('woocommerce'), 'https://tea.example/product/sencha/')).toEqual({
      product_id: 'TEA-SEN-100',
      sku: 'TEA-SEN-100',
      name: 'Sencha Green Tea',
      brand: 'Tea Room',
      category: 'Green tea',
      price: 12.5,
      currency: 'GBP',
    });
  });

  it('reads a Shopware-style Product with an AggregateOffer (lowPrice), past a broken block', () => {
    expect(productFromJsonLd(fixture('shopware'), 'https://shop.example/enamel-coffee-pot')).toEqual({
      product_id: 'SW10042',
      sku: 'SW10042.1',
      name: 'Enamel Coffee Pot',
      brand: 'Kettle & Co',
      category: 'Kitchen',
      price: 34.95,
      currency: 'CHF',
    });
  });

  it('reads a Magento-style Product with a prefixed @type and one Offer', () => {
    expect(productFromJsonLd(fixture('magento'), 'https://shoes.example/trail-running-shoe.html')).toEqual({
      product_id: 'MG-TRS-42',
      sku: 'MG-TRS-42',
      name: 'Trail Running Shoe',
      brand: 'Pathfinder',
      category: 'Shoes',
      price: 89.99,
      currency: 'USD',
    });
  });

  it('takes productID over sku over @id for product_id', () => {
    const doc = (p: object) => [JSON.stringify({ '@type': 'Product', name: 'N', ...p })];
    expect(productFromJsonLd(doc({ productID: 'a', sku: 'b', '@id': 'c' }), 'https://x.example/')?.product_id).toBe('a');
    expect(productFromJsonLd(doc({ sku: 'b', '@id': 'c' }), 'https://x.example/')?.product_id).toBe('b');
    expect(productFromJsonLd(doc({ '@id': 'c' }), 'https://x.example/')?.product_id).toBe('c');
  });

  it('finds nothing on pages without a product, with broken JSON, or with garbage', () => {
    expect(productFromJsonLd([], 'https://x.example/')).toBeUndefined();
    expect(productFromJsonLd(['{not json', 'null', '42', '[]', '"Product"'], 'https://x.example/')).toBeUndefined();
    expect(productFromJsonLd([JSON.stringify({ '@type': 'Organization', name: 'Shop' })], 'https://x.example/')).toBeUndefined();
    expect(productFromJsonLd([JSON.stringify({ '@type': 'Product' })], 'not a url')).toBeUndefined();
  });

  it('leaves out a price that is not a number and reads a product from an array of documents', () => {
    const doc = JSON.stringify([{ '@type': 'Thing' }, { '@type': ['Thing', 'Product'], sku: 's1', offers: { price: 'on request' } }]);
    expect(productFromJsonLd([doc], 'https://x.example/')).toEqual({ product_id: 's1', sku: 's1' });
  });
});
