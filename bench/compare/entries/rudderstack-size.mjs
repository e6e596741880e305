// What a bundler user of @rudderstack/analytics-js ships with the default entry (modern build;
// its plugins are fetched at run time from RudderStack's CDN and are not in this file).
import { RudderAnalytics } from '@rudderstack/analytics-js';

const analytics = new RudderAnalytics();
analytics.load('WRITE_KEY', 'https://dataplane.shop.example');
analytics.page();
