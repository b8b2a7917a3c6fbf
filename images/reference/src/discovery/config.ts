// Command line of the reference discovery service. The image runs `npx wrangler dev --ip … --port …
// --persist-to … [--var KEY:VALUE …]` (contract connectivity.md §1.4); bin/npx strips `wrangler dev`.
export interface DiscoveryConfig {
  ip: string;
  port: number;
  persistDir: string;
  ttlSeconds: number;
  cleanupIntervalMs: number;
  serviceVersion: string;
  environment: string;
}

export function parseDiscoveryArgs(argv: string[]): DiscoveryConfig {
  const vars = new Map<string, string>();
  let ip = "0.0.0.0";
  let port = 8080;
  let persistDir = "/tmp/wrangler-persist";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => inline ?? argv[++i] ?? "";
    if (flag === "--ip") ip = value();
    else if (flag === "--port") port = Number(value());
    else if (flag === "--persist-to") persistDir = value();
    else if (flag === "--var") {
      const pair = value();
      const colon = pair.indexOf(":");
      if (colon > 0) vars.set(pair.slice(0, colon), pair.slice(colon + 1));
    }
    // Other wrangler flags (--local, --log-level, …) are accepted and ignored.
  }
  const positiveInt = (text: string | undefined, fallback: number): number => {
    const n = Number(text);
    return text !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    ip,
    port: Number.isInteger(port) && port > 0 ? port : 8080,
    persistDir,
    ttlSeconds: positiveInt(vars.get("DEFAULT_TTL_SECONDS"), 300),
    cleanupIntervalMs: positiveInt(vars.get("CLEANUP_INTERVAL_MS"), 60_000),
    serviceVersion: vars.get("SERVICE_VERSION") || "0.1.0",
    environment: vars.get("ENVIRONMENT") || "development",
  };
}
