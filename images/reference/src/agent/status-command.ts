// `coral-agent status [-o json]` (contract connectivity.md §1.6, §4.2): GetRuntimeContext on the
// local agent API plus the certificate on disk. Exits 0 whenever the agent answers, even while the
// colony is down.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AgentService, type RuntimeContextResponse } from "../../../../proto/gen/coral/agent/v1/agent_pb.js";
import { readAgentCertificate } from "./certs.js";
import { AGENT_API_PORT, configBase } from "./config.js";
import { errorText, FatalError } from "./errors.js";
import { runtimeContextGoJson } from "./go-json.js";
import { join } from "node:path";

const STATUS_TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;

function certificateSection(): Record<string, unknown> | undefined {
  const certsDir = process.env.CORAL_CERTS_DIR || join(configBase(), ".coral", "certs");
  const info = readAgentCertificate(certsDir);
  if (!info) return undefined;
  const spiffe = /^spiffe:\/\/coral\/colony\/([^/]+)\/agent\/(.+)$/.exec(info.spiffeId);
  const notAfter = new Date(info.cert.validTo);
  const daysRemaining = Math.floor((notAfter.getTime() - Date.now()) / DAY_MS);
  return {
    agent_id: spiffe?.[2] ?? "",
    colony_id: spiffe?.[1] ?? "",
    spiffe_id: info.spiffeId,
    serial_number: info.serial,
    issuer: info.cert.issuer.replace(/\n/g, ","),
    not_before: new Date(info.cert.validFrom).toISOString(),
    not_after: notAfter.toISOString(),
    days_remaining: daysRemaining,
    status: daysRemaining < 0 ? "expired" : daysRemaining < 30 ? "expiring" : "valid",
  };
}

function wireguardSection(ctx: RuntimeContextResponse): Record<string, unknown> {
  const wg = runtimeContextGoJson(ctx).wireguard as Record<string, unknown> | undefined;
  return {
    mesh_ip: wg?.mesh_ip,
    mesh_subnet: wg?.mesh_subnet,
    listen_port: wg?.listen_port,
    endpoints: wg?.endpoints,
    status: wg?.status,
  };
}

function printText(ctx: RuntimeContextResponse, cert: Record<string, unknown> | undefined): void {
  const wg = ctx.wireguard;
  const lines = [
    "Agent Status",
    `  Agent ID:     ${ctx.agentId}`,
    `  Version:      ${ctx.version}`,
    `  Platform:     ${ctx.platform?.os}/${ctx.platform?.arch} (kernel ${ctx.platform?.kernel})`,
    "",
    "WireGuard",
    `  Mesh IP:      ${wg?.meshIp || "-"}`,
    `  Mesh subnet:  ${wg?.meshSubnet || "-"}`,
    `  Listen port:  ${wg?.listenPort ?? 0}`,
    `  Interface:    ${wg?.status?.interfaceExists ? `wg0 (${wg.status.linkStatus})` : "wg0 (missing)"}`,
    `  Peers:        ${wg?.status?.peers.length ?? 0}`,
  ];
  for (const peer of wg?.status?.peers ?? []) {
    lines.push(`    ${peer.publicKey.slice(0, 16)}... endpoint=${peer.endpoint || "-"} rx=${peer.rxBytes} tx=${peer.txBytes} handshake=${peer.lastHandshakeTime}`);
  }
  if (cert) {
    lines.push("", "Certificate", `  SPIFFE ID:    ${cert.spiffe_id}`, `  Expires:      ${cert.not_after} (${cert.days_remaining} days)`, `  Status:       ${cert.status}`);
  }
  console.log(lines.join("\n"));
}

export async function statusCommand(output: string): Promise<void> {
  const transport = createConnectTransport({ baseUrl: `http://localhost:${AGENT_API_PORT}`, httpVersion: "1.1", useBinaryFormat: true });
  let ctx: RuntimeContextResponse;
  try {
    ctx = await createClient(AgentService, transport).getRuntimeContext({}, { timeoutMs: STATUS_TIMEOUT_MS });
  } catch (err) {
    throw new FatalError(`failed to get agent status: ${errorText(err)} (is the agent running?)`);
  }
  const cert = certificateSection();
  if (output === "json") {
    const doc: Record<string, unknown> = { runtime_context: runtimeContextGoJson(ctx), wireguard: wireguardSection(ctx) };
    delete (doc.runtime_context as Record<string, unknown>).wireguard;
    if (cert) doc.certificate = cert;
    console.log(JSON.stringify(doc, null, 2));
  } else printText(ctx, cert);
}
