// web/main.mjs — wires the page: URL ⇄ state ⇄ controls, state → config → the run state
// machine (run-controller.mjs) → worker; step records → charts, the model pictures and the
// step table; the result → the verdict. Every action acts at once (only typing in a number
// field waits, controls.mjs); the new results replace the old ones in one frame.
import {
  configFromState, defaultState, sameValue, settingFor, settingForField, stateFromConfig, stateFromURL, urlFromState,
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
import { createRunController } from './run-controller.mjs';
import { createPicture } from './model-picture.mjs';
import { createSweep } from './sweep-panel.mjs';

// A new run's results replace the old ones in one frame when it ends within HOLD_MS (most
// runs take 4-45 ms); a longer run shows its progress after HOLD_MS.
const HOLD_MS = 120;
const PICTURE = { size: 40, everyMs: 150 };

const STATUS = {
  loading: 'Loading the engine…',
  idle: 'Ready.',
  stale: 'Settings changed: press Run for their results.',
};

function startApp() {
  const $ = (id) => document.getElementById(id);
  const dom = {
    form: $('settings'), presets: $('presets'), presetsBox: $('presets-box'), urlMessage: $('url-message'),
    runs: $('runs-sentence'), run: $('run'), stop: $('stop'), step: $('step'), reset: $('reset'),
    progress: $('progress'), status: $('status'), auto: $('auto'), engineNote: $('engine-note'),
    runError: $('run-error'), panel: $('panel'), charts: $('charts'), configJson: $('config-json'),
    story: $('story'), storyTitle: $('story-title'), storySee: $('story-see'), storyWhy: $('story-why'),
    storyFix: $('story-fix'), storySource: $('story-source'), storyCode: $('story-code'), picture: $('picture'),
    share: $('share'), fullLab: $('full-lab'), summary: $('verdict-summary'), announce: $('announce'),
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
  const linkState = { state, presetId }; // Reset returns to the settings of the link
  let lastRun = null; // {config, result, presetId, …} of the results on screen, for the exports
  let engineErrorKey = null; // the control showing the engine's last error
  let queued = []; // step records not drawn yet
  let frame = 0;
  let hold = null; // {timer}: a new run's results wait for its end (HOLD_MS) before they are drawn
  let pendingPicture = null;
  let runK = state.k;

  // The worker is recreated after a crash (supervisor.mjs); the experiment dies with it.
  const client = createSupervisor({
    createWorker: createEngineWorker,
    onStep: (record, id) => controller.onStep(record, id),
    onPicture: (picture, id) => controller.onPicture(picture, id),
    onProgress: (progress, id) => controller.onProgress(progress, id),
    onCrash(error) {
      controller.onCrash(error);
      if (error.code === 'stopped' || error.code === 'restart-failed') return; // the run's own catch, or showPhase, says so
      dom.runError.hidden = false;
      dom.runError.textContent = `${error.message}. ${controller.shown ? 'The results below are from before the crash.' : ''}`;
    },
  });
  const controller = createRunController({
    client,
    runOptions: { picture: PICTURE },
    canRun: () => controls.invalidKeys().length === 0,
    view: {
      phase: showPhase,
      started: ({ config, totalSteps }) => {
        runK = config.accumSteps ?? state.k;
        queued = [];
        pendingPicture = null;
        dom.progress.max = totalSteps;
        dom.progress.value = 0;
        lastRun = null;
        exportButtons.update();
        clearEngineError();
        // Keep the old results until this run ends or HOLD_MS passes: then replace at once.
        // (A frame queued for the run before must not draw this one's first steps.)
        if (frame) cancelAnimationFrame(frame);
        frame = 0;
        clearTimeout(hold?.timer);
        hold = { timer: setTimeout(releaseHold, HOLD_MS), config };
      },
      record: (r) => {
        queued.push(r);
        if (!hold && !frame) frame = requestAnimationFrame(drawQueued);
      },
      finished: ({ config, result, done, step }) => {
        if (hold) releaseHold();
        flushQueued();
        dom.progress.value = step;
        const h = panel.showVerdict(result.verdict, runK);
        const ran = describeRuns(stateFromConfig(config).state);
        lastRun = {
          config, result, presetId, subtitle: `Reference: ${ran.reference}; accumulated: ${ran.accumulated}`,
          title: PRESETS.find((p) => p.id === presetId)?.title ?? '',
        };
        exportButtons.update();
        showSummary(h.text, h.tone);
        dom.announce.textContent = `${done ? '' : `Paused at step ${step}. `}${h.text}.`;
      },
      refused: (e) => {
        dropHold(); // nothing new to show: what is on screen stays, marked
        showEngineError(e);
      },
      interrupted: ({ step }) => {
        // A run stopped by a change that then did not run: its steps stay, it has no verdict.
        if (hold) releaseHold();
        flushQueued();
        panel.showNone(`Stopped at step ${step} by a change of settings; no verdict for a run cut short.`, `Stopped at step ${step}`);
        showSummary(`Stopped at step ${step}`, 'none');
      },
      failed: (e, { step }) => {
        if (hold) releaseHold();
        flushQueued();
        if (e.code === 'stopped') {
          panel.showNone(step ? `Stopped during step ${step + 1}: the ${step} finished steps are shown; no verdict for a run cut short.`
            : 'Stopped during step 1, before any step finished: no verdict.', `Stopped at step ${step}`);
          return;
        }
        panel.showNone('No verdict for this run: it ended at the step shown.', `Stopped at step ${step} by an error`);
        dom.runError.hidden = false;
        if (e.code !== 'crash') dom.runError.textContent = `Stopped: ${e.message}`; // onCrash said it
      },
      progress: ({ step, phase, done, total }) => {
        // A long step: say where inside it the engine is (the worker posts this from inside it).
        if (controller.phase !== 'running') return;
        const where = phase === 'reference' ? 'the reference run’s big batch' : `${phase === 'same point' ? 'the same-point pass' : 'the accumulated run'}: micro-batch ${done} of ${total}`;
        dom.status.textContent = `Running: step ${step} of ${dom.progress.max}, ${where}`;
      },
      picture: (p) => {
        pendingPicture = p;
        if (!hold && !frame) frame = requestAnimationFrame(drawQueued);
      },
      invalid: ({ explicit }) => {
        // Focus goes to the bad field only when the user asked for a run (Run, Step), never
        // because another setting changed.
        const bad = controls.invalidKeys();
        if (explicit && bad.length) controls.focus(bad[0]);
      },
    },
  });


  const shown = new Set(visibleKeys(embedding));
  const controls = createControls(dom.form, {
    include: (key) => shown.has(key),
    onChange(key, value) {
      controls.clearError(key);
      if (sameValue(state[key], value)) return;
      state = { ...state, [key]: value };
      settingsChanged(true);
    },
    onInvalid(key, text, reason) {
      controls.showError(key, `"${text}" ${reason}. Still using the last good value.`, { blocking: true });
      dom.status.textContent = 'A setting is not valid: see the message under it.';
    },
  });
  const charts = createCharts(dom.charts, { onCursor: (step) => panel.hover(step) });
  // "Sweep k": the current settings once per k, in the engine worker, on demand (it waits for
  // the engine, engineLoaded, which the first run resolves).
  const sweepPanel = createSweep($('sweep'), {
    sweepOf: async (config, field, values) => { await engineLoaded; return client.sweep(config, field, values); },
    configNow: () => configFromState(state),
  });
  const picture = createPicture(dom.picture);
  createCopyLink(dom.share);
  if (!embedding.embed) setTimeout(() => createEmbedDialog(dom.share, { currentSearch: () => location.search }), 0); // a task of its own
  const exportButtons = createExports(dom.share, {
    charts, current: () => lastRun, torchScript: (config, title) => client.torchScript(config, title),
  });
  const panel = createPanel(dom.panel, {
    onFix(set, label) {
      // A Try in compact mode may change a setting this page does not show: say so.
      const hidden = Object.keys(set).filter((key) => !shown.has(key));
      applyState({ ...state, ...set });
      panel.setNote(hidden.length
        ? `“${label}” changed ${hidden.map((key) => `${settingFor(key)?.label ?? key} (not shown here)`).join(', ')}.`
        : null);
    },
    onStepShown: (step) => charts.setCursor?.(step),
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
    section: dom.story, title: dom.storyTitle, see: dom.storySee, why: dom.storyWhy, fix: dom.storyFix, source: dom.storySource, code: dom.storyCode,
  }, {
    onChoose(id, next) {
      presetId = id;
      applyState(next);
    },
  });

  let engineReady;
  const engineLoaded = new Promise((resolve) => { engineReady = resolve; });
  // "Check my training loop": Run it sets the controls to the described loop and runs it.
  // Below the first screen (and not in compact mode): built in a task of its own, after the
  // lab's, so loading makes no long task.
  if (!embedding.embed) setTimeout(() => createChecker($('checker'), {
    causesOf: async (config) => { await engineLoaded; return (await client.causes(config)).ids; },
    onRun(config) {
      presetId = null;
      applyState(stateFromConfig(config).state);
      $('verdict').scrollIntoView({ block: 'start' });
    },
  }), 0);

  // --- drawing
  /** The held results of the previous run give way to the new run's, at once. */
  function releaseHold() {
    const ran = hold.config;
    clearTimeout(hold.timer);
    hold = null;
    charts.setContext({ k: runK, clipNorm: ran.clipGradNorm, workers: ran.workers, sum: ran.reduction === 'sum' });
    charts.reset();
    panel.clear();
    panel.setStale(null);
    presetList.render(stateFromConfig(ran).state); // the story changes with the results it tells
    document.documentElement.classList.add('has-results');
    if (controller.phase === 'running') {
      panel.showRunning(0, dom.progress.max);
      showSummary('Running…', 'none');
    }
    drawQueued();
  }
  /** A new run's results are not coming after all: the held screen stays as it is. */
  function dropHold() {
    if (!hold) return;
    clearTimeout(hold.timer);
    hold = null;
    queued = [];
    pendingPicture = null;
  }
  function drawQueued() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (hold) return; // releaseHold draws them
    if (pendingPicture) {
      const p = pendingPicture;
      pendingPicture = null; // taken first: a picture that cannot be painted is not tried again
      try {
        picture.update(p);
      } catch (e) {
        console.error('the model picture could not be painted', e); // eslint-disable-line no-console
      }
    }
    if (!queued.length) return;
    const batch = queued;
    queued = [];
    charts.push(batch);
    charts.flush();
    panel.addRecords(batch);
    const last = batch[batch.length - 1].step;
    dom.progress.value = last;
    if (controller.phase === 'running') {
      dom.status.textContent = `Running: step ${last} of ${dom.progress.max}`;
      panel.showRunning(last, dom.progress.max);
    }
  }
  function flushQueued() {
    if (!hold) drawQueued();
  }

  function showPhase(phase, { step, totalSteps, reason }) {
    const running = phase === 'running' || phase === 'stopping';
    const ready = phase !== 'loading' && phase !== 'failed';
    dom.run.disabled = !ready || running;
    dom.step.disabled = !ready || running;
    dom.stop.disabled = phase !== 'running';
    dom.reset.disabled = !ready;
    document.body.dataset.phase = phase;
    let text = STATUS[phase];
    if (phase === 'running') text = `Running: step ${step} of ${totalSteps}`;
    else if (phase === 'stopping') text = 'Stopping after this step…';
    else if (phase === 'done') text = reason === 'stopped' ? `Stopped at step ${step} of ${totalSteps} (inside a long step, so the engine restarted): Run starts again from step 0.` : `Done: ${step} of ${totalSteps} steps.`;
    else if (phase === 'paused') text = `Paused at step ${step} of ${totalSteps}: Run continues, Step does one more.`;
    else if (phase === 'error') text = reason === 'invalid' ? 'Not run: a setting is not valid (see the message under it).' : 'Not run: the engine refused the settings.';
    else if (phase === 'crashed') text = 'Stopped by an error (see above): Run starts again from step 0.';
    else if (phase === 'failed') text = reason === 'restart-failed' ? 'The engine could not be restarted. Reload the page.' : `The engine failed to load${reason ? `: ${reason}` : ''}.`;
    if (text) dom.status.textContent = text;
    if (reason === 'invalid') dom.status.textContent = 'Not run: a setting is not valid (see the message under it).';
    if (phase === 'idle' && reason === 'reset') {
      queued = [];
      charts.reset();
      panel.clear();
      panel.setStale(null);
      picture.clear();
      lastRun = null;
      exportButtons.update();
      panel.showNone('Reset. Press Run to train both runs again, or Step to go one optimizer step at a time.');
      showSummary('Reset: press Run', 'none');
      dom.progress.value = 0;
    }
    if (phase === 'running' && !hold && controller.shown?.step === 0) panel.showRunning(0, totalSteps);
    // Without results, what sits under the verdict (share, config, table) is shown anyway.
    if (phase === 'error' || phase === 'failed') document.documentElement.classList.add('has-results');
    // The phone's sticky line never shows an old verdict as the current one.
    if (phase === 'stale' || phase === 'error') showSummary(phase === 'error' ? 'Not run: see the message' : 'Out of date: press Run', 'none');
    markStale();
  }

  // The phone's sticky verdict line steps aside while the verdict itself is on screen.
  new IntersectionObserver(([entry]) => dom.summary.classList.toggle('is-hidden', entry.isIntersecting), { threshold: 0.3 })
    .observe(panel.verdictElement);

  function showSummary(text, tone) {
    dom.summary.textContent = `${text} — see why ↓`;
    dom.summary.dataset.tone = tone;
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
      + (controller.shown ? 'The results below are from the last settings that ran.' : '');
    panel.setStale(controller.shown ? 'These results are from the last settings that ran.' : null);
  }

  const currentConfig = () => configFromState(state);

  function markStale() {
    const shownKey = controller.shown?.key;
    const stale = shownKey && shownKey !== JSON.stringify(currentConfig()) && controller.phase !== 'running';
    if (stale && !hold) panel.setStale('Out of date: these results are for the previous settings. Press Run.');
    else if (controller.phase !== 'error') panel.setStale(null);
  }

  /** After any change of `state`: URL, words, and (with auto) a run at once. */
  /** The address bar follows the settings (a new history entry when they changed). */
  function pushURL() {
    const url = urlFromState(state, { preset: presetId ?? undefined, ...pageParams }, presetId ? presetState(presetId) : null)
      || location.pathname;
    if (url !== location.search) history.pushState(null, '', url);
  }

  function settingsChanged(pushHistory) {
    if (pushHistory) pushURL();
    controls.updateRelevance(state);
    sweepPanel.stale();
    clearEngineError();
    panel.setNote(null); // a Try's note is about the change it made, not later ones
    renderRuns();
    if (!dom.auto.checked || !controller.shown) presetList.render(state);
    controller.settingsChanged(currentConfig(), { auto: dom.auto.checked });
    markStale();
  }

  window.addEventListener('popstate', () => {
    presetId = readEmbedParams(location.search, PRESETS.map((p) => p.id)).preset;
    ({ state, rejected } = stateFromURL(location.search, presetId ? presetState(presetId) : defaultState()));
    controls.clearErrors();
    controls.setState(state);
    showURLProblems();
    settingsChanged(false);
  });

  const runAll = () => controller.run(currentConfig());
  dom.run.addEventListener('click', runAll);
  dom.step.addEventListener('click', () => controller.step(currentConfig()));
  dom.reset.addEventListener('click', () => {
    // Reset returns to the link's settings (a teacher's embed stays the teacher's), then clears.
    presetId = linkState.presetId;
    const back = linkState.state;
    controls.clearErrors();
    clearEngineError();
    panel.setNote(null);
    if (JSON.stringify(configFromState(back)) !== JSON.stringify(currentConfig())) {
      state = back;
      controls.setState(state);
      pushURL();
      controls.updateRelevance(state);
      renderRuns();
    }
    presetList.render(state);
    controller.reset();
  });
  dom.stop.addEventListener('click', () => controller.stop());
  dom.auto.addEventListener('change', () => {
    if (dom.auto.checked && controller.shown?.key !== JSON.stringify(currentConfig())) runAll();
    markStale();
  });

  // --- start
  controls.setState(state);
  showURLProblems();
  renderRuns();
  presetList.render(state);
  showPhase('loading', { step: 0, totalSteps: 0 });
  const simd = pageParams.simd === '0' ? false : pageParams.simd === '1' ? true : undefined;
  client.init(simd).then((info) => {
    dom.engineNote.textContent = info.simd
      ? 'Engine: WebAssembly SIMD build.'
      : info.forced
        ? 'Engine: scalar build (forced by ?simd=0): same numbers, slower.'
        : 'Engine: scalar build, because this browser has no WebAssembly SIMD: same numbers, slower.';
    document.body.dataset.engine = info.simd ? 'simd' : 'scalar';
    controller.ready();
    engineReady();
    runAll();
  }, (e) => {
    engineReady(); // the checker's questions then get the engine's error, not silence
    controller.loadFailed(e.message);
    dom.engineNote.textContent = 'Engine: not loaded.';
  });
}

// In a task of its own: the browser lays out the static page in the task that evaluates this
// module; building the controls in the same task made one task of ~100 ms at load.
setTimeout(startApp, 0);
