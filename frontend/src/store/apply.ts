import { seriesKey } from "../core/metrics";
import type { DeltaMessage, RunsMetaMessage, SnapshotMessage } from "../core/types";
import { derivedRuns, normalizeRun, placeholderRun, runsSlice } from "./runsSlice";
import { appendWire, seriesCap, seriesFromWire, type SeriesData } from "./seriesSlice";
import type { AppStore } from "./store";

/**
 * The stream's messages applied to the store. Framework-free: the SSE client calls these,
 * tests call them with literal messages.
 */

export type DeltaOutcome = "applied" | "resync";

export function applySnapshot(store: AppStore, msg: SnapshotMessage): void {
  const state = store.getState();
  const rev = state.dataRev + 1;
  const series = new Map<string, SeriesData>();
  for (const wire of msg.series) {
    const data = seriesFromWire(wire, rev);
    series.set(data.key, data);
  }
  const seriesRuns = new Set<string>();
  for (const data of series.values()) seriesRuns.add(data.runId);
  store.setState({
    ...runsSlice(msg.runs, seriesRuns),
    version: msg.version,
    maxPoints: msg.max_points > 0 ? msg.max_points : state.maxPoints,
    series,
    structureRev: state.structureRev + 1,
    dataRev: rev,
  });
}

/**
 * Applies a delta when it continues the version the store holds; otherwise changes nothing
 * and answers "resync" (the caller then asks the server for a fresh snapshot).
 */
export function applyDelta(store: AppStore, msg: DeltaMessage): DeltaOutcome {
  const state = store.getState();
  if (state.version === null || msg.prev_version !== state.version) return "resync";
  const rev = state.dataRev + 1;
  const cap = seriesCap(state.maxPoints);
  let structural = false;
  let newRuns: string[] | null = null;
  for (const wire of msg.series) {
    const existing = state.series.get(seriesKey(wire));
    if (existing === undefined || wire.replace) {
      const data = seriesFromWire(wire, rev);
      if (existing === undefined) {
        structural = true;
        if (!state.runs.has(data.runId)) (newRuns ??= []).push(data.runId);
      }
      state.series.set(data.key, data);
    } else {
      appendWire(existing, wire, cap);
      existing.rev = rev;
    }
  }
  let runsPatch = {};
  if (newRuns !== null) {
    const runs = new Map(state.runs);
    for (const runId of newRuns) if (!runs.has(runId)) runs.set(runId, placeholderRun(runId));
    runsPatch = { runs, ...derivedRuns(runs) };
  }
  store.setState({
    ...runsPatch,
    version: msg.version,
    dataRev: rev,
    ...(structural ? { structureRev: state.structureRev + 1 } : {}),
  });
  return "applied";
}

/**
 * Replaces the run metadata. Runs that still have series but are missing from the message
 * keep a placeholder, so their charts do not lose their label. The version never goes back.
 */
export function applyRunsMeta(store: AppStore, msg: RunsMetaMessage): void {
  const state = store.getState();
  const seriesRuns = new Set<string>();
  for (const data of state.series.values()) seriesRuns.add(data.runId);
  const next = runsSlice(msg.runs.map(normalizeRun), seriesRuns);
  const version = state.version === null ? state.version : Math.max(state.version, msg.version);
  store.setState({ ...next, version });
}
