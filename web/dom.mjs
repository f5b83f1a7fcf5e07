// web/dom.mjs — the one small DOM helper the page's views share.

/** A new element with a class name and text (both optional). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
