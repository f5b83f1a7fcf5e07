// web/run-controller.mjs — the page's run state machine, without DOM: Node tests drive it
// over the stub engine (tests/node/run-controller.test.mjs); web/main.mjs only wires it.
//
// Phases:
//   loading   the engine is loading              failed    it could not load (final)
//   idle      nothing on screen (start, Reset)   running   a run request trains
//   stopping  Stop was pressed, the run ends after its current step
//   paused    the results on screen are the current settings' first steps (Step, Stop)
//   done      the results on screen are the current settings' whole run
//   stale     the results on screen are for other settings (no automatic re-run)
//   error     the engine refused the current settings (older results may be on screen)
//   crashed   the engine crashed or a run ended by an error; the next action starts afresh
//
// One cancel mechanism: every action bumps `generation`, and an older action gives up at its
// next await (a run it started is stopped). Actions run one after another.

export const PHASES = Object.freeze(['loading', 'failed', 'idle', 'running', 'stopping', 'paused', 'done', 'stale', 'error', 'crashed']);

const keyOf = (config) => JSON.stringify(config);

/**
 * client: {start(config) → {totalSteps}, run(maxSteps) → Promise (with .id) of
 *   {done, step, result}, stop(), free()} — web/supervisor.mjs or anything alike.
 * view (every callback optional):
 *   phase(phase, {step, totalSteps, reason})   after every change of phase
 *   started({config, key, totalSteps})         a new experiment: clear what is drawn
 *   record(record)                             a step record of the run on screen
 *   finished({config, key, result, done, step})  a run request ended: its verdict
 *   refused(error)                             the engine refused the settings (error.field)
 *   failed(error, {step})                      a run ended by an error (code 'stopped': a
 *                                              Stop inside a long step replaced the engine)
 *   invalid({explicit})                        a control holds an invalid value: not run
 *                                              (explicit: the user pressed Run or Step)
 *   interrupted({step})                        a run on screen was stopped by an action
 *                                              that then did not run (refused, invalid)
 *   picture(picture)                           a picture of both models (protocol 'picture')
 *   progress({step, phase, done, total})       progress inside a long step of the run on screen
 * canRun() → true unless a control holds an invalid value.
 * runOptions: extra fields of every run request (e.g. {picture: {size, everyMs}}).
 */
