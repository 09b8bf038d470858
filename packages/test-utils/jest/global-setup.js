// Global setup of the unit project: the run scope only (no Docker needed).
const { enter } = require('./run-scope');

module.exports = async function globalSetup() {
  enter();
};
