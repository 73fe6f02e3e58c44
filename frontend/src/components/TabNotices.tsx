import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { hostsWithoutGpu } from "../core/gpuHosts";
import type { CardSpec } from "../store/selectors";
import { isRunSelected } from "../store/uiSlice";

/** Only the agent's own counters (agent.*): nothing the training script logged. */
export function internalOnly(cards: readonly CardSpec[]): boolean {
  return cards.length > 0 && cards.every((card) => card.id.startsWith("agent."));
}

/**
 * What a tab's cards alone would not say: that a tab holds only runwatch's own counters, that
 * a host has no GPU to chart, that a GPU is the demo's simulation.
 */
export function TabNotices({ cards }: { cards: readonly CardSpec[] }) {
  const system = cards.some((card) => card.id.startsWith("sys."));
  const gpuCards = cards.some((card) => card.id.startsWith("sys.gpu."));
  const { noGpu, simulated } = useApp(
    useShallow((s) => {
      return {
        noGpu: system ? hostsWithoutGpu(s.series.values(), (id) => isRunSelected(s.selection, id)).join(", ") : "",
        simulated: gpuCards && [...s.runs.values()].some((r) => r.config["simulated_gpu"] === true && isRunSelected(s.selection, r.run_id)),
      };
    }),
  );
  const notes: { id: string; text: string }[] = [];
  if (internalOnly(cards)) {
    notes.push({
      id: "internal-only",
      text: "Only runwatch's own counters (agent.*) were logged under this tab, nothing from the training script. They are folded below.",
    });
  }
  if (noGpu) notes.push({ id: "no-gpu", text: `No NVIDIA GPU / NVML on host ${noGpu}: no GPU charts for it.` });
  if (simulated) notes.push({ id: "simulated-gpu", text: "The demo runs' GPU is simulated (this machine may have none)." });
  if (notes.length === 0) return null;
  return (
    <ul className="mb-3 flex flex-col gap-1.5" data-testid="tab-notices">
      {notes.map((note) => (
        <li key={note.id} data-testid="tab-notice" data-notice={note.id} className="rounded-lg border border-line bg-subtle px-3 py-2 text-sm text-muted">
          {note.text}
        </li>
      ))}
    </ul>
  );
}
