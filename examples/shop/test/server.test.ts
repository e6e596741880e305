// The shop's server: the spur tag it serves, with the collector's address and the consent mode.
import type http from 'node:http';
import request from 'supertest';

// server.js is the shop's plain-JS server; typed here because the test project has no allowJs.
const { createShopApp } = require('../server') as {
  createShopApp(options?: { collectorUrl?: string; writeKey?: string; consent?: 'required' }): http.RequestListener;
};

const tagOf = (html: string) => /<script async src="[^"]*\/spur\.js"[^>]*><\/script>/.exec(html)?.[0];

describe('createShopApp(options)', () => {
  it('serves the pages as written when the collector is the default one', async () => {
    const res = await request(createShopApp()).get('/cart.html');
    expect(tagOf(res.text)).toBe('<script async src="http://localhost:8080/spur.js" data-write-key="demo"></script>');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('points the tag at another collector and write key', async () => {
    const res = await request(createShopApp({ collectorUrl: 'http://127.0.0.1:9999/', writeKey: 'k"1' })).get('/');
    expect(tagOf(res.text)).toBe('<script async src="http://127.0.0.1:9999/spur.js" data-write-key="k&quot;1"></script>');
  });

  it('asks for consent on every page with consent: required', async () => {
    const app = createShopApp({ consent: 'required' });
    for (const path of ['/', '/index.html', '/product.html?id=p-mug', '/login.html']) {
      expect(tagOf((await request(app).get(path)).text)).toBe('<script async src="http://localhost:8080/spur.js" data-consent="required" data-write-key="demo"></script>');
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

  it('leaves assets and unknown pages to the static server', async () => {
    const app = createShopApp({ consent: 'required' });
    expect((await request(app).get('/shop.js')).headers['content-type']).toMatch(/javascript/);
    expect((await request(app).get('/nope.html')).status).toBe(404);
  });
});
