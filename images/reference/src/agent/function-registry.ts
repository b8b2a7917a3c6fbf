// AgentService.GetFunctions (contract observability.md §3.2): the function list of a monitored SDK
// app, read from its SDK's gzip'd NDJSON export (§6.3 item 4) and cached per binary hash. Other
// apps list nothing here (Coral would parse their DWARF; no check depends on it).
import { create } from "@bufbuild/protobuf";
import {
  GetFunctionsResponseSchema,
  type FunctionInfo,
  type GetFunctionsRequest,
  type GetFunctionsResponse,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { log } from "../common/log.js";
import { uprobeFaults } from "./profile-faults.js";
import { fetchFunctionExport } from "./sdk-client.js";
import type { ServiceRegistry } from "./service-registry.js";

/** "main.ProcessPayment" → "main"; "net/http.(*Server).Serve" → "net/http". */
export function packageOf(name: string): string {
  const slash = name.lastIndexOf("/");
  const dot = name.indexOf(".", slash + 1);
  return dot < 0 ? "" : name.slice(0, dot);
}

export class FunctionRegistry {
  private cache = new Map<string, FunctionInfo[]>();

  constructor(private readonly services: ServiceRegistry) {}

  async get(req: GetFunctionsRequest): Promise<GetFunctionsResponse> {
    const target = this.services.target(req.serviceName);
    const sdk = target?.monitored ? target.sdk : undefined;
    if (!sdk || uprobeFaults.functionsEmpty()) return create(GetFunctionsResponseSchema, {});
    const key = `${sdk.addr}/${sdk.binaryHash}`;
    let functions = this.cache.get(key);
    if (!functions) {
      try {
        const exported = await fetchFunctionExport(sdk.addr);
        functions = exported.map((f) => ({
          $typeName: "coral.agent.v1.FunctionInfo",
          name: f.name,
          package: packageOf(f.name),
          filePath: f.file ?? "",
          lineNumber: f.line ?? 0,
          offset: BigInt(f.offset),
          hasDwarf: sdk.hasDwarf,
          serviceName: req.serviceName,
          embedding: [],
        }));
        this.cache.set(key, functions);
        log.info("Indexed functions from SDK", { service: req.serviceName, functions: functions.length });
      } catch (err) {
        log.error("Failed to ensure functions indexed", { service: req.serviceName, error: (err as Error).message });
        return create(GetFunctionsResponseSchema, {});
      }
    }
    return create(GetFunctionsResponseSchema, { functions, totalFunctions: functions.length });
  }
}
