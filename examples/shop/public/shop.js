// The demo shop's core: catalogue, cart, fake login, rendering helpers and the header. The pages
// (pages.js) build on it. Both talk to spur only through the script tag's
// `window.spur(command, ...args)`, which works before the async SDK has loaded (the stub in <head>
// queues the call) and after.
(() => {
  'use strict';

  const CART_KEY = 'shop_cart';
  const CUSTOMER_KEY = 'shop_customer';
  const ORDERS_KEY = 'shop_orders';
  const FREE_SHIPPING_FROM = 50;
  const SHIPPING = 4.9;

  // ---- spur -----------------------------------------------------------------------------------

  /** Calls the SDK the way the snippet allows; analytics must never break the shop. */
  function spur(...args) {
    try {
      window.spur(...args);
    } catch (error) {
      console.warn('[shop] spur call failed', error);
    }
  }

  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Resolves when the async SDK has replaced the stub (it then has `flush`), or after `ms`. */
  function sdkLoaded(ms) {
    if (typeof window.spur.flush === 'function') return Promise.resolve();
    const tag = document.querySelector('script[data-write-key]');
    const loaded = new Promise((resolve) => {
      if (!tag) return resolve();
      tag.addEventListener('load', resolve);
      tag.addEventListener('error', resolve);
    });
    return Promise.race([loaded, wait(ms)]);
  }

  /**
   * Navigates once the events just recorded are on their way. The SDK keeps every event in
   * IndexedDB and sends on `pagehide` anyway; this matters when the customer clicks before the
   * async script has loaded, where the stub's queue would die with the page. Bounded, so a slow
   * or blocked collector never holds the customer up (the outbox retries on the next page).
   */
  async function flushThenGo(url) {
    await sdkLoaded(2000);
    if (typeof window.spur.flush === 'function') {
      await Promise.race([Promise.resolve(window.spur.flush()).catch(() => {}), wait(2000)]);
    }
    window.location.href = url;
  }

  // ---- storage --------------------------------------------------------------------------------

  function readJson(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch {
      return fallback;
    }
  }

  function writeJson(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Private mode or full storage: the shop still works for this page.
    }
  }

  /** Cart lines: [{ product_id, quantity }]. Prices always come from the catalogue. */
  function getCart() {
    const cart = readJson(CART_KEY, []);
    return Array.isArray(cart) ? cart : [];
  }

  function setCart(cart) {
    writeJson(CART_KEY, cart);
    renderHeader();
  }

  function getCustomer() {
    const customer = readJson(CUSTOMER_KEY, null);
    return customer && customer.email ? customer : null;
  }

  /** Remembers the logged-in customer ({ id, email }) and shows them in the header. */
  function setCustomer(customer) {
    writeJson(CUSTOMER_KEY, customer);
    renderHeader();
  }

  /** Orders placed in this browser, by order_id, for the confirmation page. */
  function getOrder(orderId) {
    return readJson(ORDERS_KEY, {})[orderId] || null;
  }

  function saveOrder(order) {
    writeJson(ORDERS_KEY, { ...readJson(ORDERS_KEY, {}), [order.order_id]: order });
  }

  // ---- catalogue ------------------------------------------------------------------------------

  let catalogue;
  function loadProducts() {
    catalogue ??= fetch('products.json').then((response) => {
      if (!response.ok) throw new Error(`products.json: HTTP ${response.status}`);
      return response.json();
    });
    return catalogue;
  }

  const byId = (products, id) => products.find((p) => p.product_id === id) || null;

  /** The product as spur's ecommerce events carry it (Segment Ecommerce v2 fields). */
  function spurProduct(product, quantity) {
    const { product_id, sku, name, category, brand, price, currency } = product;
    const p = { product_id, sku, name, category, brand, price, currency };
    if (quantity !== undefined) p.quantity = quantity;
    return p;
  }

  /** Cart lines joined with the catalogue; lines whose product vanished are skipped. */
  function cartItems(products) {
    return getCart()
      .map((line) => ({ product: byId(products, line.product_id), quantity: line.quantity }))
      .filter((item) => item.product);
  }

  const round = (amount) => Math.round(amount * 100) / 100;

  function totals(items) {
    const subtotal = round(items.reduce((sum, item) => sum + item.product.price * item.quantity, 0));
    const shipping = subtotal === 0 || subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING;
    return { subtotal, shipping, total: round(subtotal + shipping) };
  }

  const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });
  const price = (amount) => money.format(amount);

  // ---- customer ids ---------------------------------------------------------------------------

  /**
   * A stable customer id from the email: 'cus_' + the 64-bit FNV-1a hash of the trimmed,
   * lower-cased email, as 16 hex digits. Stable, so the same person gets the same id on every
   * device; opaque, so the raw email does not become the key that shows up in profile URLs,
   * exports and logs (it still travels once, as an identify trait). FNV-1a rather than SHA-256
   * because crypto.subtle exists only in secure contexts and is async; this also runs on plain
   * http. It is pseudonymisation, not secrecy. A real shop would use its own customer row id.
   */
  function customerIdFor(email) {
    let hash = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(String(email).trim().toLowerCase())) {
      hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return 'cus_' + hash.toString(16).padStart(16, '0');
  }

  // ---- rendering helpers ----------------------------------------------------------------------

  /** Builds an element; `text`, `testid` (data-testid) and `onclick` are shorthands. */
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name === 'onclick') node.addEventListener('click', value);
      else if (name === 'testid') node.dataset.testid = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const CUP_ICON =
    '<svg viewBox="0 0 48 48" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"><path d="M10 18h24v8a12 12 0 0 1-24 0z"/><path d="M34 20h3a4 4 0 0 1 0 8h-4"/><path d="M18 6c-2 2 2 4 0 6M26 6c-2 2 2 4 0 6"/></svg>';
  const CHECK_ICON =
    '<svg viewBox="0 0 48 48" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"><circle cx="24" cy="24" r="18"/><path d="M15 24l6 6 12-13"/></svg>';

  /** An inline SVG from the shop's own files (products.json, the constants above); never user input. */
  function icon(svg, className) {
    const node = el('span', { class: className, 'aria-hidden': 'true' });
    node.innerHTML = svg;
    return node;
  }

  /** The product's picture, tinted by category. */
  const picture = (product, className) => icon(product.image, `${className} cat-${product.category.toLowerCase()}`);

  const mount = (children) => document.getElementById('main').replaceChildren(...children.filter(Boolean));
  const productHref = (product) => `product.html?id=${encodeURIComponent(product.product_id)}`;
  const param = (name) => new URLSearchParams(window.location.search).get(name);

  function renderHeader() {
    const header = document.getElementById('site-header');
    if (!header) return;
    const count = getCart().reduce((sum, line) => sum + line.quantity, 0);
    const customer = getCustomer();
    const account = customer
      ? el('div', { class: 'account' }, [
          el('span', { class: 'account-email', testid: 'account-email', text: customer.email }),
          el('button', { type: 'button', class: 'link-button', testid: 'logout', text: 'Log out', onclick: logout }),
        ])
      : el('a', { href: 'login.html', class: 'account', testid: 'login-link', text: 'Log in' });
    header.replaceChildren(
      el('div', { class: 'header-inner' }, [
        el('a', { href: 'index.html', class: 'logo', testid: 'home-link' }, [icon(CUP_ICON, 'logo-icon'), 'Bean & Leaf']),
        el('nav', { class: 'nav' }, [
          el('a', { href: 'index.html', text: 'Shop' }),
          account,
          el('a', { href: 'cart.html', class: 'cart-link', testid: 'cart-link' }, [
            'Cart ',
            el('span', { class: 'badge', testid: 'cart-count', text: String(count) }),
          ]),
        ]),
      ]),
    );
  }

  function logout() {
    localStorage.removeItem(CUSTOMER_KEY);
    // The cart belongs to the person who filled it; on a shared computer the next one starts empty.
    localStorage.removeItem(CART_KEY);
    // A new anonymous id: what happens next in this browser is no longer this customer's.
    spur('reset');
    flushThenGo('index.html');
  }

  function notFound(message) {
    mount([
      el('section', { class: 'empty', testid: 'not-found' }, [
        el('h1', { text: message }),
        el('a', { href: 'index.html', class: 'button', text: 'Back to the shop' }),
      ]),
    ]);
  }

  function field(label, input) {
    return el('label', { class: 'field' }, [el('span', { text: label }), input]);
  }

  function summary(sum) {
    return el('dl', { class: 'summary' }, [
      el('dt', { text: 'Subtotal' }),
      el('dd', { text: price(sum.subtotal) }),
      el('dt', { text: 'Shipping' }),
      el('dd', { text: sum.shipping ? price(sum.shipping) : 'free' }),
      el('dt', { class: 'total', text: 'Total (incl. VAT)' }),
      el('dd', { class: 'total', testid: 'order-total', text: price(sum.total) }),
    ]);
  }

  /** Order ids a customer can read out on the phone: SHOP-<base36 time>-<4 random>. */
  function newOrderId() {
    const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
    return `SHOP-${Date.now().toString(36)}-${random}`.toUpperCase();
  }

  /** What pages.js uses; also handy in tests and the console. Not part of spur. */
  window.shop = {
    FREE_SHIPPING_FROM,
    CHECK_ICON,
    spur,
    flushThenGo,
    getCart,
    setCart,
    getCustomer,
    setCustomer,
    getOrder,
    saveOrder,
    loadProducts,
    byId,
    spurProduct,
    cartItems,
    totals,
    round,
    price,
    customerIdFor,
    el,
    icon,
    picture,
    mount,
    productHref,
    param,
    renderHeader,
    notFound,
    field,
    summary,
    newOrderId,
  };
})();
