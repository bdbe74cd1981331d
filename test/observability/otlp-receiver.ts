/** A local OTLP/HTTP receiver for tests: accepts POST /v1/traces in OTLP's JSON encoding and keeps the spans. */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { closeServer, listen, readBody } from "../support/fake-server.js";

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  status: { code?: number; message?: string };
  startTimeUnixNano: string;
  resource: Record<string, string | number | boolean | undefined>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  requests: Array<{ headers: IncomingHttpHeaders; contentType: string | undefined }>;
  close(): Promise<void>;
}

function plain(v: AnyValue): string | number | boolean | undefined {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attrs(list: Array<{ key: string; value: AnyValue }> | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver["requests"] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      requests.push({ headers: req.headers, contentType: req.headers["content-type"] });
      const doc = JSON.parse(body.toString("utf8")) as {
        resourceSpans: Array<{
          resource?: { attributes?: Array<{ key: string; value: AnyValue }> };
          scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, "attributes" | "resource"> & { attributes?: Array<{ key: string; value: AnyValue }> }> }>;
        }>;
      };
      for (const rs of doc.resourceSpans) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, attributes: attrs(s.attributes), status: s.status ?? {}, resource });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, spans, requests, close: () => closeServer(server) };
}
