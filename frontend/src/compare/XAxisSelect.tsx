import { patchCompare, useCompare } from "./store";
import type { XAxis } from "./viewState";

function encode(xAxis: XAxis): string {
  return xAxis.kind === "metric" ? `metric:${xAxis.metric}` : xAxis.kind;
}

function decode(value: string): XAxis {
  return value.startsWith("metric:") ? { kind: "metric", metric: value.slice(7) } : { kind: value as "step" | "time" | "relative" };
}

/** The x axis of server-drawn charts (Runs view and tab cards share it through the URL):
 * step, wall time, time since start, or any logged metric joined on step. */
export function XAxisSelect({ label, className, metrics }: { label: string; className: string; metrics: readonly string[] }) {
  const xAxis = useCompare((s) => s.xAxis);
  return (
    <select aria-label={label} className={className} value={encode(xAxis)} onChange={(e) => patchCompare({ xAxis: decode(e.target.value) })}>
      <option value="step">step</option>
      <option value="time">wall time</option>
      <option value="relative">time since start</option>
      {metrics.map((m) => (
        <option key={m} value={`metric:${m}`}>
          {m}
        </option>
      ))}
    </select>
  );
}
