/**
 * `/v1/files` and `/v1/batches` behind the HTTP routes: who may see what (a key its own files
 * and batches, the master key all), the checks made before a batch is accepted, and the content
 * of input, output and error files (read page by page: memory stays bounded whatever the size).
 */
import { GatewayError } from "../core/errors.js";
import { randomId } from "../core/ids.js";
import { authorizeModel, type Principal } from "../policy/auth.js";
import type { Runtime } from "../pipeline/context.js";
import { sql } from "../store/kysely.js";
import * as repo from "../store/repos/batches.js";
import { batchLineErrors, parseInputFile, type BatchEndpoint } from "./input.js";
import { lineRequestId } from "./line.js";
import { batchObject, failedLine, fileObject } from "./objects.js";
import { newFileId } from "./finish.js";
import type { BatchRunner } from "./runner.js";
import { nativePlan, type NativeBatches } from "./native.js";
import { toGatewayError } from "../core/errors.js";

export interface UploadedFile {
  purpose: string;
  filename: string;
  content: Buffer;
  expiresAfterSeconds?: number;
}

export interface CreateBatch {
  input_file_id: string;
  endpoint: BatchEndpoint;
  completion_window: "24h";
  metadata?: Record<string, string> | null;
  output_expires_after?: { anchor: "created_at"; seconds: number };
}

export interface ListQuery {
  limit: number;
  after?: string;
}

const COMPLETION_WINDOW_MS = 24 * 3600 * 1000;
/** Rows of an output or error file read at once. */
const CONTENT_PAGE = 200;

/** A key's own rows; the master key's reads see every row, its writes are its own (key_id null). */
const readerOf = (p: Principal): repo.Owner => (p.kind === "master" ? undefined : p.keyId);
const writerOf = (p: Principal): string | null => (p.kind === "master" ? null : p.keyId);

export class BatchService {
  constructor(
    private readonly rt: Runtime,
    private readonly runner: BatchRunner,
    private readonly native?: NativeBatches,
  ) {}

  private get db() {
    return this.rt.store.db;
  }

  async upload(p: Principal, f: UploadedFile) {
    if (f.purpose !== "batch") throw new GatewayError("invalid_request", `purpose '${f.purpose}' is not available: this gateway stores files for batches only (purpose "batch")`, { param: "purpose" });
    const lines = parseInputFile(f.content, this.rt.config.batches);
    const expiresAt = f.expiresAfterSeconds === undefined ? null : new Date(Date.now() + f.expiresAfterSeconds * 1000);
    const row = await repo.insertFile(this.db, {
      id: newFileId(),
      keyId: writerOf(p),
      purpose: "batch",
      filename: f.filename,
      bytes: f.content.length,
      lines: lines.length,
      content: f.content,
      batchId: null,
      expiresAt,
    });
    return fileObject(row);
  }

  async file(p: Principal, id: string) {
    return fileObject(await this.findFile(p, id));
  }

  async files(p: Principal, q: ListQuery & { purpose?: string; order: "asc" | "desc" }) {
    const rows = await repo.listFiles(this.db, { owner: readerOf(p), limit: q.limit + 1, after: q.after, purpose: q.purpose, order: q.order });
    return page(rows.map(fileObject), q.limit);
  }

  async deleteFile(p: Principal, id: string) {
    await this.findFile(p, id);
    await repo.deleteFile(this.db, id);
    return { id, object: "file" as const, deleted: true };
  }

  /** The file's bytes: an input file as uploaded, an output or error file line by line from its batch. */
  async content(p: Principal, id: string): Promise<{ filename: string; bytes: number; body: AsyncIterable<Buffer> | Iterable<Buffer> }> {
    const f = await this.findFile(p, id);
    const db = this.db;
    if (f.batch_id === null) {
      const content = (await repo.fileContent(db, id)) ?? Buffer.alloc(0);
      return {
        filename: f.filename,
        bytes: content.length,
        body: [content],
      };
    }
    const batchId = f.batch_id;
    const state = f.filename.endsWith("_error.jsonl") ? "failed" : "done";
    async function* lines() {
      let last = -1;
      for (;;) {
        const rows = await repo.resultLines(db, batchId, state, last, CONTENT_PAGE);
        if (!rows.length) return;
        last = rows[rows.length - 1].idx;
        yield Buffer.from(rows.map((r) => r.result + "\n").join(""), "utf8");
      }
    }
    return { filename: f.filename, bytes: Number(f.bytes), body: lines() };
  }

  private async findFile(p: Principal, id: string) {
    const f = await repo.findFile(this.db, id, readerOf(p));
    if (!f) throw new GatewayError("not_found", `No such File object: ${id}`, { param: "file_id" });
    return f;
  }

