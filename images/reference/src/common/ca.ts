// The colony's certificate authority (contract connectivity.md §1.2, §1.5, §3.3): a root CA with
// server, agent and policy-signing intermediates, all ECDSA P-256, stored as PEM files under
// `<colonydir>/ca/`. Also the two fingerprints Coral circulates (§3.3 item 6): SHA-256 over the
// root certificate's DER and SHA-256 over its PEM file.
// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its README says so).
import "reflect-metadata";
import { createHash, webcrypto } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const subtle = webcrypto.subtle;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

export interface CertAndKey {
  certPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
  certPath: string;
}

export interface ColonyCA {
  dir: string;
  root: CertAndKey;
  server: CertAndKey;
  agent: CertAndKey;
  policy: CertAndKey;
}

/** File stems under ca/, as Coral names them. */
const FILES = {
  root: "root-ca",
  server: "server-intermediate",
  agent: "agent-intermediate",
  policy: "policy-signing",
} as const;

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `CORAL_CA_FINGERPRINT` value without the `sha256:` prefix: SHA-256 of the certificate DER. */
export function derFingerprintHex(certPem: string): string {
  return sha256Hex(Buffer.from(new x509.X509Certificate(certPem).rawData));
}

/** What discovery's `caFingerprint` and the colony's `fingerprint=` log field hold: SHA-256 of the PEM file. */
export function pemFingerprint(certPem: string): Buffer {
  return createHash("sha256").update(certPem).digest();
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey("pkcs8", key));
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return subtle.importKey("pkcs8", der, EC, true, ["sign"]);
}

function caExtensions(pathLength: number | undefined): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
  ];
}

async function issueIntermediate(root: { cert: x509.X509Certificate; key: CryptoKey }, cn: string, years: number) {
  const keys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}, O=Coral`,
    issuer: root.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + years * 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: root.key,
    signingAlgorithm: SIGN,
    extensions: [...caExtensions(0), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { cert, key: keys.privateKey };
}

/** Creates root + intermediates in `<dir>` (mode 0600 files, as seen at runtime). */
export async function createColonyCA(dir: string, colonyId: string): Promise<ColonyCA> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const rootKeys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=Coral Root CA - ${colonyId}, O=Coral`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 10 * 365 * DAY_MS),
    keys: rootKeys,
    signingAlgorithm: SIGN,
    extensions: [...caExtensions(1), await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey)],
  });
  const root = { cert: rootCert, key: rootKeys.privateKey };
  const issued = {
    root,
    server: await issueIntermediate(root, `Coral Server Intermediate - ${colonyId}`, 5),
    agent: await issueIntermediate(root, `Coral Agent Intermediate - ${colonyId}`, 5),
    policy: await issueIntermediate(root, `Coral Policy Signing - ${colonyId}`, 5),
  };
  for (const [role, stem] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    writeSecret(join(dir, `${stem}.crt`), issued[role].cert.toString("pem") + "\n");
    writeSecret(join(dir, `${stem}.key`), await exportKeyPem(issued[role].key));
  }
  return loadColonyCA(dir);
}

export async function loadColonyCA(dir: string): Promise<ColonyCA> {
  const load = async (stem: string): Promise<CertAndKey> => {
    const certPath = join(dir, `${stem}.crt`);
    const certPem = readFileSync(certPath, "utf8");
    return { certPem, cert: new x509.X509Certificate(certPem), key: await importKeyPem(readFileSync(join(dir, `${stem}.key`), "utf8")), certPath };
  };
  return { dir, root: await load(FILES.root), server: await load(FILES.server), agent: await load(FILES.agent), policy: await load(FILES.policy) };
}

/** Raw root private key bytes: the secret the bootstrap PSK encryption key is derived from. */
export async function rootKeyMaterial(ca: ColonyCA): Promise<Buffer> {
  return Buffer.from(await subtle.exportKey("pkcs8", ca.root.key));
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(":");
}

/** The :8443 certificate (§1.5): CN colony.<id>; SANs localhost, <id>, the spiffe URI, plus host unless 0.0.0.0. */
export async function issueServerCertificate(ca: ColonyCA, colonyId: string, host: string): Promise<{ chainPem: string; keyPem: string }> {
  const keys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    { type: "dns", value: "localhost" },
    { type: "dns", value: colonyId },
    { type: "url", value: `spiffe://coral/colony/${colonyId}` },
  ];
  if (host && host !== "0.0.0.0") names.push({ type: isIp(host) ? "ip" : "dns", value: host });
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=colony.${colonyId}, O=Coral`,
    issuer: ca.server.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.server.key,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  // Root last: the agent checks that the chain's last certificate is the CA it has the fingerprint of.
  const chainPem = [cert.toString("pem"), ca.server.certPem.trim(), ca.root.certPem.trim()].join("\n") + "\n";
  return { chainPem, keyPem: await exportKeyPem(keys.privateKey) };
}

/** Common name of a PEM CSR, after checking its self-signature. */
export async function parseCsr(csrPem: string): Promise<{ csr: x509.Pkcs10CertificateRequest; commonName: string }> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error("invalid CSR signature");
  const cn = csr.subjectName.getField("CN")[0] ?? "";
  return { csr, commonName: cn };
}

/** Agent certificate from the agent intermediate (§3.3: 90 days, spiffe URI SAN). */
export async function issueAgentCertificate(
  ca: ColonyCA,
  csr: x509.Pkcs10CertificateRequest,
  colonyId: string,
  agentId: string,
  days = 90,
): Promise<{ certPem: string; caChainPem: string; serialNumber: string; notAfter: Date }> {
  const notAfter = new Date(Date.now() + days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    subject: csr.subject,
    issuer: ca.agent.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.agent.key,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: `spiffe://coral/colony/${colonyId}/agent/${agentId}` }]),
    ],
  });
  return {
    certPem: cert.toString("pem") + "\n",
    caChainPem: [ca.agent.certPem.trim(), ca.root.certPem.trim()].join("\n") + "\n",
    serialNumber: cert.serialNumber,
    notAfter,
  };
}
