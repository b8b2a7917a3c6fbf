// AgentService.GetFunctions (contract observability.md §3.2, §6.3 item 4, §10 #32): the function
// table of a monitored service, indexed once per binary — from the SDK's gzip'd NDJSON export for an
// SDK app (triggered when its SDK capabilities arrive), else from the DWARF of the service's
// executable (triggered by the first GetFunctions). GetFunctions waits for an indexing it starts and
// then answers from the table.
//
// Coral v0.3.0's race is reproduced: a GetFunctions that arrives while the service's first indexing
// runs (the binary is not yet recorded as indexed) starts a second one. Each indexing stores by
// deleting the service's rows and re-inserting them ON CONFLICT DO NOTHING in one transaction; with
// the DuckDB 1.1 Coral embeds, the keys of deleted rows stay in the table's index, so re-inserted
// keys conflict with them: the second store (and any later one) leaves nothing, and since the binary
// is then recorded as indexed, nothing re-indexes it. `fix-function-registry-race` stores as DuckDB
// 1.5 does: the new rows stay.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import {
  GetFunctionsResponseSchema,
  type FunctionInfo,
  type GetFunctionsRequest,
  type GetFunctionsResponse,
} from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { listDwarfFunctions } from "./perf-helper.js";
import { uprobeFaults } from "./profile-faults.js";
import { fetchFunctionExport } from "./sdk-client.js";
import type { ServiceRegistry, ServiceTarget } from "./service-registry.js";

/**
 * Coral's indexing cost per function (a 384-float embedding and a row each): ~8 s for sdk-app's 7111
 * functions on 2 cores (§10 #32). The reference's own parsing takes a fraction of that, so an
 * indexing lasts functions × this pace.
 */
const INDEX_MS_PER_FUNCTION = 8_000 / 7_111;

/** "main.ProcessPayment" → "main"; "net/http.(*Server).Serve" → "net/http". */
export function packageOf(name: string): string {
  const slash = name.lastIndexOf("/");
  const dot = name.indexOf(".", slash + 1);
  return dot < 0 ? "" : name.slice(0, dot);
}

interface Source {
  /** The binary's identity, recorded once its functions are stored. */
  binaryHash: string;
  load(): Promise<Array<{ name: string; file?: string; line?: number; offset: number }>>;
  hasDwarf: boolean;
}

export class FunctionRegistry {
  /** The agent's functions table, per service. */
  private readonly table = new Map<string, FunctionInfo[]>();
  /** Service → binary hash recorded as indexed. */
  private readonly indexed = new Map<string, string>();
  /** Keys of deleted rows that the index still holds (DuckDB 1.1), per service. */
  private readonly deletedKeys = new Map<string, Set<string>>();

  constructor(private readonly services: ServiceRegistry) {
    services.onSdkCapabilities = (service) => {
      log.info("Triggering function discovery from SDK capabilities", { service });
      void this.ensureIndexed(service).catch((err: Error) => log.error("Failed to ensure functions indexed", { service, error: err.message }));
    };
  }

  private async source(target: ServiceTarget): Promise<Source | undefined> {
    const sdk = target.sdk;
    if (sdk) return { binaryHash: sdk.binaryHash || sdk.addr, hasDwarf: sdk.hasDwarf, load: () => fetchFunctionExport(sdk.addr) };
    if (!target.pid) return undefined;
    const binary = `/proc/${target.pid}/exe`;
    const binaryHash = createHash("sha256").update(await readFile(binary)).digest("hex");
    return { binaryHash, hasDwarf: true, load: () => listDwarfFunctions(binary) };
  }

  private async ensureIndexed(service: string): Promise<void> {
    const target = this.services.target(service);
    if (!target?.monitored) return;
    const source = await this.source(target);
    if (!source || this.indexed.get(service) === source.binaryHash) return;
    const found = await source.load();
    await sleep(found.length * INDEX_MS_PER_FUNCTION);
    const functions: FunctionInfo[] = found.map((f) => ({
      $typeName: "coral.agent.v1.FunctionInfo",
      name: f.name,
      package: packageOf(f.name),
      filePath: f.file ?? "",
      lineNumber: f.line ?? 0,
      offset: BigInt(f.offset),
      hasDwarf: source.hasDwarf,
      serviceName: service,
      embedding: [],
    }));
    this.store(service, functions);
    this.indexed.set(service, source.binaryHash);
    log.info("Functions cached successfully", { service, function_count: functions.length });
  }

  /** DELETE the service's rows, INSERT … ON CONFLICT DO NOTHING, in one transaction (see above). */
  private store(service: string, functions: FunctionInfo[]): void {
    if (faults.has("fix-function-registry-race")) {
      this.table.set(service, functions);
      return;
    }
    const deleted = this.deletedKeys.get(service) ?? new Set<string>();
    for (const f of this.table.get(service) ?? []) deleted.add(f.name);
    this.deletedKeys.set(service, deleted);
    this.table.set(service, functions.filter((f) => !deleted.has(f.name)));
  }

  async get(req: GetFunctionsRequest): Promise<GetFunctionsResponse> {
    const target = this.services.target(req.serviceName);
    if (!target?.monitored || uprobeFaults.functionsEmpty()) return create(GetFunctionsResponseSchema, {});
    try {
      await this.ensureIndexed(req.serviceName);
    } catch (err) {
      log.error("Failed to ensure functions indexed", { service: req.serviceName, error: (err as Error).message });
    }
    const functions = this.table.get(req.serviceName) ?? [];
    log.info("Returned cached functions", { service: req.serviceName, function_count: functions.length });
    return create(GetFunctionsResponseSchema, { functions, totalFunctions: functions.length });
  }
}
