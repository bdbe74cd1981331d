/**
 * A small client of the management API (the CLI's only way in: it never opens the database).
 * Errors come back as ManagementApiError carrying the server's envelope.
 */
export interface ManagementClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  masterKey: string;
  fetch?: typeof fetch;
}

export class ManagementApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ManagementApiError";
  }
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  next_cursor: string | null;
}

export class ManagementClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ManagementClientOptions) {
    this.base = opts.url.replace(/\/+$/, "");
    this.fetch = opts.fetch ?? fetch;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { res, text } = await this.send(method, path, body, "application/json");
    const parsed = parseJson(text);
    if (parsed === undefined) throw new ManagementApiError(`the gateway answered ${method} ${path} with a body that is not JSON`, res.status);
    return parsed as T;
  }

  /** A response body as text (CSV exports). */
  async text(method: string, path: string): Promise<string> {
    return (await this.send(method, path, undefined, "text/csv, */*")).text;
  }

  private async send(method: string, path: string, body: unknown, accept: string): Promise<{ res: Response; text: string }> {
    let res: Response;
    try {
      res = await this.fetch(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.masterKey}`,
          accept,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ManagementApiError(`cannot reach the gateway at ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, null);
    }
    const text = await res.text();
    if (!res.ok) {
      const err = (parseJson(text) as { error?: { message?: string; code?: string; param?: string | null } } | undefined)?.error;
      throw new ManagementApiError(
        `${err?.message ?? (text.slice(0, 200) || res.statusText)} (HTTP ${res.status}${err?.code ? ` ${err.code}` : ""})`,
        res.status,
        err?.code ?? null,
        err?.param ?? null,
      );
    }
    return { res, text };
  }

  /** Every item of a list, following `next_cursor`; `query` without `limit`/`cursor`. */
  async listAll<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ ...query, limit: "200", ...(cursor ? { cursor } : {}) });
      const page: ListPage<T> = await this.request<ListPage<T>>("GET", `${path}?${params.toString()}`);
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
