// AgentDebugService on :9001 (contract observability.md §3.3): the on-demand profile, the
// continuous profile's samples (the colony polls them with the gRPC protocol over HTTP/1.1, which
// the same Connect adapter serves), and the uprobe collectors.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  AgentDebugService,
  QueryCPUProfileSamplesResponseSchema,
  UpdateProbeFilterResponseSchema,
  type QueryCPUProfileSamplesRequest,
  type QueryCPUProfileSamplesResponse,
} from "../../../../proto/gen/coral/agent/v1/debug_pb.js";
import type { AgentState } from "./agent-state.js";
import type { Observability } from "./observability.js";
import { recordLimit } from "./observability-queries.js";
import { profileCpu } from "./on-demand-profile.js";
import { UprobeCollectors } from "./uprobe-collectors.js";

const DEFAULT_PROFILE_RECORDS = 5_000;

function queryCpuProfileSamples(obs: Observability, req: QueryCPUProfileSamplesRequest): QueryCPUProfileSamplesResponse {
  const store = obs.store;
  if (obs.config.profiling.disabled) return create(QueryCPUProfileSamplesResponseSchema, { error: "continuous profiling not enabled", sessionId: store.sessionId });
  const limit = req.maxRecords > 0 ? recordLimit(req.maxRecords) : DEFAULT_PROFILE_RECORDS;
  const rows = store.cpuSamples.query(Number(req.startSeqId), limit, (r) => !req.serviceName || r.serviceName === req.serviceName);
  return create(QueryCPUProfileSamplesResponseSchema, {
    samples: rows.map((r) => ({ ...r, timestamp: timestampFromMs(r.timestamp), seqId: BigInt(r.seqId) })),
    totalSamples: BigInt(rows.reduce((n, r) => n + r.sampleCount, 0)),
    maxSeqId: BigInt(rows.at(-1)?.seqId ?? 0),
    sessionId: store.sessionId,
  });
}

export function debugRoutes(state: AgentState, obs: Observability): (router: ConnectRouter) => void {
  const collectors = new UprobeCollectors(obs.services, () => state.config.agentId);
  return (router) =>
    router.service(AgentDebugService, {
      profileCPU: (req) => profileCpu(obs.services, req),
      queryCPUProfileSamples: (req) => queryCpuProfileSamples(obs, req),
      startUprobeCollector: (req) => collectors.start(req),
      stopUprobeCollector: (req) => collectors.stop(req.collectorId),
      queryUprobeEvents: (req) => collectors.query(req),
      updateProbeFilter: () => create(UpdateProbeFilterResponseSchema, {}),
    });
}
