/*
 * The one backend call each page makes for its main content, per backend:
 * what the matrix (run.js) and a probe (probe.js) view.
 */
const ENTITY = 'default/component/payments-settlement';

/** Paths of the list, build and log views of `backend` ('ours' or a community one). */
function pagePaths(backend, running) {
  const job = encodeURIComponent(running.job);
  if (backend === 'ours') {
    const q = `vpc=${running.vpc}&job=${job}`;
    return {
      list: `/api/batch-jobs/entity/${ENTITY}/jobs`,
      build: `/api/batch-jobs/builds?${q}&limit=1`,
      // What the log view opens with (useLogFollower): the last 256 KiB.
      log: `/api/batch-jobs/builds/log?${q}&number=${running.number}&tail=262144`,
    };
  }
  return {
    list: `/api/jenkins/v1/entity/${ENTITY}/projects`,
    build: `/api/jenkins/v1/entity/${ENTITY}/job/${job}/${running.number}`,
    log: `/api/jenkins/v1/entity/${ENTITY}/job/${job}/${running.number}/consoleText`,
  };
}

module.exports = { pagePaths };
