#!/usr/bin/env node
import { processIo } from './cli-io';
import { exitWith, runMain } from './cli-main';
import { orchestratorCli } from './orchestrator-main';

void runMain('orchestrator', process.argv.slice(2), processIo(), orchestratorCli).then(exitWith);
