// The CSV layouts of the carts and products exports: item fields in numbered columns up to the
// bound (the rest in moreItems), and revenue as currency and amount pairs in one order per export.
import { parse } from 'csv-parse/sync';
import { toCsv, type AbandonedCartRow, type CartReasonRow, type ProductStats } from '../src/analytics';
import { cartColumns, MAX_ITEM_COLUMNS, productColumns, reasonColumns } from '../src/export-columns';

const csv = <T>(rows: T[], columns: Parameters<typeof toCsv<T>>[1]) => parse([...toCsv(rows, columns)].join('')) as string[][];

function cart(profileId: string, lines: number): AbandonedCartRow {
  return {
    profileId,
    customerId: null,
    anonymousId: profileId,
    items: Array.from({ length: lines }, (_, i) => ({ product_id: `p${i + 1}`, variant: null, name: `Product ${i + 1}`, price: i + 1, quantity: 2, currency: 'EUR' })),
    value: 0,
    currency: 'EUR',
    lastActivityAt: '2024-01-01T00:00:00.000Z',
    abandonedAt: '2024-01-01T00:30:00.000Z',
    recovered: false,
    recoveredOrderId: null,
    device: 'mobile',
    channel: 'email',
    utmSource: 'newsletter',
    lastPage: '/cart',
    checkoutStep: 'cart',
    surveyId: null,
    surveyAnswer: null,
    surveyText: null,
  };
}

describe('carts CSV', () => {
  it('has six columns per item, as many items as the largest cart, the price next to its currency', () => {
    const [header, a, b] = csv([cart('a', 2), cart('b', 1)], cartColumns([cart('a', 2), cart('b', 1)]));
    expect(header.slice(-12)).toEqual([
      'item1ProductId', 'item1Variant', 'item1Name', 'item1Quantity', 'item1Price', 'item1Currency',
      'item2ProductId', 'item2Variant', 'item2Name', 'item2Quantity', 'item2Price', 'item2Currency',
    ]);
    expect(a.slice(-12)).toEqual(['p1', '', 'Product 1', '2', '1', 'EUR', 'p2', '', 'Product 2', '2', '2', 'EUR']);
    expect(b.slice(-12)).toEqual(['p1', '', 'Product 1', '2', '1', 'EUR', '', '', '', '', '', '']);
    expect(a[header.indexOf('itemCount')]).toBe('4');
    expect(a[header.indexOf('lineCount')]).toBe('2');
    expect(header).not.toContain('moreItems');
  });

  it(`puts the lines after the ${MAX_ITEM_COLUMNS}th in one moreItems cell`, () => {
    const rows = [cart('big', MAX_ITEM_COLUMNS + 2), cart('small', 1)];
    const [header, big, small] = csv(rows, cartColumns(rows));
    expect(header.filter((h) => h.endsWith('ProductId'))).toHaveLength(MAX_ITEM_COLUMNS);
    expect(header[header.length - 1]).toBe('moreItems');
    expect(JSON.parse(big[big.length - 1]).map((i: { product_id: string }) => i.product_id)).toEqual([`p${MAX_ITEM_COLUMNS + 1}`, `p${MAX_ITEM_COLUMNS + 2}`]);
    expect(small[small.length - 1]).toBe('');
  });
});

describe('products CSV', () => {
  const product = (productId: string, revenue: ProductStats['revenue']): ProductStats => ({
    productId,
    name: null,
    views: 1,
    adds: 0,
    removes: 0,
    checkouts: 0,
    orders: 1,
    units: 1,
    revenue,
    viewToCartRate: null,
    viewToOrderRate: null,
    cartToOrderRate: null,
    carts: 0,
    cartsAbandoned: 0,
    abandonmentRate: null,
  });

  it('writes one currency and amount pair per currency of the export, the same currency in a column on every row', () => {
    const rows = [product('mug', [{ currency: 'USD', amount: 3 }]), product('tea', [{ currency: 'EUR', amount: 5 }, { currency: null, amount: 1 }])];
    const [header, mug, tea] = csv(rows, productColumns(rows));
    const pairs = (row: string[]) => header.map((h, i) => [h, row[i]]).filter(([h]) => h.startsWith('revenue'));
    expect(pairs(mug)).toEqual([['revenueCurrency1', 'EUR'], ['revenue1', '0'], ['revenueCurrency2', 'USD'], ['revenue2', '3'], ['revenueCurrency3', ''], ['revenue3', '0']]);
    expect(pairs(tea)).toEqual([['revenueCurrency1', 'EUR'], ['revenue1', '5'], ['revenueCurrency2', 'USD'], ['revenue2', '0'], ['revenueCurrency3', ''], ['revenue3', '1']]);
  });
});

describe('cart-reasons CSV', () => {
  const reason = (answer: string, lostValue: CartReasonRow['lostValue']): CartReasonRow => ({
    surveyId: 'exit',
    answer,
    answers: 1,
    abandonedCarts: 1,
    recoveredCarts: 0,
    lostValue,
    surveyShown: 4,
    surveyAnswered: 2,
    surveyDismissed: 1,
    surveyAnswerRate: 0.5,
  });

  it('puts each currency in columns of its own, in one order on every row, none last', () => {
    const rows = [reason('price', [{ currency: 'USD', value: 5, share: 1 }, { currency: null, value: 2, share: 0.5 }]), reason('later', [{ currency: 'EUR', value: 3, share: 1 }, { currency: null, value: 2, share: 0.5 }])];
    const [header, ...lines] = csv(rows, reasonColumns(rows));
    expect(header).toEqual(['surveyId', 'answer', 'answers', 'abandonedCarts', 'recoveredCarts', 'lostCurrency1', 'lostValue1', 'lostShare1', 'lostCurrency2', 'lostValue2', 'lostShare2', 'lostCurrency3', 'lostValue3', 'lostShare3', 'surveyShown', 'surveyAnswered', 'surveyDismissed', 'surveyAnswerRate']);
    expect(lines).toEqual([
      ['exit', 'price', '1', '1', '0', 'EUR', '0', '', 'USD', '5', '1', '', '2', '0.5', '4', '2', '1', '0.5'],
      ['exit', 'later', '1', '1', '0', 'EUR', '3', '1', 'USD', '0', '', '', '2', '0.5', '4', '2', '1', '0.5'],
    ]);
  });
});
