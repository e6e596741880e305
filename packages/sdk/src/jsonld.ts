// The product a page describes in schema.org JSON-LD, as Product Viewed properties. Tolerant by
// design: themes emit bad JSON, arrays, @graph, @type as a string or an array, prefixed types
// (schema:Product, https://schema.org/Product), offers as one Offer, an array or an
// AggregateOffer, prices as strings or inside priceSpecification. What cannot be read is left out.
import type { Product } from './types';

type Node = Record<string, unknown>;

const isObject = (v: unknown): v is Node => !!v && typeof v == 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (v == null ? [] : Array.isArray(v) ? v : [v]);
const text = (v: unknown) => (typeof v == 'string' && v.trim() ? v.trim() : typeof v == 'number' ? String(v) : undefined);

/** Whether `node` has the schema.org type `type` (`@type` a string or an array, prefixed or not). */
function is(node: Node, type: string): boolean {
  return list(node['@type']).some((t) => typeof t == 'string' && t.replace(/^.*[/:#]/, '') == type);
}

/** Every object of the documents, depth first: arrays and @graph unwrapped, nested nodes visited. */
function nodes(documents: string[]): Node[] {
  const found: Node[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 8) return; // deep enough for any theme; a guard against pathological markup
    if (Array.isArray(v)) v.forEach((x) => visit(x, depth + 1));
    else if (isObject(v)) {
      found.push(v);
      for (const key of ['@graph', 'mainEntity', 'itemOffered']) visit(v[key], depth + 1);
    }
  };
  for (const doc of documents) {
    try {
      visit(JSON.parse(doc), 0);
    } catch {
      // A theme's broken JSON-LD block: the others may still describe the product.
    }
  }
  return found;
}

const price = (v: unknown) => {
  const n = typeof v == 'number' ? v : typeof v == 'string' ? Number(v.replace(/[^\d.-]/g, '')) : NaN;
  return Number.isFinite(n) && (typeof v != 'string' || /\d/.test(v)) ? n : undefined;
};

/** `[price, currency]` of an Offer (price, or its priceSpecification's) or an AggregateOffer (lowPrice). */
function offerPrice(offer: Node): [number | undefined, string | undefined] {
  const spec = list(offer.priceSpecification).find(isObject);
  const p = price(is(offer, 'AggregateOffer') ? (offer.lowPrice ?? offer.price) : (offer.price ?? spec?.price));
  return [p, text(offer.priceCurrency) ?? text(spec?.priceCurrency)];
}

/** The `variant=` (or `sku=`) of the page's URL: which variant the page shows. */
const wanted = (url: string) => {
  try {
    const params = new URL(url).searchParams;
    return params.get('variant') || params.get('sku') || undefined;
  } catch {
    return undefined;
  }
};

/**
 * Whether a variant or an offer is the one `id` (from the URL) names: its sku, productID or @id,
 * the variant= of its url or @id, or (a variant) one of its offers does.
 */
const names = (node: Node, id: string): boolean =>
  [node.sku, node.productID, node['@id']].some((v) => text(v) == id) ||
  [node.url, node['@id']].some((u) => typeof u == 'string' && wanted(u) == id) ||
  list(node.offers).some((o) => isObject(o) && names(o, id));

/**
 * Product Viewed properties for the page, or undefined when its JSON-LD describes no product.
 * The first Product or ProductGroup wins. product_id: `productID`, else `sku`, else `@id` (of the
 * ProductGroup: `productGroupID` first), so that every variant of a product has the product's
 * id and its own `sku`. A ProductGroup's variant (`hasVariant`) and an offer among several are the
 * ones the URL's `?variant=` (or `?sku=`) names, else the first.
 */
export function productFromJsonLd(documents: string[], url: string): Product | undefined {
  const all = nodes(documents);
  const product = all.find((n) => is(n, 'ProductGroup') || is(n, 'Product'));
  if (!product) return undefined;
  const id = wanted(url);
  const variants = is(product, 'ProductGroup') ? list(product.hasVariant).filter(isObject) : [];
  const variant = variants.find((v) => id && names(v, id)) ?? variants[0];
  const offers = list((variant ?? product).offers).filter(isObject);
  const offer = offers.find((o) => id && names(o, id)) ?? offers[0];
  const [amount, currency] = offer ? offerPrice(offer) : [];
  const brand = list((variant ?? product).brand ?? product.brand)[0];
  const own = (key: string) => text(variant?.[key]) ?? text(product[key]);
  const properties: Product = {
    product_id:
      text(product.productGroupID) ?? text(product.productID) ?? text(product.sku) ?? text(product['@id']) ?? own('sku') ?? '',
    sku: text(variant?.sku) ?? text(offer?.sku) ?? text(product.sku),
    name: text(product.name) ?? own('name'),
    brand: isObject(brand) ? text(brand.name) : text(brand),
    category: own('category'),
    variant: variant ? variantName(variant, product) : undefined,
    price: amount,
    currency,
  };
  if (!properties.product_id && !properties.name) return undefined;
  for (const key of Object.keys(properties) as (keyof Product)[]) if (properties[key] === undefined) delete properties[key];
  return properties;
}

/** A variant's name for Product Viewed: what it varies by (color, size, …), else its own name when it differs. */
function variantName(variant: Node, group: Node): string | undefined {
  const by = list(group.variesBy).map((p) => String(p).replace(/^.*[/:#]/, ''));
  const values = (by.length ? by : ['color', 'size', 'material', 'pattern']).map((key) => text(variant[key])).filter(Boolean);
  if (values.length) return values.join(' / ');
  const name = text(variant.name);
  return name != text(group.name) ? name : undefined;
}
