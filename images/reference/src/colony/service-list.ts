// ColonyService/ListServices (contract observability.md §3.4): services the service poller saw on an
// agent (REGISTERED, always ACTIVE), names only in beyla_http_metrics (OBSERVED), both (VERIFIED).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ListServicesResponseSchema,
  ServiceSource,
  ServiceStatus,
  ServiceSummarySchema,
  type ListServicesRequest,
  type ServiceSummary,
} from "../../../../proto/gen/coral/colony/v1/queries_pb.js";
import type { ColonyDatabase } from "./database.js";
import { timestampParam } from "./span-summaries.js";
import { windowStart } from "./time-range.js";

export async function listColonyServices(db: ColonyDatabase, req: ListServicesRequest) {
  const since = timestampParam(windowStart(req.timeRange));
  const reader = await db.read(
    `WITH registered AS (
       SELECT name, count(DISTINCT agent_id) AS instances, epoch_ms(max(last_seen)) AS last_ms, min(agent_id) AS agent_id
         FROM services WHERE last_seen >= ? GROUP BY name),
     observed AS (
       SELECT service_name AS name, count(DISTINCT agent_id) AS instances, epoch_ms(max(timestamp)) AS last_ms
         FROM beyla_http_metrics WHERE timestamp >= ? GROUP BY service_name)
     SELECT coalesce(r.name, o.name) AS name, coalesce(r.instances, o.instances) AS instances,
            greatest(r.last_ms, o.last_ms) AS last_ms, r.agent_id, r.name IS NOT NULL AS is_registered,
            o.name IS NOT NULL AS is_observed
       FROM registered r FULL OUTER JOIN observed o ON r.name = o.name
      ORDER BY 1`,
    [since, since],
  );
  const services: ServiceSummary[] = [];
  for (const r of reader.getRowObjectsJS()) {
    const source = r.is_registered && r.is_observed ? ServiceSource.VERIFIED : r.is_registered ? ServiceSource.REGISTERED : ServiceSource.OBSERVED;
    if (req.sourceFilter !== undefined && req.sourceFilter !== ServiceSource.UNSPECIFIED && req.sourceFilter !== source) continue;
    services.push(
      create(ServiceSummarySchema, {
        name: String(r.name),
        instanceCount: Number(r.instances),
        lastSeen: timestampFromMs(Number(r.last_ms)),
        source,
        status: r.is_registered ? ServiceStatus.ACTIVE : ServiceStatus.OBSERVED_ONLY,
        agentId: r.agent_id ? String(r.agent_id) : undefined,
      }),
    );
  }
  return create(ListServicesResponseSchema, { services });
}
