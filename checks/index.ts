// The check modules in declared order: discovery → WireGuard → registration → heartbeat and
// reconnection, then the observability layers (L0, L2 profiling and L3 on their own privileged
// agents), then Coral's known defects (they leave fake peers and a poisoned address pool behind),
// then the colony restart, then the closing scan of every log. Checks run at the same time where
// their `touches` allow; a check never overtakes an earlier one it conflicts with, so the colony
// restart, which conflicts with every check, comes after all of them and heals the poisoned pool.
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
import { wireguard } from "./wireguard.js";

export type Deployment = CoralDeployment;

export const modules: CheckModule<CoralDeployment>[] = [
  discovery,
  wireguard,
  registration,
  heartbeat,
  redMetrics,
  otlp,
  systemMetrics,
  profiling,
  debug,
  defects,
  colonyRestartModule,
  closing,
];
