import { useServices } from "../app/services";
import { RunDetail } from "./RunDetail";
import { patchCompare, useCompare } from "./store";

/** A run's detail over the chart tabs (opened from its badge); the Runs view shows its own. */
export function DetailOverlay() {
  const { store } = useServices();
  const detail = useCompare((s) => s.detail);
  if (detail === null) return null;
  return (
    <div className="fixed inset-y-0 right-0 z-40 flex w-[min(34rem,100vw)] p-3" data-testid="detail-overlay">
      <RunDetail
        runId={detail}
        onClose={() => patchCompare({ detail: null })}
        onShowCharts={(id) => {
          store.setState({ selection: { mode: "include", ids: [id] } });
          patchCompare({ detail: null });
        }}
      />
    </div>
  );
}
