// The Snowplow build the delivery benchmark puts on its pages (bench/delivery): the same package,
// bundled into one script that exposes the functions the page calls as window.snowplow.
export { newTracker, trackPageView, trackStructEvent, flushBuffer } from '@snowplow/browser-tracker';
