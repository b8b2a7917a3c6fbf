#!/usr/bin/env node
import { exitOnSignalsAsInit } from "../dist/src/cli/init-signals.js";
import { runCli } from "../dist/src/cli/main.js";

exitOnSignalsAsInit();
process.exitCode = await runCli(process.argv);
