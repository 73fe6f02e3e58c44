/**
 * Two IntersectionObservers shared by every card. "near" (the viewport plus a margin) decides
 * whether a card has a chart at all: only cards on or close to the screen cost anything, so
 * thousands of panels cost no more than the few visible. "on screen" (no margin) decides what
 * the scheduler redraws first when data arrives.
 */
export interface VisibilityHandler {
  id: string;
  near: (visible: boolean) => void;
  onScreen: (visible: boolean) => void;
}

export class VisibilityTracker {
  private nearObserver: IntersectionObserver | null = null;
  private screenObserver: IntersectionObserver | null = null;
  private readonly handlers = new Map<Element, VisibilityHandler>();
  private readonly onScreenSet = new Set<Element>();

  private root: Element | null = null;

  constructor(private readonly margin = "400px 0px") {}

  /** The scrolling element the cards live in (null: the viewport). Re-observes every card. */
  setRoot(root: Element | null): void {
    if (root === this.root) return;
    this.root = root;
    this.nearObserver?.disconnect();
    this.screenObserver?.disconnect();
    this.nearObserver = null;
    this.screenObserver = null;
    this.onScreenSet.clear();
    const [near, screen] = this.observers();
    for (const el of this.handlers.keys()) {
      near.observe(el);
      screen.observe(el);
    }
  }

  private observers(): [IntersectionObserver, IntersectionObserver] {
    this.nearObserver ??= new IntersectionObserver(
      (entries) => {
        for (const entry of entries) this.handlers.get(entry.target)?.near(entry.isIntersecting);
      },
      { root: this.root, rootMargin: this.margin },
    );
    this.screenObserver ??= new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) this.onScreenSet.add(entry.target);
          else this.onScreenSet.delete(entry.target);
          this.handlers.get(entry.target)?.onScreen(entry.isIntersecting);
        }
      },
      { root: this.root },
    );
    return [this.nearObserver, this.screenObserver];
  }

  observe(el: Element, handler: VisibilityHandler): void {
    this.handlers.set(el, handler);
    for (const observer of this.observers()) observer.observe(el);
  }

  unobserve(el: Element): void {
    this.handlers.delete(el);
    this.onScreenSet.delete(el);
    this.nearObserver?.unobserve(el);
    this.screenObserver?.unobserve(el);
  }

  /** The ids of the cards on screen now. */
  visibleIds(): string[] {
    const ids: string[] = [];
    for (const el of this.onScreenSet) {
      const handler = this.handlers.get(el);
      if (handler) ids.push(handler.id);
    }
    return ids;
  }
}
