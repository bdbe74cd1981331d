/**
 * Every deployment of a model group must be something a request can reach: `provider:model`
 * (or `provider/model`) with a provider the configuration has (configured, detected from the
 * environment, or `mock`). Otherwise the alias could only ever answer 404, so it is refused at
 * start-up, with its line, rather than accepted.
 */
import type { PathSegment } from "./problems.js";
import type { SwitchboardConfig } from "./types.js";

export interface TargetProblem {
  path: PathSegment[];
  message: string;
}

/** The provider prefix of a model name: up to the first ':' or '/' (as the router splits it). */
function providerOf(model: string): string | undefined {
  const i = model.search(/[:/]/);
  return i <= 0 || i === model.length - 1 ? undefined : model.slice(0, i);
}

export function checkModelTargets(config: Pick<SwitchboardConfig, "models" | "providers">): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const configured = Object.keys(config.providers);
  config.models.forEach((group, i) => {
    group.deployments.forEach((d, j) => {
      const path: PathSegment[] = ["models", i, "deployments", j, "model"];
      const provider = providerOf(d.model);
      if (provider === undefined) {
        problems.push({ path, message: `expected "provider:model" (e.g. "mock:mock-1"), got ${JSON.stringify(d.model)}: a deployment names a provider's model, not an alias` });
      } else if (!Object.hasOwn(config.providers, provider)) {
        problems.push({ path, message: `provider "${provider}" is not configured (configured: ${configured.sort().join(", ")})` });
      }
    });
  });
  return problems;
}
