// ColonyService/RequestCertificate: the agent bootstrap gate (contract §3.3 item 2.4 and 3).
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { RequestCertificateResponseSchema, type RequestCertificateRequest } from "../../../../proto/gen/coral/colony/v1/colony_pb.js";
import { issueAgentCertificate, parseCsr } from "../common/ca.js";
import { faults } from "../common/faults.js";
import { log } from "../common/log.js";
import { kRawRequest, peerAddr, type ColonyContext } from "./context.js";
import { pskMatches } from "./psk.js";
import { ReferralTicketVerifier } from "./referral-ticket.js";

const EVENT_REJECTED = "bootstrap_certificate_request_rejected";

function rejected(message: string, reason: string, code: Code, fields: Record<string, unknown> = {}): ConnectError {
  log.warn(`Certificate request rejected: ${message}`, { ...fields, event: EVENT_REJECTED, reason });
  return new ConnectError(message, code);
}

export function certificateRequestHandler(ctx: ColonyContext) {
  const tickets = new ReferralTicketVerifier(ctx.discoveryUrl);
  return async (req: RequestCertificateRequest, hctx: HandlerContext) => {
    log.info("Certificate request received", { remote_addr: peerAddr(hctx.values.get(kRawRequest)), event: "bootstrap_certificate_request_received" });
    if (!req.jwt) throw rejected("jwt is required", "missing_jwt", Code.InvalidArgument);
    if (req.csr.length === 0) throw rejected("csr is required", "missing_csr", Code.InvalidArgument);

    let claims;
    try {
      claims = await tickets.verify(req.jwt);
    } catch (err) {
      throw rejected(`invalid referral ticket: ${(err as Error).message}`, "invalid_referral_ticket", Code.Unauthenticated);
    }
    const agentId = claims.agent_id ?? "";
    if (claims.colony_id !== ctx.colonyId) {
      throw rejected("colony ID mismatch", "colony_id_mismatch", Code.PermissionDenied, { agent_id: agentId, ticket_colony_id: claims.colony_id });
    }
    if (!req.bootstrapPsk) throw rejected("bootstrap PSK is required", "missing_bootstrap_psk", Code.PermissionDenied, { agent_id: agentId });
    if (!pskMatches(ctx.psk, req.bootstrapPsk) && !faults.has("accept-any-psk")) {
      throw rejected("invalid bootstrap PSK", "invalid_bootstrap_psk", Code.PermissionDenied, { agent_id: agentId });
    }

    let issued;
    try {
      const { csr, commonName } = await parseCsr(Buffer.from(req.csr).toString("utf8"));
      const expected = `agent.${agentId}.${ctx.colonyId}`;
      if (commonName !== expected) throw new Error(`CSR common name mismatch: expected ${expected}, got ${commonName}`);
      issued = await issueAgentCertificate(ctx.ca, csr, ctx.colonyId, agentId);
    } catch (err) {
      log.error("Failed to issue certificate", { agent_id: agentId, error: err, event: "bootstrap_certificate_issue_failed" });
      throw new ConnectError(`failed to issue certificate: ${(err as Error).message}`, Code.Internal);
    }
    ctx.certificates.record({
      serial_number: issued.serialNumber,
      agent_id: agentId,
      colony_id: ctx.colonyId,
      expires_at: issued.notAfter.toISOString(),
    });
    log.info("Certificate issued successfully", {
      agent_id: agentId,
      serial_number: issued.serialNumber,
      auth_method: "psk",
      expires_at: issued.notAfter.toISOString(),
      event: "bootstrap_certificate_issued",
    });
    return create(RequestCertificateResponseSchema, {
      certificate: Buffer.from(issued.certPem),
      caChain: Buffer.from(issued.caChainPem),
      expiresAt: BigInt(Math.floor(issued.notAfter.getTime() / 1000)),
    });
  };
}
