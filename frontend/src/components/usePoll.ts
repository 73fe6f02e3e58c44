import { useEffect, useState } from "react";

/** A counter that ticks every `ms` while the page is visible: a dependency that refetches. */
export function usePoll(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState !== "hidden") setTick((t) => t + 1);
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
  return tick;
}
