// A provider of reference-image deployments for the live tests: fault switches per role, and an
// optional fault the test injects itself once the deployment is up.
import type { CoralDeployment } from "../../src/coral/deployment.js";
import { createCoralProvider } from "../../src/coral/provider.js";
import { IMAGE_PRESETS } from "../../src/coral/settings.js";
import type { EnvironmentProvider } from "../../src/runner/environment.js";

export interface ReferenceDeployment {
  agents?: number;
  refFaults?: Partial<Record<"discovery" | "colony" | "agent", string>>;
  inject?: (deployment: CoralDeployment) => Promise<void>;
}

export function referenceProvider(options: ReferenceDeployment): EnvironmentProvider<CoralDeployment> {
  const base = createCoralProvider({ images: IMAGE_PRESETS.reference!, agents: options.agents ?? 3, timeoutScale: 1, refFaults: options.refFaults });
  const { inject } = options;
  if (!inject) return base;
  return {
    ...base,
    async setup(ctx) {
      const deployment = await base.setup(ctx);
      await inject(deployment);
      return deployment;
    },
  };
}
