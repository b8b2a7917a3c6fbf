// The check modules in declared order: the wire schema first (a drifted field is named before
// anything trips over it), then discovery → WireGuard → registration → heartbeat and reconnection,
// then the observability layers (L0, L2 profiling and L3 on their own privileged agents; each
// layer's wire check after its checks, whose data it holds against the schema), then Coral's known
// defects (they leave fake peers and a poisoned address pool behind), then the colony restart, then
// the closing scan of every log. Checks run at the same time where their `touches` allow; a check
// never overtakes an earlier one it conflicts with, so the colony restart, which conflicts with
// every check, comes after all of them and heals the poisoned pool.
import type { CoralDeployment } from "../src/coral/deployment.js";
import type { CheckModule } from "../src/runner/check.js";
import { closing } from "./closing.js";
import { debug } from "./debug.js";
import { defects } from "./defects.js";
import { discovery } from "./discovery.js";
import { colonyRestartModule, heartbeat } from "./heartbeat.js";
import { otlp } from "./otlp.js";
import { profiling } from "./profiling.js";
import { redMetrics } from "./red-metrics.js";
import { registration } from "./registration.js";
import { systemMetrics } from "./system-metrics.js";
import { wireConnectivity, wireL0, wireL1, wireL2, wireL3 } from "./wire.js";
import { wireguard } from "./wireguard.js";

export type Deployment = CoralDeployment;

export const modules: CheckModule<CoralDeployment>[] = [
  wireConnectivity,
  discovery,
  wireguard,
  registration,
  heartbeat,
  redMetrics,
  wireL0,
  otlp,
  wireL1,
  systemMetrics,
  profiling,
  wireL2,
  debug,
  wireL3,
  defects,
  colonyRestartModule,
  closing,
];
