// web/embed-dialog.mjs — the "Embed…" dialog of the full lab: compact or full mode, the controls shown, the frame's size and title; it writes the <iframe> and <accum-lab> snippets to copy and shows a live preview.
//
// embedSnippets() builds the snippets and is pure (Node tests: tests/browser/embed-dialog.test.mjs);
// createEmbedDialog() is the button and the native <dialog> (showModal: Escape closes it, focus
// stays inside and goes back to the button). The embed's URL is the current page's URL without
// its query, with the experiment's settings and preset (currentSearch()) and the chosen
// page parameters (web/embed.mjs: embed=1, hide=, show=).
import { GROUPS, SETTINGS, settingFor } from './state.mjs';
import { EMBED_DEFAULT_KEYS, elementAttributeFor, visibleKeys } from './embed.mjs';
import { presetById } from '../wasm/presets.mjs';

/** The frame's default size and the sizes the dialog accepts (CSS pixels). */
export const EMBED_SIZE = Object.freeze({ width: 700, height: 500, min: 200, max: 2000 });

const ALL_KEYS = Object.freeze(SETTINGS.map((s) => s.key));
/** Page parameters of the current link that an embed does not take over (it sets its own). */
const DROPPED_PARAMS = ['embed', 'hide', 'show', 'simd'];
const DEFAULT_TITLE = 'accumlab: is gradient accumulation the same as a bigger batch?';
const PREVIEW_DELAY_MS = 300;

/** The frame's title for a link: its preset's title, else the lab's question. */
export function embedTitle(search = '') {
  const preset = presetById(new URLSearchParams(search).get('preset'));
  return preset ? `accumlab: ${preset.title.replace(/^…\s*/, '')}` : DEFAULT_TITLE;
}

/**
 * The shortest hide= and show= for the controls to show (`visible`, setting keys) in a mode
 * ('compact' starts from EMBED_DEFAULT_KEYS, 'full' from every setting). Table order.
 */
export function hideShowFor(mode, visible) {
  const compact = mode !== 'full';
  const wanted = new Set(visible);
  const start = new Set(compact ? EMBED_DEFAULT_KEYS : ALL_KEYS);
  return {
    hide: ALL_KEYS.filter((k) => start.has(k) && !wanted.has(k)),
    show: compact ? ALL_KEYS.filter((k) => !start.has(k) && wanted.has(k)) : [],
  };
}

/** The controls a mode shows for hide= and show= (show= only counts in compact mode). */
export function shownControls(mode, hide = [], show = []) {
  const compact = mode !== 'full';
  return visibleKeys({ embed: compact, hide: hide.filter(settingFor), show: compact ? show.filter(settingFor) : [] });
}

const size = (v, fallback) => {
  const n = Math.round(Number(v));
  return Number.isFinite(n) && v !== '' && v !== null ? Math.min(EMBED_SIZE.max, Math.max(EMBED_SIZE.min, n)) : fallback;
};

