// Typed Connect clients for Coral's servers, from the project's own proto/ (contract §2.1): Connect
// protocol, JSON, HTTP/1.1 (the colony's :9000 has no HTTP/2; discovery accepts only camelCase
// JSON). Every call has a timeout of at least 10 s unless the caller passes a shorter one (§6.21).
// Answers are read leniently: a field whose JSON shape drifted from proto/ is dropped and recorded
// (lenient-json.ts), so it fails the check that reads it, and `wire/…`, never the whole answer.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createNodeHttpClient } from "@connectrpc/connect-node";
import { type UniversalClientFn, validateReadWriteMaxBytes } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-connect";
import { deadlineSignal } from "../util/time.js";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { type PrunedField, pruneMalformed } from "./lenient-json.js";
import { AgentService } from "../../proto/gen/coral/agent/v1/agent_pb.js";
import { AgentDebugService } from "../../proto/gen/coral/agent/v1/debug_pb.js";
import { ColonyService } from "../../proto/gen/coral/colony/v1/colony_pb.js";
import { ColonyDebugService } from "../../proto/gen/coral/colony/v1/debug_pb.js";
import { DiscoveryService } from "../../proto/gen/coral/discovery/v1/discovery_pb.js";
import { MeshService } from "../../proto/gen/coral/mesh/v1/auth_pb.js";

export const RPC_TIMEOUT_MS = 10_000;

export interface RpcRecord {
  procedure: string;
  baseUrl: string;
  ms: number;
  code: string; // "ok" or the Connect code
  /** Fields of the answer dropped because their JSON shape was not the declared one. */
  pruned?: PrunedField[];
}

/** Receives one record per call: the run's RPC history, for evidence and the benchmark. */
export type RpcRecorder = (record: RpcRecord) => void;

/** What the lenient HTTP client dropped, by request (the interceptor and the client see the same headers). */
type PrunedByRequest = WeakMap<Headers, PrunedField[]>;

function recordingInterceptor(baseUrl: string, prunedBy: PrunedByRequest, record?: RpcRecorder): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    try {
      const res = await next(req);
      const pruned = prunedBy.get(req.header);
      record?.({ procedure: req.url.replace(baseUrl, ""), baseUrl, ms: performance.now() - started, code: "ok", ...(pruned ? { pruned } : {}) });
      return res;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      record?.({ procedure: req.url.replace(baseUrl, ""), baseUrl, ms: performance.now() - started, code: String(code ?? "error") });
      throw error;
    }
  };
}

/**
 * connect-node's HTTP/1.1 client, with every 200 JSON answer of a known method pruned of malformed
 * fields before Connect decodes it. No compression is asked for, so bodies are plain JSON.
 */
function pruningHttpClient(service: DescService, prunedBy: PrunedByRequest): UniversalClientFn {
  const http = createNodeHttpClient({ httpVersion: "1.1" });
  const outputs = new Map<string, DescMessage>(service.methods.map((m) => [`${service.typeName}/${m.name}`, m.output]));
  return async (req) => {
    const res = await http(req);
    const output = outputs.get(new URL(req.url).pathname.split("/").slice(-2).join("/"));
    const json = res.status === 200 && /^application\/json/.test(res.header.get("content-type") ?? "") && !res.header.has("content-encoding");
    if (!output || !json) return res;
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    let body = text;
    try {
      const answer: unknown = JSON.parse(text);
      const pruned = pruneMalformed(output, answer);
      if (pruned.length) {
        prunedBy.set(req.header, pruned);
        body = JSON.stringify(answer);
      }
    } catch {
      // Not JSON: Connect reports it as it would have.
    }
    const header = new Headers(res.header);
    header.delete("content-length");
    return { ...res, header, body: (async function* () { yield new TextEncoder().encode(body); })() };
  };
}

function client<S extends DescService>(service: S, baseUrl: string, record?: RpcRecorder): Client<S> {
  const prunedBy: PrunedByRequest = new WeakMap();
  return createClient(
    service,
    createTransport({
      baseUrl,
      httpClient: pruningHttpClient(service, prunedBy),
      useBinaryFormat: false,
      defaultTimeoutMs: RPC_TIMEOUT_MS,
      jsonOptions: { ignoreUnknownFields: true },
      interceptors: [recordingInterceptor(baseUrl, prunedBy, record)],
      acceptCompression: [],
      sendCompression: null,
      ...validateReadWriteMaxBytes(undefined, undefined, undefined),
    }),
  );
}

export const discoveryClient = (baseUrl: string, record?: RpcRecorder) => client(DiscoveryService, baseUrl, record);
export const colonyClient = (baseUrl: string, record?: RpcRecorder) => client(ColonyService, baseUrl, record);
export const meshClient = (baseUrl: string, record?: RpcRecorder) => client(MeshService, baseUrl, record);
export const agentClient = (baseUrl: string, record?: RpcRecorder) => client(AgentService, baseUrl, record);
export const agentDebugClient = (baseUrl: string, record?: RpcRecorder) => client(AgentDebugService, baseUrl, record);
export const colonyDebugClient = (baseUrl: string, record?: RpcRecorder) => client(ColonyDebugService, baseUrl, record);

export type DiscoveryClient = ReturnType<typeof discoveryClient>;
export type ColonyClient = ReturnType<typeof colonyClient>;
export type MeshClient = ReturnType<typeof meshClient>;
export type AgentClient = ReturnType<typeof agentClient>;
export type AgentDebugClient = ReturnType<typeof agentDebugClient>;
export type ColonyDebugClient = ReturnType<typeof colonyDebugClient>;

/** GET a JSON (or text) document with a deadline: /health, /status. */
export async function getDocument(url: string, timeoutMs = RPC_TIMEOUT_MS, signal?: AbortSignal): Promise<{ status: number; body: string; json?: unknown }> {
  const deadline = deadlineSignal(timeoutMs, signal);
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { signal: deadline.signal });
    body = await res.text();
  } finally {
    deadline.done();
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json };
}

/**
 * A raw Connect JSON POST, for requests a typed client cannot express (malformed keys, snake_case
 * bodies, binary encodings) and for answers that are not Connect at all (an empty reply).
 */
export async function postRaw(
  url: string,
  body: string,
  options: { contentType?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string } | { transportError: string }> {
  const deadline = deadlineSignal(options.timeoutMs ?? RPC_TIMEOUT_MS, options.signal);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": options.contentType ?? "application/json" },
      body,
      signal: deadline.signal,
    });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { transportError: cause?.code ?? cause?.message ?? (error as Error).message };
  } finally {
    deadline.done();
  }
}
