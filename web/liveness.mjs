// web/liveness.mjs — noticing a worker that died without a word (self.close(), a crash of its
// thread): the worker holds a Web Lock named after itself for its whole life, and the page
// asks for the same lock, which it is granted only when the worker is gone. Where Web Locks
// are missing (some file:// pages), the supervisor's watchdog still ends a silent run.

/** A lock name for a new worker. */
export function lifeLockName() {
  return `accumlab-engine-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * In the worker: holds the lock `name` (the Worker's name) until the worker ends. Returns a
 * promise that resolves once it is held, so that answers (init's first) come after it.
 */
export function holdLifeLock(name, locks = globalThis.navigator?.locks) {
  if (!name || !locks) return Promise.resolve(false);
  return new Promise((held) => {
    locks.request(name, () => { held(true); return new Promise(() => {}); }).catch(() => held(false));
  });
}

/** In the page: calls onGone() once the worker holding `name` has ended. Returns false without Web Locks. */
export function watchLifeLock(name, onGone, locks = globalThis.navigator?.locks) {
  if (!name || !locks) return false;
  locks.request(name, () => { onGone(); }).catch(() => {});
  return true;
}
