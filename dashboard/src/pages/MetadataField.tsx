/** The free-form `metadata` a key, user, team or budget carries: a JSON object in a textarea, checked before anything is sent. */
import { useId, useState, type FormEvent } from "react";

/** The gateway's limit on a metadata object, as JSON. */
const MAX_BYTES = 16 * 1024;

/** The text as a metadata object, or why it is not one. Empty text is an empty object. */
export function parseMetadata(text: string): { value: Record<string, unknown> } | { error: string } {
  if (text.trim() === "") return { value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `Metadata is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { error: 'Metadata must be a JSON object, e.g. {"owner": "search-team"}' };
  if (new TextEncoder().encode(JSON.stringify(v)).length > MAX_BYTES) return { error: "Metadata must be at most 16 KiB of JSON" };
  return { value: v as Record<string, unknown> };
}

/**
 * The metadata field of a form; `submit(send)`, the form's onSubmit: it calls `send` with the
 * object, or, when the text is not one, sends nothing and shows the error under the field, which
 * takes the focus; `clear()` empties the field.
 */
export function useMetadata(initial: Record<string, unknown> | undefined) {
  const id = useId();
  const [text, setText] = useState(() => (initial && Object.keys(initial).length > 0 ? JSON.stringify(initial, null, 2) : ""));
  const [error, setError] = useState<string | null>(null);
  const read = (): Record<string, unknown> | null => {
    const r = parseMetadata(text);
    if ("error" in r) {
      setError(r.error);
      document.getElementById(id)?.focus();
      return null;
    }
    setError(null);
    return r.value;
  };
  const field = (
    <div className="field metadata">
      <label htmlFor={id}>Metadata (JSON object)</label>
      <textarea
        id={id}
        rows={3}
        spellCheck={false}
        value={text}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-note`}
        onChange={(e) => {
          setText(e.target.value);
          setError(null);
        }}
      />
      {error ? (
        <small id={`${id}-note`} className="error" role="alert">
          {error}
        </small>
      ) : (
        <small id={`${id}-note`} className="hint">
          Free-form, for your own use; empty: none
        </small>
      )}
    </div>
  );
  const submit = (send: (metadata: Record<string, unknown>) => void) => (e: FormEvent) => {
    e.preventDefault();
    const meta = read();
    if (meta) send(meta);
  };
  return { field, submit, clear: () => setText("") };
}
