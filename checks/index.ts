// The ordered check modules: discovery → WireGuard → registration → heartbeat and reconnection,
// then the known defects of Coral (last: they leave fake peers behind), then the closing scan of
// every log.
import type { CoralDeployment } from "../src/coral/deployment.js";
import type { CheckModule } from "../src/runner/check.js";
import { closing } from "./closing.js";
import { defects } from "./defects.js";
import { discovery } from "./discovery.js";
import { heartbeat } from "./heartbeat.js";
import { registration } from "./registration.js";
import { wireguard } from "./wireguard.js";

export type Deployment = CoralDeployment;

export const modules: CheckModule<CoralDeployment>[] = [discovery, wireguard, registration, heartbeat, defects, closing];
