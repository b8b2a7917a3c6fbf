// The agent's certificate files under ~/.coral/certs (contract connectivity.md §3.3 item 2.5):
// agent.crt, agent.key, root-ca.crt, ca-chain.crt and agent-id, and the CSR the bootstrap sends.
import { createHash, webcrypto, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

export const agentSpiffeId = (colonyId: string, agentId: string): string => `spiffe://coral/colony/${colonyId}/agent/${agentId}`;
export const colonySpiffeId = (colonyId: string): string => `spiffe://coral/colony/${colonyId}`;
export const agentCommonName = (colonyId: string, agentId: string): string => `agent.${agentId}.${colonyId}`;

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  rootCaPem: string;
  caChainPem: string;
}

const paths = (certsDir: string) => ({
  cert: join(certsDir, "agent.crt"),
  key: join(certsDir, "agent.key"),
  rootCa: join(certsDir, "root-ca.crt"),
  caChain: join(certsDir, "ca-chain.crt"),
  agentId: join(certsDir, "agent-id"),
});

function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function saveCertificates(certsDir: string, agentId: string, issued: IssuedCertificate): void {
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  const p = paths(certsDir);
  writePrivate(p.cert, issued.certificatePem);
  writePrivate(p.key, issued.privateKeyPem);
  writePrivate(p.rootCa, issued.rootCaPem);
  writePrivate(p.caChain, issued.caChainPem);
  writePrivate(p.agentId, agentId + "\n");
}

export interface CertificateInfo {
  pem: string;
  cert: X509Certificate;
  sha256: string;
  serial: string;
  spiffeId: string;
}

export function readAgentCertificate(certsDir: string): CertificateInfo | undefined {
  const path = paths(certsDir).cert;
  if (!existsSync(path)) return undefined;
  try {
    const pem = readFileSync(path, "utf8");
    const cert = new X509Certificate(pem);
    const spiffeId = /URI:(spiffe:\/\/[^,\s]+)/.exec(cert.subjectAltName ?? "")?.[1] ?? "";
    return { pem, cert, sha256: createHash("sha256").update(cert.raw).digest("hex"), serial: cert.serialNumber.toLowerCase(), spiffeId };
  } catch {
    return undefined;
  }
}

/** A certificate for this agent and colony that is not expired. */
export function isValidFor(info: CertificateInfo, colonyId: string, agentId: string, nowMs = Date.now()): boolean {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(info.cert.subject)?.[1];
  return cn === agentCommonName(colonyId, agentId) && Date.parse(info.cert.validTo) > nowMs && Date.parse(info.cert.validFrom) <= nowMs + 60_000;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export async function createCsr(colonyId: string, agentId: string): Promise<{ csrPem: string; privateKeyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${agentCommonName(colonyId, agentId)}`,
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]["keys"],
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: agentSpiffeId(colonyId, agentId) }])],
  });
  const privateKeyPem = toPem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { csrPem: csr.toString("pem") + "\n", privateKeyPem };
}
