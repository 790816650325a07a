// Shared by the tests: the app built once per test file, its templates, and
// small queries over them.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../config/environments';
import { buildApp, BuiltApp } from '../lib/app';

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
}

/** Builds and synthesizes the app once (cdk-nag off: test/nag.test.ts runs it). */
export function synthesize(): Synthesized {
  const built = buildApp({}, { nag: false });
  const envs = built.stages.map((stage) => {
    const stacks: Record<string, Template> = {};
    for (const child of stage.node.children) {
      if (Stack.isStack(child)) {
        stacks[child.node.id.toLowerCase()] = Template.fromStack(child);
      }
    }
    return { env: stage.config, stacks };
  });
  const all: Record<string, Json> = {};
  for (const stage of built.stages) {
    for (const child of stage.node.children) {
      if (Stack.isStack(child)) {
        all[child.stackName] = Template.fromStack(child).toJSON();
      }
    }
  }
  for (const child of built.app.node.children) {
    if (Stack.isStack(child)) {
      all[child.stackName] = Template.fromStack(child).toJSON();
    }
  }
  return { built, envs, all };
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
