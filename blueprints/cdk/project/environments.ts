// Typed configuration of every environment, rendered by stackwright
// {{ stackwright.version }} from .stackwright/answers.yaml. Edit the answers and
// render again rather than this file, so the project stays reproducible.

export type Profile = 'production' | 'ephemeral';
export type NatMode = 'per-az' | 'single' | 'none';
export type DatabaseEngine = 'postgres' | 'mysql' | 'aurora-postgresql' | 'aurora-mysql';
export type AppKind = 'ec2' | 'ecs' | 'lambda';

export interface AlarmThresholds {
  readonly cpuPercent: number;
  readonly freeStorageBytes: number;
  readonly connections: number;
  readonly evaluationPeriods: number;
}

export interface EnvironmentConfig {
  /** Lowercase name; stack and construct ids derive from it. */
  readonly name: string;
  readonly profile: Profile;
  /** Production-like: retained data, deletion protection, Multi-AZ, NAT per AZ. */
  readonly production: boolean;
  /** The account this environment lives in; undefined = the account you deploy from. */
  readonly accountId?: string;
  /** A manual approval precedes this environment's deployment in the pipeline. */
  readonly approval: boolean;
  readonly vpcCidr: string;
  /** Subnet ranges stackwright computed from the VPC range, per tier, one per AZ. */
  readonly subnets: { readonly public: readonly string[]; readonly private: readonly string[]; readonly isolated: readonly string[] };
  readonly natMode: NatMode;
  readonly natGateways: number;
  readonly logRetentionDays: number;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly multiAz: boolean;
  /**
   * Database audit logging (DB-09): the MariaDB Audit Plugin, Aurora MySQL
   * server_audit or pgaudit, exported to CloudWatch Logs. On for
   * production-profile environments and wherever the project's tags mark its
   * data confidential or restricted.
   */
  readonly auditLogging: boolean;
  readonly dbInstanceClass: string;
  readonly noncurrentTransitionDays: number;
  readonly noncurrentExpirationDays: number;
  readonly alarm: AlarmThresholds;
}

export interface ProjectConfig {
  readonly name: string;
  /** PascalCase of the name, for construct ids. */
  readonly pascal: string;
  readonly owner: string;
  readonly costCenter: string;
  /** Extra tags from the answers, applied to every taggable resource. */
  readonly tags: Readonly<Record<string, string>>;
  /** The region the answers name; stacks stay region-agnostic (AZs via Fn::GetAZs). */
  readonly region: string;
}

export interface NetworkConfig {
  readonly availabilityZones: number;
  readonly gatewayEndpoints: readonly string[];
  readonly interfaceEndpoints: readonly string[];
  readonly trustedCidrs: readonly string[];
  /** The answers allow 0.0.0.0/0 as a trusted CIDR explicitly (NET-08). */
  readonly allowPublicIngress: boolean;
}

export interface DatabaseConfig {
  readonly engine: DatabaseEngine;
  readonly aurora: boolean;
  readonly version: string;
  /** The major version an option group is made for (RDS for MySQL: "8.0"). */
  readonly majorVersion: string;
  /** `mysql` or `postgres`: the engine family both RDS and Aurora share. */
  readonly family: string;
  readonly parameterGroupFamily: string;
  readonly port: number;
  readonly name: string;
  readonly tlsParameterName: string;
  readonly tlsParameterValue: string;
  readonly logExports: readonly string[];
}

export interface AppConfig {
  readonly kind: AppKind;
  readonly port: number;
}

export interface PipelineConfig {
  readonly repository: string;
  readonly branch: string;
  readonly stages: readonly string[];
  readonly notificationEmail: string;
}

export const PROJECT: ProjectConfig = {
  name: '{{ project.name }}',
  pascal: '{{ project.pascal }}',
  owner: {{ project.owner | json_str }},
  costCenter: {{ project.cost_center | json_str }},
  tags: {
{%- for k, v in project.tags %}
    {{ k | json_str }}: {{ v | json_str }},
{%- endfor %}
  },
  region: '{{ region.code }}',
};

