// One Stage per environment, holding one stack per concern. Stacks are
// region-agnostic (AZs via Fn::GetAZs); an environment in another account
// names that account, so `cdk deploy` uses that account's bootstrap roles.
import { Stage, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig, PROJECT } from '../config/environments';
{%- if app.enabled %}
import { AppStack } from './app-stack';
{%- endif %}
{%- if database.enabled %}
import { DatabaseStack } from './database-stack';
{%- endif %}
import { MonitoringStack } from './monitoring-stack';
import { NetworkStack } from './network-stack';
import { SecurityStack } from './security-stack';

/** The construct id of an environment's Stage (`dev` → `Dev`). */
export function stageId(env: EnvironmentConfig): string {
  return env.name
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** GEN-02: the tags every taggable resource carries. */
export function standardTags(env: EnvironmentConfig): Record<string, string> {
  return {
    ...PROJECT.tags,
    Project: PROJECT.name,
    Environment: env.name,
    Owner: PROJECT.owner,
    CostCenter: PROJECT.costCenter,
    ManagedBy: 'stackwright-cdk',
  };
}

export class EnvironmentStage extends Stage {
  readonly config: EnvironmentConfig;
  readonly security: SecurityStack;
  readonly network: NetworkStack;
{%- if database.enabled %}
  readonly database: DatabaseStack;
{%- endif %}
{%- if app.enabled %}
  readonly app: AppStack;
{%- endif %}
  readonly monitoring: MonitoringStack;

  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, stageId(env), { env: env.accountId ? { account: env.accountId } : undefined });
    this.config = env;
    // GEN-01: stack names derive from project and environment.
    const name = (concern: string) => `${PROJECT.name}-${env.name}-${concern}`;
    const description = (what: string) => `${PROJECT.name} ${env.name}: ${what} (stackwright CDK)`;

    this.security = new SecurityStack(this, 'Security', {
      stackName: name('security'),
      description: description('KMS key, trail, log buckets, alert topic'),
      config: env,
    });
    this.network = new NetworkStack(this, 'Network', {
      stackName: name('network'),
      description: description('VPC, subnets, NAT, endpoints, flow logs'),
      config: env,
      key: this.security.key,
    });
{%- if database.enabled %}
    this.database = new DatabaseStack(this, 'Database', {
      stackName: name('database'),
      description: description('database'),
      config: env,
      key: this.security.key,
      vpc: this.network.vpc,
      alertTopic: this.security.alertTopic,
      clients: this.network.appSecurityGroup ? [this.network.appSecurityGroup] : [],
    });
{%- endif %}
{%- if app.enabled %}
    this.app = new AppStack(this, 'App', {
      stackName: name('app'),
      description: description('application tier'),
      config: env,
      key: this.security.key,
      vpc: this.network.vpc,
      securityGroup: this.network.appSecurityGroup!,
      alertTopic: this.security.alertTopic,
    });
{%- endif %}
    this.monitoring = new MonitoringStack(this, 'Monitoring', {
      stackName: name('monitoring'),
      description: description('alarms and dashboard'),
      config: env,
      alertTopic: this.security.alertTopic,
      vpc: this.network.vpc,
      flowLogGroup: this.network.flowLogGroup,
      trailLogGroup: this.security.trailLogGroup,
{%- if database.enabled %}
      databaseInstances: this.database.instances.map((i) => i.ref),
{%- endif %}
{%- if app.enabled %}
      appLogGroup: this.app.logGroup,
{%- endif %}
    });

    for (const [key, value] of Object.entries(standardTags(env))) {
      Tags.of(this).add(key, value);
    }
  }
}
