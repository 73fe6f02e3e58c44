import { SearchIcon } from "./icons";

/** A search field with its icon and a screen-reader label (run search, panel filter). */
export function SearchInput({
  label,
  value,
  onChange,
  height = "h-8",
  testId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  height?: "h-7" | "h-8";
  testId?: string;
}) {
  return (
    <label className="relative flex items-center">
      <span className="sr-only">{label}</span>
      <SearchIcon size={14} className="pointer-events-none absolute left-2 text-muted" />
      <input
        type="search"
        value={value}
        placeholder={label}
        onChange={(e) => onChange(e.target.value)}
        className={`${height} w-44 rounded-lg border border-line bg-card pl-7 pr-2 text-xs placeholder:text-muted focus:border-accent focus:outline-none`}
        data-testid={testId}
      />
    </label>
  );
}
