// Reference discovery service: a stand-in for Coral's discovery Worker under `wrangler dev`
// (contract connectivity.md §1.4, §2.2, §7.1).
import { setTimeout as sleep } from "node:timers/promises";
import { createHandlers } from "./handlers.js";
import { parseDiscoveryArgs } from "./config.js";
import { Registry } from "./registry.js";
import { startServer } from "./server.js";

/**
 * `wrangler dev` bundles the Worker and boots workerd before it listens: Coral's discovery answered
 * /health 3.3 s after its container started (a warm deploy, §7.1; 14 s on the first one, §1.4). The
 * reference has nothing to bundle, so it spends that time before listening, and so does every
 * restart of its container (the discovery-outage check starts it again).
 */
const WRANGLER_STARTUP_MS = 3_300;

async function main(): Promise<void> {
  const config = parseDiscoveryArgs(process.argv.slice(2));
  // Installed first: as PID 1 in a container, node would otherwise ignore SIGTERM while it starts.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
  console.log("⛅️ wrangler (reference discovery)");
  await sleep(WRANGLER_STARTUP_MS);
  const registry = new Registry(config.persistDir);
  await startServer(config, createHandlers(config, registry));
  setInterval(() => registry.cleanup(), config.cleanupIntervalMs).unref();
  console.log(`[wrangler:inf] Ready on http://${config.ip}:${config.port}`);
}

main().catch((err: unknown) => {
  console.error(`✘ [ERROR] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
