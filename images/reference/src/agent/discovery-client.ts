// Discovery calls of the agent (contract connectivity.md §2.2, §3.2): Connect JSON with
// lowerCamelCase keys, the only encoding the Worker understands. Every call has a timeout.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DiscoveryService, type LookupColonyResponse } from "../../../../proto/gen/coral/discovery/v1/discovery_pb.js";

export const DISCOVERY_TIMEOUT_MS = 10_000;

export type ColonyInfo = LookupColonyResponse;

export function discoveryClient(baseUrl: string) {
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false });
  return createClient(DiscoveryService, transport);
}

export type DiscoveryClient = ReturnType<typeof discoveryClient>;

export function lookupColony(client: DiscoveryClient, meshId: string): Promise<ColonyInfo> {
  return client.lookupColony({ meshId }, { timeoutMs: DISCOVERY_TIMEOUT_MS });
}
