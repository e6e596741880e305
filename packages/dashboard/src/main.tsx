// The dashboard's app: who is signed in, the navigation, the current view. Views keep their date
// range in the address, and the navigation carries it from one view to the next.
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { base, csrfToken, loadSession, type Session } from './api';
import { href, navigate, useRoute, type ViewName } from './route';
import { CartsView } from './views/carts';
import { CustomerView } from './views/customer';
import { CustomersView } from './views/customers';
import { FunnelsView } from './views/funnels';
import { LiveView } from './views/live';
import { OverviewView } from './views/overview';
import { PrivacyView } from './views/privacy';
import { ProductsView } from './views/products';
import { SettingsView } from './views/settings';
import { WebhooksView } from './views/webhooks';

interface NavItem {
  view: ViewName;
  label: string;
  adminOnly?: boolean;
  /** A view reached from another (one customer, from Customers), not from the navigation. */
  hidden?: boolean;
}

const NAV: NavItem[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'funnels', label: 'Funnels' },
  { view: 'carts', label: 'Carts' },
  { view: 'products', label: 'Products' },
  { view: 'customers', label: 'Customers' },
  { view: 'customer', label: 'Customer', hidden: true },
  { view: 'live', label: 'Live' },
  { view: 'privacy', label: 'Privacy', adminOnly: true },
  { view: 'settings', label: 'Settings', adminOnly: true },
  { view: 'webhooks', label: 'Webhooks', adminOnly: true },
];

/** Follows a link inside the app without reloading the page (a modified click opens a tab as usual). */
function follow(e: MouseEvent, to: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}

function App({ session }: { session: Session }) {
  const { view, params } = useRoute();
  const main = useRef<HTMLElement>(null);
  const allowed = NAV.filter((n) => !n.hidden && (!n.adminOnly || session.role === 'admin'));
  const current = NAV.find((n) => n.view === view);
  const permitted = current && (!current.adminOnly || session.role === 'admin');
  // The range travels from view to view; the other parameters belong to their view.
  const carried = { from: params.get('from') ?? undefined, to: params.get('to') ?? undefined };
  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · spur dashboard`;
  }, [view]);
  // After a navigation, the new view's heading gets the focus, so a screen reader announces it:
  // in the same task as the new view's DOM (a layout effect), not after a frame in which the
  // followed link still had it and a key pressed then went to the old view.
  const first = useRef(true);
  useLayoutEffect(() => {
    if (first.current) return void (first.current = false);
    const heading = main.current?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [view]);
  const props = { session, params };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('overview', carried)} onClick={(e) => follow(e, href('overview', carried))}>
          <span aria-hidden="true">◆</span> spur
        </a>
        <nav aria-label="Views">
          <ul>
            {allowed.map((n) => {
              // Customers are as of a day, not over a range: the range stays behind.
              const to = href(n.view, n.view === 'live' || n.view === 'customers' || n.adminOnly ? undefined : carried);
              const here = n.view === view || (n.view === 'customers' && view === 'customer');
              return (
                <li>
                  <a href={to} aria-current={here ? 'page' : undefined} onClick={(e) => follow(e, to)}>
                    {n.label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <form class="account" method="post" action={`${base}/dashboard/logout`}>
          <span class="who">
            {session.account} <span class="role">({session.role})</span>
          </span>
          <input type="hidden" name="csrf" value={csrfToken()} />
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {!permitted ? (
          <>
            <h1 tabIndex={-1}>{current ? 'For admins only' : 'No such view'}</h1>
            <p>{current ? 'Only an admin may see this view.' : 'This address names no view of the dashboard.'}</p>
          </>
        ) : view === 'overview' ? (
          <OverviewView {...props} />
        ) : view === 'funnels' ? (
          <FunnelsView {...props} />
        ) : view === 'carts' ? (
          <CartsView {...props} />
        ) : view === 'products' ? (
          <ProductsView {...props} />
        ) : view === 'customers' ? (
          <CustomersView {...props} />
        ) : view === 'customer' ? (
          <CustomerView {...props} />
        ) : view === 'live' ? (
          <LiveView session={session} />
        ) : view === 'privacy' ? (
          <PrivacyView session={session} />
        ) : view === 'webhooks' ? (
          <WebhooksView session={session} />
        ) : (
          <SettingsView session={session} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
loadSession().then(
  (session) => {
    root.textContent = '';
    render(<App session={session} />, root);
  },
  (err: Error) => {
    root.textContent = `The dashboard could not start: ${err.message}`;
  },
);