  async create(p: Principal, req: CreateBatch) {
    const file = await repo.findFile(this.db, req.input_file_id, readerOf(p));
    if (!file) throw new GatewayError("not_found", `No such File object: ${req.input_file_id}`, { param: "input_file_id" });
    if (file.purpose !== "batch") throw new GatewayError("invalid_request", `file ${file.id} has purpose '${file.purpose}'; a batch's input file has purpose "batch"`, { param: "input_file_id" });
    const lines = parseInputFile((await repo.fileContent(this.db, file.id)) ?? Buffer.alloc(0), this.rt.config.batches);
    const id = `batch_${randomId(24)}`;
    const now = new Date();
    const errors = batchLineErrors(lines, req.endpoint);
    const base = {
      id,
      key_id: writerOf(p),
      key_hash: p.kind === "key" ? (p.key?.hash ?? null) : null,
      endpoint: req.endpoint,
      input_file_id: file.id,
      completion_window: req.completion_window,
      metadata: req.metadata ?? null,
      output_expires_seconds: req.output_expires_after?.seconds ?? null,
      expires_at: new Date(now.getTime() + COMPLETION_WINDOW_MS),
      output_file_id: null,
      error_file_id: null,
      finalizing_at: null,
      completed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
    };
    if (errors.length) {
      // OpenAI's way: the batch exists, failed, with the problems and their lines.
      const row = await repo.insertBatch(this.db, { ...base, status: "failed", errors: { object: "list", data: errors }, total: 0, completed: 0, failed: 0, in_progress_at: null, failed_at: now }, []);
      return batchObject(row);
    }
    let refused = 0;
    const rows = lines.map((l, i) => {
      const idx = i + 1;
      try {
        // A model the key may not use: the line is an error line from the start, never run.
        authorizeModel(p, l.body.model as string);
        return { idx, custom_id: l.custom_id, body: l.bodyText, state: "pending" as const, result: null };
      } catch (e) {
        refused++;
        return { idx, custom_id: l.custom_id, body: l.bodyText, state: "failed" as const, result: failedLine(id, idx, l.custom_id, lineRequestId(id, idx, 0), toGatewayError(e)) };
      }
    });
    // A key, user or team with rate limits has its batches run by the gateway, line by line under
    // those limits: a provider's batch would run them outside any per-minute or per-day count.
    const limited = (p.limits?.length ?? 0) > 0;
    const plan = refused === 0 && !limited && this.native ? nativePlan(this.rt, req.endpoint, lines) : null;
    if (plan && this.native) {
      // Submitted to the provider's own batch API: the whole estimate reserved first (402 when it does not fit).
      const held = await this.native.reserve(id, p, plan);
      let ref: { provider: string; id: string } | undefined;
      try {
        const s = await plan.api.submit(plan.lines, { ...this.native.callOptions(plan.provider), metadata: { switchboard_batch: id } });
        ref = { provider: plan.provider, id: s.id };
      } catch (e) {
        // The provider refused the submission (no batch API at that address, an outage): the gateway runs the batch.
        this.native.release(held);
        this.rt.log.warn({ batch: id, provider: plan.provider, err: (e as Error).message }, "batches: native submission failed; the gateway runs the batch at standard prices");
      }
      if (ref) {
        this.native.hold(id, held);
        const row = await repo.insertBatch(
          this.db,
          { ...base, status: "in_progress", errors: null, total: rows.length, completed: 0, failed: 0, in_progress_at: now, failed_at: null, native: ref },
          rows,
        );
        this.runner.kick();
        return batchObject(row);
      }
    }
    const row = await repo.insertBatch(this.db, { ...base, status: "in_progress", errors: null, total: rows.length, completed: 0, failed: refused, in_progress_at: now, failed_at: null }, rows);
    this.runner.kick();
    return batchObject(row);
  }

  async batch(p: Principal, id: string) {
    return batchObject(await this.findBatch(p, id));
  }

  async batches(p: Principal, q: ListQuery) {
    const rows = await repo.listBatches(this.db, { owner: readerOf(p), limit: q.limit + 1, after: q.after });
    return page(rows.map(batchObject), q.limit);
  }

  /** Cancels a batch: no new line starts; lines in flight finish; the rest go to the error file as cancelled. */
  async cancel(p: Principal, id: string) {
    const b = await this.findBatch(p, id);
    if (b.status === "cancelling" || b.status === "cancelled") return batchObject(b);
    const r = await this.db
      .updateTable("batches")
      .set({ status: "cancelling", cancelling_at: sql<Date>`now()` })
      .where("id", "=", id)
      .where("status", "in", ["validating", "in_progress"])
      .returningAll()
      .executeTakeFirst();
    if (!r) {
      const now = await this.findBatch(p, id);
      if (now.status === "cancelling" || now.status === "cancelled") return batchObject(now);
      throw new GatewayError("conflict", `Cannot cancel a batch with status '${now.status}'.`);
    }
    this.runner.cancelled(id);
    return batchObject(r);
  }

  private async findBatch(p: Principal, id: string) {
    const b = await repo.findBatch(this.db, id, readerOf(p));
    if (!b) throw new GatewayError("not_found", `No such Batch object: ${id}`, { param: "batch_id" });
    return b;
  }
}

function page<T extends { id: string }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  return { object: "list" as const, data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: rows.length > limit };
}