export const ENVIRONMENTS: readonly EnvironmentConfig[] = [
{%- for e in environments %}
  {
    name: '{{ e.name }}',
    profile: '{{ e.profile }}',
    production: {{ e.production }},
    {% if e.account_id %}accountId: '{{ e.account_id }}',
    {% endif %}approval: {{ e.approval }},
    vpcCidr: '{{ e.vpc_cidr }}',
    subnets: {
      public: [{% for c in e.subnets.public %}'{{ c }}'{% if not loop.last %}, {% endif %}{% endfor %}],
      private: [{% for c in e.subnets.private %}'{{ c }}'{% if not loop.last %}, {% endif %}{% endfor %}],
      isolated: [{% for c in e.subnets.isolated %}'{{ c }}'{% if not loop.last %}, {% endif %}{% endfor %}],
    },
    natMode: '{{ e.nat_mode }}',
    natGateways: {{ e.nat_gateways }},
    logRetentionDays: {{ e.log_retention_days }},
    backupRetentionDays: {{ e.backup_retention_days }},
    deletionProtection: {{ e.deletion_protection }},
    multiAz: {{ e.multi_az }},
    auditLogging: {{ e.audit_logging }},
    dbInstanceClass: '{{ e.db_instance_class }}',
    noncurrentTransitionDays: {{ e.noncurrent_transition_days }},
    noncurrentExpirationDays: {{ e.noncurrent_expiration_days }},
    alarm: {
      cpuPercent: {{ e.alarm.cpu_percent }},
      freeStorageBytes: {{ e.alarm.free_storage_bytes }},
      connections: {{ e.alarm.connections }},
      evaluationPeriods: {{ e.alarm.evaluation_periods }},
    },
  },
{%- endfor %}
];

export const NETWORK: NetworkConfig = {
  availabilityZones: {{ network.availability_zones }},
  gatewayEndpoints: [{% for g in network.gateway_endpoints %}'{{ g.service }}'{% if not loop.last %}, {% endif %}{% endfor %}],
  interfaceEndpoints: [{% for g in network.interface_endpoints %}'{{ g.service }}'{% if not loop.last %}, {% endif %}{% endfor %}],
  trustedCidrs: [{% for c in network.trusted_cidrs %}'{{ c.cidr }}'{% if not loop.last %}, {% endif %}{% endfor %}],
  allowPublicIngress: {{ network.allow_public_ingress }},
};

export const DATABASE: DatabaseConfig | undefined = {% if database.enabled %}{
  engine: '{{ database.engine }}',
  aurora: {{ database.aurora }},
  version: '{{ database.version }}',
  majorVersion: '{{ database.major_version }}',
  family: '{{ database.family }}',
  parameterGroupFamily: '{{ database.parameter_group_family }}',
  port: {{ database.port }},
  name: '{{ database.name }}',
  tlsParameterName: '{{ database.tls_parameter_name }}',
  tlsParameterValue: '{{ database.tls_parameter_value }}',
  logExports: [{% for l in database.log_exports %}'{{ l }}'{% if not loop.last %}, {% endif %}{% endfor %}],
}{% else %}undefined{% endif %};

export const APP: AppConfig | undefined = {% if app.enabled %}{ kind: '{{ app.kind }}', port: {{ app.port }} }{% else %}undefined{% endif %};

export const PIPELINE: PipelineConfig | undefined = {% if pipeline.enabled %}{
  repository: {{ pipeline.repository | json_str }},
  branch: {{ pipeline.branch | json_str }},
  stages: [{% for s in pipeline.stages %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %}],
  notificationEmail: {{ pipeline.notification_email | json_str }},
}{% else %}undefined{% endif %};

/** The environment of a name, or an error naming the ones that exist. */
export function environment(name: string): EnvironmentConfig {
  const found = ENVIRONMENTS.find((e) => e.name === name);
  if (!found) {
    throw new Error(`unknown environment '${name}'; known: ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
  }
  return found;
}

/**
 * Whether this environment holds its account's singletons (the CloudTrail
 * trail): the first environment of every account does (DEP-07).
 */
export function ownsAccountSingletons(env: EnvironmentConfig): boolean {
{%- if security.existing_trail %}
  // security.account_trail is existing: every account already has a multi-region
  // trail (an organization trail or the instructor's), so no environment makes one.
  return false;
{%- else %}
  return ENVIRONMENTS.find((e) => e.accountId === env.accountId)?.name === env.name;
{%- endif %}
}
