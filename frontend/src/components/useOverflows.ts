import { useCallback, useState } from "react";

/**
 * How many of an element's children lie below its bottom edge (0: all visible; a folded list
 * shows "+N"), kept current as the element or its content changes.
 */
export function useOverflows(): [(el: HTMLElement | null) => void, number] {
  const [hidden, setHidden] = useState(0);
  const ref = useCallback((el: HTMLElement | null) => {
    if (!el) return;
    // Measured at most once a frame: each badge's text ticks every second and a mutation
    // per badge, each forcing a layout, froze the page for seconds with thousands of runs.
    let frame = 0;
    const measure = () => {
      frame = 0;
      let count = 0;
      if (el.scrollHeight > el.clientHeight + 1) {
        const bottom = el.getBoundingClientRect().bottom;
        for (const child of el.querySelectorAll<HTMLElement>("[data-testid=run-badge]")) {
          if (child.getBoundingClientRect().top >= bottom - 1) count++;
        }
        count = Math.max(1, count);
      }
      setHidden(count);
    };
    const update = () => {
      if (frame === 0) frame = requestAnimationFrame(measure);
    };
    measure();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    // the content grows without the box changing size: watch the children too
    const mutations = new MutationObserver(update);
    mutations.observe(el, { childList: true, subtree: true });
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      mutations.disconnect();
    };
  }, []);
  return [ref, hidden];
}
