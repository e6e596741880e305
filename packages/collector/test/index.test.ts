// Pins the public API other packages code against.
import * as collector from '../src';

describe('@spur/collector exports', () => {
  it('exports exactly the documented runtime values', () => {
    expect(Object.keys(collector).sort()).toEqual(
      [
        'DEFAULT_SUPPRESS_DAYS',
        'DERIVED_WRITE_KEY',
        'EXPORT_KINDS',
        'LOG_LEVELS',
        'MIN_ADMIN_TOKEN_LENGTH',
        'createLogger',
        'errorFields',
        'silentLogger',
        'StorageUnavailableError',
        'createAnalyticsService',
        'createCollector',
        'loadConfig',
        'openSqliteStorage',
        'openStorage',
        'parseWriteKeys',
        'purgeExpired',
        'runExport',
        'startServer',
        'subjectAccess',
        'subjectErasure',
      ].sort(),
    );
  });
});
