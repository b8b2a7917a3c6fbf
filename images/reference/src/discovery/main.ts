// Reference discovery service: a stand-in for Coral's discovery Worker under `wrangler dev`
// (contract connectivity.md §1.4, §2.2). Starts in well under a second.
import { createHandlers } from "./handlers.js";
import { parseDiscoveryArgs } from "./config.js";
import { Registry } from "./registry.js";
import { startServer } from "./server.js";

async function main(): Promise<void> {
  const config = parseDiscoveryArgs(process.argv.slice(2));
  const registry = new Registry(config.persistDir);
  await startServer(config, createHandlers(config, registry));
  setInterval(() => registry.cleanup(), config.cleanupIntervalMs).unref();
  console.log(`[wrangler:inf] Ready on http://${config.ip}:${config.port}`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(`✘ [ERROR] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
