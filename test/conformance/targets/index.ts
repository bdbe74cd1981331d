/** Every provider adapter's conformance target. Adding a provider adds one line here. */
import type { ConformanceTarget } from "../types.js";
import { openaiTarget } from "./openai.js";

export const TARGETS: ConformanceTarget[] = [openaiTarget];
