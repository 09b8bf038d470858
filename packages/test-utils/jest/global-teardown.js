// Global teardown of every project: removes the run's temp directory (see run-scope.js).
const { leave } = require('./run-scope');

module.exports = async function globalTeardown() {
  leave();
};
