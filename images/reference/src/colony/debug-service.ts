// coral.colony.v1.ColonyDebugService (contract observability.md §3.5), served on :9000 only, as Coral
// does: on-demand and historical CPU profiles, uprobe debug sessions, the function registry.
import type { ServiceImpl } from "@connectrpc/connect";
import type { ColonyDebugService } from "../../../../proto/gen/coral/colony/v1/debug_pb.js";
import type { ColonyDatabase } from "./database.js";
import { queryFunctions } from "./function-query.js";
import { profileCPU, queryHistoricalCPUProfile } from "./profile-rpcs.js";
import type { Registry } from "./registry.js";
import { attachUprobe, detachUprobe, getDebugResults, listDebugSessions, queryUprobeEvents } from "./uprobe-rpcs.js";

export function debugServiceImpl(db: ColonyDatabase, registry: Registry): Partial<ServiceImpl<typeof ColonyDebugService>> {
  return {
    profileCPU: (req) => profileCPU(registry, req),
    queryHistoricalCPUProfile: (req) => queryHistoricalCPUProfile(db, req),
    attachUprobe: (req) => attachUprobe(db, registry, req),
    detachUprobe: (req) => detachUprobe(db, registry, req),
    queryUprobeEvents: (req) => queryUprobeEvents(db, registry, req),
    getDebugResults: (req) => getDebugResults(db, req),
    listDebugSessions: (req) => listDebugSessions(db, req),
    queryFunctions: (req) => queryFunctions(db, req),
  };
}
