/**
 * deploy/kubernetes/*.yaml validated against the Kubernetes API's JSON schemas (the compiled
 * validators of the `kubernetes-models` package, installed from npm: nothing is fetched), with
 * field names checked strictly through the same package's TypeScript types (the schemas allow
 * unknown fields, which the API server drops), then checked for what the gateway needs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { knownProviderTypes, providerSettingNames } from "../../src/providers/registry.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = join(root, "deploy/kubernetes");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const manifests: { file: string; doc: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    return { file, doc: d.toJS() as Manifest };
  }),
);
const byKind = (kind: string): Manifest[] => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const one = <T>(kind: string): T => {
  const all = byKind(kind);
  expect(all, kind).toHaveLength(1);
  return all[0] as T;
};

/** The model class of an apiVersion and kind: core "v1" → kubernetes-models/v1/<Kind>, "apps/v1" → kubernetes-models/apps/v1/<Kind>. */
function modelModule(doc: Manifest): string {
  return `kubernetes-models/${doc.apiVersion}/${doc.kind}`;
}

async function schemaErrors(doc: Manifest): Promise<string | null> {
  const mod = (await import(modelModule(doc))) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[doc.kind];
  if (!Model) return `no model for ${doc.apiVersion} ${doc.kind}`;
  try {
    new Model(doc).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Type-checks every manifest as an object literal of its type: unknown fields are excess properties. */
function fieldErrors(docs: Manifest[]): string[] {
  const source = docs.map((d, i) => `import type { I${d.kind} as T${i} } from "${modelModule(d)}";\nexport const m${i}: T${i} = ${JSON.stringify(d, null, 2)};`).join("\n");
  const name = join(root, "test/deploy/__manifests__.ts");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  const getSource = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === name ? source : read(f));
  host.fileExists = (f) => f === name || exists(f);
  host.getSourceFile = (f, lang, ...rest) => (f === name ? ts.createSourceFile(f, source, lang) : getSource(f, lang, ...rest));
  const program = ts.createProgram([name], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
    return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
  });
}

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle: { preStop: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
        volumes: { name: string; emptyDir?: object; configMap?: { name: string } }[];
      };
    };
  };
}

const deployment = one<Deployment>("Deployment");
const pod = deployment.spec.template.spec;
const gateway = pod.containers[0];
const envOf = (name: string) => gateway.env.find((e) => e.name === name);

