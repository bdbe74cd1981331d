/**
 * The standard OpenTelemetry variables, as fallbacks for the `observability:` section: a value
 * written in the file wins; the variable is used when the file leaves the setting out.
 * OTEL_EXPORTER_OTLP_ENDPOINT (the base URL, `/v1/traces` appended), OTEL_EXPORTER_OTLP_HEADERS
 * (`key=value,key2=value2`, values percent-encoded) and OTEL_SERVICE_NAME.
 */
import { isPlainObject, setOwn } from "./interpolate.js";
import type { ConfigProblem } from "./problems.js";
import type { EnvSnapshot } from "./types.js";

export function applyOtelEnv(raw: Record<string, unknown>, env: EnvSnapshot, problems: ConfigProblem[]): void {
  const endpoint = env.nonEmpty("OTEL_EXPORTER_OTLP_ENDPOINT");
  const headers = env.nonEmpty("OTEL_EXPORTER_OTLP_HEADERS");
  const service = env.nonEmpty("OTEL_SERVICE_NAME");
  if (endpoint === undefined && headers === undefined && service === undefined) return;
  if (raw.observability === undefined) setOwn(raw, "observability", {});
  const section = raw.observability;
  if (!isPlainObject(section)) return; // a wrong type is reported by the schema
  if (endpoint !== undefined && isUnset(section.otlp_endpoint)) {
    if (URL.canParse(endpoint) && /^https?:$/.test(new URL(endpoint).protocol)) section.otlp_endpoint = endpoint;
    else problems.push({ path: "OTEL_EXPORTER_OTLP_ENDPOINT", message: `expected an http:// or https:// URL, got ${JSON.stringify(endpoint.slice(0, 200))}` });
  }
  if (headers !== undefined && isUnset(section.otlp_headers)) {
    const parsed = parseHeaderList(headers);
    if (typeof parsed === "string") problems.push({ path: "OTEL_EXPORTER_OTLP_HEADERS", message: parsed });
    else section.otlp_headers = parsed;
  }
  if (service !== undefined && isUnset(section.service_name)) section.service_name = service;
}

function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

/** `key=value,key2=value2` (values percent-decoded) → headers; a string says what is wrong. */
export function parseHeaderList(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq).trim() : "";
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return `expected key=value pairs separated by commas, got an entry without a valid header name (${JSON.stringify(item.slice(0, 40))}…)`;
    let value: string;
    try {
      value = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      return `the value of '${name}' is not valid percent-encoding`;
    }
    if (/[\r\n\0]/.test(value)) return `the value of '${name}' holds a line break`;
    out[name] = value;
  }
  return out;
}
