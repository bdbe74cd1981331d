/** Playground: a streaming chat with any model, through the gateway's own API, showing tokens, latency and cost. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "../api";
import { ErrorNote, Field, PageHeader } from "../components/ui";
import { ms, num, usd } from "../format";
import { playgroundKey } from "../playground-key";
import { streamChat, type ChatMessage, type ChatResult } from "../chat";

interface ReceiptCost {
  cost: { total_usd: string };
}

export function Playground() {
  const [model, setModel] = useState("");
  const [models, setModels] = useState<string[]>([]);
  const [input, setInput] = useState("");
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [partial, setPartial] = useState<string | null>(null);
  const [result, setResult] = useState<(ChatResult & { cost?: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    playgroundKey()
      .then((key) => fetch("/v1/models", { headers: { authorization: `Bearer ${key}` } }))
      .then((r) => r.json() as Promise<{ data?: Array<{ id: string }> }>)
      .then((r) => setModels((r.data ?? []).map((m) => m.id)))
      .catch(() => setModels([]));
  }, []);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!input.trim() || !model.trim()) return;
    const history: ChatMessage[] = [...messages, { role: "user", content: input }];
    setMessages(history);
    setInput("");
    setError(null);
    setResult(null);
    setPartial("");
    abort.current = new AbortController();
    try {
      const key = await playgroundKey();
      const r = await streamChat(key, model.trim(), history, (text) => setPartial(text), abort.current.signal);
      setMessages([...history, { role: "assistant", content: r.text }]);
      setResult(r);
      if (r.requestId) void receiptCost(r.requestId).then((cost) => setResult((x) => (x ? { ...x, cost } : x)));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPartial(null);
      abort.current = null;
    }
  };

  return (
    <>
      <PageHeader title="Playground">
        <button type="button" className="secondary" onClick={() => (setMessages([]), setResult(null))}>
          Clear
        </button>
      </PageHeader>
      <form className="form" onSubmit={(e) => void send(e)} aria-label="Chat">
        <div className="grid">
          <Field label="Model" list="models" required value={model} onChange={(e) => setModel(e.target.value)} hint="Any model, alias or provider:model" />
          <datalist id="models">
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        <ol className="chat" aria-live="polite" aria-label="Conversation">
          {messages.map((m, i) => (
            <li key={i} className={`msg ${m.role}`}>
              <span className="role">{m.role}</span>
              <p>{m.content}</p>
            </li>
          ))}
          {partial !== null ? (
            <li className="msg assistant streaming">
              <span className="role">assistant</span>
              <p data-testid="streaming">{partial || "…"}</p>
            </li>
          ) : null}
        </ol>
        <label htmlFor="prompt">Message</label>
        <textarea id="prompt" rows={3} value={input} onChange={(e) => setInput(e.target.value)} />
        <div className="row">
          <button type="submit" disabled={partial !== null}>
            Send
          </button>
          {partial !== null ? (
            <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          ) : null}
        </div>
      </form>
      <ErrorNote error={error} />
      {result ? (
        <dl className="facts" aria-label="Last answer" data-testid="playground-stats">
          <div>
            <dt>Tokens in / out</dt>
            <dd>{result.usage ? `${num(result.usage.prompt_tokens)} / ${num(result.usage.completion_tokens)}` : "—"}</dd>
          </div>
          <div>
            <dt>First token / total</dt>
            <dd>
              {ms(result.ttftMs)} / {ms(result.totalMs)}
            </dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd data-testid="playground-cost">{result.cost !== undefined ? usd(result.cost) : "…"}</dd>
          </div>
          <div>
            <dt>Request</dt>
            <dd>
              <code>{result.requestId ?? "—"}</code>
            </dd>
          </div>
        </dl>
      ) : null}
    </>
  );
}

/** The request's cost from its receipt (the ledger is written in batches: a few tries). */
async function receiptCost(requestId: string): Promise<string | undefined> {
  for (let i = 0; i < 20; i++) {
    try {
      return (await api<ReceiptCost>("GET", `/v1/logs/${encodeURIComponent(requestId)}`)).cost.total_usd;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return undefined;
}