export function createRunController({ client, view = {}, canRun = () => true, runOptions }) {
  let phase = 'loading';
  let generation = 0;
  let chain = Promise.resolve();
  let activeRunId = null; // the run request whose records are shown
  let experiment = null; // {key, config, totalSteps} of the experiment in the engine
  let shown = null; // {key, config, totalSteps, step} of the results on screen
  let wanted = null; // key of the current settings
  let overtaken = null; // {step} of a run stopped by a newer action, until that action runs

  /** View callbacks never break the chain of actions: an error there is reported, not kept. */
  const tell = (name, ...args) => {
    try {
      view[name]?.(...args);
    } catch (e) {
      console.error(`run-controller: view.${name} failed`, e); // eslint-disable-line no-console
    }
  };

  const info = (reason) => ({ step: shown?.step ?? 0, totalSteps: shown?.totalSteps ?? 0, reason });
  function setPhase(p, reason) {
    phase = p;
    tell('phase', p, info(reason));
  }

  /** Queues fn(isCurrent) after the actions before it; a newer action makes it give up. */
  function act(fn) {
    const gen = ++generation;
    if (phase === 'running' || phase === 'stopping') client.stop();
    const isCurrent = () => gen === generation;
    chain = chain.then(() => (isCurrent() ? fn(isCurrent) : undefined)).catch((e) => {
      activeRunId = null;
      experiment = null; // the engine's experiment is gone or untrusted
      overtaken = null;
      tell('failed', e, { step: shown?.step ?? 0 });
      // A Stop inside a long step replaced the engine: a normal stop whose steps stay, but
      // the next Run starts from step 0 ('done'). Anything else is a crash.
      if (phase !== 'failed') setPhase(e?.code === 'stopped' ? 'done' : 'crashed', e?.code === 'stopped' ? 'stopped' : 'error');
    });
    return chain;
  }

  /** A new experiment for `config`; false if it was refused or overtaken. */
  async function startFresh(config, isCurrent) {
    let started;
    try {
      started = await client.start(config);
    } catch (e) {
      if (!isCurrent()) return false;
      experiment = null;
      setPhase('error', 'refused');
      reportOvertaken();
      tell('refused', e);
      return false;
    }
    if (!isCurrent()) return false;
    const key = keyOf(config);
    experiment = { key, config, totalSteps: started.totalSteps };
    shown = { key, config, totalSteps: started.totalSteps, step: 0 };
    overtaken = null; // its results give way to this run's
    tell('started', { config, key, totalSteps: started.totalSteps });
    return true;
  }

  /** A run stopped by an action that then did not run: the page says where it stopped. */
  function reportOvertaken() {
    if (!overtaken) return;
    const { step } = overtaken;
    overtaken = null;
    tell('interrupted', { step });
  }

  async function train(config, maxSteps, explicit) {
    return act(async (isCurrent) => {
      if (!canRun()) {
        const busy = phase === 'running' || phase === 'stopping';
        let next = phase;
        if (!shown) next = 'idle';
        else if (shown.key !== keyOf(config)) next = 'stale';
        else if (busy) next = shown.step >= shown.totalSteps ? 'done' : 'paused';
        setPhase(next, 'invalid');
        reportOvertaken();
        tell('invalid', { explicit });
        return;
      }
      const key = keyOf(config);
      wanted = key; // what is run is what the settings are now
      const resume = phase === 'paused' && experiment?.key === key && shown?.key === key;
      if (!resume && !(await startFresh(config, isCurrent))) return;
      if (!isCurrent()) return;
      setPhase('running');
      const request = client.run(maxSteps, runOptions);
      activeRunId = request.id;
      const res = await request;
      activeRunId = null;
      shown.step = res.step;
      if (!isCurrent()) { // overtaken: a newer action replaces what is on screen (or says where this stopped)
        overtaken = { step: res.step };
        return;
      }
      tell('finished', { config: shown.config, key: shown.key, result: res.result, done: res.done, step: res.step });
      setPhase(res.done ? 'done' : 'paused', res.stopped ? 'stopped' : undefined);
      if (wanted !== null && wanted !== shown.key) setPhase('stale');
    });
  }

  return {
    get phase() { return phase; },
    /** {key, config, totalSteps, step} of the results on screen, or null. */
    get shown() { return shown; },
    /** The engine loaded: ready for actions. */
    ready() { setPhase('idle'); },
    /** The engine could not load: nothing works any more. */
    loadFailed(reason) { setPhase('failed', reason); },
    /** Trains the whole run of `config` (continues a paused one of the same config). */
    run: (config) => train(config, undefined, true),
    /** Trains one more optimizer step (a fresh experiment if the settings changed). */
    step: (config) => train(config, 1, true),
    /** Ends the current run after its current step; the steps done stay on screen. */
    stop() {
      if (phase !== 'running') return;
      setPhase('stopping');
      client.stop();
    },
    /** Frees the experiment and clears the screen. */
    reset() {
      return act(async (isCurrent) => {
        await client.free();
        if (!isCurrent()) return;
        experiment = null;
        shown = null;
        overtaken = null;
        setPhase('idle', 'reset');
      });
    },
    /**
     * The settings are now `config`. With auto, the lab runs them at once (the run on
     * screen is stopped); without, results of other settings are marked stale.
     */
    settingsChanged(config, { auto }) {
      wanted = keyOf(config);
      if (phase === 'loading' || phase === 'failed') return Promise.resolve();
      if (auto) return train(config, undefined, false);
      if (shown && shown.key !== wanted && phase !== 'running' && phase !== 'stopping') setPhase('stale');
      else if (shown && shown.key === wanted && (phase === 'stale' || phase === 'error')) setPhase(shown.step >= shown.totalSteps ? 'done' : 'paused');
      return Promise.resolve();
    },
    /** A step record from the engine (supervisor onStep): passed on if it is the run on screen. */
    onStep(record, id) {
      if (id !== activeRunId || !shown) return;
      shown.step = record.step;
      tell('record', record);
    },
    /** Progress inside a long step (protocol 'progress'): passed on if it is the run on screen. */
    onProgress(progress, id) {
      if (id !== activeRunId || !shown) return;
      tell('progress', progress);
    },
    /** A picture from the engine: passed on if it is of the run on screen. */
    onPicture(picture, id) {
      if (id !== activeRunId || !shown) return;
      tell('picture', picture);
    },
    /** The engine crashed outside a run (supervisor onCrash): its experiment is gone. */
    onCrash(error) {
      experiment = null;
      if (error?.code === 'restart-failed') setPhase('failed', 'restart-failed');
      else if (error?.code !== 'stopped' && phase === 'paused') setPhase('crashed', 'crash');
    },
    /** Resolves when every queued action has finished (tests). */
    settled: () => chain,
  };
}
