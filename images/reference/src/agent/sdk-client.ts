// The agent's side of the SDK debug HTTP contract (contract observability.md §6.3): capabilities at
// connect time and after the first health check, one function's metadata per uprobe attach, and the
// gzip'd NDJSON export for the function registry. Plain HTTP/1.1 GETs with short timeouts.
import { gunzipSync } from "node:zlib";

const SDK_TIMEOUT_MS = 3_000;
const EXPORT_TIMEOUT_MS = 15_000;
export const DEFAULT_SDK_ADDR = "localhost:9002";

export interface SdkCapabilities {
  addr: string;
  pid: number;
  version: string;
  hasDwarf: boolean;
  functionCount: number;
  binaryPath: string;
  binaryHash: string;
}

export interface SdkFunction {
  name: string;
  offset: number;
  file?: string;
  line?: number;
  size_bytes?: number;
  has_size?: boolean;
  pid?: number;
  binary_path?: string;
}

async function get(addr: string, path: string, timeoutMs = SDK_TIMEOUT_MS): Promise<Response> {
  return fetch(`http://${addr}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
}

/** undefined = no SDK there (refused, timeout, non-200), as Coral treats it. */
export async function fetchCapabilities(addr: string): Promise<SdkCapabilities | undefined> {
  try {
    const res = await get(addr, "/debug/capabilities");
    if (res.status !== 200) return undefined;
    const doc = (await res.json()) as Record<string, unknown>;
    return {
      addr,
      pid: Number(doc.process_id) || 0,
      version: String(doc.sdk_version ?? ""),
      hasDwarf: doc.has_dwarf_symbols === true,
      functionCount: Number(doc.function_count) || 0,
      binaryPath: String(doc.binary_path ?? ""),
      binaryHash: String(doc.binary_hash ?? ""),
    };
  } catch {
    return undefined;
  }
}

/** GET /debug/functions/<name>; a 404 carries the SDK's own text. */
export async function fetchFunction(addr: string, name: string): Promise<SdkFunction> {
  const res = await get(addr, `/debug/functions/${encodeURIComponent(name)}`);
  if (res.status !== 200) throw new Error(`SDK at ${addr} answered ${res.status}: ${(await res.text()).trim()}`);
  return (await res.json()) as SdkFunction;
}

export async function fetchFunctionExport(addr: string): Promise<SdkFunction[]> {
  const res = await get(addr, "/debug/functions/export?format=ndjson", EXPORT_TIMEOUT_MS);
  if (res.status !== 200) throw new Error(`SDK export at ${addr} answered ${res.status}`);
  let body = Buffer.from(await res.arrayBuffer());
  const gzipped = /gzip/.test(res.headers.get("content-type") ?? "") || /gzip/.test(res.headers.get("content-encoding") ?? "");
  // fetch already undoes Content-Encoding; only a gzip payload type is still compressed.
  if (gzipped && body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
  return body
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as SdkFunction);
}
