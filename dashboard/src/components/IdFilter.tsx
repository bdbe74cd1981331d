/** A list's filter by owner ids (a key's user or team, a user's team): applied on submit, empty fields ignored. */
import { useState, type FormEvent } from "react";
import { Field } from "./ui";

export function IdFilter<K extends string>({ label, fields, onApply }: { label: string; fields: Array<[K, string]>; onApply: (values: Record<K, string>) => void }) {
  const [draft, setDraft] = useState(() => Object.fromEntries(fields.map(([k]) => [k, ""])) as Record<K, string>);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onApply(Object.fromEntries(fields.map(([k]) => [k, draft[k].trim()])) as Record<K, string>);
  };
  return (
    <form className="form inline" onSubmit={apply} aria-label={label}>
      {fields.map(([k, text]) => (
        <Field key={k} label={text} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
      ))}
      <button type="submit">Apply filters</button>
    </form>
  );
}
