// Fault switches that send one field of a Connect JSON answer in another shape, as a future Coral
// might: the answer is produced by the same routes as ever (in process), turned into JSON, and one
// field rewritten on its way out. Binary and gRPC answers (the colony's polls) are never drifted.
import { fromJsonString, toJson, type DescMethodUnary } from "@bufbuild/protobuf";
import { ConnectError, createClient, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./http-body.js";

type Json = Record<string, unknown>;

export interface Drift {
  method: DescMethodUnary;
  /** Rewrites the answer's JSON in place. */
  rewrite(answer: Json): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** `handler`, except that JSON calls of a drifted method get the rewritten answer. */
export function withDrifts(routes: (router: ConnectRouter) => void, drifts: Drift[], handler: Handler): Handler {
  if (drifts.length === 0) return handler;
  const transport = createRouterTransport(routes);
  const byPath = new Map(drifts.map((d) => [`/${d.method.parent.typeName}/${d.method.name}`, d]));
  return (req, res) => {
    const drift = byPath.get((req.url ?? "").split("?")[0] ?? "");
    if (!drift || req.method !== "POST" || !/^application\/json/.test(req.headers["content-type"] ?? "")) return handler(req, res);
    void answerDrifted(transport, drift, req, res);
  };
}

async function answerDrifted(transport: ReturnType<typeof createRouterTransport>, drift: Drift, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let status = 200;
  let body: string;
  try {
    const input = fromJsonString(drift.method.input, (await readBody(req, 4 << 20)).toString("utf8") || "{}", { ignoreUnknownFields: true });
    const client = createClient(drift.method.parent, transport) as unknown as Record<string, (input: unknown) => Promise<never>>;
    const answer = toJson(drift.method.output, await client[drift.method.localName]!(input)) as Json;
    drift.rewrite(answer);
    body = JSON.stringify(answer);
  } catch (err) {
    status = 500;
    body = JSON.stringify({ code: "internal", message: ConnectError.from(err).rawMessage });
  }
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
