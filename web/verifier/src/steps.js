// Check lists as data (verifier/steps.py): a check list is an array of named steps run in order.
//
// A step reads and extends the working state of its list and throws `Invalid` or `CannotVerify`
// on failure. `runSteps` records on the error what passed before it, so the page shows the same
// "ok" lines as `solvency-verify proof`. A step returns undefined (its name is shown), a sentence
// (shown instead of the name), an array of sentences (a nested list's), or SKIPPED.

import { CannotVerify, Invalid } from "./reasons.js";

export const SKIPPED = "";

export function step(name, check) {
  return Object.freeze({ name, check });
}

export function runSteps(steps, state) {
  const passed = [];
  for (const { name, check } of steps) {
    let said;
    try {
      said = check(state);
    } catch (exc) {
      if (exc instanceof Invalid || exc instanceof CannotVerify) exc.passed = [...passed, ...exc.passed];
      throw exc;
    }
    if (said === undefined || said === null) passed.push(name);
    else if (Array.isArray(said)) passed.push(...said);
    else if (said !== SKIPPED) passed.push(said);
  }
  return passed;
}
