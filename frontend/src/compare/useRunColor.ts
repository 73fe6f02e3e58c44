import { useApp } from "../app/services";
import { colorOf } from "../store/runsSlice";

/** The colour the live dashboard gives a run (badges, charts), so every view agrees. */
export function useRunColor(): (runId: string) => string {
  const runColors = useApp((s) => s.runColors);
  return (runId) => colorOf({ runColors }, runId);
}