/** An attribute value in double quotes: ", < and an & that could start a character reference escaped. */
function attr(text) {
  return String(text).replace(/&(?=#|[A-Za-z0-9]+;)/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The embed of an experiment, as a URL and as two snippets of HTML to paste into a page.
 *   base    the lab page's URL (its query and hash are ignored): 'https://host/accumlab/web/'
 *   search  the experiment's query ('?preset=dropout&m=16'): its settings and preset are kept,
 *           its embed, hide, show and simd are replaced by the choices below; unknown ones dropped
 *   mode    'compact' (embed=1) or 'full'
 *   hide    setting keys whose controls to leave out; show: keys to add in compact mode
 *           (both are reduced to the shortest equivalent: see hideShowFor)
 *   width, height   the frame's size in pixels (default 700 × 500; clamped to EMBED_SIZE)
 *   title   the frame's accessible title (default: embedTitle(search))
 * Returns {url, scriptURL, iframe, element, hide, show, width, height, title}: `iframe` is an
 * <iframe> element, `element` the <script> for web/accum-lab.mjs and an <accum-lab> element
 * with the same settings (its attributes: the settings' readable names, e.g. batch-size for m).
 */
export function embedSnippets({
  base, search = '', mode = 'compact', hide = [], show = [],
  width = EMBED_SIZE.width, height = EMBED_SIZE.height, title,
} = {}) {
  const compact = mode !== 'full';
  const choice = hideShowFor(mode, shownControls(mode, hide, show));
  const w = size(width, EMBED_SIZE.width);
  const h = size(height, EMBED_SIZE.height);
  const words = String(title ?? '').trim() || embedTitle(search);

  // The experiment: settings and preset, each once (the first value, as the page reads it).
  const kept = [];
  const seen = new Set();
  for (const [key, value] of new URLSearchParams(search)) {
    if (DROPPED_PARAMS.includes(key) || seen.has(key) || (key !== 'preset' && !settingFor(key))) continue;
    seen.add(key);
    kept.push([key, value]);
  }
  const params = new URLSearchParams(kept);
  if (compact) params.set('embed', '1');
  if (choice.hide.length) params.set('hide', choice.hide.join(','));
  if (choice.show.length) params.set('show', choice.show.join(','));
  const page = new URL(base);
  page.search = '';
  page.hash = '';
  const query = params.toString().replace(/%2C/g, ',');
  const url = `${page.href}${query ? `?${query}` : ''}`;
  const scriptURL = new URL('accum-lab.mjs', page).href;

  const iframe = `<iframe src="${attr(url)}"\n        width="${w}" height="${h}"\n        title="${attr(words)}"\n`
    + '        loading="lazy" allow="clipboard-write"\n'
    + '        style="box-sizing: border-box; max-width: 100%; border: 1px solid #d9dce3; border-radius: 8px"></iframe>';
  const attributes = kept.map(([key, value]) => [elementAttributeFor(key), value]);
  if (!compact) attributes.push(['mode', 'full']);
  if (choice.hide.length) attributes.push(['hide', choice.hide.join(',')]);
  if (choice.show.length) attributes.push(['show', choice.show.join(',')]);
  attributes.push(['width', String(w)], ['height', String(h)], ['label', words]);
  const element = `<script type="module" src="${attr(scriptURL)}"><\/script>\n`
    + `<accum-lab ${attributes.map(([name, value]) => `${name}="${attr(value)}"`).join(' ')}></accum-lab>`;
  return { url, scriptURL, iframe, element, hide: choice.hide, show: choice.show, width: w, height: h, title: words };
}

// --- the dialog (DOM)

function make(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className' || k === 'textContent' || k === 'type' || k === 'id' || k === 'htmlFor') e[k] = v;
    else if (v === true) e.setAttribute(k, '');
    else if (v !== false && v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  e.append(...children);
  return e;
}

/**
 * Adds an "Embed…" button to `host`; it opens the dialog that writes the snippets.
 *   currentSearch()  the experiment's query (read each time the dialog opens)
 *   base()           the lab page's URL (default: this page's, without query and hash)
 * Returns {button, dialog, open(), close(), snippets()} (snippets(): embedSnippets of the choices).
 */
export function createEmbedDialog(host, {
  currentSearch = () => location.search,
  base = () => location.href.split(/[?#]/)[0],
} = {}) {
  const uid = 'embed';
  const openButton = make('button', { type: 'button', className: 'share-button embed-open', id: 'embed-open', 'aria-haspopup': 'dialog' }, 'Embed…');
  openButton.title = 'Put this experiment in a course page: an <iframe> or <accum-lab> to copy';

  // Choices: the controls shown in each mode, remembered per mode while the page lives.
  const shown = { compact: new Set(EMBED_DEFAULT_KEYS), full: new Set(ALL_KEYS) };
  let mode = 'compact';
  let search = '';
  let titleEdited = false;
  let current = null;
  let previewTimer = 0;
  let previewURL = '';
  let noteTimer = 0;

  const dialog = make('dialog', { className: 'embed-dialog', id: `${uid}-dialog`, 'aria-labelledby': `${uid}-title`, 'aria-describedby': `${uid}-intro` });
  const close = make('button', { type: 'button', className: 'embed-close' },
    make('span', { 'aria-hidden': 'true' }, '×'), make('span', { className: 'visually-hidden' }, 'Close'));
  const head = make('div', { className: 'embed-head' },
    make('h2', { id: `${uid}-title` }, 'Embed this experiment'),
    close);
  const intro = make('p', { id: `${uid}-intro`, className: 'embed-intro' },
    'Put the lab with this experiment’s settings into a course page: choose what it shows, then copy one of the two snippets.');

  // --- mode
  const modeBox = make('fieldset', { className: 'embed-mode' }, make('legend', {}, 'Mode'));
  const radios = {};
  for (const [value, label, hint] of [
    ['compact', 'Compact', 'the main controls, the verdict, table and charts; fits 700 × 500'],
    ['full', 'Full lab', 'every control, the presets and explanations'],
  ]) {
    const id = `${uid}-mode-${value}`;
    const input = make('input', { type: 'radio', id, name: `${uid}-mode`, value, 'aria-describedby': `${id}-hint` });
    radios[value] = input;
    modeBox.append(make('div', { className: 'embed-radio' }, input,
      make('label', { htmlFor: id }, make('strong', {}, label), ' ', make('span', { id: `${id}-hint`, className: 'embed-hint' }, hint))));
  }

  // --- size and title
  const sizeBox = make('fieldset', { className: 'embed-size' }, make('legend', {}, 'Size of the frame'));
  const sizeError = make('p', { id: `${uid}-size-error`, className: 'embed-error', hidden: true });
  const numberField = (name, label, value) => {
    const id = `${uid}-${name}`;
    const input = make('input', {
      type: 'number', id, name, min: EMBED_SIZE.min, max: EMBED_SIZE.max, step: 1, inputmode: 'numeric', value,
      'aria-describedby': `${uid}-size-unit`,
    });
    sizeBox.append(make('div', { className: 'embed-number' }, make('label', { htmlFor: id }, label), input));
    return input;
  };
  const widthInput = numberField('width', 'Width', EMBED_SIZE.width);
  sizeBox.append(make('span', { className: 'embed-times', 'aria-hidden': 'true' }, '×'));
  const heightInput = numberField('height', 'Height', EMBED_SIZE.height);
  sizeBox.append(make('span', { id: `${uid}-size-unit`, className: 'embed-hint embed-unit' }, `pixels, ${EMBED_SIZE.min} to ${EMBED_SIZE.max}; the frame never gets wider than the page`), sizeError);
  const titleInput = make('input', { type: 'text', id: `${uid}-frame-title`, 'aria-describedby': `${uid}-frame-title-hint`, autocomplete: 'off' });
  const titleBox = make('div', { className: 'embed-title-field' },
    make('label', { htmlFor: titleInput.id }, 'Title of the frame'),
    titleInput,
    make('span', { id: `${uid}-frame-title-hint`, className: 'embed-hint' }, 'Screen readers announce it.'));

  // --- controls shown
  const controlsBox = make('fieldset', { className: 'embed-controls' }, make('legend', {}, 'Controls shown'));
  const controlsHint = make('p', { className: 'embed-hint', id: `${uid}-controls-hint` });
  const defaultsButton = make('button', { type: 'button', className: 'share-button embed-defaults' }, 'Use this mode’s defaults');
  // The lab's main group always in view; the other groups (some 35 settings) folded.
  const leadBox = make('div', { className: 'embed-groups embed-groups--lead' });
  const groupsBox = make('div', { className: 'embed-groups' });
  const moreSummary = make('summary', {}, 'Other controls');
  const more = make('details', { className: 'embed-more' }, moreSummary, groupsBox);
  const boxes = new Map();
  for (const g of GROUPS) {
    const settings = SETTINGS.filter((s) => s.group === g.id);
    if (!settings.length) continue;
    const set = make('fieldset', { className: 'embed-group' }, make('legend', {}, g.label));
    for (const s of settings) {
      const id = `${uid}-show-${s.key}`;
      const box = make('input', { type: 'checkbox', id, value: s.key });
      boxes.set(s.key, box);
      set.append(make('div', { className: 'embed-check' }, box, make('label', { htmlFor: id }, s.label)));
    }
    (g.id === 'lead' ? leadBox : groupsBox).append(set);
  }
  const otherKeys = SETTINGS.filter((s) => s.group !== 'lead').map((s) => s.key);
  controlsBox.append(controlsHint, leadBox, more, make('div', { className: 'embed-controls-actions' }, defaultsButton));
  const choices = make('div', { className: 'embed-choices' }, modeBox, sizeBox, titleBox, controlsBox);

  // --- the snippets
  const codeBlock = (name, heading, what, help) => {
    const id = `${uid}-code-${name}`;
    const note = make('span', { className: 'embed-copy-note', role: 'status' });
    const area = make('textarea', { id, className: 'embed-code', readonly: true, rows: 4, spellcheck: 'false', 'aria-describedby': `${id}-help` });
    const copy = make('button', { type: 'button', className: 'embed-copy' }, 'Copy', make('span', { className: 'visually-hidden' }, ` ${what}`));
    copy.dataset.code = name;
    const section = make('section', { className: 'embed-snippet' },
      make('div', { className: 'embed-snippet-head' }, make('label', { htmlFor: id, className: 'embed-snippet-title' }, heading), note, copy),
      make('p', { id: `${id}-help`, className: 'embed-hint' }, help),
      area);
    copy.addEventListener('click', () => copyText(area, note));
    return { section, area, copy, note };
  };
  const iframeCode = codeBlock('iframe', 'As an <iframe>', 'the iframe code', 'Works in any page or learning platform that allows iframes.');
  const elementCode = codeBlock('element', 'As <accum-lab>', 'the accum-lab code',
    'One script tag, then one element per lab; each lab runs on its own. Change an attribute to change its settings.');
  const openLink = make('a', { className: 'embed-open-link', target: '_blank', rel: 'noopener' }, 'Open this embed in a new tab ↗');
  const fileNote = make('p', { className: 'embed-warning', hidden: true },
    'This page is a local file: the snippets point to it, so they work only on this computer. Serve the lab over http(s) to embed it elsewhere.');

  // --- the preview
  const previewNote = make('p', { className: 'embed-hint', id: `${uid}-preview-note` });
  const previewBox = make('div', { className: 'embed-preview' });
  const previewFit = make('div', { className: 'embed-preview-fit' });
  previewBox.append(previewFit);
  const preview = make('section', { className: 'embed-preview-section', 'aria-labelledby': `${uid}-preview-title` },
    make('h3', { id: `${uid}-preview-title` }, 'Preview'), previewNote, previewBox);
  const output = make('div', { className: 'embed-output' },
    fileNote, iframeCode.section, elementCode.section, openLink, preview);

  dialog.append(head, make('div', { className: 'embed-body' }, intro, make('div', { className: 'embed-layout' }, choices, output)));
  host.append(openButton);
  document.body.append(dialog);

  // --- behaviour

  function sizeValue(input, fallback) {
    const n = Number(input.value);
    const ok = input.value.trim() !== '' && Number.isInteger(n) && n >= EMBED_SIZE.min && n <= EMBED_SIZE.max;
    input.setAttribute('aria-invalid', String(!ok));
    return ok ? n : fallback;
  }

  function snippets() {
    return embedSnippets({
      base: base(), search, mode, ...hideShowFor(mode, shown[mode]),
      width: sizeValue(widthInput, current?.width ?? EMBED_SIZE.width),
      height: sizeValue(heightInput, current?.height ?? EMBED_SIZE.height),
      title: titleInput.value,
    });
  }

  function showChoices() {
    radios[mode].checked = true;
    radios[mode === 'full' ? 'compact' : 'full'].checked = false;
    for (const [key, box] of boxes) box.checked = shown[mode].has(key);
    countOthers();
    controlsHint.textContent = mode === 'full'
      ? 'The full lab shows every control; uncheck the ones to leave out (hide=).'
      : `Compact mode shows ${EMBED_DEFAULT_KEYS.length} main controls (${EMBED_DEFAULT_KEYS.map((k) => settingFor(k).label.toLowerCase()).join(', ')}); uncheck to leave one out (hide=), check others to add them (show=).`;
  }

  function countOthers() {
    const n = otherKeys.filter((k) => shown[mode].has(k)).length;
    moreSummary.textContent = `Other controls: ${n} of ${otherKeys.length} shown`;
  }

  /** A code box as tall as its text (at the dialog's current width). */
  function fitCode() {
    for (const area of [iframeCode.area, elementCode.area]) {
      area.style.height = '0px';
      area.style.height = `${area.scrollHeight + 2}px`;
    }
  }

  function update({ now = false } = {}) {
    const bad = [widthInput, heightInput].filter((i) => sizeValue(i, null) === null);
    sizeError.hidden = !bad.length;
    sizeError.textContent = bad.length
      ? `${bad.map((i) => (i === widthInput ? 'Width' : 'Height')).join(' and ')}: a whole number of pixels from ${EMBED_SIZE.min} to ${EMBED_SIZE.max}; the snippets keep the last good size.`
      : '';
    for (const i of bad) i.setAttribute('aria-describedby', `${uid}-size-unit ${sizeError.id}`);
    for (const i of [widthInput, heightInput]) if (!bad.includes(i)) i.setAttribute('aria-describedby', `${uid}-size-unit`);
    current = snippets();
    if (iframeCode.area.value !== current.iframe) iframeCode.area.value = current.iframe;
    if (elementCode.area.value !== current.element) elementCode.area.value = current.element;
    fitCode();
    openLink.href = current.url;
    dialog.dataset.url = current.url;
    fileNote.hidden = !/^file:/i.test(current.url);
    fitPreview();
    clearTimeout(previewTimer);
    if (now) loadPreview();
    else previewTimer = setTimeout(loadPreview, PREVIEW_DELAY_MS);
  }

  /** The preview frame at the chosen size, scaled down to the dialog's width if it is wider. */
  function fitPreview() {
    if (!current) return;
    const frame = previewFit.querySelector('iframe');
    const room = Math.max(1, previewBox.clientWidth);
    const scale = Math.min(1, room / current.width);
    previewFit.style.width = `${Math.floor(current.width * scale)}px`;
    previewFit.style.height = `${Math.floor(current.height * scale)}px`;
    if (frame) {
      frame.style.width = `${current.width}px`;
      frame.style.height = `${current.height}px`;
      frame.style.transform = scale < 1 ? `scale(${scale})` : '';
    }
    previewNote.textContent = `${current.width} × ${current.height} pixels${scale < 1 ? `, shown at ${Math.round(scale * 100)} % to fit` : ''}; it updates as you choose.`;
    dialog.dataset.previewScale = String(scale);
  }

  function loadPreview() {
    if (!dialog.open || !current || current.url === previewURL) return;
    previewURL = current.url;
    // A new frame for every URL: the old lab (its worker and engine) goes with the old frame.
    const frame = make('iframe', { className: 'embed-preview-frame', title: 'Preview of the embedded lab', src: current.url });
    // Escape pressed inside the preview (its own document) closes the dialog too.
    frame.addEventListener('load', () => {
      try {
        frame.contentWindow.addEventListener('keydown', (e) => {
          if (e.key === 'Escape' && !e.defaultPrevented && dialog.open) dialog.close();
        });
      } catch { /* not the same origin: the frame keeps its keys */ }
    });
    previewFit.replaceChildren(frame);
    dialog.dataset.previewUrl = current.url;
    fitPreview();
  }

  function dropPreview() {
    clearTimeout(previewTimer);
    previewFit.replaceChildren();
    previewURL = '';
    delete dialog.dataset.previewUrl;
  }

  async function copyText(area, copyNote) {
    clearTimeout(noteTimer);
    for (const n of [iframeCode.note, elementCode.note]) n.textContent = '';
    const fallback = () => {
      area.focus();
      area.select();
      copyNote.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    };
    if (!navigator.clipboard?.writeText) return fallback();
    try {
      await navigator.clipboard.writeText(area.value);
      copyNote.textContent = 'Copied';
      noteTimer = setTimeout(() => { copyNote.textContent = ''; }, 4000);
    } catch {
      fallback();
    }
  }

  for (const r of Object.values(radios)) {
    r.addEventListener('change', () => {
      if (!r.checked) return;
      mode = r.value;
      if (mode === 'full') more.open = true; // the full lab: any control may be the one to leave out
      showChoices();
      update();
    });
  }
  for (const [key, box] of boxes) {
    box.addEventListener('change', () => {
      if (box.checked) shown[mode].add(key);
      else shown[mode].delete(key);
      countOthers();
      update();
    });
  }
  defaultsButton.addEventListener('click', () => {
    shown[mode] = new Set(mode === 'full' ? ALL_KEYS : EMBED_DEFAULT_KEYS);
    showChoices();
    update();
  });
  for (const input of [widthInput, heightInput]) {
    input.addEventListener('input', () => update());
    input.addEventListener('change', () => { // a committed bad value: back to the size in use
      if (sizeValue(input, null) === null) {
        input.value = String(input === widthInput ? current.width : current.height);
        update();
      }
    });
  }
  titleInput.addEventListener('input', () => {
    titleEdited = titleInput.value.trim() !== '';
    update();
  });
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dropPreview();
    openButton.focus();
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) dialog.close();
  });
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => fitPreview()).observe(previewBox);
    new ResizeObserver(() => fitCode()).observe(output);
  }

  function open() {
    search = currentSearch() ?? '';
    if (!titleEdited) titleInput.value = embedTitle(search);
    showChoices();
    if (!dialog.open) dialog.showModal();
    update({ now: true });
  }
  openButton.addEventListener('click', open);

  return { button: openButton, dialog, open, close: () => dialog.close(), snippets: () => current ?? snippets() };
}
