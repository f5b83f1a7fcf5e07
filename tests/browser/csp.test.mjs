// The page's Content-Security-Policy (web/index.html, sent again as a header by
// web/tools/serve.mjs): it forbids inline scripts and eval in the page and in the worker,
// and the lab works under it with zero violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyOf } from '../../web/tools/serve.mjs';
import { ROOT, chartPoints, openLab, readPanel, screenshot, startLab } from './helpers.mjs';

const POLICY = policyOf(readFileSync(join(ROOT, 'web/index.html'), 'utf8'));

let lab;
before(async () => { lab = await startLab(); });
after(async () => { await lab?.close(); });

/** The policy as {directive: [sources]}. */
function directives(policy) {
  return Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
}

test('the policy forbids inline scripts, eval, inline styles, plugins and <base>', () => {
  assert.ok(POLICY, 'web/index.html has a CSP meta tag');
  const d = directives(POLICY);
  assert.deepEqual(d['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(d['style-src'], ["'self'"]);
  assert.deepEqual(d['default-src'], ["'self'"]);
  assert.deepEqual(d['worker-src'], ["'self'"]);
  assert.deepEqual(d['object-src'], ["'none'"]);
  assert.deepEqual(d['base-uri'], ["'none'"]);
  assert.ok(!/unsafe-inline|unsafe-eval'|\*/.test(POLICY.replace("'wasm-unsafe-eval'", '')), POLICY);
  assert.equal(d['frame-ancestors'], undefined, 'the page stays embeddable (and a meta tag cannot set it)');
});

test('the server sends the same policy as a header, for the page and for the worker script', async () => {
  for (const path of ['', 'index.html', 'worker.mjs', '../wasm/accumlab.mjs']) {
    const res = await fetch(lab.url + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-security-policy'), POLICY, path);
  }
});

test('the lab runs and draws its charts under the policy with zero violations; inline script and eval are refused', async () => {
  const { page, context, problems } = await lab.newPage();
  try {
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    await openLab(page, `${lab.url}?k=2&opt=adam&norm=layernorm`);
    const panel = await readPanel(page);
    assert.ok(panel.grads, 'a verdict');
    const points = await chartPoints(page);
    assert.equal(points.loss.reference, 20, 'the loss chart has every step');
    assert.ok(await page.locator('figure.chart canvas').count() >= 3, 'uPlot drew its canvases');
    await screenshot(page, 'csp-page');
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation while the lab loads and runs');
    assert.deepEqual(problems, [], 'no console errors (a refused resource is logged there)');

    // The policy is really in force. (Code run by page.evaluate itself is exempt, as DevTools
    // code is; a string timer is eval as far as CSP goes, and is not.) In the page: an inline
    // script, an inline event handler and a string timer are all refused...
    const refused = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      const b = document.createElement('button');
      b.setAttribute('onclick', 'window.__handlerRan = true');
      document.body.append(b);
      b.click();
      b.remove();
      setTimeout('window.__evalRan = true', 0);
      await new Promise((ok) => setTimeout(ok, 100));
      return { inline: window.__inlineRan === true, handler: window.__handlerRan === true, evalRan: window.__evalRan === true, violations: window.__violations.length };
    });
    const { violations, ...ran } = refused;
    assert.deepEqual(ran, { inline: false, handler: false, evalRan: false });
    // Each is reported once per policy: the meta tag's and the header's.
    assert.equal(violations, 6, 'the three were reported as violations, by both policies');
    // ...and in the worker, which gets the policy from the header.
    const worker = page.workers()[0];
    const workerEval = await worker.evaluate(async () => {
      setTimeout('self.__evalRan = true', 0);
      await new Promise((ok) => setTimeout(ok, 100));
      return self.__evalRan === true;
    });
    assert.equal(workerEval, false, 'eval refused in the worker');
  } finally {
    await context.close();
  }
});
