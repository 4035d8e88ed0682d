// Whether an element is on screen or close to it, from one IntersectionObserver shared by every
// element that asks (one per minion box would be 200 observers at 20,000 pods). The map draws a
// minion's pods only while its box is near the viewport: a box far away is a placeholder of the same
// height, so the page's first render costs the boxes in view, not every pod in the cluster.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** How far outside the viewport a box is still drawn: scrolling reveals drawn boxes, not blanks. */
const MARGIN_PX = 200;
const MARGIN = `${MARGIN_PX}px 0px`;

const listeners = new Map();
let observer;

function sharedObserver() {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) listeners.get(e.target)?.(e.isIntersecting);
    },
    { rootMargin: MARGIN },
  );
  return observer;
}

/** A ref for the element, and whether it is near the viewport now. */
export function useNearViewport() {
  const ref = useRef(null);
  const [near, setNear] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    // Answered at once for the first paint (the observer's first report comes a frame or two later).
    const r = el.getBoundingClientRect();
    if (r.bottom > -MARGIN_PX && r.top < innerHeight + MARGIN_PX) setNear(true);
    listeners.set(el, setNear);
    sharedObserver().observe(el);
    return () => {
      sharedObserver().unobserve(el);
      listeners.delete(el);
    };
  }, []);
  return [ref, near];
}