describe("deploy/kubernetes manifests", () => {
  it("hold a Deployment, Service, ConfigMap, Secrets, HorizontalPodAutoscaler and PodDisruptionBudget", () => {
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Secret", "Service"]);
  });

  it("are valid against the Kubernetes schemas", async () => {
    for (const { file, doc } of manifests) expect(await schemaErrors(doc), `${file}: ${doc.kind}`).toBeNull();
  });

  it("use only fields the Kubernetes API defines", { timeout: 60_000 }, () => {
    expect(fieldErrors(manifests.map((m) => m.doc))).toEqual([]);
  });

  it("the checks catch a wrong type and a misspelt field", async () => {
    const broken = structuredClone(deployment);
    (broken.spec as unknown as Record<string, unknown>).replicas = "two";
    expect(await schemaErrors(broken)).toMatch(/replicas/);
    const misspelt = structuredClone(deployment);
    (misspelt.spec.template.spec as unknown as Record<string, unknown>).terminationGracePeriod = 45;
    expect(fieldErrors([misspelt]).join("\n")).toMatch(/terminationGracePeriod/);
  });

  it("run at least two replicas, probed on /healthz (alive) and /readyz (ready), on the container's port", () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(gateway.livenessProbe.httpGet.path).toBe("/healthz");
    expect(gateway.startupProbe.httpGet.path).toBe("/healthz");
    expect(gateway.readinessProbe.httpGet.path).toBe("/readyz");
    const port = gateway.ports.find((p) => p.name === gateway.readinessProbe.httpGet.port);
    expect(port?.containerPort).toBe(Number(envOf("SWITCHBOARD_PORT")!.value));
    expect(envOf("SWITCHBOARD_HOST")!.value).toBe("0.0.0.0");
  });

  it("stop in order: preStop wait, then SIGTERM and the gateway's 10 s drain, within the grace period", () => {
    const pre = gateway.lifecycle.preStop;
    const wait = pre.sleep?.seconds ?? (pre.exec?.command[0] === "sleep" ? Number(pre.exec.command[1]) : 0);
    expect(wait).toBeGreaterThanOrEqual(5);
    const drain = 10;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(wait + drain);
  });

  it("run as a user that is not root, without privileges, on a read-only root with /data and /tmp writable", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(gateway.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    const emptyDirs = new Set(pod.volumes.filter((v) => v.emptyDir).map((v) => v.name));
    const writable = gateway.volumeMounts
      .filter((m) => emptyDirs.has(m.name) && !m.readOnly)
      .map((m) => m.mountPath)
      .sort();
    expect(writable).toEqual(["/data", "/tmp"]);
    expect(envOf("SWITCHBOARD_DATA_DIR")!.value).toBe("/data");
    expect(gateway.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(gateway.resources.limits.memory).toBeDefined();
  });

  it("take DATABASE_URL and the master key from a Secret that must exist, REDIS_URL from it when present", () => {
    const secrets = byKind("Secret") as (Manifest & { stringData: Record<string, string> })[];
    for (const name of ["DATABASE_URL", "SWITCHBOARD_MASTER_KEY", "REDIS_URL"]) {
      const ref = envOf(name)?.valueFrom?.secretKeyRef;
      expect(ref, name).toBeDefined();
      expect(ref!.optional ?? false, name).toBe(name === "REDIS_URL");
      const secret = secrets.find((s) => s.metadata.name === ref!.name);
      expect(secret?.stringData[ref!.key], name).toMatch(/EXAMPLE|example/);
    }
    const db = envOf("DATABASE_URL")!.valueFrom!.secretKeyRef;
    expect(new URL(secrets.find((s) => s.metadata.name === db.name)!.stringData[db.key]).protocol).toBe("postgres:");
  });

  it("mount the ConfigMap's switchboard.yaml where SWITCHBOARD_CONFIG points, and it loads", () => {
    const cm = one<Manifest & { data: Record<string, string> }>("ConfigMap");
    const volume = pod.volumes.find((v) => v.configMap?.name === cm.metadata.name)!;
    const mount = gateway.volumeMounts.find((m) => m.name === volume.name)!;
    const configPath = envOf("SWITCHBOARD_CONFIG")!.value!;
    expect(configPath.startsWith(`${mount.mountPath}/`)).toBe(true);
    const key = configPath.slice(mount.mountPath.length + 1);
    const text = cm.data[key];
    expect(text).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), "sb-k8s-")), key);
    writeFileSync(file, text);
    const secret = (byKind("Secret")[0] as Manifest & { stringData: Record<string, string> }).stringData;
    const config = loadConfig({
      path: file,
      env: { ...secret, SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_PORT: "8000", SWITCHBOARD_DATA_DIR: "/data" },
      knownProviderTypes: knownProviderTypes(),
      providerSettings: providerSettingNames,
    });
    rmSync(dirname(file), { recursive: true, force: true });
    expect(config.databaseUrl).toBe(secret.DATABASE_URL);
    expect([config.server.host, config.server.port, config.dataDir]).toEqual(["0.0.0.0", 8000, "/data"]);
  });

  it("a Service, an autoscaler and a disruption budget aimed at the Deployment", () => {
    const svc = one<Manifest & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] } }>("Service");
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(svc.spec.ports.map((p) => p.targetPort)).toEqual(gateway.ports.map((p) => p.name));
    const hpa = one<Manifest & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }>("HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> } } }>("PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });
});
