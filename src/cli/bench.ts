export async function benchCommand(opts: {
  duration?: number;
  warmup?: number;
  databaseUrl?: string;
  redisUrl?: string;
  json?: boolean;
  httpEngine?: "fast" | "node";
  transport?: "fast" | "undici";
}): Promise<void> {
  const { runBench } = await import("../bench/index.js");
  await runBench(opts);
}
