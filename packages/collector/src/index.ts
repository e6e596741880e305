// Public entry point of @spur/collector: other packages import only what is named here.
export { createCollector, type CollectorConfig } from './app';
export { loadConfig, parseWriteKeys, type ServerConfig, type TrustProxy } from './config';
export { SETTINGS, settingHelp, settingNames, type Setting, type SettingPart } from './settings';
export { startServer, type RunningServer, type StartOptions } from './server';
export { openStorage, openSqliteStorage, storageWhenOpen, type SqliteOptions } from './storage';
export type { AppendInput, AppendResult, EventRange, RawEvent, RejectedEvent, Storage } from './storage';
export { createAnalyticsService, DERIVED_WRITE_KEY, type AnalyticsService, type AnalyticsServiceOptions, type AnalyticsStatus } from './jobs/catch-up';
export { EXPORT_KINDS, runExport, WARNINGS_HEADER, type ExportFormat, type ExportKind, type ExportOptions, type ExportOutput } from './exports';
export { ALL_EXPORT_PARAMETERS, checkExportParameters, EXPORT_PARAMETERS, type ExportParameter } from './export-params';
export { createLogger, errorFields, LOG_LEVELS, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './log';
export { MIN_ADMIN_TOKEN_LENGTH } from './startup-warnings';
export { StorageUnavailableError, type StorageFailure } from './errors';
export { DEFAULT_SUPPRESS_DAYS, subjectAccess, subjectErasure, type SubjectAccess, type SubjectErasure, type SubjectOptions } from './privacy';
export { purgeExpired, type PurgeReport } from './jobs/retention';
export type { DataSubject, ErasureCounts, ErasureRecord, PurgeCounts } from './storage/types';
export type { IpMode } from './ip';
export type { RateLimits } from './rate-limit';
export type { ClientClock } from './ingest/stored-event';
