import { memo } from "react";

import type { LogLine } from "../api/rich";
import { ansiSegments } from "../core/ansi";

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:${String(d.getSeconds()).padStart(2, "0")}`;
}

/** Console lines, ANSI colours rendered as themed spans (never as HTML). */
export const LogLines = memo(function LogLines({
  lines,
  showRank,
  showRun,
  runName,
  highlightStep,
  onPick,
}: {
  lines: readonly LogLine[];
  showRank: boolean;
  showRun?: boolean;
  runName?: (runId: string) => string;
  highlightStep?: number | null;
  onPick?: (line: LogLine) => void;
}) {
  return (
    <ol className="rw-log font-mono text-[0.75rem] leading-[1.45]">
      {lines.map((line) => (
        <li
          key={`${line.run_id}\u0000${line.host}\u0000${line.rank}\u0000${line.seq}\u0000${line.time}`}
          data-testid="log-line"
          className={`flex gap-2 px-3 ${line.stream === "stderr" ? "bg-[color-mix(in_srgb,var(--rw-bad)_7%,transparent)]" : ""} ${
            line.stream === "runwatch" ? "italic text-muted" : ""
          } ${highlightStep !== null && highlightStep !== undefined && line.step === highlightStep ? "bg-accent-soft" : ""} ${
            onPick ? "cursor-pointer hover:bg-subtle" : ""
          }`}
          onClick={onPick ? () => onPick(line) : undefined}
        >
          <span className="flex-none select-none text-muted tabular-nums" title={new Date(line.time).toISOString()}>
            {clock(line.time)}
          </span>
          <span className="w-14 flex-none select-none text-right text-muted tabular-nums" title="step">
            {line.step}
          </span>
          {showRun && runName && <span className="w-32 flex-none truncate select-none text-accent">{runName(line.run_id)}</span>}
          {showRank && <span className="flex-none select-none text-muted">[{line.host}:{line.rank}]</span>}
          <span className="min-w-0 flex-1 whitespace-pre-wrap break-all">
            {ansiSegments(line.line).map((segment, i) => (
              <span
                key={i}
                className={segment.className || undefined}
                style={segment.color || segment.background ? { color: segment.color, background: segment.background } : undefined}
              >
                {segment.text}
              </span>
            ))}
          </span>
        </li>
      ))}
    </ol>
  );
});
