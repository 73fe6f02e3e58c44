import { hostsWithoutGpu } from "../core/gpuHosts";
import { boardAlerts } from "../core/boardAlerts";
import { formatBytes, formatDuration, formatNumber, formatStep } from "../core/format";
import { useApp, useServices } from "../app/services";
import { colorOf, runLabel } from "../store/runsSlice";
import type { SeriesData } from "../store/seriesSlice";
import type { AppState } from "../store/store";
import { KioskGrid } from "./KioskGrid";
import { progressOf, type RunProgress } from "./ProgressView";
import { StatusTag } from "./RunBadge";
import { useLiveness } from "./useLiveness";

const LOSS_NAMES = ["train/loss", "loss", "train/loss_step"];
const SPARK_POINTS = 120;

function seriesOf(state: AppState, runId: string, metric: string): SeriesData | null {
  for (const s of state.series.values()) if (s.runId === runId && s.metric === metric) return s;
  return null;
}

function lossOf(state: AppState, runId: string): SeriesData | null {
  for (const name of LOSS_NAMES) {
    const found = seriesOf(state, runId, name);
    if (found) return found;
  }
  for (const s of state.series.values()) if (s.runId === runId && /loss/.test(s.metric) && !s.metric.startsWith("val")) return s;
  return null;
}

function last(s: SeriesData | null): number | null {
  return s && s.value.length > 0 ? (s.value[s.value.length - 1] as number) : null;
}

interface GpuLine {
  device: number;
  util: number | null;
  temp: number | null;
  memUsed: number | null;
  memTotal: number | null;
}

function gpusOf(state: AppState, runId: string): GpuLine[] {
  const byDevice = new Map<number, GpuLine>();
  for (const s of state.series.values()) {
    if (s.runId !== runId) continue;
    const m = /^sys\.gpu\.(\d+)\.(util_percent|temperature_celsius|mem_used_bytes|mem_total_bytes)$/.exec(s.metric);
    if (!m) continue;
    const device = Number(m[1]);
    const line = byDevice.get(device) ?? { device, util: null, temp: null, memUsed: null, memTotal: null };
    const v = last(s);
    if (m[2] === "util_percent") line.util = v;
    else if (m[2] === "temperature_celsius") line.temp = v;
    else if (m[2] === "mem_used_bytes") line.memUsed = v;
    else line.memTotal = v;
    byDevice.set(device, line);
  }
  return [...byDevice.values()].sort((a, b) => a.device - b.device);
}

function Sparkline({ series, color }: { series: SeriesData | null; color: string }) {
  if (!series || series.value.length < 2) return <div className="h-full text-sm text-muted">no loss logged</div>;
  const values = series.value.slice(-SPARK_POINTS);
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return <div className="h-full text-sm text-[var(--rw-nonfinite)]">loss is NaN</div>;
  // robust: a spike must not flatten the rest (same rule as the charts: percentile range)
  const sorted = [...finite].sort((a, b) => a - b);
  const lo = sorted[Math.floor(sorted.length * 0.02)] as number;
  const hi = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.98) - 1)] as number;
  const span = hi - lo || 1;
  const points = values
    .map((v, i) => {
      const y = Number.isFinite(v) ? 1 - (Math.min(hi, Math.max(lo, v)) - lo) / span : 0;
      return `${((i / (values.length - 1)) * 100).toFixed(2)},${(y * 100).toFixed(2)}`;
    })
    .join(" ");
  return (
    <svg viewBox="0 0 100 100" preserveAspectRatio="none" className="h-full w-full" aria-hidden="true">
      <polyline points={points} fill="none" stroke={color} strokeWidth={2.5} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}

/** Why a tile has no GPU rows: the host said it has none (core/gpuHosts), or it sent no system metrics. */
function noGpuText(state: AppState, runId: string): string {
  const hosts = hostsWithoutGpu(state.series.values(), (id) => id === runId);
  return hosts.length > 0 ? `no NVIDIA GPU / NVML on host ${hosts.join(", ")}` : "no GPU metrics from this run";
}

const TONE_BORDER = { ok: "border-ok/70", warn: "border-warn", bad: "border-bad", idle: "border-line" } as const;

