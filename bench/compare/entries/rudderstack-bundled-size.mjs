// The same install with the `bundled` entry: the default plugins are compiled into the bundle.
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';

const analytics = new RudderAnalytics();
analytics.load('WRITE_KEY', 'https://dataplane.shop.example');
analytics.page();
