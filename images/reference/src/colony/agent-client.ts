// The colony's client for an agent's AgentService over the mesh, speaking what Coral's colony speaks:
// Connect protocol, binary protobuf, HTTP/1.1 (contract observability.md §3.1, §10 #13).
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AgentService } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";

export const AGENT_API_PORT = 9001;

const clients = new Map<string, Client<typeof AgentService>>();

export function agentClient(meshIpv4: string): Client<typeof AgentService> {
  const baseUrl = `http://${meshIpv4}:${AGENT_API_PORT}`;
  let client = clients.get(baseUrl);
  if (!client) {
    client = createClient(AgentService, createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }));
    clients.set(baseUrl, client);
  }
  return client;
}
