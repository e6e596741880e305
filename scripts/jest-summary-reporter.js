// Writes jest's aggregated results as JSON (the shape of `jest --json`, without per-test detail),
// so that .ci/run can print "N passed, N failed" from the plain `npm test` command.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.file = path.resolve(globalConfig.rootDir, options.outputFile || 'test-results.json');
  }

  onRunComplete(_contexts, results) {
    const keys = ['success', 'numTotalTests', 'numPassedTests', 'numFailedTests', 'numPendingTests', 'numTodoTests',
      'numTotalTestSuites', 'numPassedTestSuites', 'numFailedTestSuites', 'numRuntimeErrorTestSuites', 'startTime'];
    const summary = Object.fromEntries(keys.map((k) => [k, results[k]]));
    // results.success is only settled after the reporters ran; derive it from the counts.
    summary.success = results.numFailedTests === 0 && results.numRuntimeErrorTestSuites === 0 && !results.wasInterrupted;
    summary.failedSuites = results.testResults
      .filter((r) => r.numFailingTests > 0 || r.testExecError)
      .map((r) => path.relative(process.cwd(), r.testFilePath));
    fs.writeFileSync(this.file, JSON.stringify(summary, null, 2) + '\n');
  }
}

module.exports = SummaryReporter;
