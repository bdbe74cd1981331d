export async function benchCommand(opts: { duration?: number; databaseUrl?: string; json?: boolean }): Promise<void> {
  const { runBench } = await import("../bench/index.js");
  await runBench(opts);
}
