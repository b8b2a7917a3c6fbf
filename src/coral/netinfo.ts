// Parses what `ip` prints about wg0 inside a colony or agent container (contract §4.2). Coral
// opens no WireGuard control socket, so `wg show` is no source (§6.6).

export interface InterfaceInfo {
  exists: boolean;
  up: boolean;
  addresses: string[]; // "100.64.0.2/32"
  routes: string[]; // destinations routed via wg0: "100.64.0.1", "100.64.0.3"
}

export function parseLink(output: string): { exists: boolean; up: boolean } {
  const flags = /<([^>]*)>/.exec(output)?.[1]?.split(",") ?? [];
  return { exists: /\bwg0\b/.test(output), up: flags.includes("UP") };
}

export function parseAddresses(output: string): string[] {
  return [...output.matchAll(/inet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1]!);
}

export function parseRoutes(output: string): string[] {
  return output
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((dest) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dest))
    .map((dest) => dest.replace(/\/32$/, ""));
}

/** Dotted quad → number, for ordering and subnet tests. */
export function ipToNumber(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const mask = bits === "0" ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(base!) & mask) >>> 0);
}
