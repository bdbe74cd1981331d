/** File and batch objects exactly in OpenAI's shape, and the lines of output and error files. */
import { openAIEnvelope, type GatewayError } from "../core/errors.js";
import type { BatchRow, FileRow } from "../store/repos/batches.js";
import type { BatchEndpoint, LineError } from "./input.js";

export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

const secs = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

export function fileObject(f: FileRow) {
  return {
    id: f.id,
    object: "file" as const,
    bytes: Number(f.bytes),
    created_at: secs(f.created_at)!,
    expires_at: secs(f.expires_at),
    filename: f.filename,
    purpose: f.purpose as "batch" | "batch_output",
    status: "processed" as const,
    status_details: null,
  };
}

export function batchObject(b: BatchRow) {
  return {
    id: b.id,
    object: "batch" as const,
    endpoint: b.endpoint as BatchEndpoint,
    errors: b.errors as { object: "list"; data: LineError[] } | null,
    input_file_id: b.input_file_id,
    completion_window: b.completion_window as "24h",
    status: b.status as BatchStatus,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: secs(b.created_at)!,
    in_progress_at: secs(b.in_progress_at),
    expires_at: secs(b.expires_at),
    finalizing_at: secs(b.finalizing_at),
    completed_at: secs(b.completed_at),
    failed_at: secs(b.failed_at),
    expired_at: secs(b.expired_at),
    cancelling_at: secs(b.cancelling_at),
    cancelled_at: secs(b.cancelled_at),
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    metadata: b.metadata,
  };
}

/** The id of a line's entry in the output or error file. */
export function lineEntryId(batchId: string, idx: number): string {
  return `batch_req_${batchId.slice("batch_".length)}_${idx}`;
}

/** A line that got an answer (2xx: the output file; otherwise the error file), as OpenAI writes it. */
export function answeredLine(batchId: string, idx: number, customId: string, status: number, requestId: string, body: unknown): string {
  return JSON.stringify({ id: lineEntryId(batchId, idx), custom_id: customId, response: { status_code: status, request_id: requestId, body }, error: null });
}

export function failedLine(batchId: string, idx: number, customId: string, requestId: string, err: GatewayError): string {
  return answeredLine(batchId, idx, customId, err.status, requestId, openAIEnvelope(err));
}

/** A line never run (the batch cancelled or expired first): in the error file, `response` null. */
export function unrunLine(batchId: string, idx: number, customId: string, reason: "batch_cancelled" | "batch_expired"): string {
  const message = reason === "batch_cancelled" ? "This request was not executed because the batch was cancelled." : "This request could not be executed before the completion window expired.";
  return JSON.stringify({ id: lineEntryId(batchId, idx), custom_id: customId, response: null, error: { code: reason, message } });
}
