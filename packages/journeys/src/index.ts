// Public API of @spur/journeys; other packages import only from here.
export { stripAnsi } from './ansi';
export { findChromium, launchChromium } from './browser';
export type { ChromiumLookup, ChromiumSource, FoundChromium } from './browser';
export { compareEvents, detailLines, MAX_COMPARED } from './compare';
export type { EventComparison, FailureDetail, FieldComparison } from './compare';
export { formatDuration, parseDuration } from './duration';
export { journeySchema, journeySlug, loadJourneyFile, loadJourneys, parseJourney, SpecError } from './spec';
export type { Device, Duration, EventMatcher, Expectations, Journey, JourneySpec, Random, SpecProblem, Step, Text, Visit } from './spec';
export { DEFAULT_FUNNEL, DEFAULT_MARGIN_MS, DEFAULT_STEP_TIMEOUT_MS, describeFailure, failurePlace, playRun } from './runner';
export type { RunFailure, RunOptions, RunResult } from './runner';
export { checkCollector, runJourneys } from './simulation';
export type { SimulateOptions, SimulationResult } from './simulation';
export type { SentRequest, SpurCookie } from './device';
export type { AbandonedCartRow, FunnelRow, Profile, StoredEvent } from './admin';
export { junitXml, reportJson, writeReport } from './report';
export { renderHtml } from './report-html';
export { journeySummaries, summarise, summaryLine } from './summary';
export type { JourneySummary, Summary } from './summary';
