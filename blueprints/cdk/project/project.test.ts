// The project around the app: README, docs/controls.md, Makefile, toolchain
// pins and the stored answers (PRJ-01..PRJ-05).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACKNOWLEDGMENTS } from '../lib/compliance';
import { ENVIRONMENTS, PIPELINE, PROJECT } from '../config/environments';

const root = path.join(__dirname, '..');
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');

test('test_prj_01_readme_architecture_config_and_commands', () => {
  const readme = read('README.md');
  expect(readme).toContain('```mermaid');
  for (const env of ENVIRONMENTS) {
    expect(readme).toContain(`make deploy ENV=${env.name}`);
  }
  for (const needle of ['cdk bootstrap', '--cloudformation-execution-policies', 'make destroy', 'make diff', 'Troubleshooting']) {
    expect(readme).toContain(needle);
  }
  expect(readme).not.toContain('AdministratorAccess --');
});

test('test_prj_02_controls_doc_lists_controls_and_every_acknowledgment', () => {
  const doc = read('docs/controls.md');
  expect(doc).toMatch(/\| SEC-01 \|/);
  for (const a of ACKNOWLEDGMENTS) {
    const escaped = a.rule.replace(/[\\`*_{}\[\]<>()#+!|~]/g, '\\$&');
    expect([a.rule, doc.includes(escaped)]).toEqual([a.rule, true]);
  }
});

test('test_prj_03_a_test_per_control', () => {
  const doc = read('docs/controls.md');
  const ids = [...doc.matchAll(/^\| ([A-Z]+-\d\d) \|/gm)].map((m) => m[1]);
  expect(ids.length).toBeGreaterThan(20);
  const tests = fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).map((f) => read(`test/${f}`)).join('\n');
  for (const id of ids) {
    expect([id, tests.includes(`test_${id.toLowerCase().replace('-', '_')}_`)]).toEqual([id, true]);
  }
});

test('test_prj_04_make_targets_and_exact_pins', () => {
  const make = read('Makefile');
  for (const target of ['install:', 'test:', 'lint:', 'scan:', 'diff:', 'deploy:', 'destroy:', 'bootstrap:']) {
    expect(make).toContain(target);
  }
  const pkg = JSON.parse(read('package.json'));
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
  }
  const lock = JSON.parse(read('package-lock.json'));
  expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
  // The CloudFormation execution policies `make bootstrap` passes: never administrator
  // access, no `*` action, each under IAM's 6,144-character managed-policy limit.
  const parts = fs.readdirSync(path.join(root, 'bootstrap')).filter((f) => f.endsWith('.json')).sort();
  expect(parts[0]).toBe('execution-policy-access.json');
  expect(parts.slice(1)).toEqual(parts.slice(1).map((_, i) => `execution-policy-handlers-${i + 1}.json`));
  // IAM attaches at most 10 managed policies to a role by default.
  expect(parts.length).toBeLessThanOrEqual(10);
  for (const part of parts) {
    const doc = JSON.parse(read(`bootstrap/${part}`));
    expect(JSON.stringify(doc).length).toBeLessThanOrEqual(6144);
    for (const s of doc.Statement) {
      const actions: string[] = Array.isArray(s.Action) ? s.Action : [s.Action];
      expect([part, s.Sid, actions.filter((a) => a === '*' || a.endsWith(':*'))]).toEqual([part, s.Sid, []]);
    }
  }
  expect(make).not.toMatch(/policy\/AdministratorAccess/);
  expect(make).toContain('--cloudformation-execution-policies');
});

test('test_prj_05_stored_answers_reproduce_the_project', () => {
  const answers = read('.stackwright/answers.yaml');
  expect(answers).toContain(`name: ${PROJECT.name}`);
  expect(answers).toMatch(/flavor: cdk/);
  for (const env of ENVIRONMENTS) {
    expect(answers).toContain(env.name);
  }
});

// DEP-06: one first-deploy order, the same in README.md and `make help`, with
// `make preflight` checking the prerequisites read-only before anything is created.
const section = (text: string, heading: string) => {
  const start = text.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + heading.length);
  const next = rest.search(/^## /m);
  return next < 0 ? rest : rest.slice(0, next);
};
const readmeSteps = (readme: string) =>
  [...section(readme, '## First deployment, in order').matchAll(/^(\d+)\. `([^`]+)`: /gm)].map((m) => [Number(m[1]), m[2]]);
const helpSteps = (make: string) => {
  const recipe = make.slice(make.indexOf('\nhelp:'), make.indexOf('\ninstall:'));
  return [...recipe.matchAll(/^\t@echo '  (\d+)\. ([^:]+): /gm)].map((m) => [Number(m[1]), m[2]]);
};
const expectedSteps = () =>
  [
    'make install && make test',
    ...(PIPELINE ? [`git push origin ${PIPELINE.branch}`] : []),
    'make bootstrap-policies',
    'make bootstrap',
    'make preflight ENV=<env>',
    ...(PIPELINE ? ['make deploy-pipeline'] : []),
    'make deploy ENV=<env>',
  ].map((cmd, i) => [i + 1, cmd]);

test('test_dep_06_first_deploy_order_is_the_same_in_readme_and_make_help', () => {
  const want = expectedSteps();
  expect(readmeSteps(read('README.md'))).toEqual(want);
  expect(helpSteps(read('Makefile'))).toEqual(want);
  // The comparison itself: a README with two steps swapped differs.
  const swapped = read('README.md').replace('`make bootstrap-policies`:', '`make bootstrap-x`:');
  expect(readmeSteps(swapped)).not.toEqual(want);
});

test('test_dep_06_first_deploy_steps_run_existing_targets', () => {
  const make = read('Makefile');
  const targets = new Set([...make.matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));
  for (const [, cmd] of expectedSteps()) {
    for (const m of String(cmd).matchAll(/\bmake ([a-z-]+)/g)) {
      expect([cmd, targets.has(m[1])]).toEqual([cmd, true]);
    }
  }
  expect(make).toContain('bash scripts/preflight.sh $(ENV)');
});

/** AWS CLI calls of a script that are not read-only (get-/describe-/list-, or --version). */
const writingCalls = (script: string) =>
  [...script.matchAll(/\$AWS (?:(--version)|([a-z0-9-]+) ([a-z0-9-]+))/g)]
    .filter((m) => !m[1] && !/^(get|describe|list)-/.test(m[3]))
    .map((m) => `${m[2]} ${m[3]}`);

test('test_dep_06_preflight_only_reads', () => {
  const script = read('scripts/preflight.sh');
  expect([...script.matchAll(/\$AWS /g)].length).toBeGreaterThanOrEqual(5);
  expect(writingCalls(script)).toEqual([]);
  expect(writingCalls('$AWS iam create-policy --policy-name x')).toEqual(['iam create-policy']);
  for (const env of ENVIRONMENTS) {
    expect(script).toContain(`  ${env.name}) want_account='${env.accountId ?? ''}' ;;`);
  }
});
