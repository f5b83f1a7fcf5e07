// web/panel.mjs — the answer to "are they the same, and if not, why?": the verdict
// (verdict-view.mjs) above the comparison at one step (step-table.mjs).
import { createVerdictView } from './verdict-view.mjs';
import { createStepTable } from './step-table.mjs';

export { headline } from './verdict-view.mjs';

/**
 * Fills `root` with the verdict and the step table.
 *   onFix(settings, label)   a fix button was pressed ({key: value} to apply)
 *   onStepShown(step|null)   the table shows another step (the charts' cursor follows)
 */
export function createPanel(root, { onFix, onStepShown }) {
  const verdict = createVerdictView(root, { onFix });
  const table = createStepTable(root, { onStepShown });

  return {
    verdictElement: verdict.element,
    clear: () => table.clear(),
    addRecords: (records) => table.add(records),
    stepCount: () => table.count(),
    /**
     * Shows the run's verdict (the engine's result.verdict). When the runs differ, the table
     * moves to the first differing step, where the cause is visible undisturbed; the key
     * numbers are read there (or at the last step). Returns the headline.
     */
    showVerdict(v, k) {
      table.setFirstDifference(v.firstDifferentStep);
      const at = (Number.isInteger(v.firstDifferentStep) && table.record(v.firstDifferentStep)) || table.last();
      return verdict.show(v, at, k);
    },
    showRunning: (step, total) => verdict.running(step, total),
    showNone: (text, title) => verdict.none(text, title),
    /** Marks what is shown as belonging to older settings (text), or clears the mark (null). */
    setStale(text) {
      verdict.setStale(text);
      table.setStale(text);
    },
    setNote: (text) => verdict.setNote(text),
    hover: (step) => table.hover(step),
  };
}
