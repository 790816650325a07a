// Shared by the tests: the app built once per test file, its templates, and
// small queries over them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../config/environments';
import { buildApp, BuiltApp } from '../lib/app';
import { Finding, unacknowledgedFindings } from '../lib/compliance';

export type Json = Record<string, any>;

export interface EnvTemplates {
  readonly env: EnvironmentConfig;
  /** Every stack of the environment's Stage by concern (security, network, ...). */
  readonly stacks: Record<string, Template>;
}

export interface Synthesized {
  readonly built: BuiltApp;
  readonly envs: EnvTemplates[];
  /** Every template of the app (environment stacks and the pipeline), by stack name. */
  readonly all: Record<string, Json>;
  /** cdk-nag findings no acknowledgment covers. */
  readonly findings: Finding[];
  /** How many findings acknowledgments covered. */
  readonly acknowledged: number;
}

/**
 * Builds the app with cdk-nag and synthesizes it once, like `cdk synth`;
 * every test of the file reads the templates of that one cloud assembly.
 */
export function synthesize(): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-'));
  try {
    const built = buildApp({ outdir });
    const assembly = built.app.synth();
    const report = path.join(assembly.directory, 'validation-report.json');
    const acknowledged = fs.existsSync(report)
      ? JSON.parse(fs.readFileSync(report, 'utf8')).pluginReports.reduce(
          (n: number, p: { suppressedViolations?: unknown[] }) => n + (p.suppressedViolations ?? []).length,
          0,
        )
      : 0;
    const all: Record<string, Json> = {};
    const envs = built.stages.map((stage) => {
      const nested = assembly.getNestedAssembly(stage.artifactId);
      const stacks: Record<string, Template> = {};
      for (const child of stage.node.children) {
        if (Stack.isStack(child)) {
          const json = nested.getStackArtifact(child.artifactId).template as Json;
          stacks[child.node.id.toLowerCase()] = Template.fromJSON(json);
          all[child.stackName] = json;
        }
      }
      return { env: stage.config, stacks };
    });
    for (const child of built.app.node.children) {
      if (Stack.isStack(child)) {
        all[child.stackName] = assembly.getStackArtifact(child.artifactId).template as Json;
      }
    }
    return { built, envs, all, findings: unacknowledgedFindings(assembly.directory), acknowledged };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The resources of a type in a template: [logicalId, resource][]. */
export function resources(template: Template | Json, type: string): [string, Json][] {
  const json = template instanceof Template ? template.toJSON() : template;
  return Object.entries((json.Resources ?? {}) as Record<string, Json>).filter(([, r]) => r.Type === type);
}

/** Every policy statement of every IAM policy, role, bucket, key and topic policy. */
export function statements(template: Json): Json[] {
  const out: Json[] = [];
  for (const r of Object.values((template.Resources ?? {}) as Record<string, Json>)) {
    const p = r.Properties ?? {};
    const docs = [p.PolicyDocument, p.KeyPolicy, p.AssumeRolePolicyDocument, ...(p.Policies ?? []).map((x: Json) => x.PolicyDocument)];
    for (const doc of docs) {
      if (doc && Array.isArray(doc.Statement)) {
        out.push(...doc.Statement);
      }
    }
  }
  return out;
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The tag value of a resource (Tags as a list of Key/Value or a map). */
export function tagOf(resource: Json, key: string): unknown {
  const tags = resource.Properties?.Tags;
  if (Array.isArray(tags)) {
    return tags.find((t: Json) => t.Key === key)?.Value;
  }
  return tags?.[key];
}
