import { useCallback, useState } from "react";

/** The content-box size of an element, kept current by a ResizeObserver (a callback ref). */
export function useBoxSize(): [(el: HTMLElement | null) => void, { width: number; height: number }] {
  const [size, setSize] = useState({ width: 0, height: 0 });
  const ref = useCallback((el: HTMLElement | null) => {
    if (!el) return;
    const update = () => {
      const width = Math.floor(el.clientWidth);
      const height = Math.floor(el.clientHeight);
      setSize((old) => (old.width === width && old.height === height ? old : { width, height }));
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    // React 19 runs a callback ref's returned cleanup when the element goes away.
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

/** The root font size in px (the wall scales it with the viewport). */
export function remPx(): number {
  return Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}
