// Lines from a selected service to the pods behind it: an SVG over the whole window, redrawn when the
// page scrolls, resizes or the data changes. A pod whose minion box is far from view (not drawn) gets
// no line; the service's list still names it.
import { h } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

/** Where each line starts (the service's row) and ends (a pod square), in viewport coordinates. */
function measure(service, podNames) {
  const from = document.querySelector(`[data-service="${CSS.escape(service)}"]`)?.getBoundingClientRect();
  if (!from) return [];
  const lines = [];
  for (const name of podNames) {
    const to = document.querySelector(`.minion [data-pod="${CSS.escape(name)}"]`)?.getBoundingClientRect();
    if (to) lines.push({ pod: name, x1: from.left, y1: from.top + from.height / 2, x2: to.left + to.width / 2, y2: to.top + to.height / 2 });
  }
  return lines;
}

export function ServiceLines({ service, podNames, version }) {
  const [lines, setLines] = useState([]);
  const [tick, setTick] = useState(0);
  useLayoutEffect(() => setLines(measure(service, podNames)), [service, podNames.join(), version, tick]);
  useEffect(() => {
    let frame = 0;
    const again = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setTick((t) => t + 1));
    };
    // Capture: the aside and the page scroll separately. The map's own size changes too when a pod's
    // panel opens beside it.
    addEventListener('scroll', again, true);
    addEventListener('resize', again);
    const resized = new ResizeObserver(again);
    const map = document.querySelector('.map');
    if (map) resized.observe(map);
    return () => {
      resized.disconnect();
      cancelAnimationFrame(frame);
      removeEventListener('scroll', again, true);
      removeEventListener('resize', again);
    };
  }, []);
  return html`<svg class="service-lines" data-testid="service-lines" aria-hidden="true">
    ${lines.map((l) => html`<line key=${l.pod} data-line-to=${l.pod} x1=${l.x1} y1=${l.y1} x2=${l.x2} y2=${l.y2} />`)}
  </svg>`;
}
