// The referral-ticket signer (contract connectivity.md §2.2, §3.3): EdDSA JWTs with a 60 s TTL and
// the JWKS that colonies fetch to verify them. The real image bakes one fixed key into `.dev.vars`,
// so every discovery container signs with the same key; the reference derives its own fixed key
// from a constant seed for the same effect.
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from "node:crypto";

export const SIGNING_KEY_ID = "01H7X0X7X0X7X0X7X0X7X0X7X0";
export const BOOTSTRAP_TOKEN_TTL_SECONDS = 60;

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function fixedPrivateKey(): KeyObject {
  const seed = createHash("sha256").update("coral-e2e reference discovery signing key v1").digest();
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

const privateKey = fixedPrivateKey();
const publicJwk = createPublicKey(privateKey).export({ format: "jwk" }) as { x: string };

const base64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

export interface TicketClaims {
  reefId: string;
  colonyId: string;
  agentId: string;
  intent: string;
}

export function signBootstrapToken(claims: TicketClaims, nowMs = Date.now()): { jwt: string; expiresAt: number } {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + BOOTSTRAP_TOKEN_TTL_SECONDS;
  const header = { alg: "EdDSA", typ: "JWT", kid: SIGNING_KEY_ID };
  const payload = {
    jti: randomUUID(),
    iss: "coral-discovery",
    aud: ["coral-colony"],
    iat,
    exp,
    reef_id: claims.reefId,
    colony_id: claims.colonyId,
    agent_id: claims.agentId,
    intent: claims.intent,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign(null, Buffer.from(signingInput), privateKey);
  return { jwt: `${signingInput}.${base64url(signature)}`, expiresAt: exp };
}

export function jwks(): { keys: Array<Record<string, string>> } {
  return { keys: [{ kid: SIGNING_KEY_ID, kty: "OKP", crv: "Ed25519", x: publicJwk.x, use: "sig", alg: "EdDSA" }] };
}
