// Pins the public API other packages code against.
import * as collector from '../src';

describe('@spur/collector exports', () => {
  it('exports exactly the documented runtime values', () => {
    expect(Object.keys(collector).sort()).toEqual(
      [
        'AccountError',
        'ALL_EXPORT_PARAMETERS',
        'MIN_PASSWORD_LENGTH',
        'ROLES',
        'addAccount',
        'changePassword',
        'changeRole',
        'checkName',
        'checkPassword',
        'checkRole',
        'listAccounts',
        'removeAccount',
        'DEFAULT_SUPPRESS_DAYS',
        'DERIVED_WRITE_KEY',
        'EXPORT_KINDS',
        'EXPORT_PARAMETERS',
        'LOG_LEVELS',
        'MIN_ADMIN_TOKEN_LENGTH',
        'SETTINGS',
        'WARNINGS_HEADER',
        'checkExportParameters',
        'createLogger',
        'errorFields',
        'silentLogger',
        'StorageUnavailableError',
        'copySqliteToPostgres',
        'createAnalyticsService',
        'createCollector',
        'createStore',
        'loadConfig',
        'isPostgresUrl',
        'openSqliteStorage',
        'openStorage',
        'parseWriteKeys',
        'purgeExpired',
        'redactDatabaseUrl',
        'runExport',
        'settingHelp',
        'settingNames',
        'startServer',
        'storageWhenOpen',
        'subjectAccess',
        'subjectErasure',
      ].sort(),
    );
  });
});
