// Products of the period: views, adds to cart, orders, revenue per currency, conversion and
// abandonment (the products export), and the products bought together in the same orders (the
// products-together export: support, confidence both ways, lift).
import { exportUrl, getExport, type Session } from '../api';
import { DataTable, type Column } from '../components/data-table';
import { rangeOf, RangePicker } from '../components/range-picker';
import { LoadStatus } from '../components/status';
import { useData } from '../components/use-data';
import { apiRange } from '../dates';
import { formatCount, formatMoney, formatRate } from '../format';

interface Product {
  productId: string;
  name: string | null;
  views: number;
  adds: number;
  removes: number;
  checkouts: number;
  orders: number;
  units: number;
  /** Per currency, by currency code. */
  revenue: { currency: string | null; amount: number }[];
  viewToCartRate: number | null;
  viewToOrderRate: number | null;
  cartToOrderRate: number | null;
  carts: number;
  cartsAbandoned: number;
  abandonmentRate: number | null;
}

const count = (key: keyof Product, label: string): Column<Product> => ({
  key,
  label,
  value: (p) => p[key] as number,
  numeric: true,
  render: (p) => formatCount(p[key] as number),
});

interface Pair {
  productA: string;
  nameA: string | null;
  productB: string;
  nameB: string | null;
  orders: number;
  ordersA: number;
  ordersB: number;
  support: number;
  confidenceAToB: number;
  confidenceBToA: number;
  lift: number;
}

const decimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const PAIR_COLUMNS: Column<Pair>[] = [
  { key: 'productA', label: 'Product', value: (p) => p.nameA ?? p.productA, render: (p) => <span title={p.productA}>{p.nameA ?? p.productA}</span> },
  { key: 'productB', label: 'Bought with', value: (p) => p.nameB ?? p.productB, render: (p) => <span title={p.productB}>{p.nameB ?? p.productB}</span> },
  { key: 'orders', label: 'Orders with both', value: (p) => p.orders, numeric: true, render: (p) => formatCount(p.orders) },
  { key: 'support', label: 'Share of orders', value: (p) => p.support, numeric: true, render: (p) => formatRate(p.support) },
  { key: 'confidenceAToB', label: 'Of the first’s orders', value: (p) => p.confidenceAToB, numeric: true, render: (p) => formatRate(p.confidenceAToB) },
  { key: 'confidenceBToA', label: 'Of the second’s orders', value: (p) => p.confidenceBToA, numeric: true, render: (p) => formatRate(p.confidenceBToA) },
  { key: 'lift', label: 'Lift', value: (p) => p.lift, numeric: true, render: (p) => decimal.format(p.lift) },
];

const rate = (key: keyof Product, label: string): Column<Product> => ({
  key,
  label,
  value: (p) => p[key] as number | null,
  numeric: true,
  render: (p) => formatRate(p[key] as number | null),
});

export function ProductsView({ session, params }: { session: Session; params: URLSearchParams }) {
  const range = rangeOf(params, session.timeZone);
  const query = apiRange(range);
  const loaded = useData(JSON.stringify(query), (signal) => getExport<Product[]>('products', query, signal));
  // Pairs bought together at least twice (the export's default), the 100 with most orders.
  const pairs = useData(JSON.stringify(query), (signal) => getExport<Pair[]>('products-together', query, signal));
  const columns: Column<Product>[] = [
    { key: 'name', label: 'Product', value: (p) => p.name ?? p.productId, render: (p) => <span title={p.productId}>{p.name ?? p.productId}</span> },
    count('views', 'Views'),
    count('adds', 'Added to cart'),
    count('orders', 'Orders'),
    count('units', 'Units'),
    {
      key: 'revenue',
      label: 'Revenue',
      // Amounts in different currencies are not added: sorted by the first, each shown in its own.
      value: (p) => p.revenue[0]?.amount ?? 0,
      numeric: true,
      render: (p) => (p.revenue.length === 0 ? formatMoney(0, null) : p.revenue.map((r) => formatMoney(r.amount, r.currency)).join(' + ')),
    },
    rate('viewToCartRate', 'View → cart'),
    rate('viewToOrderRate', 'View → order'),
    rate('cartToOrderRate', 'Cart → order'),
    count('cartsAbandoned', 'Carts abandoned'),
    rate('abandonmentRate', 'Abandonment rate'),
  ];
  return (
    <>
      <h1>Products</h1>
      <RangePicker range={range} zone={session.timeZone} />
      <LoadStatus loaded={loaded} />
      {loaded.data && (
        <DataTable
          caption="Products"
          columns={columns}
          rows={loaded.data}
          csv={exportUrl('products', { ...query, format: 'csv' })}
          csvName="spur-products.csv"
          sort={{ key: 'views', descending: true }}
          testId="products-table"
        />
      )}
      {loaded.data && pairs.state === 'failed' && <p class="status failed">Could not load the products bought together: {pairs.error}</p>}
      {loaded.data && pairs.data && (
        <DataTable
          caption="Bought together"
          columns={PAIR_COLUMNS}
          rows={pairs.data}
          csv={exportUrl('products-together', { ...query, format: 'csv' })}
          csvName="spur-products-together.csv"
          sort={{ key: 'orders', descending: true }}
          empty="No two products were bought together in two orders of this period."
          testId="pairs-table"
        />
      )}
    </>
  );
}
