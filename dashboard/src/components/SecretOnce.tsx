/** A new key's plaintext, shown once with a copy button. */
import { useState } from "react";

export function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status" aria-live="polite">
      <p>
        <strong>Copy this key now.</strong> It is shown only once; the gateway stores only its hash.
      </p>
      <code data-testid="new-key">{secret}</code>
      <div className="row">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(secret).then(() => setCopied(true))}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
