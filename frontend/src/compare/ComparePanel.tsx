import { useEffect, useState } from "react";

import { fetchCompare, type CompareResult } from "./api";
import { relativePosition } from "./cells";
import { useRunColor } from "./useRunColor";

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** What differs between the selected runs (one column per run), and, folded, what agrees. */
export function ComparePanel({ runIds, onClose }: { runIds: readonly string[]; onClose: () => void }) {
  const key = runIds.join("\n");
  const colorFor = useRunColor();
  const [state, setState] = useState<{ key: string; result: CompareResult | null; error: string | null }>({ key: "", result: null, error: null });
  useEffect(() => {
    if (runIds.length < 2) return;
    const abort = new AbortController();
    fetchCompare(runIds, abort.signal)
      .then((result) => setState({ key, result, error: null }))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setState({ key, result: null, error: String(e) });
      });
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for runIds
  }, [key]);
  const result = state.key === key ? state.result : null;
  const differ = result ? Object.entries(result.differ) : [];
  const same = result ? Object.entries(result.same) : [];
  return (
    <section className="rounded-xl border border-line bg-card p-4" data-testid="compare-panel" aria-label="Compare runs">
      <div className="mb-2 flex items-center gap-2">
        <h2 className="font-semibold">Compare {runIds.length} runs</h2>
        <span className="text-xs text-muted">{result ? `${differ.length} differ · ${same.length} agree` : runIds.length < 2 ? "select two or more runs" : "loading…"}</span>
        <div className="flex-1" />
        <button type="button" className="rounded px-2 text-muted hover:bg-subtle hover:text-fg" aria-label="Close the comparison" onClick={onClose}>
          ✕
        </button>
      </div>
      {state.error && state.key === key && <p className="text-sm text-bad">{state.error}</p>}
      {result && (
        <div className="max-h-[22rem] overflow-auto">
          <table className="w-full border-collapse text-[0.8125rem]">
            <thead className="sticky top-0 bg-card">
              <tr>
                <th className="px-2 py-1 text-left font-semibold text-muted">key</th>
                {result.runs.map((r) => (
                  <th key={r.run_id} className="px-2 py-1 text-left font-semibold">
                    <span className="mr-1.5 inline-block h-2.5 w-2.5 rounded-full" style={{ background: colorFor(r.run_id) }} aria-hidden />
                    {r.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody data-testid="differ">
              {differ.map(([k, byRun]) => {
                const values = result.runs.map((r) => byRun[r.run_id]);
                return (
                  <tr key={k} data-key={k} className="border-t border-line">
                    <td className="px-2 py-1 font-mono text-xs text-muted">{k}</td>
                    {values.map((v, i) => {
                      const pos = relativePosition(v, values);
                      const tint = pos === null ? undefined : pos > 0 ? `rgba(245,165,36,${0.12 + 0.25 * pos})` : `rgba(76,139,245,${0.12 - 0.25 * pos})`;
                      return (
                        <td key={result.runs[i]?.run_id} className="px-2 py-1 font-mono text-xs" style={{ background: tint }}>
                          {show(v)}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <details className="mt-2">
            <summary className="cursor-pointer text-xs text-muted">{same.length} keys agree</summary>
            <table className="mt-1 w-full text-[0.8125rem]" data-testid="same">
              <tbody>
                {same.map(([k, v]) => (
                  <tr key={k} className="border-t border-line">
                    <td className="px-2 py-0.5 font-mono text-xs text-muted">{k}</td>
                    <td className="px-2 py-0.5 font-mono text-xs">{show(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </div>
      )}
    </section>
  );
}
