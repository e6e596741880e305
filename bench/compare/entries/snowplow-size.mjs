// What a bundler user of @snowplow/browser-tracker ships for the minimal install: one tracker
// with its default settings and plugins, and a page view. Measured by bench/compare/sizes.js.
import { newTracker, trackPageView } from '@snowplow/browser-tracker';

newTracker('sp', 'https://collector.shop.example', { appId: 'shop' });
trackPageView();
