// web/early.js — runs before the first paint (a classic, render-blocking script: tiny on
// purpose). It sets compact mode's class from ?embed= so the first frame already has the
// compact layout; main.mjs later confirms it (web/embed.mjs reads the same parameter).
(function () {
  var v = new URLSearchParams(location.search).get('embed');
  if (v === '1' || v === 'true' || v === '') document.documentElement.classList.add('embed');
})();
