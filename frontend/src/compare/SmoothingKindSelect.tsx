import type { SmoothKind } from "./viewState";

/** The server-side smoothing filters (Runs view and tab cards share the choice through the URL). */
export function SmoothingKindSelect({ label, className, value, onChange }: { label: string; className: string; value: SmoothKind; onChange: (kind: SmoothKind) => void }) {
  return (
    <select aria-label={label} className={className} value={value} onChange={(e) => onChange(e.target.value as SmoothKind)}>
      <option value="none">off</option>
      <option value="ema">EMA</option>
      <option value="sma">moving average</option>
      <option value="gaussian">Gaussian</option>
      <option value="savgol">Savitzky–Golay</option>
    </select>
  );
}
