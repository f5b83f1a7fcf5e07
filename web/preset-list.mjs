// web/preset-list.mjs — the "Ready-made experiments" buttons and the story above the
// verdict (a one-line summary that opens to why and the fix; it is always there, so it never
// pushes the verdict around). Presets come from the engine (wasm/presets.mjs); each one's page state is
// derived once here, and the page asks which preset (if any) its settings match.
import { DEFAULT_TEXT, PRESETS } from '../wasm/presets.mjs';
import { defaultState, sameState, stateFromConfig } from './state.mjs';

/** The presets with the page state of each (derived from its engine config). */
export const PRESET_STATES = PRESETS.map((p) => ({ ...p, state: stateFromConfig(p.config).state }));

/** The page state of a preset by id (undefined if there is no such preset). */
export function presetState(id) {
  return PRESET_STATES.find((p) => p.id === id)?.state;
}

/**
 * Draws the grouped preset buttons into `container`; onChoose(id | null, state) on a click
 * (null: the defaults). story: {section, title, see, why, fix, code} elements.
 * Returns {render(state)}: marks the preset the settings match and shows its story.
 */
export function createPresetList(container, story, { onChoose }) {
  const buttons = [];
  const groups = [['', [{ id: 'defaults', title: 'Defaults: mean loss, no fix', state: defaultState(), text: DEFAULT_TEXT }]]];
  for (const p of PRESET_STATES) {
    const g = groups.find(([name]) => name === p.group) ?? groups[groups.push([p.group, []]) - 1];
    g[1].push(p);
  }
  for (const [name, list] of groups) {
    if (name) {
      const h = document.createElement('h4');
      h.className = 'preset-group';
      h.textContent = name;
      container.append(h);
    }
    const row = document.createElement('div');
    row.className = 'preset-row';
    for (const p of list) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'preset';
      b.textContent = p.title;
      b.dataset.preset = p.id;
      b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', () => onChoose(p.id === 'defaults' ? null : p.id, { ...p.state }));
      row.append(b);
      buttons.push([b, p]);
    }
    container.append(row);
  }

  // One Tab stop for the whole list (a toolbar): the arrow keys, Home and End move between
  // the presets, so the keyboard reaches Run without tabbing through all of them.
  container.setAttribute('role', 'toolbar');
  container.setAttribute('aria-label', 'Ready-made experiments');
  container.setAttribute('aria-orientation', 'vertical');
  const list = buttons.map(([b]) => b);
  const focusAt = (i) => {
    for (const b of list) b.tabIndex = -1;
    list[i].tabIndex = 0;
    list[i].focus();
  };
  container.addEventListener('keydown', (e) => {
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    const to = { ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    focusAt(Math.min(list.length - 1, Math.max(0, to)));
  });

  function render(state) {
    let match = null;
    for (const [b, p] of buttons) {
      const on = sameState(state, p.state);
      b.setAttribute('aria-pressed', String(on));
      if (on && !match) match = p;
    }
    // The Tab stop is the chosen preset (the first one when none is), unless focus is inside.
    if (!container.contains(document.activeElement)) {
      const stop = buttons.find(([, p]) => p === match)?.[0] ?? list[0];
      for (const b of list) b.tabIndex = b === stop ? 0 : -1;
    }
    const text = match?.text;
    story.section.dataset.preset = match?.id ?? '';
    story.title.textContent = match ? match.title : 'Your own experiment';
    story.see.textContent = text ? text.see : 'no ready-made story matches these settings; the verdict below says what happens and why.';
    story.why.textContent = text?.why ?? '';
    story.fix.textContent = text?.fix ?? '';
    if (story.source) { // where a framework's behaviour was read: file or issue, and version
      story.source.textContent = text?.source ?? '';
      story.source.hidden = story.source.previousElementSibling.hidden = !text?.source;
    }
    story.code.textContent = text?.code ?? '';
    story.code.closest('details').hidden = !text?.code;
    story.section.classList.toggle('story--plain', !text);
  }
  return { render };
}
