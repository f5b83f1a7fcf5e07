// web/controls.mjs — the settings form, generated from the SETTINGS table of state.mjs.
//
// One labelled control per setting, grouped in sections (the lab's four main knobs first,
// open; the rest in <details> sections). The module reads and writes controls; it never
// decides what a change means (main.mjs does).
import { GROUPS, SETTINGS, describeAllowed, formatValue, isRelevant, parseValue, settingFor } from './state.mjs';

const INT_INPUT = new Set(['m', 'k', 'workers', 'n', 'steps', 'stepSize', 'warmup', 'tMax', 'schedSteps', 'growthInterval']);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function controlFor(s) {
  const id = `c-${s.key}`;
  const describedBy = [s.help || s.optional ? `h-${s.key}` : null, `e-${s.key}`].filter(Boolean).join(' ');
  const common = { id, name: s.key, 'aria-describedby': describedBy };
  if (s.type === 'enum') {
    const select = el('select', common);
    for (const [value, label] of s.options) select.append(el('option', { value, text: label }));
    return select;
  }
  if (s.type === 'bool') return el('input', { ...common, type: 'checkbox' });
  if (s.type === 'int' && INT_INPUT.has(s.key)) {
    return el('input', { ...common, type: 'number', inputmode: 'numeric', min: s.min, max: s.max, step: 1 });
  }
  if (s.key === 'dropout') {
    return el('input', { ...common, type: 'number', inputmode: 'decimal', min: 0, max: 0.95, step: 0.05 });
  }
  return el('input', {
    ...common,
    type: 'text',
    inputmode: s.type === 'intlist' ? 'text' : s.type === 'int' ? 'numeric' : 'decimal',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: s.optional ? `auto: ${s.auto}` : null,
  });
}

function fieldFor(s) {
  const control = controlFor(s);
  const label = el('label', { for: control.id, text: s.label });
  const helpText = [s.help, s.optional ? `Empty = ${s.auto}.` : null].filter(Boolean).join(' ');
  const help = helpText ? el('p', { className: 'help', id: `h-${s.key}`, text: helpText }) : null;
  const error = el('p', { className: 'error', id: `e-${s.key}`, hidden: true });
  const field = el('div', { className: `field field--${s.type}`, 'data-key': s.key });
  const parts = s.type === 'bool' ? [el('div', { className: 'check' }, control, label), help, error] : [label, control, help, error];
  field.append(...parts.filter(Boolean));
  return { field, control, error };
}

/**
 * Builds the form inside `form`.
 *   onChange(key, value): a control was committed with a valid value — at once for
 *     selects and checkboxes, TYPING_MS after the last keystroke in a number field (and on
 *     Enter or leaving it); text that is not valid yet is only reported on commit
 *   onInvalid(key, text, reason): a control holds text that is not allowed
 *   include(key): whether to build this setting's control at all (?hide=, compact mode);
 *     the others are left out of the page, and calls naming them do nothing
 * Returns the controller described below.
 */
export const TYPING_MS = 300;

export function createControls(form, { onChange, onInvalid, include = () => true }) {
  const fields = new Map(); // key → {field, control, error, section}

  for (const g of GROUPS) {
    const members = SETTINGS.filter((s) => s.group === g.id && include(s.key));
    if (!members.length) continue;
    let body;
    let section;
    if (g.id === 'lead') {
      section = el('fieldset', { className: 'group group--lead' }, el('legend', { text: g.label }));
      body = section;
    } else {
      section = el('details', { className: 'group', 'data-group': g.id, open: false });
      section.append(el('summary', { text: g.label }));
      body = el('div', { className: 'group-body' });
      section.append(body);
    }
    for (const s of members) {
      const f = fieldFor(s);
      body.append(f.field);
      fields.set(s.key, { ...f, section });
    }
    form.append(section);
  }

  const readText = (s, control) => (s.type === 'bool' ? (control.checked ? 'true' : 'false') : control.value);

  for (const [key, { control }] of fields) {
    const s = settingFor(key);
    control.addEventListener('change', () => {
      const text = readText(s, control);
      // A number input with text it cannot parse reports "" and badInput.
      if (control.validity && control.validity.badInput) {
        onInvalid(key, text, `is not a number; expected ${describeAllowed(s)}`);
        return;
      }
      const r = parseValue(s, text);
      if (r.ok) onChange(key, r.value);
      else onInvalid(key, text, r.reason);
    });
    if (control.tagName === 'INPUT' && s.type !== 'bool') {
      let typing = 0;
      control.addEventListener('input', () => {
        clearTimeout(typing);
        typing = setTimeout(() => {
          if (control.validity?.badInput) return;
          const r = parseValue(s, readText(s, control));
          if (r.ok) onChange(key, r.value);
        }, TYPING_MS);
      });
      control.addEventListener('change', () => clearTimeout(typing));
    }
  }
  // Enter in a text field commits it (change fires); the form itself never submits.
  form.addEventListener('submit', (e) => e.preventDefault());

  const api = {
    /** Shows every value of state in its control and hides irrelevant ones. */
    setState(state) {
      for (const [key, { control }] of fields) {
        const s = settingFor(key);
        const v = state[key];
        if (s.type === 'bool') control.checked = Boolean(v);
        else control.value = formatValue(s, v);
      }
      api.updateRelevance(state);
    },
    updateRelevance(state) {
      for (const [key, { field }] of fields) field.hidden = !isRelevant(settingFor(key), state);
    },
    /**
     * Shows a message under a control (opening its section) and marks it invalid.
     * `blocking`: the control holds text that is not a value (Run refuses until fixed);
     * otherwise it is a note about a value that was replaced (from the link, or the engine).
     */
    showError(key, message, { blocking = false } = {}) {
      const f = fields.get(key);
      if (!f) return false;
      f.blocking = blocking;
      f.error.textContent = message;
      f.error.hidden = false;
      f.field.hidden = false;
      f.control.setAttribute('aria-invalid', 'true');
      if (f.section.tagName === 'DETAILS') f.section.open = true;
      return true;
    },
    clearError(key) {
      const f = fields.get(key);
      if (!f) return;
      f.error.textContent = '';
      f.error.hidden = true;
      f.blocking = false;
      f.control.removeAttribute('aria-invalid');
    },
    clearErrors() {
      for (const key of fields.keys()) api.clearError(key);
    },
    /** Keys whose controls hold text that is not a valid value. */
    invalidKeys() {
      return [...fields].filter(([, f]) => f.blocking && !f.error.hidden).map(([k]) => k);
    },
    focus(key) {
      fields.get(key)?.control.focus();
    },
  };
  return api;
}
