/** The transport the `upstream.transport` setting names (see ./transport.ts). */
import { FastTransport } from "./fast-transport.js";
import type { TransportKind, TransportOptions, UpstreamTransport } from "./transport.js";
import { UndiciTransport } from "./undici-transport.js";

export function createTransport(kind: TransportKind, o: TransportOptions): UpstreamTransport {
  return kind === "undici" ? new UndiciTransport(o) : new FastTransport(o);
}
