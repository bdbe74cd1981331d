/**
 * OpenAI-compatible providers are data, not code: a base URL, whether a key is needed and
 * whether the server understands `stream_options.include_usage`. Their env vars live in
 * config/env.ts (the only module that reads the environment).
 */
import type { Capabilities } from "../types.js";

export interface OpenAICompatiblePreset {
  name: string;
  /** The OpenTelemetry GenAI conventions' well-known `gen_ai.provider.name` of this service, where one exists. */
  genAiProviderName?: string;
  baseUrl: string;
  requiresKey: boolean;
  streamUsage: boolean;
  capabilities: Capabilities;
  /**
   * A local server whose models are whatever it has loaded: `/v1/models` lists them from the
   * server even at the default base URL (any preset does so at a base URL of its own).
   */
  modelsFromServer?: boolean;
  /** The server has OpenAI's Batch API (files + batches): the provider gets `batch`. */
  nativeBatch?: boolean;
  /** Speaks OpenAI's Responses API (`/responses`) itself: /v1/responses is passed through natively. */
  nativeResponses?: boolean;
}

const full: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };
const chatTools: Capabilities = { ...full, vision: false, embeddings: false, reasoning: false };
const local: Capabilities = { ...full, reasoning: false };

export const OPENAI_COMPATIBLE_PRESETS = {
  openai: { name: "OpenAI", genAiProviderName: "openai", baseUrl: "https://api.openai.com/v1", requiresKey: true, streamUsage: true, capabilities: full, nativeBatch: true, nativeResponses: true },
  groq: { name: "Groq", genAiProviderName: "groq", baseUrl: "https://api.groq.com/openai/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, vision: true, reasoning: true } },
  together: { name: "Together AI", baseUrl: "https://api.together.xyz/v1", requiresKey: true, streamUsage: true, capabilities: { ...full, reasoning: true } },
  fireworks: { name: "Fireworks AI", baseUrl: "https://api.fireworks.ai/inference/v1", requiresKey: true, streamUsage: true, capabilities: full },
  deepseek: { name: "DeepSeek", genAiProviderName: "deepseek", baseUrl: "https://api.deepseek.com/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, reasoning: true } },
  xai: { name: "xAI", genAiProviderName: "x_ai", baseUrl: "https://api.x.ai/v1", requiresKey: true, streamUsage: true, capabilities: { ...full, embeddings: false } },
  openrouter: { name: "OpenRouter", baseUrl: "https://openrouter.ai/api/v1", requiresKey: true, streamUsage: true, capabilities: { ...full, embeddings: false } },
  perplexity: {
    name: "Perplexity",
    genAiProviderName: "perplexity",
    baseUrl: "https://api.perplexity.ai",
    requiresKey: true,
    streamUsage: false,
    capabilities: { ...chatTools, tools: false, reasoning: true },
  },
  cerebras: { name: "Cerebras", baseUrl: "https://api.cerebras.ai/v1", requiresKey: true, streamUsage: true, capabilities: chatTools },
  mistral: { name: "Mistral AI", genAiProviderName: "mistral_ai", baseUrl: "https://api.mistral.ai/v1", requiresKey: true, streamUsage: false, capabilities: { ...full, reasoning: false } },
  deepinfra: { name: "DeepInfra", baseUrl: "https://api.deepinfra.com/v1/openai", requiresKey: true, streamUsage: true, capabilities: { ...full, reasoning: false } },
  sambanova: { name: "SambaNova Cloud", baseUrl: "https://api.sambanova.ai/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, reasoning: true } },
  nvidia: { name: "NVIDIA NIM", baseUrl: "https://integrate.api.nvidia.com/v1", requiresKey: true, streamUsage: true, capabilities: { ...full, reasoning: true } },
  hyperbolic: { name: "Hyperbolic", baseUrl: "https://api.hyperbolic.xyz/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, vision: true } },
  moonshot: { name: "Moonshot AI (Kimi)", baseUrl: "https://api.moonshot.ai/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, vision: true, reasoning: true } },
  nebius: { name: "Nebius AI Studio", baseUrl: "https://api.studio.nebius.com/v1", requiresKey: true, streamUsage: true, capabilities: { ...full, reasoning: true } },
  huggingface: { name: "Hugging Face Inference Providers", baseUrl: "https://router.huggingface.co/v1", requiresKey: true, streamUsage: true, capabilities: { ...chatTools, vision: true } },
  dashscope: {
    name: "Alibaba Cloud Model Studio (Qwen)",
    baseUrl: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    requiresKey: true,
    streamUsage: true,
    capabilities: { ...full, reasoning: true },
  },
  ollama: { name: "Ollama", baseUrl: "http://127.0.0.1:11434/v1", requiresKey: false, streamUsage: true, capabilities: local, modelsFromServer: true },
  vllm: { name: "vLLM", baseUrl: "http://127.0.0.1:8000/v1", requiresKey: false, streamUsage: true, capabilities: local, modelsFromServer: true },
  lmstudio: { name: "LM Studio", baseUrl: "http://127.0.0.1:1234/v1", requiresKey: false, streamUsage: false, capabilities: local, modelsFromServer: true },
  llamacpp: { name: "llama.cpp server", baseUrl: "http://127.0.0.1:8080/v1", requiresKey: false, streamUsage: false, capabilities: local, modelsFromServer: true },
} as const satisfies Record<string, OpenAICompatiblePreset>;

export type OpenAICompatibleId = keyof typeof OPENAI_COMPATIBLE_PRESETS;
