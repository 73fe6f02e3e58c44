import { useCallback, useState } from "react";

/** Whether an element's content is taller than the element (kept current as either resizes). */
export function useOverflows(): [(el: HTMLElement | null) => void, boolean] {
  const [overflows, setOverflows] = useState(false);
  const ref = useCallback((el: HTMLElement | null) => {
    if (!el) return;
    const update = () => setOverflows(el.scrollHeight > el.clientHeight + 1);
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    // the content grows without the box changing size: watch the children too
    const mutations = new MutationObserver(update);
    mutations.observe(el, { childList: true, subtree: true });
    return () => {
      observer.disconnect();
      mutations.disconnect();
    };
  }, []);
  return [ref, overflows];
}
