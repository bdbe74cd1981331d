/** Every provider adapter's conformance target. Adding a provider adds one line here. */
import type { ConformanceTarget } from "../types.js";
import { anthropicTarget } from "./anthropic.js";
import { azureTarget } from "./azure.js";
import { cohereTarget } from "./cohere.js";
import { bedrockTarget } from "./bedrock.js";
import { geminiTarget } from "./gemini.js";
import { openaiTarget } from "./openai.js";
import { vertexTarget } from "./vertex.js";

export const TARGETS: ConformanceTarget[] = [openaiTarget, anthropicTarget, azureTarget, cohereTarget, bedrockTarget, geminiTarget, vertexTarget];
