// web/main.mjs — wires the page: URL ⇄ state ⇄ controls, state → config → worker,
// step records → charts and equality panel, result → verdict. All mutable state lives in
// the closure of startApp(); the modules it uses keep theirs in their own closures.
import {
  configFromState, defaultState, settingForField, stateFromConfig, stateFromURL, urlFromState,
} from './state.mjs';
import { PRESETS } from '../wasm/presets.mjs';
import { describeRuns } from './run-words.mjs';
import { createControls } from './controls.mjs';
import { createCharts } from './charts.mjs';
import { createPanel } from './panel.mjs';
import { createSupervisor } from './supervisor.mjs';
import { createEngineWorker } from './engine-host.mjs';
import { createChecker } from './checker-panel.mjs';
import { embedURLParams, fullLabURL, readEmbedParams, visibleKeys } from './embed.mjs';
import { createCopyLink, createExports } from './share.mjs';
import { short, summarizeURLProblems } from './url-problems.mjs';
import { createPresetList, presetState } from './preset-list.mjs';
import { createEmbedDialog } from './embed-dialog.mjs';

const DEBOUNCE_MS = 350;

function startApp() {
  const $ = (id) => document.getElementById(id);
  const dom = {
    form: $('settings'), presets: $('presets'), presetsBox: $('presets-box'), urlMessage: $('url-message'),
    runs: $('runs-sentence'), run: $('run'), stop: $('stop'), step: $('step'), reset: $('reset'),
    progress: $('progress'), status: $('status'), auto: $('auto'), engineNote: $('engine-note'),
    runError: $('run-error'), panel: $('panel'), charts: $('charts'), configJson: $('config-json'),
    story: $('story'), storyTitle: $('story-title'), storySee: $('story-see'), storyWhy: $('story-why'),
    storyFix: $('story-fix'), storyCode: $('story-code'),
    share: $('share'), fullLab: $('full-lab'),
  };

  // ?simd=0 forces the scalar build, ?simd=1 the SIMD one; it stays in the URL.
  const simdParam = new URLSearchParams(location.search).get('simd');
  const pageParams = { simd: simdParam === '0' || simdParam === '1' ? simdParam : undefined };
  // ?embed=1, ?hide=, ?show= (web/embed.mjs) stay in the URL too; ?preset= is the base the
  // link's settings change, and follows the preset buttons.
  const embedding = readEmbedParams(location.search, PRESETS.map((p) => p.id));
  Object.assign(pageParams, embedURLParams(embedding));
  let presetId = embedding.preset;
  document.documentElement.classList.toggle('embed', embedding.embed);

  let { state, rejected } = stateFromURL(location.search, presetId ? presetState(presetId) : defaultState());
  let lastRun = null; // {config, result, presetId} of the results on screen, for the exports
  let phase = 'loading'; // loading | failed | idle | running | paused | done
  let generation = 0; // bumped by every Run / Step / Reset / restart: older actions give up
  let chain = Promise.resolve(); // actions run one after another
  let activeRunId = null; // id of the worker request whose step records we show
  let experimentKey = null; // config (JSON) of the experiment in the worker
  let shownKey = null; // config (JSON) of the results on screen
  let totalSteps = 0;
  let debounce = 0;
  let engineErrorKey = null; // the control showing the engine's last error
  let queued = []; // step records not drawn yet
  let frame = 0;

  // The worker is recreated after a crash (supervisor.mjs); the experiment dies with it.
  const client = createSupervisor({
    createWorker: createEngineWorker,
    onStep(record, id) {
      if (id !== activeRunId) return;
      queued.push(record);
      if (!frame) frame = requestAnimationFrame(drawQueued);
    },
    onCrash(error) {
      experimentKey = null;
      if (error.code === 'stopped') return; // a Stop inside a long step: the run's own catch says so
      if (error.code === 'restart-failed') {
        setPhase('failed', `${error.message}. Reload the page.`);
        return;
      }
      dom.runError.hidden = false;
      dom.runError.textContent = `${error.message}. ${shownKey ? 'The results below are from before the crash.' : ''}`;
      if (phase === 'paused') setPhase('done', 'The engine was restarted: Run starts again from step 0.');
    },
  });

  const shown = new Set(visibleKeys(embedding));
  const controls = createControls(dom.form, {
    include: (key) => shown.has(key),
    onChange(key, value) {
      controls.clearError(key);
      state = { ...state, [key]: value };
      settingsChanged(true);
    },
    onInvalid(key, text, reason) {
      controls.showError(key, `"${text}" ${reason}. Still using the last good value.`, { blocking: true });
      dom.status.textContent = 'A setting is not valid: see the message under it.';
    },
  });
  const charts = createCharts(dom.charts);
  createCopyLink(dom.share);
  if (!embedding.embed) createEmbedDialog(dom.share, { currentSearch: () => location.search });
  const exportButtons = createExports(dom.share, {
    charts, current: () => lastRun, torchScript: (config, title) => client.torchScript(config, title),
  });
  const panel = createPanel(dom.panel, {
    onFix(set) {
      applyState({ ...state, ...set });
    },
  });

  // --- presets: the engine's curated experiments (wasm/presets.mjs), grouped, right after
  // the four main settings; open on wide screens, one tap away on phones.
  dom.form.querySelector('.group--lead')?.after(dom.presetsBox);
  if (embedding.embed) for (const d of dom.form.querySelectorAll('details')) d.open = true;
  dom.presetsBox.open = window.matchMedia('(min-width: 900px)').matches;
  function applyState(next) {
    controls.clearErrors();
    state = next;
    controls.setState(state);
    settingsChanged(true);
    if (!dom.auto.checked) runAll();
  }
  const presetList = createPresetList(dom.presets, {
    section: dom.story, title: dom.storyTitle, see: dom.storySee, why: dom.storyWhy, fix: dom.storyFix, code: dom.storyCode,
  }, {
    onChoose(id, next) {
      presetId = id;
      applyState(next);
    },
  });
  /** Marks the preset the settings match, and shows its story (what, why, fix). */
  function renderStory() {
    presetList.render(state);
  }

  let engineReady;
  const engineLoaded = new Promise((resolve) => { engineReady = resolve; });
  // "Check my training loop": Run it sets the controls to the described loop and runs it.
  createChecker($('checker'), {
    causesOf: async (config) => { await engineLoaded; return (await client.causes(config)).ids; },
    onRun(config) {
      applyState(stateFromConfig(config).state);
      $('results').scrollIntoView({ block: 'start' });
    },
  });

  // --- drawing
  function drawQueued() {
    frame = 0;
    if (!queued.length) return;
    const batch = queued;
    queued = [];
    charts.push(batch);
    charts.flush();
    panel.addRecords(batch);
    const last = batch[batch.length - 1].step;
    dom.progress.max = totalSteps;
    dom.progress.value = last;
    if (phase === 'running') {
      dom.status.textContent = `Running: step ${last} of ${totalSteps}`;
      panel.showRunning(last, totalSteps);
    }
  }
  function flushQueued() {
    if (frame) cancelAnimationFrame(frame);
    drawQueued();
  }

  function setPhase(p, message) {
    phase = p;
    const running = p === 'running';
    const ready = p !== 'loading' && p !== 'failed';
    dom.run.disabled = !ready || running;
    dom.step.disabled = !ready || running;
    dom.stop.disabled = !running;
    dom.reset.disabled = !ready;
    document.body.dataset.phase = p;
    if (message !== undefined) dom.status.textContent = message;
  }

  function renderRuns() {
    const d = describeRuns(state);
    dom.runs.replaceChildren();
    const ref = document.createElement('strong');
    ref.textContent = 'Reference: ';
    const acc = document.createElement('strong');
    acc.textContent = 'Accumulated: ';
    const loss = document.createElement('span');
    loss.className = 'runs-loss';
    loss.textContent = ` ${d.loss}`;
    dom.runs.append(ref, `${d.reference}; `, acc, `${d.accumulated}.`, loss);
    dom.configJson.textContent = JSON.stringify(configFromState(state), null, 2);
    dom.fullLab.href = fullLabURL(location.href); // the same settings, without compact mode
    renderStory();
  }

  function showURLProblems() {
    const problems = [...rejected, ...embedding.problems];
    if (simdParam !== null && pageParams.simd === undefined) {
      problems.push({ key: 'simd', value: simdParam, reason: 'expected 0 (scalar build) or 1 (SIMD build); detecting instead' });
    }
    dom.urlMessage.replaceChildren();
    dom.urlMessage.hidden = problems.length === 0;
    if (!problems.length) return;
    const p = document.createElement('p');
    p.textContent = 'Some values in the link were not accepted, so those settings use their defaults:';
    const ul = document.createElement('ul');
    const { listed, more, byControl } = summarizeURLProblems(problems);
    for (const r of listed) {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = `${r.key}=${short(r.value)}`;
      li.append(code, ` ${r.reason}.`);
      ul.append(li);
    }
    if (more) {
      const li = document.createElement('li');
      li.textContent = `… and ${more} more.`;
      ul.append(li);
    }
    for (const [key, sentences] of byControl) controls.showError(key, sentences.join(' '));
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => { dom.urlMessage.hidden = true; });
    dom.urlMessage.append(p, ul, close);
  }

  function clearEngineError() {
    if (engineErrorKey) controls.clearError(engineErrorKey);
    engineErrorKey = null;
    dom.runError.hidden = true;
    dom.runError.textContent = '';
  }

  function showEngineError(e) {
    const s = settingForField(e.field);
    if (s && controls.showError(s.key, e.message)) engineErrorKey = s.key;
    dom.runError.hidden = false;
    dom.runError.textContent = `Not run: ${e.message}${s ? ` (setting “${s.label}”)` : ''}. `
      + (shownKey ? 'The results below are from the last settings that ran.' : '');
  }

  const currentKey = () => JSON.stringify(configFromState(state));

  function markStale() {
    if (shownKey && shownKey !== currentKey()) {
      panel.setStale(dom.auto.checked
        ? 'Settings changed: running again…'
        : 'Settings changed since this run: the results are for the previous settings. Press Run.');
    } else {
      panel.setStale(null);
    }
  }

  /** After any change of `state`: URL, words, stale mark, and a debounced re-run. */
  function settingsChanged(pushHistory) {
    if (pushHistory) {
      const url = urlFromState(state, { preset: presetId ?? undefined, ...pageParams }, presetId ? presetState(presetId) : null)
        || location.pathname;
      if (url !== location.search) history.pushState(null, '', url);
    }
    controls.updateRelevance(state);
    clearEngineError();
    renderRuns();
    markStale();
    clearTimeout(debounce);
    if (dom.auto.checked && phase !== 'loading' && phase !== 'failed') {
      debounce = setTimeout(runAll, DEBOUNCE_MS);
    }
  }

  window.addEventListener('popstate', () => {
    presetId = readEmbedParams(location.search, PRESETS.map((p) => p.id)).preset;
    ({ state, rejected } = stateFromURL(location.search, presetId ? presetState(presetId) : defaultState()));
    controls.clearErrors();
    controls.setState(state);
    showURLProblems();
    settingsChanged(false);
  });

  // --- actions: each bumps the generation, stops what runs, and waits its turn.
  function act(fn) {
    clearTimeout(debounce);
    const gen = ++generation;
    if (phase === 'running') client.stop();
    chain = chain.then(() => fn(() => gen === generation)).catch((e) => {
      // The engine failed mid-run (or the worker did): keep what is on screen, say why,
      // and start afresh next time.
      flushQueued();
      if (e.code === 'stopped') { // Stop inside a long step: the finished steps stay, the experiment is gone
        const at = dom.progress.value;
        if (activeRunId !== null) panel.showNone(at ? `Stopped during step ${at + 1}: the ${at} finished steps are shown; no verdict for a run cut short.`
          : 'Stopped during step 1, before any step finished: no verdict.', `Stopped at step ${at}`);
        activeRunId = null;
        experimentKey = null;
        setPhase('done', `Stopped at step ${at} of ${totalSteps} (inside a long step, so the engine restarted): Run starts again from step 0.`);
        return;
      }
      if (activeRunId !== null) panel.showNone('No verdict for this run: it ended at the step shown.', `Stopped at step ${dom.progress.value} by an error`);
      activeRunId = null;
      experimentKey = null;
      dom.runError.hidden = false;
      if (e.code !== 'crash') dom.runError.textContent = `Stopped: ${e.message}`; // onCrash said it
      setPhase(phase === 'failed' ? 'failed' : 'done', 'Stopped by an error (see above).');
    });
    return chain;
  }

  /** Starts a new experiment with the current settings; false if it was refused. */
  async function startFresh(isCurrent) {
    const bad = controls.invalidKeys();
    if (bad.length) {
      setPhase(phase === 'running' ? 'paused' : phase, 'Not run: a setting is not valid (see the message under it).');
      controls.focus(bad[0]);
      return false;
    }
    const config = configFromState(state);
    const key = JSON.stringify(config);
    clearEngineError();
    dom.status.textContent = 'Starting…';
    let info;
    try {
      info = await client.start(config);
    } catch (e) {
      if (!isCurrent()) return false;
      experimentKey = null;
      showEngineError(e);
      setPhase(shownKey ? 'done' : 'idle', 'Not run: the engine refused the settings.');
      panel.setStale(shownKey ? 'These results are from the last settings that ran.' : null);
      return false;
    }
    if (!isCurrent()) return false;
    experimentKey = key;
    shownKey = key;
    totalSteps = info.totalSteps;
    queued = [];
    charts.reset();
    panel.clear();
    panel.setStale(null);
    lastRun = null;
    exportButtons.update();
    dom.progress.max = totalSteps;
    dom.progress.value = 0;
    return true;
  }

  async function trainSteps(maxSteps, isCurrent) {
    setPhase('running', `Running: step 0 of ${totalSteps}`);
    panel.showRunning(0, totalSteps);
    const request = client.run(maxSteps);
    activeRunId = request.id;
    const res = await request;
    flushQueued();
    activeRunId = null;
    const done = res.done;
    setPhase(done ? 'done' : 'paused',
      done ? `Done: ${res.step} of ${totalSteps} steps.`
        : `Paused at step ${res.step} of ${totalSteps}: Run continues, Step does one more.`);
    dom.progress.value = res.step;
    panel.showVerdict(res.result.verdict);
    const ranConfig = JSON.parse(experimentKey);
    const ran = describeRuns(stateFromConfig(ranConfig).state);
    lastRun = { config: ranConfig, result: res.result, presetId, subtitle: `Reference: ${ran.reference}; accumulated: ${ran.accumulated}`,
      title: PRESETS.find((p) => p.id === presetId)?.title ?? '' };
    exportButtons.update();
    if (!isCurrent()) return;
    markStale();
  }

  function runAll() {
    return act(async (isCurrent) => {
      if (!isCurrent()) return;
      const resume = phase === 'paused' && experimentKey === currentKey();
      if (!resume && !(await startFresh(isCurrent))) return;
      if (!isCurrent()) return;
      await trainSteps(undefined, isCurrent);
    });
  }

  function stepOnce() {
    return act(async (isCurrent) => {
      if (!isCurrent()) return;
      const resume = phase === 'paused' && experimentKey === currentKey();
      if (!resume && !(await startFresh(isCurrent))) return;
      if (!isCurrent()) return;
      await trainSteps(1, isCurrent);
    });
  }

  function reset() {
    return act(async (isCurrent) => {
      await client.free();
      if (!isCurrent()) return;
      experimentKey = null;
      shownKey = null;
      queued = [];
      charts.reset();
      panel.clear();
      panel.setStale(null);
      lastRun = null;
      exportButtons.update();
      panel.showNone('Reset. Press Run to train both runs again, or Step to go one optimizer step at a time.');
      dom.progress.value = 0;
      setPhase('idle', 'Ready.');
    });
  }

  dom.run.addEventListener('click', runAll);
  dom.step.addEventListener('click', stepOnce);
  dom.reset.addEventListener('click', reset);
  dom.stop.addEventListener('click', () => {
    clearTimeout(debounce);
    if (phase === 'running') client.stop();
  });
  dom.auto.addEventListener('change', markStale);

  // --- start
  controls.setState(state);
  showURLProblems();
  renderRuns();
  setPhase('loading', 'Loading the engine…');
  const simd = pageParams.simd === '0' ? false : pageParams.simd === '1' ? true : undefined;
  client.init(simd).then((info) => {
    dom.engineNote.textContent = info.simd
      ? 'Engine: WebAssembly SIMD build.'
      : info.forced
        ? 'Engine: scalar build (forced by ?simd=0): same numbers, slower.'
        : 'Engine: scalar build, because this browser has no WebAssembly SIMD: same numbers, slower.';
    document.body.dataset.engine = info.simd ? 'simd' : 'scalar';
    setPhase('idle', 'Ready.');
    engineReady();
    runAll();
  }, (e) => {
    setPhase('failed', `The engine failed to load: ${e.message}`);
    dom.engineNote.textContent = 'Engine: not loaded.';
  });
}

// In a task of its own: the browser lays out the static page in the task that evaluates this
// module; building the controls in the same task made one task of ~100 ms at load.
setTimeout(startApp, 0);
