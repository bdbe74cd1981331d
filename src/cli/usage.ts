/** `switchboard usage`: spend and tokens from the usage ledger, through the management API. */
import type { Command } from "commander";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";

export interface UsageOptions extends ConnectionOptions {
  from?: string;
  to?: string;
  groupBy?: string;
  csv?: boolean;
}

interface UsageReport {
  data: Array<Record<string, string | number | null | undefined>>;
  group_by?: string[];
}

export function runUsage(io: CliIO, opts: UsageOptions): Promise<number> {
  return runCommand(io, async () => {
    const q = new URLSearchParams();
    if (opts.from) q.set("from", opts.from);
    if (opts.to) q.set("to", opts.to);
    if (opts.groupBy) q.set("group_by", opts.groupBy);
    const client = clientFor(opts, io);
    if (opts.csv) {
      q.set("format", "csv");
      return io.out((await client.text("GET", `/v1/usage?${q.toString()}`)).trimEnd());
    }
    const report = await client.request<UsageReport>("GET", `/v1/usage?${q.toString()}`);
    if (opts.json) return printJson(io, report);
    if (report.data.length === 0) return io.out("No usage in this period.");
    const groups = report.group_by ?? [];
    const headers = [...groups.map((g) => g.toUpperCase()), "REQUESTS", "PROMPT_TOKENS", "COMPLETION_TOKENS", "COST_USD", "ERRORS"];
    const rows = report.data.map((r) => [...groups.map((g) => r[g]), r.requests, r.prompt_tokens, r.completion_tokens, r.cost_usd, r.errors]);
    for (const line of table(headers, rows)) io.out(line);
  });
}

export function registerUsageCommand(program: Command, io?: CliIO): Command {
  return withConnection(program.command("usage").description("spend, tokens and requests from the usage ledger"))
    .option("--from <iso>", "start (inclusive; default 30 days before --to)")
    .option("--to <iso>", "end (exclusive; default now)")
    .option("--group-by <list>", "comma-separated: user, key, team, model, provider, day")
    .option("--csv", "print CSV with a header row")
    .action(action((io2: CliIO, opts: UsageOptions) => runUsage(io2, opts), io));
}
