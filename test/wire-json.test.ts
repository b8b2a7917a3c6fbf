// The raw-answer checker behind `wire/…`: answers Coral v0.3.0 was seen to give (contract
// "seen at runtime") hold against its schema without a false alarm, and each kind of drift is named
// by its path, its expected shape and the value seen. No Docker.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkWireJson, formatDeviation, summariseDeviations } from "../src/coral/wire-json.js";
import { coralWireSchema } from "../src/coral/wire-schema.js";

const schema = coralWireSchema();
const deviations = (typeName: string, json: unknown) => checkWireJson(schema, typeName, json).map(formatDeviation);

/** Answers recorded from Coral v0.3.0 (connectivity.md §2.2, §5.1; observability.md §3), elisions filled in. */
const RECORDED = {
  "coral.discovery.v1.LookupColonyResponse": {
    meshId: "coral-e2e-1",
    pubkey: "bW9ja3B1YmtleW1vY2twdWJrZXltb2NrcHVia2V5MDA=",
    endpoints: ["colony:41580"],
    meshIpv4: "100.64.0.1",
    meshIpv6: "fd42::1",
    connectPort: 9000,
    publicPort: 8443,
    metadata: { application: "coral-dev", environment: "dev", wireguard_port: "41580" },
    lastSeen: "1970-01-21T18:48:02.383Z",
    observedEndpoints: [{ ip: "172.18.0.4", port: 0, protocol: "udp" }],
    nat: 0,
    publicEndpoint: {
      enabled: true,
      url: "http://localhost:8443",
      caCert: "LS0tLS1CRUdJTg==",
      caFingerprint: { algorithm: "FINGERPRINT_ALGORITHM_SHA256", value: "mnzxAU7qAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
      updatedAt: "2026-11-26T08:39:10.392174014Z",
    },
  },
  "coral.agent.v1.RuntimeContextResponse": {
    capabilities: {
      canConnect: true,
      linuxCapabilities: { capNetAdmin: true, capSysAdmin: true, capSysPtrace: true, capDacOverride: true, capSetuid: true, capSetgid: true },
      execCapabilities: { mode: "EXEC_MODE_NSENTER", mountNamespaceAccess: true, pidNamespaceAccess: true, hasSysAdmin: true, hasSysPtrace: true, hasSharedPidNs: true },
    },
    ebpfCapabilities: { supported: true, kernelVersion: "6.18.44-fc-v657", btfAvailable: true, capBpf: true, availableCollectors: ["EBPF_COLLECTOR_KIND_SYSCALL_STATS", "EBPF_COLLECTOR_KIND_UPROBE"] },
    runtimeType: "RUNTIME_CONTEXT_DOCKER",
    version: "dev",
  },
  "coral.agent.v1.QueryCPUProfileSamplesResponse": {
    samples: [{ timestamp: "2026-11-26T09:14:29.111729Z", buildId: "b2850b15", stackFrames: ["crypto/internal/fips140/sha256.blockSHANI", "main.burnCPU", "runtime.goexit"], sampleCount: 41, serviceName: "cpu-app", seqId: "4", tgid: 22 }],
  },
  "coral.agent.v1.QueryTelemetryResponse": { spans: [], totalSpans: 112, maxSeqId: "112", sessionId: "7ff1820e-0000-4000-8000-000000000000" },
  "coral.colony.v1.QueryUnifiedMetricsResponse": {
    httpMetrics: [
      { serviceName: "otel-app [OTLP]", httpMethod: "SERVER", httpRoute: "aggregated", httpStatusCode: 200, latencyBuckets: [0.007, 0.007, 0.007], latencyCounts: ["1", "1", "1"], requestCount: "1" },
      { serviceName: "otel-app", httpMethod: "GET", httpRoute: "/api/users", latencyBuckets: [50, 75, 250], latencyCounts: ["321", "18", "17"], requestCount: "356" },
    ],
  },
  "coral.colony.v1.QueryUnifiedTracesResponse": {
    spans: [
      {
        traceId: "f55d45cb00000000000000000000000",
        spanId: "otlp-otel-app-1795684560",
        serviceName: "otel-app [OTLP]",
        spanName: "OTLP Summary (SERVER)",
        spanKind: "SERVER",
        startTime: "1795684560000",
        durationUs: "30218",
        attributes: { error_count: "0", p50_ms: "30.22", p95_ms: "30.22", p99_ms: "30.22", source: "OTLP", total_spans: "2" },
      },
    ],
  },
  "coral.colony.v1.GetDebugResultsResponse": {
    sessionId: "3f1c",
    function: "main.ProcessPayment",
    duration: "85.707838s",
    statistics: { totalCalls: "17", durationP50: "0.050528378s", durationP95: "0.109728871s", durationP99: "0.109728871s", durationMax: "0.109728871s" },
  },
  "coral.colony.v1.ExecuteQueryResponse": {
    rows: [{ values: ["2026-11-26 09:16:00 +0000 UTC", "INTERNAL", "30.168", "30.189", "30.189", "0", "3"] }],
    rowCount: 1,
    columns: ["bucket_time", "span_kind", "p50_ms", "p95_ms", "p99_ms", "error_count", "total_spans"],
  },
};

describe("holding raw answers against Coral's schema", () => {
  for (const [typeName, answer] of Object.entries(RECORDED)) {
    test(`a recorded ${typeName.split(".").pop()} holds`, () => assert.deepEqual(deviations(typeName, answer), []));
  }

  test("the connectivity drift: execCapabilities as a list, named by its path", () => {
    const answer = { agents: [0, 1, 2].map((i) => ({ agentId: `agent-${i}`, runtimeContext: { capabilities: { execCapabilities: ["nsenter"] } } })) };
    const found = checkWireJson(schema, "coral.colony.v1.ListAgentsResponse", answer);
    assert.deepEqual(found.map(formatDeviation), [0, 1, 2].map((i) => `agents[${i}].runtimeContext.capabilities.execCapabilities: expected object (coral.agent.v1.ExecCapabilities), saw array ["nsenter"]`));
    // One drifting field is one line, whatever the number of agents.
    assert.deepEqual(summariseDeviations(found), ['agents[0].runtimeContext.capabilities.execCapabilities: expected object (coral.agent.v1.ExecCapabilities), saw array ["nsenter"] (and 2 more like it)']);
  });

  test("the layers' drift: a recorded answer with one total as an object", () => {
    const answer = { ...RECORDED["coral.agent.v1.QueryTelemetryResponse"], totalSpans: { value: 112 } };
    assert.deepEqual(deviations("coral.agent.v1.QueryTelemetryResponse", answer), ['totalSpans: expected number (int32), saw object {"value":112}']);
  });

  test("64-bit integers, enums, well-known types, maps, unknown fields: each deviation by path", () => {
    const recorded = RECORDED["coral.colony.v1.GetDebugResultsResponse"];
    assert.deepEqual(
      deviations("coral.colony.v1.GetDebugResultsResponse", {
        ...recorded,
        duration: 85.7,
        statistics: { ...recorded.statistics, totalCalls: 17, durationP50: "50ms" },
        slowOutliers: [{ duration: "0.2s", timestamp: "2026-11-26 09:16:00", labels: { a: "b", c: 1 } }],
        newField: true,
      }),
      [
        "duration: expected string (duration, e.g. \"5s\"), saw number 85.7",
        "statistics.totalCalls: expected string (int64), saw number 17",
        'statistics.durationP50: expected string (duration, e.g. "5s"), saw string "50ms"',
        'slowOutliers[0].timestamp: expected string (RFC 3339 timestamp), saw string "2026-11-26 09:16:00"',
        'slowOutliers[0].labels["c"]: expected string, saw number 1',
        "newField: not a field of coral.colony.v1.GetDebugResultsResponse in Coral v0.3.0's schema, saw bool true",
      ],
    );
    assert.deepEqual(deviations("coral.agent.v1.RuntimeContextResponse", { runtimeType: "RUNTIME_CONTEXT_PODMAN", sidecarMode: 9, visibility: [] }), [
      'runtimeType: expected string (enum coral.agent.v1.RuntimeContext) (one of RUNTIME_CONTEXT_UNKNOWN, RUNTIME_CONTEXT_NATIVE, RUNTIME_CONTEXT_DOCKER, RUNTIME_CONTEXT_K8S_SIDECAR, RUNTIME_CONTEXT_K8S_DAEMONSET), saw string "RUNTIME_CONTEXT_PODMAN"',
      "sidecarMode: expected string (enum coral.agent.v1.SidecarMode) (one of SIDECAR_MODE_UNKNOWN, SIDECAR_MODE_CRI, SIDECAR_MODE_SHARED_NS, SIDECAR_MODE_PASSIVE), saw number 9",
      "visibility: expected object (coral.agent.v1.VisibilityScope), saw array []",
    ]);
    assert.deepEqual(deviations("coral.agent.v1.CPUProfileSample", { seqId: "-4", tgid: -1, sampleCount: 1.5, serviceName: null }), [
      'seqId: expected string (uint64), saw string "-4"',
      "tgid: expected number (uint32), saw number -1",
      "sampleCount: expected number (uint32), saw number 1.5",
    ]);
    assert.deepEqual(deviations("coral.colony.v1.ListAgentsResponse", ["not", "an", "object"]), ['(answer): expected object (coral.colony.v1.ListAgentsResponse), saw array ["not","an","object"]']);
  });
});
