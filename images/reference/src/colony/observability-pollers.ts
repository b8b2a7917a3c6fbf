// The colony's L0/L1/L2/L3 pollers (contract observability.md §1.3, §4.1 step 5, §4.6 step 5),
// started once the mesh server listens.
import { startBeylaPoller } from "./beyla-poller.js";
import { startCpuProfilePoller } from "./cpu-profile-poller.js";
import type { ColonyDatabase } from "./database.js";
import { startDebugEventPersister } from "./debug-event-persister.js";
import { startFunctionPoller } from "./function-poller.js";
import type { RunningPoller } from "./poller.js";
import type { Registry } from "./registry.js";
import { startServicePoller } from "./service-poller.js";
import { startSystemMetricsPoller } from "./system-metrics-poller.js";
import { startTelemetryPoller } from "./telemetry-poller.js";

export function startObservabilityPollers(db: ColonyDatabase, registry: Registry): RunningPoller[] {
  return [
    startTelemetryPoller(db, registry),
    startBeylaPoller(db, registry),
    startSystemMetricsPoller(db, registry),
    startServicePoller(db, registry),
    startCpuProfilePoller(db, registry),
    startFunctionPoller(db, registry),
    startDebugEventPersister(db, registry),
  ];
}
