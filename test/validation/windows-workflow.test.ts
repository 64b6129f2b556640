// .github/workflows/windows.yml cannot run here (it wants a Windows runner), so this is what keeps
// it right: it parses as strict YAML, it fits the part of GitHub's workflow syntax it uses (no
// unknown key, each step either `uses` an action at a version or `run`s a command), and it does
// what it is for — on windows-latest with the Node major the package supports, `npm ci`, then
// exactly the commands a user runs (`npm test`, `npm run demo`, `npm run probe`), each a script
// package.json has. Each rule is also shown to catch the mistake it is there for.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const workflowFile = new URL('../../.github/workflows/windows.yml', import.meta.url);
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

/** The commands the job runs, in order (README: install, then the suite, the demo, the probes). */
const EXPECTED_RUNS = ['npm ci', 'npm test', 'npm run demo', 'npm run probe'];

// Keys GitHub Actions' workflow syntax allows at each level (the subset a job like this may use).
const WORKFLOW_KEYS = new Set(['name', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs']);
const JOB_KEYS = new Set(['name', 'runs-on', 'timeout-minutes', 'permissions', 'env', 'defaults', 'if', 'needs', 'strategy', 'concurrency', 'steps']);
const STEP_KEYS = new Set(['name', 'id', 'if', 'uses', 'run', 'with', 'env', 'shell', 'working-directory', 'timeout-minutes']);
const EVENTS = new Set(['push', 'pull_request', 'workflow_dispatch', 'schedule']);
/** `owner/repo@ref`: an action pinned to a version. */
const ACTION = /^[\w.-]+\/[\w.-]+@[\w.-]+$/;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(where: string, value: Mapping, allowed: Set<string>): string[] {
  return Object.keys(value).filter((key) => !allowed.has(key)).map((key) => `${where}: unknown key '${key}'`);
}

/** Every problem found in a workflow's text; none for a good one. */
function problems(text: string): string[] {
  const document = parseDocument(text, { uniqueKeys: true, strict: true });
  const found = [...document.errors, ...document.warnings].map((e) => `YAML: ${e.message}`);
  if (found.length > 0) return found;
  const workflow: unknown = document.toJS();
  if (!isMapping(workflow)) return ['the workflow is not a mapping'];
  found.push(...unknownKeys('workflow', workflow, WORKFLOW_KEYS));
  const on = workflow.on;
  const events = typeof on === 'string' ? [on] : Array.isArray(on) ? on : isMapping(on) ? Object.keys(on) : [];
  if (events.length === 0) found.push("'on' names no event");
  for (const event of events) if (!EVENTS.has(String(event))) found.push(`'on': unexpected event '${String(event)}'`);
  if (!isMapping(workflow.jobs) || Object.keys(workflow.jobs).length !== 1) return [...found, 'expected exactly one job'];
  const [[id, job]] = Object.entries(workflow.jobs) as [[string, unknown]];
  if (!isMapping(job)) return [...found, `job ${id} is not a mapping`];
  found.push(...unknownKeys(`job ${id}`, job, JOB_KEYS));
  if (job['runs-on'] !== 'windows-latest') found.push(`job ${id}: runs-on is ${JSON.stringify(job['runs-on'])}, not windows-latest`);
  if (!Number.isInteger(job['timeout-minutes'])) found.push(`job ${id}: no timeout-minutes (a hang would hold the runner for 6 hours)`);
  if (!Array.isArray(job.steps) || job.steps.length === 0) return [...found, `job ${id}: no steps`];
  const runs: string[] = [];
  const actions: Mapping[] = [];
  job.steps.forEach((step: unknown, i) => {
    const where = `step ${i + 1}`;
    if (!isMapping(step)) return void found.push(`${where} is not a mapping`);
    found.push(...unknownKeys(where, step, STEP_KEYS));
    if ((step.uses === undefined) === (step.run === undefined)) return void found.push(`${where}: needs exactly one of 'uses' and 'run'`);
    if (step.run !== undefined) {
      if (typeof step.run !== 'string') return void found.push(`${where}: 'run' is not a string`);
      if (step.with !== undefined) found.push(`${where}: 'with' belongs to a 'uses' step`);
      runs.push(step.run.trim());
    } else if (typeof step.uses !== 'string' || !ACTION.test(step.uses)) {
      found.push(`${where}: 'uses' is not owner/repo@version: ${JSON.stringify(step.uses)}`);
    } else {
      actions.push(step);
    }
  });
  const uses = (name: string): Mapping | undefined => actions.find((step) => String(step.uses).startsWith(`${name}@`));
  if (uses('actions/checkout') === undefined) found.push('no actions/checkout step');
  const setupNode = uses('actions/setup-node');
  const supportedMajor = Number(/^>=\s*(\d+)/.exec(packageJson.engines.node)?.[1]);
  const nodeVersion = isMapping(setupNode?.with) ? setupNode.with['node-version'] : undefined;
  if (String(nodeVersion) !== String(supportedMajor)) {
    found.push(`actions/setup-node: node-version ${JSON.stringify(nodeVersion)}, expected ${supportedMajor} (package.json engines: ${packageJson.engines.node})`);
  }
  if (JSON.stringify(runs) !== JSON.stringify(EXPECTED_RUNS)) found.push(`runs ${JSON.stringify(runs)}, expected ${JSON.stringify(EXPECTED_RUNS)}`);
  for (const run of runs) {
    const script = /^npm (?:run (\S+)|(test))$/.exec(run);
    const name = script?.[1] ?? script?.[2];
    if (name !== undefined && packageJson.scripts[name] === undefined) found.push(`'${run}': package.json has no script '${name}'`);
  }
  return found;
}

describe('.github/workflows/windows.yml', () => {
  const text = readFileSync(workflowFile, 'utf8');

  test('is valid, and runs npm ci, npm test, the demo and the probes on windows-latest with Node 22', () => {
    expect(problems(text)).toEqual([]);
  });

  test.each([
    ['a YAML error', text.replace('jobs:', 'jobs: [\n'), /^YAML: /],
    ['a duplicate key', text.replace('    runs-on: windows-latest', '    runs-on: windows-latest\n    runs-on: windows-latest'), /^YAML: /],
    ['a misspelt key', text.replace('runs-on:', 'runs_on:'), /unknown key 'runs_on'/],
    ['another runner', text.replace('windows-latest', 'ubuntu-latest'), /runs-on is "ubuntu-latest"/],
    ['no time limit', text.replace(/ *timeout-minutes: \d+\n/, ''), /no timeout-minutes/],
    ['an action without a version', text.replace('actions/checkout@v4', 'actions/checkout'), /not owner\/repo@version/],
    ['a step with both uses and run', text.replace('      - run: npm ci', '      - uses: actions/cache@v4\n        run: npm ci'), /exactly one of 'uses' and 'run'/],
    ['another Node', text.replace('node-version: 22', 'node-version: 20'), /node-version 20, expected 22/],
    ['a step left out', text.replace('      - run: npm run demo\n', ''), /^runs \[/],
    ['the steps out of order', text.replace('npm ci', 'npm TEMP').replace('npm test', 'npm ci').replace('npm TEMP', 'npm test'), /^runs \[/],
  ])('finds %s', (_, broken, message) => {
    expect(broken).not.toBe(text); // the mutation applied
    expect(problems(broken)).toContainEqual(expect.stringMatching(message));
  });

  test('finds a script package.json does not have', () => {
    expect(problems(text.replace('npm run probe', 'npm run probes'))).toContainEqual("'npm run probes': package.json has no script 'probes'");
  });
});
