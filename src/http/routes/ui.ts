/**
 * `/ui`: the admin dashboard, a single-page app built by Vite into `dist/ui` and served from
 * memory (every file read once, on the first request). Hashed assets under `/ui/assets/` are
 * cached for a year; everything else is revalidated. Any other `/ui/...` path that is not a file
 * answers index.html, so the app's own routes survive a reload. Every answer carries a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { GatewayError, openAIEnvelope } from "../../core/errors.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

const SECURITY = { "content-security-policy": UI_CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY" };
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Files of a larger build are not held in memory. */
const MAX_FILES = 500;

interface UiFile {
  body: Uint8Array;
  type: string;
}

/** The directory of the built dashboard: `dist/ui` of the package this module belongs to. */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "dist", "ui");
}

function loadFiles(root: string): Map<string, UiFile> | null {
  if (!existsSync(join(root, "index.html"))) return null;
  const files = new Map<string, UiFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (files.size < MAX_FILES) files.set(relative(root, full).split(sep).join("/"), { body: new Uint8Array(readFileSync(full)), type: TYPES[extname(name)] ?? "application/octet-stream" });
    }
  };
  walk(root);
  return files;
}

export function uiRoutes(root = defaultUiDir()): Hono {
  const app = new Hono();
  let files: Map<string, UiFile> | null | undefined;
  const serve = (path: string) => {
    files ??= loadFiles(root);
    if (!files) {
      const err = new GatewayError("not_found", "the dashboard is not built: run `npm run build` (it builds dashboard/ into dist/ui)");
      return new Response(JSON.stringify(openAIEnvelope(err)), { status: 404, headers: { "content-type": "application/json", ...SECURITY } });
    }
    const file = path ? files.get(path) : undefined;
    if (file) {
      const cache = path.startsWith("assets/") ? IMMUTABLE : "no-cache";
      return new Response(file.body, { status: 200, headers: { "content-type": file.type, "cache-control": cache, ...SECURITY } });
    }
    if (path.startsWith("assets/") || extname(path) !== "") {
      const err = new GatewayError("not_found", `no dashboard file /ui/${path}`);
      return new Response(JSON.stringify(openAIEnvelope(err)), { status: 404, headers: { "content-type": "application/json", ...SECURITY } });
    }
    const index = files.get("index.html")!;
    return new Response(index.body, { status: 200, headers: { "content-type": index.type, "cache-control": "no-cache", ...SECURITY } });
  };
  app.get("/ui", () => serve(""));
  app.get("/ui/", () => serve(""));
  app.get("/ui/*", (c) => {
    const path = c.req.path.slice("/ui/".length);
    // The dashboard's own API is not part of the app: an unknown /ui/api path is a 404, not the page.
    if (path === "api" || path.startsWith("api/")) return c.json(openAIEnvelope(new GatewayError("not_found", `no route for ${c.req.method} ${c.req.path}`)), 404);
    return serve(path);
  });
  return app;
}
