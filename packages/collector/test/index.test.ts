// Pins the public API other packages code against.
import * as collector from '../src';

describe('@spur/collector exports', () => {
  it('exports exactly the documented runtime values', () => {
    expect(Object.keys(collector).sort()).toEqual(
      [
        'StorageUnavailableError',
        'createCollector',
        'loadConfig',
        'openSqliteStorage',
        'openStorage',
        'parseWriteKeys',
        'startServer',
      ].sort(),
    );
  });
});
