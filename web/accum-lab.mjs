// web/accum-lab.mjs — <accum-lab>: the lab in any page with one script tag.
//
//   <script type="module" src="/labs/accumlab/accum-lab.mjs"></script>
//   <accum-lab preset="dropout" batch-size="8" accum-steps="4" height="500"></accum-lab>
//
// The element shows the lab's own page (index.html next to this file) in compact mode
// (?embed=1) in an iframe inside its shadow root. The iframe isolates it: each element has
// its own page, worker and engine, so several on one page run independently, and the host
// page's CSS cannot reach in. Attributes become the page's URL parameters (ATTRIBUTES);
// changing one reloads the lab with the new settings. Bad values are reported inside the
// lab, as for a link. mode="full" shows the full lab instead of compact mode (no ?embed=1).
import { SETTINGS } from './state.mjs';
import { ELEMENT_ATTRIBUTES } from './embed.mjs';

const LAB_PAGE = new URL('index.html', import.meta.url);

/**
 * Attribute → URL parameter of the lab page, for every attribute the element passes on:
 * each setting's URL key in kebab-case (m, k, reduction, dropout, clip-at → clipAt, …), the
 * schema's readable names (batch-size → m, accum-steps → k, learning-rate → lr, …), and the page parameters
 * preset, hide, show and simd (the table is ELEMENT_ATTRIBUTES of web/embed.mjs).
 */
export const ATTRIBUTES = ELEMENT_ATTRIBUTES;

const BOOL_KEYS = new Set(SETTINGS.filter((s) => s.type === 'bool').map((s) => s.key));

/**
 * The lab's compact-mode URL for a set of attributes ({name: value}); unknown names are
 * left out. A bare boolean attribute (`<accum-lab nesterov>`) means true. `mode: 'full'`
 * gives the full lab's URL (no embed=1).
 */
export function labURL(attributes, page = LAB_PAGE) {
  const url = new URL(page);
  const params = new URLSearchParams();
  for (const [name, key] of Object.entries(ATTRIBUTES)) {
    const value = attributes[name];
    if (value === undefined || value === null) continue;
    params.set(key, value === '' && BOOL_KEYS.has(key) ? 'true' : value);
  }
  if (String(attributes.mode ?? '').trim().toLowerCase() !== 'full') params.set('embed', '1');
  url.search = params.toString().replace(/%2C/g, ',');
  return url.href;
}

const cssSize = (v, fallback) => (!v ? fallback : /^\d+(\.\d+)?$/.test(v.trim()) ? `${v.trim()}px` : v);

export class AccumLabElement extends HTMLElement {
  static get observedAttributes() {
    return [...Object.keys(ATTRIBUTES), 'mode', 'width', 'height', 'label'];
  }

  #frame;
  #pending = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = ':host { display: block; max-width: 100%; }'
      + ' :host([hidden]) { display: none; }'
      + ' iframe { display: block; box-sizing: border-box; max-width: 100%; border: 1px solid #d9dce3; border-radius: 8px; background: #fff; }';
    this.#frame = document.createElement('iframe');
    this.#frame.setAttribute('allow', 'clipboard-write');
    this.#frame.setAttribute('part', 'frame');
    root.append(style, this.#frame);
  }

  /** The lab page the iframe shows (or will show once connected). */
  get src() {
    const attributes = {};
    for (const name of [...Object.keys(ATTRIBUTES), 'mode']) if (this.hasAttribute(name)) attributes[name] = this.getAttribute(name);
    return labURL(attributes);
  }

  connectedCallback() {
    this.#render();
  }

  attributeChangedCallback() {
    // Several attributes set one after another reload the lab once.
    if (this.#pending || !this.isConnected) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      this.#render();
    });
  }

  #render() {
    const f = this.#frame;
    f.style.width = cssSize(this.getAttribute('width'), '100%');
    f.style.height = cssSize(this.getAttribute('height'), '500px');
    const preset = this.getAttribute('preset');
    f.title = this.getAttribute('label')
      || `accumlab${preset ? ` (${preset})` : ''}: is gradient accumulation the same as a bigger batch?`;
    const src = this.src;
    if (f.getAttribute('src') !== src) f.setAttribute('src', src);
  }
}

if (!customElements.get('accum-lab')) customElements.define('accum-lab', AccumLabElement);
