// The shop's pages: each renders into <main> and makes the spur calls a shop developer would add
// there. Which page runs is <body data-page="...">. Helpers come from shop.js (loaded first).
(() => {
  'use strict';

  const {
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
  } = window.shop;

  const pages = {};

  pages.index = async () => {
    const products = await loadProducts();
    const category = param('category');
    const shown = category ? products.filter((p) => p.category === category) : products;
    const categories = [...new Set(products.map((p) => p.category))];

    const chips = [
      el('a', { href: 'index.html', class: category ? 'chip' : 'chip active', testid: 'category-all', text: 'All' }),
      ...categories.map((c) =>
        el('a', {
          href: `index.html?category=${encodeURIComponent(c)}`,
          class: c === category ? 'chip active' : 'chip',
          testid: `category-${c.toLowerCase()}`,
          text: c,
        }),
      ),
    ];
    const cards = shown.map((product) =>
      el('article', { class: 'card', testid: `product-card-${product.product_id}` }, [
        el('a', { href: productHref(product), class: 'card-link', testid: `product-link-${product.product_id}` }, [
          picture(product, 'card-image'),
          el('div', { class: 'card-body' }, [
            el('p', { class: 'brand', text: product.brand }),
            el('h2', { class: 'card-title', text: product.name }),
            el('p', { class: 'price', text: price(product.price) }),
          ]),
        ]),
      ]),
    );
    mount([
      el('section', { class: 'hero' }, [
        el('h1', { text: category || 'Coffee, tea and the tools to brew them' }),
        el('p', { text: `Free shipping from ${price(FREE_SHIPPING_FROM)}. Roasted this week.` }),
      ]),
      el('nav', { class: 'chips', 'aria-label': 'Categories' }, chips),
      el('section', { class: 'grid', testid: 'product-grid' }, cards),
    ]);

    spur('productListViewed', {
      list_id: category ? `category:${category}` : 'all-products',
      category: category || undefined,
      products: shown.map((product, index) => ({ ...spurProduct(product), position: index + 1 })),
    });
  };

  pages.product = async () => {
    const products = await loadProducts();
    const product = byId(products, param('id'));
    if (!product) return notFound('That product does not exist (any more).');
    document.title = `${product.name} · Bean & Leaf`;

    const quantity = el('input', { id: 'quantity', type: 'number', min: '1', max: '20', value: '1', testid: 'quantity' });
    const added = el('p', { class: 'added', testid: 'added-message', role: 'status', hidden: true });
    const addToCart = () => {
      const qty = Math.max(1, Math.min(20, parseInt(quantity.value, 10) || 1));
      const cart = getCart();
      const line = cart.find((l) => l.product_id === product.product_id);
      if (line) line.quantity += qty;
      else cart.push({ product_id: product.product_id, quantity: qty });
      setCart(cart);
      spur('productAdded', spurProduct(product, qty));
      added.textContent = `${qty} × ${product.name} added to your cart.`;
      added.hidden = false;
    };

    mount([
      el('p', { class: 'crumbs' }, [
        el('a', { href: 'index.html', text: 'Shop' }),
        ' / ',
        el('a', { href: `index.html?category=${encodeURIComponent(product.category)}`, text: product.category }),
      ]),
      el('section', { class: 'product', testid: 'product-detail' }, [
        picture(product, 'product-image'),
        el('div', { class: 'product-info' }, [
          el('p', { class: 'brand', text: product.brand }),
          el('h1', { testid: 'product-name', text: product.name }),
          el('p', { class: 'price big', testid: 'product-price', text: price(product.price) }),
          el('p', { class: 'description', text: product.description }),
          el('p', { class: 'sku', text: `SKU ${product.sku}` }),
          el('div', { class: 'buy' }, [
            el('label', { for: 'quantity', text: 'Quantity' }),
            quantity,
            el('button', { id: 'add-to-cart', type: 'button', class: 'button primary', testid: 'add-to-cart', text: 'Add to cart', onclick: addToCart }),
          ]),
          added,
          el('a', { href: 'cart.html', class: 'link', testid: 'go-to-cart', text: 'Go to cart →' }),
        ]),
      ]),
    ]);
    // No productViewed() here: the page's JSON-LD (which the shop's server renders) describes the
    // product, and spur records Product Viewed from it by itself.
  };

  pages.cart = async () => {
    const products = await loadProducts();
    const items = cartItems(products);
    spur('cartViewed');
    renderCart(items);
  };

  function renderCart(items) {
    if (items.length === 0) {
      return mount([
        el('section', { class: 'empty', testid: 'cart-empty' }, [
          el('h1', { text: 'Your cart is empty' }),
          el('a', { href: 'index.html', class: 'button', text: 'Find something good' }),
        ]),
      ]);
    }
    const remove = (item) => {
      setCart(getCart().filter((l) => l.product_id !== item.product.product_id));
      spur('productRemoved', spurProduct(item.product, item.quantity));
      renderCart(items.filter((i) => i !== item));
    };
    const rows = items.map((item) => {
      const { product } = item;
      return el('tr', { testid: `cart-line-${product.product_id}` }, [
        el('td', { class: 'thumb' }, [picture(product, 'thumb-image')]),
        el('td', {}, [el('a', { href: productHref(product), text: product.name }), el('div', { class: 'brand', text: product.brand })]),
        el('td', { class: 'num', testid: `cart-qty-${product.product_id}`, text: String(item.quantity) }),
        el('td', { class: 'num', text: price(round(product.price * item.quantity)) }),
        el('td', { class: 'num' }, [
          el('button', { type: 'button', class: 'link-button', testid: `remove-${product.product_id}`, text: 'Remove', onclick: () => remove(item) }),
        ]),
      ]);
    });
    mount([
      el('h1', { text: 'Your cart' }),
      el('table', { class: 'cart', testid: 'cart-table' }, [
        el('thead', {}, [
          el('tr', {}, [el('th'), el('th', { text: 'Product' }), el('th', { class: 'num', text: 'Qty' }), el('th', { class: 'num', text: 'Price' }), el('th')]),
        ]),
        el('tbody', {}, rows),
      ]),
      summary(totals(items)),
      el('div', { class: 'actions' }, [
        el('a', { href: 'index.html', class: 'button', text: 'Keep shopping' }),
        el('a', { href: 'checkout.html', class: 'button primary', testid: 'checkout', text: 'Checkout' }),
      ]),
    ]);
  }

  pages.checkout = async () => {
    const products = await loadProducts();
    const items = cartItems(products);
    if (items.length === 0) return notFound('Your cart is empty — nothing to check out.');
    const sum = totals(items);
    const orderId = newOrderId();
    const lines = items.map((item) => spurProduct(item.product, item.quantity));
    const customer = getCustomer();
    // Segment: revenue excludes shipping and tax, total is what the customer pays.
    const order = { order_id: orderId, total: sum.total, revenue: sum.subtotal, shipping: sum.shipping, currency: 'EUR', products: lines };

    // value = the goods (Segment: revenue with discounts applied), as the SDK computes it from its cart.
    spur('checkoutStarted', { ...order, value: sum.subtotal });

    const form = el('form', { class: 'form', testid: 'checkout-form' }, [
      field('Email', el('input', { name: 'email', type: 'email', required: true, autocomplete: 'email', testid: 'checkout-email', value: customer?.email })),
      field('Name', el('input', { name: 'name', required: true, autocomplete: 'name', testid: 'checkout-name' })),
      field('Address', el('input', { name: 'address', required: true, autocomplete: 'street-address', testid: 'checkout-address' })),
      el('p', { class: 'hint', text: 'Demo shop: no payment is taken and nothing ships.' }),
      el('button', { type: 'submit', class: 'button primary', testid: 'place-order', text: `Place order · ${price(sum.total)}` }),
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      form.querySelector('button[type=submit]').disabled = true;
      saveOrder({ order_id: orderId, total: sum.total, email: form.email.value });
      setCart([]);
      spur('orderCompleted', order);
      // The purchase is the event that matters most; let it leave before the page does.
      flushThenGo(`confirmation.html?order=${encodeURIComponent(orderId)}`);
    });

    mount([
      el('h1', { text: 'Checkout' }),
      customer
        ? el('p', { class: 'hint', testid: 'checkout-customer', text: `Ordering as ${customer.email}` })
        : el('p', { class: 'hint' }, ['Have an account? ', el('a', { href: 'login.html?next=checkout.html', text: 'Log in' }), ' — or check out as a guest.']),
      el('div', { class: 'checkout' }, [form, summary(sum)]),
    ]);
  };

  pages.confirmation = async () => {
    const orderId = param('order');
    const order = orderId && getOrder(orderId);
    if (!order) return notFound('We could not find that order.');
    mount([
      el('section', { class: 'empty', testid: 'confirmation' }, [
        icon(CHECK_ICON, 'celebrate'),
        el('h1', { text: 'Thank you for your order!' }),
        el('p', {}, ['Order ', el('strong', { testid: 'order-id', text: order.order_id }), ` · ${price(order.total)}`]),
        el('p', { class: 'hint', text: `A confirmation would go to ${order.email}.` }),
        el('a', { href: 'index.html', class: 'button', text: 'Back to the shop' }),
      ]),
    ]);
  };

  pages.login = async () => {
    // Only a page of this shop, so ?next= cannot send the customer elsewhere.
    const next = param('next');
    const target = next && /^[a-z]+\.html(\?[^#]*)?$/.test(next) ? next : 'index.html';
    const customer = getCustomer();
    const form = el('form', { class: 'form narrow', testid: 'login-form' }, [
      field('Email', el('input', { name: 'email', type: 'email', required: true, autocomplete: 'email', testid: 'login-email' })),
      field('Password', el('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password', testid: 'login-password' })),
      el('button', { type: 'submit', class: 'button primary', testid: 'login-submit', text: 'Log in' }),
      el('p', { class: 'hint', text: 'Demo shop: any email and password will do.' }),
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const email = form.email.value.trim();
      const customerId = customerIdFor(email);
      form.querySelector('button[type=submit]').disabled = true;
      setCustomer({ id: customerId, email });
      spur('identify', customerId, { email });
      flushThenGo(target);
    });
    mount([
      el('h1', { text: 'Log in' }),
      customer && el('p', { class: 'hint', text: `You are logged in as ${customer.email}.` }),
      form,
    ]);
  };

  // ---- boot -----------------------------------------------------------------------------------

  async function boot() {
    renderHeader();
    const page = pages[document.body.dataset.page];
    if (!page) return;
    try {
      await page();
    } catch (error) {
      console.error('[shop]', error);
      notFound('Something went wrong loading the shop. Please try again.');
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
