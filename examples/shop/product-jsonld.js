// A product as schema.org JSON-LD, the markup a shop's server prints into a product page for search
// engines (and that spur reads to record Product Viewed without a call in the page's code).
// productID is the shop's product_id, so the event carries the same product_id as the cart and
// order events the shop sends itself; sku stays the stock-keeping unit.

/** JSON inside <script>: "</script>" or "<!--" in a value must not end or confuse the element. */
const scriptSafe = (json) => json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

/**
 * The `<script type="application/ld+json">` element describing one product of products.json:
 * a `Product` with its `Offer` (price and currency), brand and category.
 * @param {{ product_id: string, sku: string, name: string, brand: string, category: string, price: number, currency: string, description?: string }} product
 * @returns {string}
 */
function productJsonLd(product) {
  const data = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    productID: product.product_id,
    sku: product.sku,
    name: product.name,
    brand: { '@type': 'Brand', name: product.brand },
    category: product.category,
    ...(product.description && { description: product.description }),
    offers: {
      '@type': 'Offer',
      price: product.price.toFixed(2),
      priceCurrency: product.currency,
      availability: 'https://schema.org/InStock',
    },
  };
  return `<script type="application/ld+json">${scriptSafe(JSON.stringify(data))}</script>`;
}

module.exports = { productJsonLd };
