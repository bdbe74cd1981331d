/**
 * The hot path skips the web framework: inference requests go straight from Node's request
 * listener to the pipeline; everything else (management, models, probes, UI) goes to hono.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Runtime } from "../../pipeline/context.js";
import { handleInference, type Endpoint } from "./inference.js";

const INFERENCE: Record<string, Endpoint> = {
  "/v1/chat/completions": "chat",
  "/chat/completions": "chat",
  "/v1/embeddings": "embeddings",
  "/embeddings": "embeddings",
};

export function routeRequests(rt: Runtime, other: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === "POST") {
      const url = req.url ?? "";
      const q = url.indexOf("?");
      const endpoint = INFERENCE[q < 0 ? url : url.slice(0, q)];
      if (endpoint) {
        void handleInference(rt, endpoint, req, res);
        return;
      }
    }
    void other(req, res);
  };
}
