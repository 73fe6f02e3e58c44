import { useEffect, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";

import { fetchMedia, mediaUrl, type MediaItem } from "../api/rich";
import { useApp } from "../app/services";
import { formatBytes, formatStep } from "../core/format";
import { indexAtOrBefore } from "../core/histograms";
import { colorOf, runLabel } from "../store/runsSlice";
import { selectedRunIds } from "../store/selectors";
import { usePoll } from "./usePoll";

const MAX_RUNS = 12;
const REFRESH_MS = 5_000;

interface Entry extends MediaItem {
  runId: string;
}

/** One image key: a step slider over every step any selected run logged it at, and a grid
 * with each run's image at (or just before) that step. */
function MediaCard({ mediaKey, entries, runIds }: { mediaKey: string; entries: Entry[]; runIds: string[] }) {
  const { runs, colors } = useApp(useShallow((s) => ({ runs: s.runs, colors: s.runColors })));
  const steps = useMemo(() => [...new Set(entries.map((e) => e.step))].sort((a, b) => a - b), [entries]);
  const [picked, setPicked] = useState<number | null>(null);
  const index = picked === null ? steps.length - 1 : Math.min(picked, steps.length - 1);
  const step = steps[index] ?? 0;
  return (
    <article data-testid="media-card" data-key={mediaKey} className="flex flex-col gap-2 rounded-xl border border-line bg-card px-3.5 py-3">
      <header className="flex items-center gap-2">
        <h3 className="flex-1 truncate text-[0.8125rem] font-semibold">{mediaKey}</h3>
        <span className="text-xs tabular-nums text-muted" data-testid="media-step">
          step {formatStep(step)}
        </span>
      </header>
      {steps.length > 1 && (
      <input
        type="range"
        min={0}
        max={Math.max(0, steps.length - 1)}
        value={index}
        aria-label={`Step of ${mediaKey}`}
        data-testid="media-slider"
        className="accent-[var(--rw-accent)]"
        onChange={(e) => setPicked(Number(e.target.value) >= steps.length - 1 ? null : Number(e.target.value))}
      />
      )}
      <div className="grid gap-3 [grid-template-columns:repeat(auto-fill,minmax(10rem,1fr))]">
        {runIds.map((runId) => {
          const mine = entries.filter((e) => e.runId === runId);
          if (mine.length === 0) return null;
          const runSteps = [...new Set(mine.map((e) => e.step))].sort((a, b) => a - b);
          const at = runSteps[indexAtOrBefore(runSteps, step)];
          const images = mine.filter((e) => e.step === at).sort((a, b) => a.idx - b.idx);
          return (
            <figure key={runId} className="flex min-w-0 flex-col gap-1">
              <figcaption className="flex items-center gap-1.5 truncate text-xs text-muted">
                <span className="h-2 w-2 flex-none rounded-full" style={{ background: colorOf({ runColors: colors }, runId) }} />
                {runLabel(runs.get(runId), runId)}
                {at !== step && at !== undefined && <span>· step {formatStep(at)}</span>}
              </figcaption>
              {images.map((image) => (
                <a key={image.idx} href={mediaUrl(runId, image)} target="_blank" rel="noreferrer" title={`${image.caption} · ${image.width}×${image.height} · ${formatBytes(image.bytes)}`}>
                  <img
                    src={mediaUrl(runId, image)}
                    alt={image.caption || `${mediaKey} at step ${image.step}`}
                    loading="lazy"
                    data-testid="media-image"
                    className="w-full rounded-md border border-line bg-subtle object-contain [image-rendering:pixelated]"
                    style={{ aspectRatio: image.width && image.height ? `${image.width} / ${image.height}` : undefined }}
                  />
                  {image.caption && <span className="block truncate text-[0.6875rem] text-muted">{image.caption}</span>}
                </a>
              ))}
            </figure>
          );
        })}
      </div>
    </article>
  );
}

/** The Media tab: a card per image key of the selected runs. */
export function MediaView() {
  const runIds = useApp(useShallow((s) => selectedRunIds(s).slice(0, MAX_RUNS)));
  const tick = usePoll(REFRESH_MS);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const key = runIds.join("\u0000");

  useEffect(() => {
    const abort = new AbortController();
    const ids = key === "" ? [] : key.split("\u0000");
    void Promise.allSettled(ids.map((id) => fetchMedia(id, abort.signal))).then((results) => {
      if (abort.signal.aborted) return;
      setEntries(results.flatMap((r, i) => (r.status === "fulfilled" ? r.value.map((m) => ({ ...m, runId: ids[i] as string })) : [])));
    });
    return () => abort.abort();
  }, [key, tick]);

  const byKey = useMemo(() => {
    const groups = new Map<string, Entry[]>();
    for (const e of entries ?? []) {
      const list = groups.get(e.key);
      if (list) list.push(e);
      else groups.set(e.key, [e]);
    }
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [entries]);

  if (entries === null) return <p className="py-8 text-center text-sm text-muted">Loading media…</p>;
  if (byKey.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-line px-6 py-10 text-center text-sm text-muted" data-testid="media-empty">
        No images for the selected runs. Log one with{" "}
        <code className="rounded bg-subtle px-1 font-mono text-xs text-fg">{'run.log({"samples": runwatch.Image(array)})'}</code>.
      </div>
    );
  }
  return (
    <div className="flex flex-col gap-3" data-testid="media">
      {byKey.map(([mediaKey, list]) => (
        <MediaCard key={mediaKey} mediaKey={mediaKey} entries={list} runIds={runIds} />
      ))}
    </div>
  );
}
