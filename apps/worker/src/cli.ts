#!/usr/bin/env -S node --max-semi-space-size=2
import { processIo } from './cli-io';
import { exitWith, runMain } from './cli-main';
import { workerCli } from './worker-cli';

void runMain('worker', process.argv.slice(2), processIo(), workerCli).then(exitWith);
