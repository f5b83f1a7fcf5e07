// web/embed-dialog.mjs — the "Embed…" dialog of the full lab (placeholder: being built).
/** Adds an "Embed…" button to `host`; the dialog writes <iframe> and <accum-lab> snippets. */
export function createEmbedDialog(host, { currentSearch = () => location.search } = {}) { // eslint-disable-line no-unused-vars
  return { open() {} };
}
