/**
 * Small 16×16 icons for the panel's buttons, drawn with DOM APIs (no markup strings, no icon font to ship). Strokes
 * and fills use currentColor, so they follow the theme like codicons do.
 */
const SVG = 'http://www.w3.org/2000/svg';

type Shape =
  | { path: string; fill?: boolean }
  | { circle: [number, number, number]; fill?: boolean }
  | { rect: [number, number, number, number, number?]; fill?: boolean };

const ICONS = {
  record: [{ circle: [8, 8, 4.5], fill: true }],
  stop: [{ rect: [3.5, 3.5, 9, 9, 1.5], fill: true }],
  pause: [{ rect: [4, 3, 2.75, 10, 0.75], fill: true }, { rect: [9.25, 3, 2.75, 10, 0.75], fill: true }],
  play: [{ path: 'M5 3.2v9.6a.6.6 0 0 0 .9.5l7.6-4.8a.6.6 0 0 0 0-1L5.9 2.7a.6.6 0 0 0-.9.5z', fill: true }],
  mic: [{ rect: [5.75, 1.75, 4.5, 8, 2.25] }, { path: 'M3.5 7.5a4.5 4.5 0 0 0 9 0M8 12v2.5M5.5 14.5h5' }],
  micOff: [{ rect: [5.75, 1.75, 4.5, 8, 2.25] }, { path: 'M3.5 7.5a4.5 4.5 0 0 0 9 0M8 12v2.5M5.5 14.5h5M2 2l12 12' }],
  desktop: [{ rect: [1.75, 2.75, 12.5, 8.5, 1] }, { path: 'M8 11.25v2.5M5 14h6' }],
  desktopOff: [{ rect: [1.75, 2.75, 12.5, 8.5, 1] }, { path: 'M8 11.25v2.5M5 14h6M2 2l12 12' }],
  file: [{ path: 'M4 1.75h5l3.25 3.25v9.25H4z' }, { path: 'M8.75 1.75V5.25h3.5M6.5 9v3M8.5 7.5v4.5M10.5 9.5v2' }],
  dictate: [{ rect: [5.75, 1.75, 4.5, 8, 2.25] }, { path: 'M3.5 7.5a4.5 4.5 0 0 0 9 0M8 12v2.5M1.5 5v4M14.5 5v4' }],
  insert: [{ path: 'M8 1.75v7.5M5 6.5l3 3 3-3M2.75 12.75h10.5' }],
  copy: [{ rect: [5.25, 5.25, 8.5, 8.5, 1.25] }, { path: 'M10.75 3.25v-.5a1 1 0 0 0-1-1h-6.5a1 1 0 0 0-1 1v6.5a1 1 0 0 0 1 1h.5' }],
  reveal: [{ path: 'M3.75 1.75h5.5l3 3v9.5h-8.5z' }, { path: 'M6 7.5h4M6 10h4' }],
  todo: [{ path: 'M2.5 3.5h11v7.5H8l-3 2.75V11H2.5z' }, { path: 'M5.5 7.25l1.5 1.5 3-3' }],
  check: [{ path: 'M3.25 8.5l3 3 6.5-7' }],
  arrowDown: [{ path: 'M8 2.5v10.5M3.75 8.75L8 13l4.25-4.25' }],
  search: [{ circle: [6.75, 6.75, 4.25] }, { path: 'M10 10l4 4' }],
  retry: [{ path: 'M12.75 8a4.75 4.75 0 1 1-1.4-3.36M12.75 2.5v3h-3' }],
  download: [{ path: 'M8 1.75v8M4.75 6.75L8 10l3.25-3.25M2.5 12.25v1.5h11v-1.5' }],
  gear: [{ circle: [8, 8, 2.25] }, { path: 'M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4' }],
  model: [{ rect: [2.25, 2.25, 11.5, 11.5, 2] }, { path: 'M5 10.5v-5l3 3 3-3v5' }],
  warning: [{ path: 'M8 1.75L14.5 13.5h-13z' }, { path: 'M8 6v3.5M8 11.25v.25' }],
  adr: [{ path: 'M3.75 1.75h5.5l3 3v9.5h-8.5z' }, { path: 'M5.75 9.5l1.5 1.5 3-3.25' }],
  link: [{ path: 'M6.75 9.25l2.5-2.5M7.25 4.75l1-1a2.5 2.5 0 0 1 3.5 3.5l-1 1M8.75 11.25l-1 1a2.5 2.5 0 0 1-3.5-3.5l1-1' }],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

export function isIconName(name: string | undefined): name is IconName {
  return name !== undefined && Object.prototype.hasOwnProperty.call(ICONS, name);
}

/** An <svg> for the icon, hidden from screen readers (the button carries the label). */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon', `icon-${name}`);
  for (const shape of ICONS[name] as Shape[]) {
    let node: SVGElement;
    if ('path' in shape) {
      node = document.createElementNS(SVG, 'path');
      node.setAttribute('d', shape.path);
    } else if ('circle' in shape) {
      node = document.createElementNS(SVG, 'circle');
      const [cx, cy, r] = shape.circle;
      node.setAttribute('cx', String(cx));
      node.setAttribute('cy', String(cy));
      node.setAttribute('r', String(r));
    } else {
      node = document.createElementNS(SVG, 'rect');
      const [x, y, w, h, r] = shape.rect;
      node.setAttribute('x', String(x));
      node.setAttribute('y', String(y));
      node.setAttribute('width', String(w));
      node.setAttribute('height', String(h));
      if (r) node.setAttribute('rx', String(r));
    }
    node.setAttribute('class', shape.fill ? 'fill' : 'stroke');
    svg.append(node);
  }
  return svg;
}

/** Puts the icon first in an element, replacing an icon that was there. */
export function setIcon(element: Element, name: IconName): void {
  element.querySelector(':scope > svg.icon')?.remove();
  element.prepend(icon(name));
}
