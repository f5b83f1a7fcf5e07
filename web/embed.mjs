// web/embed.mjs — the page parameters for embedding: ?embed=1 (compact mode), ?hide=…,
// ?show=… and ?preset=NAME. Pure: no DOM, so Node tests cover it (tests/browser/embed.test.mjs).
//
//   embed=1            compact mode for an iframe: results and a few controls only
//   hide=key1,key2     controls not shown (URL keys of state.mjs SETTINGS), in any mode
//   show=key1,key2     controls added to the compact mode's default few
//   preset=NAME        start from a preset of wasm/presets.mjs; settings in the link change it
import { SETTINGS, settingFor } from './state.mjs';
import { field } from '../wasm/contract.mjs';

/** The controls compact mode shows unless told otherwise: the lab's four main knobs. */
export const EMBED_DEFAULT_KEYS = Object.freeze(['m', 'k', 'reduction', 'dropout']);

function keyList(text) {
  if (text === null || text === undefined) return [];
  return String(text).split(',').map((k) => k.trim()).filter(Boolean);
}

/**
 * Reads the embedding parameters of a query string.
 * Returns {embed, hide, show, preset, problems}: hide and show hold known setting keys only
 * (in table order); every unknown key or bad value is in problems as {key, value, reason}
 * and is otherwise ignored. `presetIds` lists the accepted preset names.
 */
export function readEmbedParams(search, presetIds = []) {
  const params = search instanceof URLSearchParams ? search : new URLSearchParams(search);
  const problems = [];
  const embedText = params.get('embed');
  let embed = false;
  if (embedText !== null) {
    if (embedText === '1' || embedText === 'true' || embedText === '') embed = true;
    else if (embedText !== '0' && embedText !== 'false') {
      problems.push({ key: 'embed', value: embedText, reason: 'expected 1 (compact mode) or 0; showing the full lab' });
    }
  }
  const keysOf = (name) => {
    const known = new Set();
    for (const k of keyList(params.get(name))) {
      if (settingFor(k)) known.add(k);
      else problems.push({ key: name, value: k, reason: 'names no setting of the lab, so it is ignored' });
    }
    return SETTINGS.map((s) => s.key).filter((k) => known.has(k));
  };
  const hide = keysOf('hide');
  const show = keysOf('show');
  let preset = params.get('preset');
  if (preset !== null && !presetIds.includes(preset)) {
    problems.push({ key: 'preset', value: preset, reason: `is not a preset of the lab (one of ${presetIds.join(', ')}); starting from the defaults` });
    preset = null;
  }
  return { embed, hide, show, preset, problems };
}

/** The setting keys whose controls the page shows (table order). */
export function visibleKeys({ embed, hide, show }) {
  const wanted = embed ? new Set([...EMBED_DEFAULT_KEYS, ...show]) : new Set(SETTINGS.map((s) => s.key));
  for (const k of hide) wanted.delete(k);
  return SETTINGS.map((s) => s.key).filter((k) => wanted.has(k));
}

/**
 * The page parameters to keep in the URL (for urlFromState's `extra`), in a stable order;
 * absent ones are undefined.
 */
export function embedURLParams({ embed, hide, show }) {
  return {
    embed: embed ? '1' : undefined,
    hide: hide.length ? hide.join(',') : undefined,
    show: show.length ? show.join(',') : undefined,
  };
}

/** The same link without the embedding parameters: the full lab with the same settings. */
export function fullLabURL(href) {
  const url = new URL(href);
  for (const name of ['embed', 'hide', 'show']) url.searchParams.delete(name);
  url.search = url.searchParams.toString().replace(/%2C/g, ',');
  return url.href;
}

const kebab = (key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-').replace(/^-/, '');

/**
 * Readable attribute names for settings, from the engine's schema: the kebab-case of the
 * field's name (batch-size, weight-decay; for optimizer.name and schedule.name the object's
 * name: optimizer, schedule), its CLI flag, and its other tools' names (learning-rate,
 * dataset, samples, gradient-accumulation-steps).
 */
function schemaAliases() {
  const out = {};
  for (const s of SETTINGS) {
    const path = s.path.replace(/\[\d+\]$/, '');
    if (path !== s.path) continue; // optimizer.betas[0]: an item, no name of its own
    const f = field(path), parts = path.split('.');
    const own = parts.at(-1) === 'name' && parts.length > 1 ? parts.at(-2) : parts.at(-1);
    for (const name of [own, f.flag, ...(f.aliases ?? [])]) {
      if (name) out[kebab(name).toLowerCase()] ??= s.key;
    }
  }
  return out;
}

/**
 * The attributes of <accum-lab> (web/accum-lab.mjs, which exports this as ATTRIBUTES):
 * attribute → URL parameter of the lab page. Each setting's URL key in kebab-case (m, k,
 * reduction, dropout, clip-at → clipAt, …), the schema's readable names (batch-size → m,
 * accum-steps → k, learning-rate → lr, …), and the page parameters preset, hide, show and simd.
 */
export const ELEMENT_ATTRIBUTES = Object.freeze({
  ...schemaAliases(),
  ...Object.fromEntries(SETTINGS.map((s) => [kebab(s.key), s.key])),
  preset: 'preset', hide: 'hide', show: 'show', simd: 'simd',
});

const ATTRIBUTE_OF = Object.freeze(Object.entries(ELEMENT_ATTRIBUTES)
  .reduce((out, [name, key]) => { out[key] ??= name; return out; }, {}));

/**
 * The attribute <accum-lab> reads for a URL parameter: the setting's own readable name
 * (m → batch-size, k → accum-steps, wd → weight-decay, lr → lr), preset, hide, show;
 * undefined for a parameter the element does not pass on.
 */
export function elementAttributeFor(key) {
  return ATTRIBUTE_OF[key];
}
