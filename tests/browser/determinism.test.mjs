// Same experiment, same bits, in headless Chromium and in Node: the engine module of the
// built site (same .wasm files) runs every knob configuration of tests/node/helpers.mjs in
// the page, with the SIMD and the scalar build, and each result hashes exactly as Node's.
// (tests/node/native.test.mjs ties Node to the native build, so all four agree.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KNOB_CONFIGS, hashResult, lab as nodeSimd, scalar as nodeScalar } from '../node/helpers.mjs';
import { startLab } from './helpers.mjs';

let site;
before(async () => { site = await startLab(); });
after(async () => { await site?.close(); });

/** Runs the configs in the page with one build; returns the results as plain data. */
function runInPage(page, url, simd) {
  return page.evaluate(async ({ engineURL, configs, simd }) => {
    const { createLab } = await import(engineURL);
    const lab = await createLab({ simd });
    // Typed arrays become plain arrays (same numbers); -0, NaN and Infinity survive the trip.
    const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v)
      : Array.isArray(v) ? v.map(plain)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
    return {
      simd: lab.simd,
      results: configs.map((c) => {
        const r = lab.compare(c);
        return plain({ steps: r.steps, initialParams: r.initialParams, first: r.first, final: r.final });
      }),
    };
  }, { engineURL: `${url}../wasm/accumlab.mjs`, configs: KNOB_CONFIGS, simd });
}

test(`Chromium gives the same bits as Node for ${KNOB_CONFIGS.length} configs covering every knob, SIMD and scalar builds`, async (t) => {
  const { page, context, problems } = await site.newPage();
  try {
    await page.goto(site.url);
    const node = { simd: await nodeSimd(), scalar: await nodeScalar() };
    for (const build of ['simd', 'scalar']) {
      const inPage = await runInPage(page, site.url, build === 'simd');
      assert.equal(inPage.simd, build === 'simd', `Chromium loaded the ${build} build`);
      KNOB_CONFIGS.forEach((config, i) => {
        const expected = hashResult(node[build].compare(config));
        assert.equal(hashResult(inPage.results[i]), expected, `${build}: ${JSON.stringify(config)}`);
      });
    }
    // And the two builds agree with each other (so one hash per config, everywhere).
    for (const config of KNOB_CONFIGS) assert.equal(hashResult(node.simd.compare(config)), hashResult(node.scalar.compare(config)));
    t.diagnostic(`${KNOB_CONFIGS.length} configs x 2 builds: Chromium == Node`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the hash notices a one-bit change (so equal hashes mean equal bits)', async () => {
  const r = (await nodeSimd()).compare(KNOB_CONFIGS[0]);
  const before = hashResult(r);
  const u32 = new Uint32Array(r.final.paramsAcc.buffer, r.final.paramsAcc.byteOffset, 1);
  u32[0] ^= 1;
  assert.notEqual(hashResult(r), before);
});
