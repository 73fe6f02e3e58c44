import { patchCompare } from "./store";

/** Next to a run's badge: opens the run's detail (the badge itself shows/hides the run). */
export function RunDetailButton({ runId, label }: { runId: string; label: string }) {
  return (
    <button
      type="button"
      aria-label={`Details of ${label}`}
      title={`Details of ${label}: config, env, status, checkpoints`}
      data-testid="run-detail-open"
      data-run-id={runId}
      onClick={() => patchCompare({ detail: runId })}
      className="-ml-1 flex h-5 w-5 flex-none items-center justify-center rounded-full text-[0.6875rem] font-semibold text-muted hover:bg-subtle hover:text-fg"
    >
      i
    </button>
  );
}
