// The colony's clients for an agent's AgentService and AgentDebugService over the mesh, speaking what
// Coral's colony speaks (contract observability.md §3.1, §10 #13): Connect protocol, binary protobuf,
// HTTP/1.1 for everything except the profile pollers' QueryCPUProfileSamples, which use the gRPC
// protocol over HTTP/1.1 (length-prefixed frames, grpc-status in HTTP trailers).
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { validateReadWriteMaxBytes } from "@connectrpc/connect/protocol";
import { createTransport as createGrpcProtocolTransport } from "@connectrpc/connect/protocol-grpc";
import { createConnectTransport, createNodeHttpClient } from "@connectrpc/connect-node";
import { AgentService } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { AgentDebugService } from "../../../../proto/gen/coral/agent/v1/debug_pb.js";

export const AGENT_API_PORT = 9001;

const transports = new Map<string, Transport>();
const agentClients = new Map<string, Client<typeof AgentService>>();
const debugClients = new Map<string, Client<typeof AgentDebugService>>();
const grpcDebugClients = new Map<string, Client<typeof AgentDebugService>>();

function baseUrl(meshIpv4: string): string {
  return `http://${meshIpv4}:${AGENT_API_PORT}`;
}

function cached<S>(cache: Map<string, S>, meshIpv4: string, make: () => S): S {
  let value = cache.get(meshIpv4);
  if (!value) {
    value = make();
    cache.set(meshIpv4, value);
  }
  return value;
}

function connectTransport(meshIpv4: string): Transport {
  return cached(transports, meshIpv4, () => createConnectTransport({ baseUrl: baseUrl(meshIpv4), httpVersion: "1.1", useBinaryFormat: true }));
}

/**
 * gRPC over HTTP/1.1. connect-node's createGrpcTransport always uses HTTP/2, so the gRPC protocol
 * is put on top of connect-node's HTTP/1.1 client (which reads response trailers) by hand.
 */
function grpcHttp1Transport(meshIpv4: string): Transport {
  return createGrpcProtocolTransport({
    baseUrl: baseUrl(meshIpv4),
    httpClient: createNodeHttpClient({ httpVersion: "1.1" }),
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    ...validateReadWriteMaxBytes(undefined, undefined, undefined),
  });
}

export function agentClient(meshIpv4: string): Client<typeof AgentService> {
  return cached(agentClients, meshIpv4, () => createClient(AgentService, connectTransport(meshIpv4)));
}

/** AgentDebugService over Connect binary proto (ProfileCPU, uprobe collectors). */
export function agentDebugClient(meshIpv4: string): Client<typeof AgentDebugService> {
  return cached(debugClients, meshIpv4, () => createClient(AgentDebugService, connectTransport(meshIpv4)));
}

/** AgentDebugService over gRPC on HTTP/1.1, as Coral's CPU profile poller calls QueryCPUProfileSamples. */
export function agentDebugGrpcClient(meshIpv4: string): Client<typeof AgentDebugService> {
  return cached(grpcDebugClients, meshIpv4, () => createClient(AgentDebugService, grpcHttp1Transport(meshIpv4)));
}
