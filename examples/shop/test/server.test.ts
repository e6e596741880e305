// The shop's server: the spur tag it serves, with the collector's address and the consent mode.
import type http from 'node:http';
import request from 'supertest';

// server.js is the shop's plain-JS server; typed here because the test project has no allowJs.
const { createShopApp } = require('../server') as {
  createShopApp(options?: { collectorUrl?: string; writeKey?: string; consent?: 'required' }): http.RequestListener;
};

// spur.js's tag up to its write key (the exit survey's data-survey follows it).
const tagOf = (html: string) => /<script async src="[^"]*\/spur\.js"[^>]*? data-write-key="[^"]*"/.exec(html)?.[0];
const jsonLd = (html: string) =>
  [...html.matchAll(/<script type="application\/ld\+json">([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);

describe('createShopApp(options)', () => {
  it('serves the pages as written when the collector is the default one', async () => {
    const res = await request(createShopApp()).get('/cart.html');
    expect(tagOf(res.text)).toBe('<script async src="http://localhost:8080/spur.js" data-write-key="demo"');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('points the tag at another collector and write key', async () => {
    const res = await request(createShopApp({ collectorUrl: 'http://127.0.0.1:9999/', writeKey: 'k"1' })).get('/');
    expect(tagOf(res.text)).toBe('<script async src="http://127.0.0.1:9999/spur.js" data-write-key="k&quot;1"');
    expect(res.text).not.toContain('localhost:8080');
    // One tag: spur.js loads its chunks (survey, JSON-LD) itself.
    expect(res.text.match(/<script async src=/g)).toHaveLength(1);
  });

  it('asks for consent on every page with consent: required', async () => {
    const app = createShopApp({ consent: 'required' });
    for (const path of ['/', '/index.html', '/product.html?id=p-mug', '/login.html']) {
      expect(tagOf((await request(app).get(path)).text)).toBe('<script async src="http://localhost:8080/spur.js" data-consent="required" data-write-key="demo"');
    }
  });

  it('asks one visitor for consent after ?consent=required, until ?consent=default', async () => {
    const agent = request.agent(createShopApp());
    const first = await agent.get('/?consent=required');
    expect(tagOf(first.text)).toContain('data-consent="required"');
    expect(first.headers['set-cookie']?.[0]).toMatch(/^shop_consent_mode=required; Path=\/; SameSite=Lax$/);
    // The shop's cookie carries the choice to later pages.
    expect(tagOf((await agent.get('/checkout.html')).text)).toContain('data-consent="required"');
    expect(tagOf((await agent.get('/?consent=default')).text)).not.toContain('data-consent');
    expect(tagOf((await agent.get('/cart.html')).text)).not.toContain('data-consent');
    // Other visitors never asked.
    expect(tagOf((await request(createShopApp()).get('/cart.html')).text)).not.toContain('data-consent');
  });

  it('describes the product of a product page in schema.org JSON-LD, and only there', async () => {
    const app = createShopApp();
    const res = await request(app).get('/product.html?id=p-grinder');
    expect(res.text).toContain('<title>Hand Grinder · Bean &amp; Leaf</title>');
    expect(jsonLd(res.text)).toEqual([
      {
        '@context': 'https://schema.org',
        '@type': 'Product',
        productID: 'p-grinder',
        sku: 'EQ-GRD-0100',
        name: 'Hand Grinder',
        brand: { '@type': 'Brand', name: 'Brewlab' },
        category: 'Equipment',
        description: expect.any(String),
        offers: { '@type': 'Offer', price: '79.00', priceCurrency: 'EUR', availability: 'https://schema.org/InStock' },
      },
    ]);
    // Another product, another description; an unknown id or another page: none.
    expect(jsonLd((await request(app).get('/product.html?id=p-kettle')).text)).toMatchObject([{ productID: 'p-kettle', name: 'Gooseneck Kettle' }]);
    expect(jsonLd((await request(app).get('/product.html?id=nope')).text)).toEqual([]);
    expect(jsonLd((await request(app).get('/product.html')).text)).toEqual([]);
    expect(jsonLd((await request(app).get('/cart.html')).text)).toEqual([]);
    // Behind another collector, with consent: the markup as well.
    const other = await request(createShopApp({ collectorUrl: 'http://127.0.0.1:9999', consent: 'required' })).get('/product.html?id=p-mug');
    expect(jsonLd(other.text)).toMatchObject([{ productID: 'p-mug' }]);
  });

  it('turns the exit survey on where a cart can exist, with the same question on every page', async () => {
    const app = createShopApp();
    const surveys = new Map<string, string | undefined>();
    for (const page of ['/', '/product.html?id=p-mug', '/cart.html', '/checkout.html', '/login.html', '/confirmation.html']) {
      surveys.set(page, /<script async src="[^"]*\/spur\.js"[^>]* data-survey='([^']*)'/.exec((await request(app).get(page)).text)?.[1]);
    }
    const config = JSON.parse(surveys.get('/cart.html')!);
    expect(config).toMatchObject({ id: 'exit-cart', question: 'What stopped you today?', freeText: { label: expect.any(String) } });
    expect(config.options.map((o: { label: string }) => o.label)).toEqual(
      expect.arrayContaining(['Shipping too expensive', 'Just looking', 'Found it cheaper elsewhere', 'Payment method missing']),
    );
    for (const page of ['/', '/product.html?id=p-mug', '/checkout.html', '/login.html']) expect(surveys.get(page)).toBe(surveys.get('/cart.html'));
    // After an order the cart is empty: no survey there.
    expect(surveys.get('/confirmation.html')).toBeUndefined();
  });

  it('leaves assets and unknown pages to the static server', async () => {
    const app = createShopApp({ consent: 'required' });
    expect((await request(app).get('/shop.js')).headers['content-type']).toMatch(/javascript/);
    expect((await request(app).get('/nope.html')).status).toBe(404);
  });
});
