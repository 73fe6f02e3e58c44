import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { useStore } from "zustand";

import { fetchLogs, searchLogs, type LogLine } from "../api/rich";
import { useApp } from "../app/services";
import { runLabel } from "../store/runsSlice";
import { richNav } from "../store/richNav";
import { selectedRunIds } from "../store/selectors";
import { LogLines } from "./LogLines";

const TAIL_MS = 1_000;
const KEEP_LINES = 5_000;

/**
 * The Logs tab: one run's console, every rank interleaved or one rank, tailed live (a poll of
 * the follow cursor every second); the lines around a step (from a distribution card or a
 * search hit); and a search across the selected runs, done by ClickHouse.
 */
export function LogsView() {
  const { runKey, runs } = useApp(useShallow((s) => ({ runKey: selectedRunIds(s).join("\u0000"), runs: s.runs })));
  const runIds = useMemo(() => (runKey === "" ? [] : runKey.split("\u0000")), [runKey]);
  const target = useStore(richNav, (s) => s.logsTarget);
  const [runId, setRunId] = useState<string>("");
  const [rank, setRank] = useState<number | undefined>(undefined);
  const [grep, setGrep] = useState("");
  const [aroundStep, setAroundStep] = useState<number | null>(null);
  const [aroundTime, setAroundTime] = useState<number | null>(null);
  const [lines, setLines] = useState<LogLine[] | null>(null);
  const [ranks, setRanks] = useState<string[]>([]);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<LogLine[] | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const name = useCallback((id: string) => runLabel(runs.get(id), id), [runs]);

  const current = runId && (runIds.includes(runId) || target?.runId === runId) ? runId : (runIds[0] ?? "");

  useEffect(() => {
    if (target) {
      setRunId(target.runId);
      setAroundStep(target.step);
      setAroundTime(target.step === null ? (target.time ?? null) : null);
    }
  }, [target]);

  useEffect(() => {
    if (!current) return;
    const abort = new AbortController();
    let cursor: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLines(null);
    const live = aroundStep === null && aroundTime === null;
    const load = async () => {
      try {
        const answer = await fetchLogs(current, { rank, grep: grep || undefined, aroundStep: aroundStep ?? undefined, aroundTime: aroundTime ?? undefined, limit: live ? 1000 : 400 }, abort.signal);
        cursor = answer.cursor;
        setLines(answer.lines);
      } catch {
        if (!abort.signal.aborted) setLines([]);
      }
      if (live && !abort.signal.aborted) timer = setTimeout(() => void follow(), TAIL_MS);
    };
    const follow = async () => {
      try {
        const answer = await fetchLogs(current, { rank, grep: grep || undefined, after: cursor ?? "0.0.0.", limit: 2000 }, abort.signal);
        cursor = answer.cursor ?? cursor;
        if (answer.lines.length > 0) setLines((old) => [...(old ?? []), ...answer.lines].slice(-KEEP_LINES));
      } catch {
        /* the next poll tries again */
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void follow(), TAIL_MS);
    };
    void load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [current, rank, grep, aroundStep, aroundTime]);

  useEffect(() => {
    if (!lines) return;
    setRanks((old) => {
      const seen = new Set(old);
      for (const line of lines) seen.add(`${line.host}:${line.rank}`);
      return seen.size === old.length ? old : [...seen].sort();
    });
  }, [lines]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || !lines) return;
    if (aroundStep !== null || aroundTime !== null) {
      el.querySelector<HTMLElement>(".bg-accent-soft")?.scrollIntoView({ block: "center" });
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [lines, aroundStep, aroundTime]);

  const search = (text: string) => {
    setQuery(text);
    if (!text.trim()) {
      setHits(null);
      return;
    }
    void searchLogs(text.trim(), runIds).then((answer) => setHits(answer.lines), () => setHits([]));
  };

  if (runIds.length === 0 && !target) return <p className="py-8 text-center text-sm text-muted">Select a run to see its console.</p>;
  const uniqueRanks = new Set(ranks.map((r) => r.split(":").pop())).size;
  return (
    <div className="flex flex-col gap-3" data-testid="logs-view">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <select
          aria-label="Run"
          data-testid="logs-run"
          value={current}
          onChange={(e) => {
            setRunId(e.target.value);
            setAroundStep(null);
            setAroundTime(null);
            setRanks([]);
          }}
          className="h-8 rounded-lg border border-line bg-card px-2 text-[0.8125rem]"
        >
          {[...new Set([...runIds, ...(target ? [target.runId] : [])])].map((id) => (
            <option key={id} value={id}>
              {name(id)}
            </option>
          ))}
        </select>
        <select
          aria-label="Rank"
          value={rank === undefined ? "" : String(rank)}
          onChange={(e) => setRank(e.target.value === "" ? undefined : Number(e.target.value))}
          className="h-8 rounded-lg border border-line bg-card px-2 text-[0.8125rem]"
        >
          <option value="">All ranks</option>
          {[...new Set(ranks.map((r) => Number(r.split(":").pop())))].sort((a, b) => a - b).map((r) => (
            <option key={r} value={r}>
              rank {r}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="Filter this run's lines…"
          aria-label="Filter lines"
          defaultValue={grep}
          onKeyDown={(e) => {
            if (e.key === "Enter") setGrep(e.currentTarget.value);
          }}
          className="w-56 h-8 rounded-lg border border-line bg-card px-2 text-[0.8125rem]"
        />
        <label className="flex items-center gap-1.5 text-muted">
          around step
          <input
            type="number"
            min={0}
            aria-label="Around step"
            data-testid="logs-around"
            value={aroundStep ?? ""}
            onChange={(e) => {
              setAroundTime(null);
              setAroundStep(e.target.value === "" ? null : Math.max(0, Number(e.target.value)));
            }}
            className="w-24 h-8 rounded-lg border border-line bg-card px-2 text-[0.8125rem] text-fg"
          />
        </label>
        {aroundStep === null && aroundTime === null ? (
          <span className="flex items-center gap-1.5 text-xs text-[var(--rw-ok)]" data-testid="logs-live">
            <span className="h-2 w-2 animate-pulse rounded-full bg-[var(--rw-ok)]" /> live
          </span>
        ) : (
          <button type="button" className="rounded-lg bg-accent-soft px-2 py-1 text-xs font-semibold text-accent" onClick={() => {
              setAroundStep(null);
              setAroundTime(null);
            }}>
            Back to live tail
          </button>
        )}
        <span className="flex-1" />
        <input
          type="search"
          placeholder="Search all selected runs…"
          aria-label="Search logs across runs"
          data-testid="logs-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") search(e.currentTarget.value);
          }}
          className="w-64 h-8 rounded-lg border border-line bg-card px-2 text-[0.8125rem]"
        />
      </div>
      {hits !== null && (
        <section className="rounded-xl border border-line bg-card py-2" data-testid="logs-hits">
          <header className="flex items-center px-3 pb-1 text-xs text-muted">
            <span className="flex-1">
              {hits.length} {hits.length === 1 ? "line" : "lines"} containing “{query}” · click one to see its context
            </span>
            <button type="button" className="hover:text-fg" onClick={() => search("")}>
              close
            </button>
          </header>
          <div className="max-h-60 overflow-y-auto">
            <LogLines
              lines={hits}
              showRank={false}
              showRun
              runName={name}
              onPick={(line) => {
                setRunId(line.run_id);
                setAroundTime(null);
                setAroundStep(line.step);
              }}
            />
          </div>
        </section>
      )}
      <div
        ref={scrollRef}
        data-testid="logs-lines"
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="h-[calc(100vh-15rem)] min-h-64 overflow-y-auto rounded-xl border border-line bg-card py-2"
      >
        {lines === null ? (
          <p className="px-3 text-sm text-muted">Loading…</p>
        ) : lines.length === 0 ? (
          <p className="px-3 text-sm text-muted" data-testid="logs-empty">
            No console lines {aroundStep !== null ? `around step ${aroundStep}` : aroundTime !== null ? "around that time" : "yet"}. A Run captures stdout and stderr by default.
          </p>
        ) : (
          <LogLines lines={lines} showRank={rank === undefined && (uniqueRanks > 1 || ranks.length > 1)} highlightStep={aroundStep} />
        )}
      </div>
    </div>
  );
}
