// Products of the period: views, adds to cart, orders, conversion and revenue (the products export).
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
  purchases: number;
  units: number;
  revenue: number;
  viewToCartRate: number | null;
  cartToPurchaseRate: number | null;
  timesAbandoned: number;
}

const count = (key: keyof Product, label: string): Column<Product> => ({
  key,
  label,
  value: (p) => p[key] as number,
  numeric: true,
  render: (p) => formatCount(p[key] as number),
});

export function ProductsView({ session, params }: { session: Session; params: URLSearchParams }) {
  const range = rangeOf(params, session.timeZone);
  const query = apiRange(range);
  const loaded = useData(JSON.stringify(query), (signal) => getExport<Product[]>('products', query, signal));
  const columns: Column<Product>[] = [
    { key: 'name', label: 'Product', value: (p) => p.name ?? p.productId, render: (p) => <span title={p.productId}>{p.name ?? p.productId}</span> },
    count('views', 'Views'),
    count('adds', 'Added to cart'),
    count('purchases', 'Orders'),
    count('units', 'Units'),
    { key: 'revenue', label: 'Revenue', value: (p) => p.revenue, numeric: true, render: (p) => formatMoney(p.revenue, null) },
    { key: 'viewToCartRate', label: 'View → cart', value: (p) => p.viewToCartRate, numeric: true, render: (p) => formatRate(p.viewToCartRate) },
    { key: 'cartToPurchaseRate', label: 'Cart → order', value: (p) => p.cartToPurchaseRate, numeric: true, render: (p) => formatRate(p.cartToPurchaseRate) },
    count('timesAbandoned', 'Abandoned'),
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
    </>
  );
}
