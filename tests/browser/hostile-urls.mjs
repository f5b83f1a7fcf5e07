// Random and hostile query strings for the URL-state fuzz tests (url-fuzz.test.mjs in Node,
// url-hostile.test.mjs in Chromium). Deterministic: the same seed gives the same strings.
import { SETTINGS, PAGE_PARAMS, settingFor } from '../../web/state.mjs';

/** mulberry32: a small seeded generator, [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Markup that would run code if a value were ever written as HTML: each sets window.__xss.
export const MARKUP = [
  '<script>window.__xss=1</script>',
  '"><img src=x onerror="window.__xss=1">',
  "'><svg onload=window.__xss=1>",
  '<iframe src="javascript:window.__xss=1"></iframe>',
  '</code></li><img src=x onerror=window.__xss=1>',
  '<a href="javascript:window.__xss=1">x</a>',
  '<style>body{display:none}</style>',
  '<!--',
  ']]><![CDATA[',
  'javascript:window.__xss=1',
  '{{constructor.constructor("window.__xss=1")()}}',
  '${window.__xss=1}',
];

export const NUMBERS = [
  'NaN', 'Infinity', '-Infinity', '+Infinity', '-0', '0', '+0', '1e309', '-1e309', '1e-400', '4.9e-324',
  '1.7976931348623157e308', '9007199254740991', '9007199254740992', '9007199254740993', '1e21', '-1',
  '0.5', '1.5', '4096', '4097', '100000', '100001', '0x10', '0b11', '0o7', '1_000', '1,000', '١٢', '８',
  ' 8 ', '\t8\n', '+8', '.5', '5.', '1e3', '1e', 'e3', '--1', '1..2', '١', '', ' ', 'true', 'null',
  'undefined', '[]', '{}', '16,16', '16,,16', ',', '0,0', '4096,4096,4096,4096,4096,4096,4096',
  '1,2,3,4,5,6,7,8', 'none', 'auto', 'AUTO', 'Mean', 'mean ', 'sgd\u0000', 'yes', 'on', 'off',
];

export const PERCENT = ['%', '%%', '%G1', '%1', '%ZZ', '%00', '%E0%A4', '%ED%A0%80', '%C0%AF', '%FF%FE',
  '%2525', '%26', '%3D', '%23', '%2B', '+', '%0A%0D', '%EF%BB%BF'];

export const UNICODE = ['é', 'ｍ', 'м', '\u202eevil', '\u200b', 'a\u0301', '😀', '\ud83d', '\udfff', '∞', '−1', '٣', 'ß', 'İ'];

export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineGetter__', 'isPrototypeOf', '', '=', ' m', 'm ', 'M', 'm[]', 'm.x', 'optimizer.lr', 'data.name',
  'constructor.prototype', '__proto__[polluted]', 'k%00', '<script>', ...PAGE_PARAMS];

const SETTING_KEYS = SETTINGS.map((s) => s.key);

function pick(rand, list) { return list[Math.floor(rand() * list.length)]; }

/** encodeURIComponent, except that a lone surrogate becomes the invalid UTF-8 %ED%A0%80. */
function enc(text) {
  let out = '';
  for (const ch of String(text)) { // iterates code points: a lone surrogate comes alone
    const c = ch.codePointAt(0);
    out += c >= 0xd800 && c <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}

function randomBytes(rand, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += `%${Math.floor(rand() * 256).toString(16).padStart(2, '0')}`;
  return s;
}

function randomChars(rand, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rand();
    s += r < 0.7 ? String.fromCharCode(32 + Math.floor(rand() * 95)) // printable ASCII, incl. & = # % +
      : r < 0.9 ? String.fromCharCode(Math.floor(rand() * 0x3000))
        : String.fromCharCode(0xd800 + Math.floor(rand() * 0x800)); // lone surrogates
  }
  return s;
}

/** A value, raw (to be written into the query as is: it may contain & = % # +). */
function value(rand, { long = true } = {}) {
  const r = rand();
  if (r < 0.25) return enc(pick(rand, NUMBERS));
  if (r < 0.4) return enc(pick(rand, MARKUP));
  if (r < 0.5) return pick(rand, MARKUP); // unencoded markup: & and # cut it, which is fine
  if (r < 0.6) return pick(rand, PERCENT) + enc(pick(rand, NUMBERS));
  if (r < 0.7) return randomBytes(rand, 1 + Math.floor(rand() * 12));
  if (r < 0.8) return randomChars(rand, 1 + Math.floor(rand() * 20));
  if (r < 0.88) return enc(pick(rand, UNICODE) + pick(rand, NUMBERS));
  if (r < 0.95) return enc(SETTINGS[Math.floor(rand() * SETTINGS.length)].default ?? '');
  // very long values; without `long`, short enough for a server's request line (Node: 16 KB)
  return long ? pick(rand, ['9'.repeat(5000), 'x'.repeat(100000), '1,'.repeat(20000), enc(MARKUP[1]).repeat(500)])
    : pick(rand, ['9'.repeat(2000), 'x'.repeat(3000), '1,'.repeat(1000), enc(MARKUP[1]).repeat(30)]);
}

/** A random valid value of setting s, as text: mostly small numbers, sometimes the maximum. */
function validValue(rand, s) {
  if (s.type === 'enum') return pick(rand, s.options)[0];
  if (s.type === 'bool') return pick(rand, ['true', 'false', '1', '0', 'on', 'no']);
  const lo = s.min ?? 0;
  const hi = Math.min(s.max ?? 1e6, rand() < 0.1 ? Infinity : lo + 64);
  const one = () => {
    if (s.type === 'number') {
      const x = lo + rand() * (Math.min(hi, lo + 4) - lo);
      return s.minOpen && x === lo ? lo + 1e-3 : s.maxOpen && x >= hi ? lo : x;
    }
    return Math.min(hi, lo + Math.floor(rand() * (hi - lo + 1)));
  };
  if (s.type === 'intlist') return Array.from({ length: Math.floor(rand() * 4) }, one).join(',') || 'none';
  return String(one());
}

function key(rand, { pageParams = true } = {}) {
  const r = rand();
  if (r < 0.55) return pick(rand, SETTING_KEYS);
  if (r < 0.8) {
    const k = pick(rand, HOSTILE_KEYS);
    return pageParams || !PAGE_PARAMS.includes(k) ? enc(k) : 'x';
  }
  if (r < 0.9) return randomBytes(rand, 1 + Math.floor(rand() * 6));
  return enc(pick(rand, MARKUP));
}

/**
 * `count` query strings (with the leading '?'), each of 1-8 parameters, sometimes with
 * repeated keys, bare keys, empty pairs or a fragment. pageParams: false leaves out the
 * page's own parameters (simd, embed, ...), which change what the page shows.
 */
export function hostileQueries(count, seed = 6, { pageParams = true, long = true } = {}) {
  const rand = random(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(rand() * 8);
    const parts = [];
    for (let j = 0; j < n; j++) {
      const r = rand();
      const k = key(rand, { pageParams });
      if (r < 0.08) parts.push(k); // key without '='
      else if (r < 0.12) parts.push(''); // '&&'
      else if (r < 0.4 && settingFor(k)) parts.push(`${k}=${enc(validValue(rand, settingFor(k)))}`);
      else parts.push(`${k}=${value(rand, { long })}`);
      if (rand() < 0.15 && parts.length) parts.push(parts[parts.length - 1]); // repeated key
    }
    let q = `?${parts.join('&')}`;
    if (!pageParams) q = q.replace(/#/g, '%23'); // a fragment would not reach the page's query
    out.push(q);
  }
  return out;
}
