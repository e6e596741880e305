// spur-jsonld.js: Product Viewed from the page's schema.org JSON-LD, without code in the shop.
// spur.js imports it itself on a page with JSON-LD; its own tag still works beside spur.js:
//   <script async src="https://collector.example/spur-jsonld.js"></script>
// One copy records per page, however many came (window.spur.J).
// `data-auto-product="false"` on it (or on spur.js's tag) turns it off. It waits until the page
// has loaded and then SETTLE ms more, so that a shop that calls productViewed() itself wins: on a
// page view where it did (window.spur.V, set by spur.js), nothing is recorded. Once per page view;
// after an SPA navigation again, if the page then describes another product (or variant).
import { watchHistory, pageUrl } from './history';
import { productFromJsonLd } from './jsonld';

// How long after the load event (or an SPA navigation) the page counts as settled.
const SETTLE = 1000;

type Spur = { productViewed?: (p: object) => void; V?: unknown[]; J?: 1 };

// Off when any spur tag on the page says so.
if (!document.querySelector('script[data-auto-product="false"]')) {
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const record = () => {
    const spur = (window as unknown as { spur?: Spur }).spur;
    try {
      const url = pageUrl();
      if (!spur?.productViewed || spur.V?.[0] == url) return;
      const scripts = [...document.querySelectorAll('script[type="application/ld+json"]')].map((s) => s.textContent || '');
      const product = productFromJsonLd(scripts, url);
      const key = JSON.stringify(product);
      if (!product || key == last) return;
      last = key;
      spur.productViewed(product);
    } catch {
      // Never into the host page.
    }
  };
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(record, SETTLE);
  };
  // spur.js (an async script too) has run by the load event. Its import() and this chunk's own
  // tag are two copies of this code: the first records, alone.
  const begin = () => {
    const spur = (window as unknown as { spur?: Spur }).spur;
    if (!spur || spur.J) return;
    spur.J = 1;
    settle();
    watchHistory(settle);
  };
  document.readyState == 'complete' ? begin() : addEventListener('load', begin);
}
