// Pins the public API other packages code against.
import * as collector from '../src';

describe('@spur/collector exports', () => {
  it('exports exactly the documented runtime values', () => {
    expect(Object.keys(collector).sort()).toEqual(
      [
        'DERIVED_WRITE_KEY',
        'EXPORT_KINDS',
        'StorageUnavailableError',
        'createAnalyticsService',
        'createCollector',
        'loadConfig',
        'openSqliteStorage',
        'openStorage',
        'parseWriteKeys',
        'runExport',
        'startServer',
      ].sort(),
    );
  });
});
