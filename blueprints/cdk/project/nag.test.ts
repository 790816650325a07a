// Synth with cdk-nag's AwsSolutions pack, once for the whole app: every Stage
// (and the pipeline) must come out without an unacknowledged finding, and
// every acknowledgment must carry a reason.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../config/environments';
import { buildApp } from '../lib/app';
import { ACKNOWLEDGMENTS, Finding, unacknowledgedFindings } from '../lib/compliance';
import { stageId } from '../lib/stage';

let findings: Finding[];
let used: number;

beforeAll(() => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-nag-'));
  const { app } = buildApp({ outdir });
  const assembly = app.synth();
  findings = unacknowledgedFindings(assembly.directory);
  const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  used = report.pluginReports.reduce((n: number, p: { suppressedViolations?: unknown[] }) => n + (p.suppressedViolations ?? []).length, 0);
  fs.rmSync(outdir, { recursive: true, force: true });
});

const inScope = (prefix: string) => findings.filter((f) => f.paths.some((p) => p.startsWith(`${prefix}/`)));

test.each(ENVIRONMENTS.map((e) => [stageId(e)]))('synth with cdk-nag: stage %s has no unacknowledged finding', (stage) => {
  expect(inScope(stage)).toEqual([]);
});
{%- if pipeline.enabled %}

test('synth with cdk-nag: the pipeline has no unacknowledged finding', () => {
  expect(inScope('Pipeline')).toEqual([]);
});
{%- endif %}

test('synth with cdk-nag: nothing anywhere is left unacknowledged', () => {
  expect(findings).toEqual([]);
  expect(used).toBeGreaterThan(0);
});

test('every acknowledgment and skip names a rule and a reason', () => {
  for (const a of ACKNOWLEDGMENTS) {
    expect([a.rule, a.reason.length >= 20]).toEqual([a.rule, true]);
    expect(() => new RegExp(a.target)).not.toThrow();
  }
});
