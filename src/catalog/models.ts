/**
 * Known models per provider type, as typed data. `/v1/models` lists these for every configured
 * provider. Prices join this catalog in catalog/prices.ts.
 */
export interface CatalogModel {
  id: string;
  mode: "chat" | "embedding";
  contextWindow?: number;
  maxOutputTokens?: number;
}

const chat = (id: string, contextWindow: number, maxOutputTokens: number): CatalogModel => ({ id, mode: "chat", contextWindow, maxOutputTokens });
const embed = (id: string, contextWindow: number): CatalogModel => ({ id, mode: "embedding", contextWindow });

export const MODEL_CATALOG = {
  openai: [
    chat("gpt-4o", 128000, 16384),
    chat("gpt-4o-mini", 128000, 16384),
    chat("gpt-4.1", 1047576, 32768),
    chat("gpt-4.1-mini", 1047576, 32768),
    chat("gpt-4.1-nano", 1047576, 32768),
    chat("o3", 200000, 100000),
    chat("o4-mini", 200000, 100000),
    embed("text-embedding-3-small", 8191),
    embed("text-embedding-3-large", 8191),
  ],
  groq: [chat("llama-3.3-70b-versatile", 131072, 32768), chat("llama-3.1-8b-instant", 131072, 131072)],
  together: [chat("meta-llama/Llama-3.3-70B-Instruct-Turbo", 131072, 8192)],
  fireworks: [chat("accounts/fireworks/models/llama-v3p1-70b-instruct", 131072, 16384)],
  deepseek: [chat("deepseek-chat", 65536, 8192), chat("deepseek-reasoner", 65536, 8192)],
  xai: [chat("grok-3", 131072, 16384), chat("grok-3-mini", 131072, 16384)],
  openrouter: [chat("openai/gpt-4o-mini", 128000, 16384), chat("anthropic/claude-3.5-sonnet", 200000, 8192)],
  perplexity: [chat("sonar", 127072, 8192), chat("sonar-pro", 200000, 8192)],
  cerebras: [chat("llama3.1-8b", 8192, 8192)],
  mistral: [chat("mistral-large-latest", 131072, 32768), chat("mistral-small-latest", 131072, 32768), embed("mistral-embed", 8192)],
  deepinfra: [chat("meta-llama/Meta-Llama-3.1-70B-Instruct", 131072, 8192)],
  mock: [chat("mock-1", 128000, 4096), embed("mock-embedding-1", 8192)],
} as const satisfies Record<string, readonly CatalogModel[]>;

export function catalogModels(providerType: string): readonly CatalogModel[] {
  return (MODEL_CATALOG as Record<string, readonly CatalogModel[]>)[providerType] ?? [];
}
