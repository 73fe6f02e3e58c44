import type { AppStore } from "../store/store";

/**
 * Keeps <html> in step with the theme: dark when asked, or when the system says so, and always
 * in wall-monitor mode; `kiosk` enlarges the type.
 */
export function bindTheme(store: AppStore, onChange: () => void): () => void {
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    const { theme, kiosk } = store.getState();
    const dark = kiosk || theme === "dark" || (theme === "system" && media.matches);
    const root = document.documentElement;
    const changed = root.classList.contains("dark") !== dark || root.classList.contains("kiosk") !== kiosk;
    root.classList.toggle("dark", dark);
    root.classList.toggle("kiosk", kiosk);
    if (changed) onChange();
  };
  apply();
  media.addEventListener("change", apply);
  const unsubscribe = store.subscribe((state, prev) => {
    if (state.theme !== prev.theme || state.kiosk !== prev.kiosk) apply();
  });
  return () => {
    media.removeEventListener("change", apply);
    unsubscribe();
  };
}
