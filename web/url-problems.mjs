// web/url-problems.mjs — what the page says about a link's rejected values, bounded: a crafted
// link may hold 250,000 of them, and the message must stay one short list (linear in the
// link, at most LISTED lines, and at most PER_CONTROL sentences beside any one control).

export const LISTED = 10;
export const PER_CONTROL = 2;

/**
 * problems: [{key, value, reason, duplicate?, firstAccepted?}] in link order. Returns
 * {listed: the first LISTED problems, more: how many are left out, byControl: Map key ->
 * the sentences for that control (at most PER_CONTROL, then how many more)}.
 */
export function summarizeURLProblems(problems) {
  const byControl = new Map(); // key -> {sentences, more}
  for (const r of problems) {
    let entry = byControl.get(r.key);
    if (!entry) byControl.set(r.key, entry = { sentences: [], more: 0 });
    if (entry.sentences.length >= PER_CONTROL) { entry.more++; continue; }
    entry.sentences.push(r.duplicate
      ? `The link gives this setting more than once: "${short(r.value)}" is ignored${r.firstAccepted ? ', the first value is used' : ''}.`
      : `The link's value "${short(r.value)}" ${r.reason}. Using the default.`);
  }
  const sentences = new Map();
  for (const [key, { sentences: s, more }] of byControl)
    sentences.set(key, more ? [...s, `(${more} more values for it in the link.)`] : s);
  return { listed: problems.slice(0, LISTED), more: Math.max(0, problems.length - LISTED), byControl: sentences };
}

/** A value as the message shows it: at most 80 characters. */
export function short(value) {
  const t = String(value);
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
}
