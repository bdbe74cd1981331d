/**
 * `GET /docs`: the management API's reference, rendered by Swagger UI from `/openapi.json`.
 * Swagger UI's files come from the installed `swagger-ui-dist` package and are served by the
 * gateway itself (no CDN: the page works on a network with no internet access). Public, like
 * `/openapi.json`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard API reference</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<main id="api-reference"></main>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** Kept in a file of its own (not inline), so a strict Content-Security-Policy can forbid inline scripts. */
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#api-reference", deepLinking: true, persistAuthorization: false });\n`;

export function docsRoutes(): Hono {
  const app = new Hono();
  const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Buffer>();
  const headers = { "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  app.get("/docs", (c) => c.html(PAGE, 200, headers));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" }));
  app.get("/docs/:file", (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.notFound();
    let body = cache.get(file);
    if (!body) cache.set(file, (body = readFileSync(join(dir, file))));
    return c.body(new Uint8Array(body), 200, { ...headers, "content-type": type });
  });
  return app;
}
