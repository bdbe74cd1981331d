/**
 * deploy/compose.yaml read as YAML (anchors and merge keys resolved, as Compose does) and
 * checked for what running several gateways needs; deploy/nginx.conf names both gateways; the
 * configuration file the gateways mount loads with the environment Compose gives them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { knownProviderTypes, providerSettingNames } from "../../src/providers/registry.js";

const deploy = fileURLToPath(new URL("../../deploy/", import.meta.url));
const read = (name: string) => readFileSync(join(deploy, name), "utf8");

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

const compose = parse(read("compose.yaml"), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const gateways = Object.keys(services).filter((n) => /^gateway-\d+$/.test(n));
const env = Object.fromEntries(
  read(".env.example")
    .split("\n")
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message} from the env file. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = env[name];
    if (v !== undefined && v !== "") return v;
    if (op === "?") throw new Error(`${name}: ${arg}`);
    return op === "-" ? arg : "";
  });
}

/** "<source>:<target>[:ro]" → target → source. */
function mounts(s: Service): Record<string, string> {
  return Object.fromEntries((s.volumes ?? []).map((v) => v.split(":")).map(([src, target]) => [target, src]));
}

describe("deploy/compose.yaml", () => {
  it("has two gateways, the load balancer, PostgreSQL and Redis, each with a health check", () => {
    expect(gateways).toEqual(["gateway-1", "gateway-2"]);
    expect(Object.keys(services).sort()).toEqual(["gateway-1", "gateway-2", "lb", "postgres", "redis"]);
    for (const [name, s] of Object.entries(services)) {
      expect(s.healthcheck?.test[0], name).toBe("CMD");
      expect(s.healthcheck!.test.length, name).toBeGreaterThan(1);
    }
    expect(services.postgres.healthcheck!.test.slice(1, 2)).toEqual(["pg_isready"]);
    expect(services.redis.healthcheck!.test.slice(1)).toEqual(["redis-cli", "ping"]);
  });

  it("starts each service after what it needs is healthy", () => {
    for (const g of gateways) expect(services[g].depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    expect(services.lb.depends_on).toEqual({ "gateway-1": { condition: "service_healthy" }, "gateway-2": { condition: "service_healthy" } });
  });

  it("gives every gateway DATABASE_URL on the postgres service with its database, user and password", () => {
    const pg = services.postgres.environment!;
    for (const g of gateways) {
      const url = new URL(interpolate(services[g].environment!.DATABASE_URL));
      expect(url.protocol).toBe("postgres:");
      expect(url.hostname).toBe("postgres");
      expect(url.port).toBe("5432");
      expect(decodeURIComponent(url.username)).toBe(interpolate(pg.POSTGRES_USER));
      expect(decodeURIComponent(url.password)).toBe(interpolate(pg.POSTGRES_PASSWORD));
      expect(url.pathname).toBe(`/${interpolate(pg.POSTGRES_DB)}`);
      expect(new URL(interpolate(services[g].environment!.REDIS_URL)).hostname).toBe("redis");
    }
  });

  it("gives the gateways one master key, a data volume each and time to drain", () => {
    const keys = gateways.map((g) => services[g].environment!.SWITCHBOARD_MASTER_KEY);
    expect(keys[0]).toMatch(/^\$\{SWITCHBOARD_MASTER_KEY:\?/); // refused when unset
    expect(new Set(keys).size).toBe(1);
    expect(() => interpolate(keys[0].replace("SWITCHBOARD_MASTER_KEY", "UNSET_IN_ENV_FILE"))).toThrow();
    const data = gateways.map((g) => mounts(services[g])[services[g].environment!.SWITCHBOARD_DATA_DIR]);
    expect(data.every((v) => v !== undefined && v in compose.volumes)).toBe(true);
    expect(new Set(data).size).toBe(gateways.length);
    for (const g of gateways) {
      expect(services[g].build).toEqual({ context: "..", dockerfile: "Dockerfile" });
      expect(services[g].healthcheck!.test.join(" ")).toContain("/readyz");
      expect(parseInt(services[g].stop_grace_period!, 10)).toBeGreaterThan(10); // the gateway's drain is 10 s
    }
    expect(mounts(services.postgres)["/var/lib/postgresql/data"]).toBe("postgres-data");
  });

  it("the config file the gateways mount loads, with the environment they get", () => {
    for (const g of gateways) {
      const s = services[g];
      const configPath = s.environment!.SWITCHBOARD_CONFIG;
      const source = mounts(s)[configPath];
      expect(source).toBe("./switchboard.yaml");
      const environment = { ...env, ...Object.fromEntries(Object.entries(s.environment!).map(([k, v]) => [k, interpolate(v)])) };
      const config = loadConfig({ path: join(deploy, source), env: environment, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames });
      expect(config.databaseUrl).toBe(environment.DATABASE_URL);
      expect(config.masterKey).toBe(env.SWITCHBOARD_MASTER_KEY);
      expect([config.server.host, config.server.port, config.dataDir]).toEqual(["0.0.0.0", 8000, "/data"]);
      expect(config.models.map((m) => m.name)).toEqual(["default"]);
    }
  });
});

describe("deploy/nginx.conf", () => {
  const conf = read("nginx.conf");
  it("balances over both gateways on their port, and the published port reaches it", () => {
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf);
    expect(upstream).not.toBeNull();
    const servers = [...upstream![2].matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(servers).toEqual(gateways.map((g) => `${g}:8000`));
    expect(conf).toMatch(new RegExp(`proxy_pass\\s+http://${upstream![1]};`));
    const listen = /listen\s+(\d+);/.exec(conf)![1];
    expect(services.lb.ports!.map((p) => interpolate(p))).toEqual([`8000:${listen}`]);
    expect(mounts(services.lb)["/etc/nginx/nginx.conf"]).toBe("./nginx.conf");
    expect(services.lb.healthcheck!.test.join(" ")).toContain(`127.0.0.1:${listen}/lb-health`);
    expect(conf).toMatch(/location = \/lb-health/);
  });

  it("does not buffer streams", () => {
    expect(conf).toMatch(/proxy_buffering\s+off;/);
    expect(conf).toMatch(/proxy_http_version\s+1\.1;/);
  });
});
