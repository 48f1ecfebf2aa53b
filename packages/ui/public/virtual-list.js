// A list that renders only the rows in view (plus a margin), for transcripts of tens of thousands
// of words. Rows may have any height: each starts with an estimate and is measured once drawn;
// positions are prefix sums of the heights, so scrolling costs the rows on screen, not the list.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

const OVERSCAN = 600; // px drawn above and below the viewport

export function VirtualList({ count, estimate, renderRow, api, className }) {
  const box = useRef(null);
  const sizes = useRef(null);
  const [, redraw] = useState(0);
  const [view, setView] = useState({ top: 0, height: 800 });
  if (!sizes.current || sizes.current.length !== count) sizes.current = Float64Array.from({ length: count }, (_, i) => estimate(i));
  const offsets = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + sizes.current[i];
  const first = Math.max(0, upperBound(offsets, view.top - OVERSCAN) - 1);
  let last = first;
  while (last < count && offsets[last] < view.top + view.height + OVERSCAN) last++;

  if (api) {
    api.current = {
      scrollToIndex(i, align = 'center') {
        const el = box.current;
        if (!el || i < 0 || i >= count) return;
        el.scrollTop = align === 'start' ? offsets[i] : Math.max(0, offsets[i] - el.clientHeight / 3);
      },
      isVisible(i) {
        const el = box.current;
        return !!el && offsets[i] >= el.scrollTop && offsets[i + 1] <= el.scrollTop + el.clientHeight;
      },
    };
  }

  useLayoutEffect(() => {
    const el = box.current;
    const onScroll = () => setView({ top: el.scrollTop, height: el.clientHeight });
    onScroll();
    el.addEventListener('scroll', onScroll, { passive: true });
    addEventListener('resize', onScroll);
    return () => (el.removeEventListener('scroll', onScroll), removeEventListener('resize', onScroll));
  }, []);

  // Measure the rows just drawn; redraw once if any estimate was off.
  useLayoutEffect(() => {
    let changed = false;
    for (const row of box.current.querySelectorAll('[data-row]')) {
      const i = Number(row.dataset.row);
      const h = row.offsetHeight;
      if (h && Math.abs(h - sizes.current[i]) > 0.5) {
        sizes.current[i] = h;
        changed = true;
      }
    }
    if (changed) redraw((n) => n + 1);
  });

  const rows = [];
  for (let i = first; i < last; i++) rows.push(html`<div key=${i} data-row=${i} class="vrow" style=${`top:${offsets[i]}px`}>${renderRow(i)}</div>`);
  return html`<div ref=${box} class=${`vlist ${className ?? ''}`}><div class="vspace" style=${`height:${offsets[count]}px`}>${rows}</div></div>`;
}

/** The first index whose value is greater than x (values ascending). */
export function upperBound(values, x, from = 0, to = values.length) {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
