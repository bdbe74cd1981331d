/** The reply to one request on a connection of the gateway's HTTP/1.1 edge (see fast-server.ts). */
import { STATUS_CODES } from "node:http";
import { PLAIN_VALUE } from "../http-syntax.js";
import type { TurnWriter } from "../turn-writes.js";
import { drained, sendableValue, type HeaderBag, type Reply } from "../reply.js";

let dateAt = 0;
let dateText = "";
function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateText = new Date(dateAt).toUTCString();
  }
  return dateText;
}

/** The reply to one request on a fast connection. */
export class FastReply implements Reply {
  headersSent = false;
  private ended = false;
  /** The head of a streamed response, sent with its first piece. */
  private pendingHead: string | null = null;
  private abortFn: (() => void) | null = null;
  /** A header value holds bytes beyond ASCII: the head is written as Latin-1, as Node does. */
  private latin1 = false;

  constructor(
    /** The connection's writer: its socket, and the writes queued for the end of the turn. */
    private readonly out: TurnWriter,
    private readonly done: () => void,
    private readonly close: boolean,
    private readonly keepAlive: string,
  ) {}

  get closed(): boolean {
    return this.ended || this.out.socket.destroyed;
  }

  onAbort(fn: () => void): void {
    this.abortFn = fn;
  }

  send(status: number, headers: HeaderBag, body: string): void {
    if (this.closed) return;
    headers["content-length"] = String(Buffer.byteLength(body));
    this.headersSent = true;
    this.ended = true;
    // A whole response leaves at the end of the turn, with the others of the turn (turn-writes.ts).
    this.writeLater(this.head(status, headers), body);
    this.done();
  }

  start(status: number, headers: HeaderBag): void {
    headers["transfer-encoding"] = "chunked";
    this.headersSent = true;
    this.pendingHead = this.head(status, headers);
  }

  write(text: string): boolean {
    if (this.closed) return false;
    const piece = text ? `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n` : "";
    return this.writeNow(this.takeHead(), piece);
  }

  drained(): Promise<void> {
    const s = this.out.socket;
    return s.destroyed || !s.writableNeedDrain ? Promise.resolve() : drained(s);
  }

  end(text?: string): void {
    if (this.closed) return;
    this.ended = true;
    const piece = text ? `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n` : "0\r\n\r\n";
    // The last piece has no backpressure to report: it leaves with the turn's other writes.
    this.writeLater(this.takeHead(), piece);
    this.done();
  }

  destroy(): void {
    this.out.destroy(); // an earlier pipelined response queued this turn still goes out
  }

  /** @internal The connection closed: an unfinished response is abandoned. */
  connectionClosed(): void {
    if (this.ended) return;
    this.ended = true;
    this.abortFn?.();
  }

  private takeHead(): string {
    const h = this.pendingHead ?? "";
    this.pendingHead = null;
    return h;
  }

  private head(status: number, headers: HeaderBag): string {
    let h = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
    for (const k in headers) {
      let v = headers[k];
      if (!PLAIN_VALUE.test(v)) {
        // Never let a value break the head (Node would throw); what is left may be Latin-1.
        v = sendableValue(v);
        this.latin1 = true;
      }
      h += `${k}: ${v}\r\n`;
    }
    h += `date: ${httpDate()}\r\n`;
    h += this.close ? "connection: close\r\n\r\n" : this.keepAlive;
    return h;
  }

  /**
   * Written now, after whatever the turn has queued: a stream's pieces (they already leave at the
   * end of a turn, from SseWriter, and this write's answer is the stream's backpressure).
   */
  private writeNow(head: string, rest: string): boolean {
    let ok = true;
    for (const piece of this.pieces(head, rest)) ok = this.out.writeNow(piece);
    return ok;
  }

  /** Queued for the end of the turn (turn-writes.ts). */
  private writeLater(head: string, rest: string): void {
    for (const piece of this.pieces(head, rest)) this.out.write(piece);
  }

  /** Head and body in one string; a head with Latin-1 bytes goes as bytes of its own. */
  private pieces(head: string, rest: string): Array<string | Buffer> {
    if (!this.latin1 || head === "") return [head + rest];
    return rest ? [Buffer.from(head, "latin1"), rest] : [Buffer.from(head, "latin1")];
  }
}
