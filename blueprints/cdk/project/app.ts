// The whole app: one Stage per environment{% if pipeline.enabled %} and the pipeline{% endif %}, checked by
// cdk-nag's AwsSolutions pack (an unacknowledged finding fails the synth).
import { App, AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENVIRONMENTS, PROJECT } from '../config/environments';
import { applyAcknowledgments } from './compliance';
{%- if pipeline.enabled %}
import { PipelineStack } from './pipeline-stack';
{%- endif %}
import { EnvironmentStage } from './stage';

export interface BuiltApp {
  readonly app: App;
  readonly stages: EnvironmentStage[];
{%- if pipeline.enabled %}
  readonly pipeline: PipelineStack;
{%- endif %}
}

/** Builds the app; `nag: false` leaves cdk-nag out (unit tests of single stacks). */
export function buildApp(props: AppProps = {}, options: { nag?: boolean } = {}): BuiltApp {
  const app = new App(props);
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  const stages = ENVIRONMENTS.map((env) => new EnvironmentStage(app, env));
{%- if pipeline.enabled %}
  const pipeline = new PipelineStack(app, 'Pipeline', {
    stackName: `${PROJECT.name}-pipeline`,
    description: `${PROJECT.name}: delivery pipeline (stackwright CDK)`,
  });
  for (const [key, value] of Object.entries({ ...PROJECT.tags, Project: PROJECT.name, Environment: 'pipeline', Owner: PROJECT.owner, CostCenter: PROJECT.costCenter, ManagedBy: 'stackwright-cdk' })) {
    Tags.of(pipeline).add(key, value);
  }
{%- endif %}
  applyAcknowledgments(app);
  return { app, stages{% if pipeline.enabled %}, pipeline{% endif %} };
}