function Tile({ row, state, size }: { row: RunProgress; state: AppState; size: { width: number; height: number } }) {
  const { run, step, total, eta, shown } = row;
  const color = colorOf(state, run.run_id);
  const loss = lossOf(state, run.run_id);
  const latest = last(loss);
  const gpus = gpusOf(state, run.run_id);
  const simulated = run.config["simulated_gpu"] === true;
  const alerts = boardAlerts(run.run_id);
  const tone =
    shown === "failed" || alerts.some((a) => a.severity === "critical")
      ? "bad"
      : shown === "stale" || alerts.length > 0
        ? "warn"
        : shown === "running"
          ? "ok"
          : "idle";
  return (
    <article
      className={`flex h-full flex-col gap-2 overflow-hidden rounded-xl border-[3px] ${TONE_BORDER[tone]} bg-card p-3`}
      style={{ height: size.height }}
      data-testid="board-tile"
      data-run-id={run.run_id}
      data-status={shown}
      data-tone={tone}
    >
      <header className="flex items-center gap-2">
        <span className="h-4 w-4 flex-none rounded" style={{ background: color }} aria-hidden="true" />
        <h3 className="min-w-0 flex-1 truncate text-xl font-bold" title={runLabel(run, run.run_id)}>
          {runLabel(run, run.run_id)}
        </h3>
        <StatusTag status={shown} large />
      </header>
      <div className="flex items-baseline gap-4 text-lg tabular-nums">
        <span className="font-semibold">
          {formatStep(step)}
          {total !== null && <span className="text-muted"> / {formatStep(total)}</span>}
        </span>
        <span className="text-muted">{eta !== null ? `ETA ${formatDuration(eta)}` : shown === "running" ? "" : "ended"}</span>
        <span className="flex-1" />
        <span>
          loss <b className={latest !== null && !Number.isFinite(latest) ? "text-[var(--rw-nonfinite)]" : ""}>{latest === null ? "—" : formatNumber(latest)}</b>
        </span>
      </div>
      <div className="min-h-8 flex-1">
        <Sparkline series={loss} color={color} />
      </div>
      {alerts.length > 0 && (
        <ul className="flex flex-wrap gap-1.5" data-testid="board-alerts">
          {alerts.map((a) => (
            <li key={a.name} className={`rounded px-1.5 text-sm font-semibold ${a.severity === "critical" ? "bg-bad/20 text-bad" : "bg-warn/20 text-warn"}`}>
              {a.name}
            </li>
          ))}
        </ul>
      )}
      <ul className="flex flex-col gap-0.5 text-sm tabular-nums" data-testid="board-gpus">
        {gpus.length === 0 && <li className="text-muted">{noGpuText(state, run.run_id)}</li>}
        {gpus.slice(0, 4).map((g) => (
          <li key={g.device} className="flex gap-3">
            <span className="w-14 text-muted">GPU {g.device}</span>
            <span className="w-16">{g.util === null ? "—" : `${g.util.toFixed(0)} %`}</span>
            <span className="w-16">{g.temp === null ? "—" : `${g.temp.toFixed(0)} °C`}</span>
            <span>{g.memUsed === null ? "—" : `${formatBytes(g.memUsed)}${g.memTotal ? ` / ${formatBytes(g.memTotal)}` : ""}`}</span>
          </li>
        ))}
        {gpus.length > 4 && <li className="text-muted">+{gpus.length - 4} more GPUs</li>}
        {simulated && gpus.length > 0 && <li className="text-muted">simulated GPU (demo)</li>}
      </ul>
    </article>
  );
}

/** The wall's health board: one tile per active or recently ended run, worst first. */
export function KioskBoard() {
  const { store } = useServices();
  const { level, staleAfterSec, now } = useLiveness();
  useApp((s) => s.structureRev + s.runOrder.length);
  useApp((s) => s.alertsRev); // tiles show firing alerts (core/boardAlerts)
  const keepEndedMs = useApp((s) => s.keepEndedMs);
  const state = store.getState();
  const rows = progressOf(state, { now, keepEndedMs, staleAfterSec, level });
  if (rows.length === 0) {
    return <p className="py-10 text-center text-2xl text-muted" data-testid="board-empty">No run active or ended in the last {formatDuration(keepEndedMs / 1000)}.</p>;
  }
  return (
    <KioskGrid
      items={rows}
      minWidthRem={24}
      minHeightRem={14}
      testId="board"
      itemKey={(row) => row.run.run_id}
      render={(row, size) => <Tile row={row} state={state} size={size} />}
    />
  );
}
