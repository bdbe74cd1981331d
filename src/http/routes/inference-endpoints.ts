/**
 * Which requests are inference requests (the hot path, served without the web framework), and
 * the Node `http` listener that sends them to the inference handler and everything else
 * (management, models, probes) to hono.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Runtime } from "../../pipeline/context.js";
import { NodeInbound, NodeReply } from "../../net/reply.js";
import { serveInference, type Endpoint } from "./inference.js";

const INFERENCE: Record<string, Endpoint> = {
  "/v1/chat/completions": "chat",
  "/chat/completions": "chat",
  "/v1/embeddings": "embeddings",
  "/embeddings": "embeddings",
};

/** The inference endpoint a request is for, if any (the query string is ignored). */
export function inferenceEndpoint(method: string | undefined, url: string): Endpoint | undefined {
  if (method !== "POST") return undefined;
  const q = url.indexOf("?");
  return INFERENCE[q < 0 ? url : url.slice(0, q)];
}

export function routeRequests(rt: Runtime, other: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const endpoint = inferenceEndpoint(req.method, req.url ?? "");
    if (endpoint) void serveInference(rt, endpoint, new NodeInbound(req), new NodeReply(res));
    else void other(req, res);
  };
}
