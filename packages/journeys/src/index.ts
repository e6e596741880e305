// Public API of @spur/journeys; other packages import only from here.
export { findChromium, launchChromium } from './browser';
export type { ChromiumLookup, ChromiumSource, FoundChromium } from './browser';
