import { useSyncExternalStore } from "react";

/** "sql" while the SQL console is open (#sql…), else "dashboard". The hash keeps the rest of the URL (runs=, tab=) as it is. */
export type Route = "dashboard" | "sql";

function current(): Route {
  return window.location.hash.startsWith("#sql") ? "sql" : "dashboard";
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current, () => "dashboard");
}
