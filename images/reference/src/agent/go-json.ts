// Go `encoding/json` renderings of proto messages, as Coral prints them in `/status` and
// `status -o json` (contract connectivity.md §1.6, §6.13): snake_case keys, integer enums, zero
// values omitted, int64 as numbers and timestamps as {seconds,nanos}.
import { toJson } from "@bufbuild/protobuf";
import { RuntimeContextResponseSchema, type RuntimeContextResponse } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";

type JsonObject = Record<string, unknown>;

export function runtimeContextGoJson(ctx: RuntimeContextResponse): JsonObject {
  const json = toJson(RuntimeContextResponseSchema, ctx, { useProtoFieldName: true, enumAsInteger: true }) as JsonObject;
  if (ctx.detectedAt) {
    const ts: JsonObject = {};
    if (ctx.detectedAt.seconds !== 0n) ts.seconds = Number(ctx.detectedAt.seconds);
    if (ctx.detectedAt.nanos !== 0) ts.nanos = ctx.detectedAt.nanos;
    json.detected_at = ts;
  }
  const peers = ((json.wireguard as JsonObject | undefined)?.status as JsonObject | undefined)?.peers as JsonObject[] | undefined;
  for (const peer of peers ?? []) {
    for (const key of ["rx_bytes", "tx_bytes"]) if (typeof peer[key] === "string") peer[key] = Number(peer[key]);
  }
  return json;
}
