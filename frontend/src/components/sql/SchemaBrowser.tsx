import { useState } from "react";

import type { Snippet, TableInfo } from "../../sql/saved";

/** Tables of the database with their comments and columns, and the README's example queries. */
export function SchemaBrowser({
  tables,
  snippets,
  history,
  onInsert,
}: {
  tables: TableInfo[];
  snippets: Snippet[];
  history: string[];
  onInsert: (text: string, replace: boolean) => void;
}) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <aside className="flex w-72 flex-none flex-col gap-4 overflow-y-auto border-r border-line px-3 py-3 text-sm" data-testid="schema-browser">
      <section>
        <h2 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Tables</h2>
        <ul className="flex flex-col gap-0.5">
          {tables.map((t) => (
            <li key={t.name} data-testid="schema-table" data-table={t.name}>
              <button
                type="button"
                className="w-full rounded-md px-2 py-1 text-left hover:bg-subtle"
                aria-expanded={open === t.name}
                onClick={() => setOpen(open === t.name ? null : t.name)}
                onDoubleClick={() => onInsert(t.name, false)}
                title="Click: columns · double-click: insert the name"
              >
                <span className="font-mono text-[0.8125rem] font-semibold">{t.name}</span>
                {t.comment && <span className="block text-xs leading-snug text-muted">{t.comment}</span>}
              </button>
              {open === t.name && (
                <ul className="mb-1 ml-3 border-l border-line pl-2">
                  {t.columns.map((c) => (
                    <li key={c.name}>
                      <button
                        type="button"
                        className="flex w-full gap-2 rounded px-1 text-left font-mono text-xs hover:bg-subtle"
                        onClick={() => onInsert(c.name, false)}
                        title={c.comment || `insert ${c.name}`}
                      >
                        <span className="truncate">{c.name}</span>
                        <span className="ml-auto truncate text-muted">{c.type}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Examples</h2>
        <ul className="flex flex-col gap-0.5" data-testid="snippets">
          {snippets.map((s) => (
            <li key={s.title}>
              <button type="button" className="w-full rounded-md px-2 py-1 text-left text-xs hover:bg-subtle" onClick={() => onInsert(s.query, true)}>
                {s.title}
              </button>
            </li>
          ))}
        </ul>
      </section>
      {history.length > 0 && (
        <section>
          <h2 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">Recent</h2>
          <ul className="flex flex-col gap-0.5" data-testid="history">
            {history.slice(0, 15).map((q) => (
              <li key={q}>
                <button type="button" className="w-full truncate rounded-md px-2 py-1 text-left font-mono text-xs hover:bg-subtle" title={q} onClick={() => onInsert(q, true)}>
                  {q.replace(/\s+/g, " ")}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}
