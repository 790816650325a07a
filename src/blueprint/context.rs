//! The flat context every template sees. Derived values (subnet ranges, names,
//! profile settings, engine facts) are computed here in Rust so templates stay
//! shallow. Every key is documented in README.md ("Template context").

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::answers::model::{AccountTrail, Answers, AppKind, Engine, NatMode, Profile, Stage};
use crate::aws::facts;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub stackwright: Tool,
    pub project: ProjectCtx,
    pub flavor: String,
    pub region: RegionCtx,
    pub environments: Vec<EnvCtx>,
    pub network: NetworkCtx,
    pub database: DatabaseCtx,
    pub pipeline: PipelineCtx,
    pub app: AppCtx,
    pub state: StateCtx,
    /// Whether any environment lives in an account other than the pipeline's.
    pub cross_account: bool,
    pub security: SecurityCtx,
}

/// Account-level audit settings.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityCtx {
    /// `create` or `existing` (`security.account_trail`).
    pub account_trail: String,
    /// True when the account already has a multi-region trail: no environment
    /// creates one, nor its bucket, log group or CIS metric filters and alarms.
    pub existing_trail: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectCtx {
    pub name: String,
    pub owner: String,
    pub cost_center: String,
    /// Extra tags from the answers.
    pub tags: BTreeMap<String, String>,
    /// Alphanumeric form of the name for logical ids and export names, e.g. `Payments`.
    pub pascal: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionCtx {
    pub code: String,
    pub name: String,
    pub partition: String,
    pub az_count: u8,
}

/// One environment with everything its profile decides.
#[derive(Debug, Clone, Serialize)]
pub struct EnvCtx {
    pub name: String,
    /// Position in promotion order, from 0.
    pub index: usize,
    pub profile: String,
    pub production: bool,
    pub approval: bool,
    /// Empty when the environment is in the pipeline's own account.
    pub account_id: String,
    pub cross_account: bool,
    pub vpc_cidr: String,
    /// Subnet ranges per tier, one per AZ in AZ order.
    pub subnets: SubnetsCtx,
    /// `single`, `per-az` or `none` after resolving `auto` by profile.
    pub nat_mode: String,
    pub nat_gateways: usize,
    pub multi_az: bool,
    pub deletion_protection: bool,
    /// CloudWatch Logs retention, a value CloudWatch accepts.
    pub log_retention_days: u32,
    pub backup_retention_days: u32,
    /// Days before noncurrent S3 object versions move to cheaper storage / expire.
    pub noncurrent_transition_days: u32,
    pub noncurrent_expiration_days: u32,
    pub db_instance_class: String,
    pub alarm: AlarmCtx,
    /// Name of the environment that owns the account-level singletons (the
    /// CloudTrail trail, its bucket, log group and CIS alarms) of this
    /// environment's account: the first production-profile environment in
    /// promotion order in that account, else the account's first environment.
    /// Environments without an account_id share the pipeline's account. Empty
    /// when `security.account_trail` is `existing`: no environment owns a trail.
    pub trail_owner: String,
    /// Whether this environment is that owner.
    pub owns_account_trail: bool,
    /// Database audit logging (MySQL audit plugin, Aurora MySQL server_audit,
    /// pgaudit): on for production-profile environments, and everywhere when
    /// `project.tags` classifies the data as confidential or restricted
    /// (`data-class` or `data-classification`).
    pub audit_logging: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubnetsCtx {
    pub public: Vec<String>,
    pub private: Vec<String>,
    pub isolated: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmCtx {
    pub cpu_percent: u32,
    pub free_storage_bytes: u64,
    pub connections: u32,
    pub evaluation_periods: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkCtx {
    pub availability_zones: u8,
    /// `0..availability_zones`, for loops.
    pub az_indexes: Vec<usize>,
    /// The NAT answer as given (`auto` means by profile; see each environment's `nat_mode`).
    pub nat: String,
    pub gateway_endpoints: Vec<EndpointCtx>,
    pub interface_endpoints: Vec<EndpointCtx>,
    pub trusted_cidrs: Vec<CidrCtx>,
    pub allow_public_ingress: bool,
    /// True when a trusted CIDR admits the whole internet (documented as a warning).
    pub public_ingress: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointCtx {
    /// Name used in the answers, e.g. `ecr.api`.
    pub name: String,
    /// Full service name suffix after the partition prefix, e.g. `ecr.api`.
    pub service: String,
    /// `com.amazonaws` or the partition's prefix.
    pub prefix: String,
    /// CloudFormation logical-id fragment, e.g. `EcrApi`.
    pub logical: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CidrCtx {
    pub cidr: String,
    pub ipv6: bool,
    pub logical: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseCtx {
    pub enabled: bool,
    pub engine: String,
    pub aurora: bool,
    /// `postgres` or `mysql`.
    pub family: String,
    pub version: String,
    /// Major version as RDS option groups name it: `8.4` for MySQL 8.4.x, `17` for 17.x.
    pub major_version: String,
    /// DB (cluster) parameter group family, e.g. `postgres16`.
    pub parameter_group_family: String,
    pub port: u16,
    pub log_exports: Vec<String>,
    pub tls_parameter_name: String,
    pub tls_parameter_value: String,
    pub name: String,
    /// `auto` or the class given in the answers.
    pub instance_class: String,
    /// Date the engine version table was last checked.
    pub versions_checked: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineCtx {
    pub enabled: bool,
    pub repository: String,
    pub branch: String,
    pub stages: Vec<String>,
    /// Stages as flags, e.g. `pipeline.has.security_scan`.
    pub has: BTreeMap<String, bool>,
    pub notification_email: String,
    pub any_approval: bool,
    /// Stages that run as CodeBuild projects, in pipeline order: every answered stage
    /// except `deploy` (CloudFormation actions), plus `build` whenever there is a deploy
    /// (it packages the per-stack template configurations).
    pub codebuild_stages: Vec<String>,
}

/// Terraform state settings.
#[derive(Debug, Clone, Serialize)]
pub struct StateCtx {
    /// A DynamoDB lock table next to the S3 lock files.
    pub lock_table: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppCtx {
    pub enabled: bool,
    pub kind: String,
    pub port: u16,
}

/// CloudWatch Logs accepts only these retention values.
const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Splits a VPC range into 16 equal slots; tier t, AZ a takes slot `4t + a`,
/// leaving a spare slot per tier and a spare tier for growth.
pub fn subnets(vpc: Ipv4Net, azs: usize) -> SubnetsCtx {
    let slots: Vec<Ipv4Net> = vpc
        .subnets(vpc.prefix_len() + 4)
        .expect("vpc prefix validated <= /24")
        .collect();
    let tier = |t: usize| (0..azs).map(|a| slots[t * 4 + a].to_string()).collect();
    SubnetsCtx {
        public: tier(0),
        private: tier(1),
        isolated: tier(2),
    }
}

impl Context {
    pub fn new(a: &Answers) -> Context {
        let f = facts();
        let region = f.region(&a.region).expect("region validated");
        let azs = usize::from(a.network.availability_zones);
        let engine = f.engine(a.database.engine);

        let confidential = ["data-class", "data-classification"].iter().any(|k| {
            a.project.tags.get(*k).is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "confidential" | "restricted"
                )
            })
        });
        let environments = a
            .environments
            .iter()
            .enumerate()
            .map(|(index, e)| {
                let production = e.profile == Profile::Production;
                let nat_mode = match a.network.nat {
                    NatMode::Auto if production => "per-az",
                    NatMode::Auto => "single",
                    NatMode::Single => "single",
                    NatMode::PerAz => "per-az",
                    NatMode::None => "none",
                };
                let vpc: Ipv4Net = e
                    .vpc_cidr
                    .as_deref()
                    .expect("resolved")
                    .parse()
                    .expect("validated");
                let retention = if production { 365 } else { 30 };
                debug_assert!(RETENTION_DAYS.contains(&retention));
                let db_class = match (&a.database.instance_class, engine) {
                    (c, _) if c != "auto" => c.clone(),
                    (_, Some(facts)) => facts.class_for(e.profile, &a.region).to_string(),
                    (_, None) => String::new(),
                };
                EnvCtx {
                    name: e.name.clone(),
                    index,
                    profile: e.profile.to_string(),
                    production,
                    approval: e.approval,
                    account_id: e.account_id.clone().unwrap_or_default(),
                    cross_account: e.account_id.is_some(),
                    vpc_cidr: vpc.to_string(),
                    subnets: subnets(vpc, azs),
                    nat_mode: nat_mode.into(),
                    nat_gateways: match nat_mode {
                        "per-az" => azs,
                        "single" => 1,
                        _ => 0,
                    },
                    multi_az: production,
                    deletion_protection: production,
                    log_retention_days: retention,
                    backup_retention_days: if production { 30 } else { 7 },
                    noncurrent_transition_days: 30,
                    noncurrent_expiration_days: if production { 365 } else { 90 },
                    db_instance_class: db_class,
                    trail_owner: trail_owner(a, index),
                    owns_account_trail: !trail_owner(a, index).is_empty()
                        && trail_owner(a, index) == e.name,
                    audit_logging: production || confidential,
                    alarm: AlarmCtx {
                        cpu_percent: if production { 80 } else { 90 },
                        free_storage_bytes: if production {
                            10 * 1024 * 1024 * 1024
                        } else {
                            2 * 1024 * 1024 * 1024
                        },
                        connections: if production { 400 } else { 80 },
                        evaluation_periods: if production { 3 } else { 5 },
                    },
                }
            })
            .collect();

        let endpoint = |name: &String| {
            let e = &f.endpoints[name];
            EndpointCtx {
                name: name.clone(),
                service: e.service.clone(),
                prefix: if e.partition_prefix {
                    region.interface_endpoint_prefix.clone()
                } else {
                    "com.amazonaws".into()
                },
                logical: pascal(name),
                description: e.description.clone(),
            }
        };
        let is_gateway = |name: &String| f.endpoints[name].kind == "Gateway";
        let mut gateway_endpoints: Vec<EndpointCtx> = a
            .network
            .endpoints
            .iter()
            .filter(|n| is_gateway(n))
            .map(endpoint)
            .collect();
        let mut interface_endpoints: Vec<EndpointCtx> = a
            .network
            .endpoints
            .iter()
            .filter(|n| !is_gateway(n))
            .map(endpoint)
            .collect();
        gateway_endpoints.sort_by(|x, y| x.name.cmp(&y.name));
        interface_endpoints.sort_by(|x, y| x.name.cmp(&y.name));

        let trusted_cidrs = a
            .network
            .trusted_cidrs
            .iter()
            .enumerate()
            .map(|(i, c)| CidrCtx {
                cidr: c.trim().to_string(),
                ipv6: c.contains(':'),
                logical: format!("TrustedIngress{}", i + 1),
            })
            .collect::<Vec<_>>();

        let stages: Vec<String> = a.pipeline.stages.iter().map(|s| s.to_string()).collect();
        let codebuild_stages = codebuild_stages(a);
        let has = Stage::NAMES
            .iter()
            .map(|n| (n.to_string(), stages.iter().any(|s| s == n)))
            .collect();

        let database = match engine {
            Some(e) if a.database.engine != Engine::None => DatabaseCtx {
                enabled: true,
                engine: a.database.engine.to_string(),
                aurora: matches!(
                    a.database.engine,
                    Engine::AuroraPostgresql | Engine::AuroraMysql
                ),
                family: if matches!(
                    a.database.engine,
                    Engine::Postgres | Engine::AuroraPostgresql
                ) {
                    "postgres"
                } else {
                    "mysql"
                }
                .into(),
                version: a.database.version.clone(),
                major_version: major_version(a.database.engine, &a.database.version),
                parameter_group_family: e.family_for(&a.database.version).to_string(),
                port: e.port,
                log_exports: e.log_exports.clone(),
                tls_parameter_name: e.tls_parameter.name.clone(),
                tls_parameter_value: e.tls_parameter.value.clone(),
                name: a.database.name.clone(),
                instance_class: a.database.instance_class.clone(),
                versions_checked: f.engines_checked.clone(),
            },
            _ => DatabaseCtx {
                enabled: false,
                engine: "none".into(),
                aurora: false,
                family: String::new(),
                version: String::new(),
                major_version: String::new(),
                parameter_group_family: String::new(),
                port: 0,
                log_exports: Vec::new(),
                tls_parameter_name: String::new(),
                tls_parameter_value: String::new(),
                name: a.database.name.clone(),
                instance_class: a.database.instance_class.clone(),
                versions_checked: f.engines_checked.clone(),
            },
        };

        Context {
            stackwright: Tool {
                version: env!("CARGO_PKG_VERSION").into(),
            },
            project: ProjectCtx {
                name: a.project.name.clone(),
                owner: a.project.owner.clone(),
                cost_center: a.project.cost_center.clone(),
                tags: a.project.tags.clone(),
                pascal: pascal(&a.project.name),
            },
            flavor: a.flavor.to_string(),
            region: RegionCtx {
                code: region.code.clone(),
                name: region.name.clone(),
                partition: region.partition.clone(),
                az_count: region.az_count,
            },
            environments,
            network: NetworkCtx {
                availability_zones: a.network.availability_zones,
                az_indexes: (0..azs).collect(),
                nat: a.network.nat.to_string(),
                gateway_endpoints,
                interface_endpoints,
                public_ingress: trusted_cidrs.iter().any(|c| c.cidr.ends_with("/0")),
                trusted_cidrs,
                allow_public_ingress: a.network.allow_public_ingress,
            },
            database,
            pipeline: PipelineCtx {
                enabled: !stages.is_empty(),
                repository: a.pipeline.repository.clone(),
                branch: a.pipeline.branch.clone(),
                stages,
                has,
                notification_email: a.pipeline.notification_email.clone(),
                any_approval: a.environments.iter().any(|e| e.approval),
                codebuild_stages,
            },
            app: AppCtx {
                enabled: a.app.kind != AppKind::None,
                kind: a.app.kind.to_string(),
                port: a.app.port,
            },
            state: StateCtx {
                lock_table: a.state.lock_table,
            },
            cross_account: a.environments.iter().any(|e| e.account_id.is_some()),
            security: SecurityCtx {
                account_trail: a.security.account_trail.to_string(),
                existing_trail: a.security.account_trail == AccountTrail::Existing,
            },
        }
    }
}

/// `8.4` for MySQL 8.4.11 and `8.0` for Aurora MySQL 8.0.mysql_aurora.3.13.0 (two
/// parts); `17` for PostgreSQL 17.11 (one part).
pub fn major_version(engine: Engine, version: &str) -> String {
    let parts = if matches!(engine, Engine::Mysql | Engine::AuroraMysql) {
        2
    } else {
        1
    };
    version.split('.').take(parts).collect::<Vec<_>>().join(".")
}

/// The environment owning the account-level singletons of environment `index`'s
/// account. A production-profile environment is preferred: destroying an
/// ephemeral one must not take the account's audit trail with it.
/// Empty when the account already has its trail (`security.account_trail: existing`).
pub fn trail_owner(a: &Answers, index: usize) -> String {
    if a.security.account_trail == AccountTrail::Existing {
        return String::new();
    }
    let account = &a.environments[index].account_id;
    let same: Vec<_> = a
        .environments
        .iter()
        .filter(|e| &e.account_id == account)
        .collect();
    same.iter()
        .find(|e| e.profile == Profile::Production)
        .or(same.first())
        .map(|e| e.name.clone())
        .expect("the environment itself is in its account")
}

/// The pipeline stages that run in a CodeBuild project of their own, in pipeline order:
/// every answered one but deploy, plus build whenever something is deployed (it packages).
pub fn codebuild_stages(a: &Answers) -> Vec<String> {
    [
        Stage::Validate,
        Stage::Test,
        Stage::SecurityScan,
        Stage::Build,
        Stage::IntegrationTest,
    ]
    .into_iter()
    .filter(|s| {
        a.pipeline.stages.contains(s)
            || (*s == Stage::Build && a.pipeline.stages.contains(&Stage::Deploy))
    })
    .map(|s| s.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::model::Environment;

    fn env(name: &str, profile: Profile, account: Option<&str>) -> Environment {
        Environment {
            name: name.into(),
            profile,
            approval: false,
            account_id: account.map(String::from),
            vpc_cidr: None,
        }
    }

    #[test]
    fn trail_owner_is_the_accounts_first_production_environment_else_its_first() {
        let a = Answers {
            environments: vec![
                env("dev", Profile::Ephemeral, None),
                env("qa", Profile::Ephemeral, Some("111122223333")),
                env("prod", Profile::Production, None),
                env("perf", Profile::Ephemeral, Some("111122223333")),
            ],
            ..Answers::default()
        };
        let owners: Vec<String> = (0..4).map(|i| trail_owner(&a, i)).collect();
        assert_eq!(owners, ["prod", "qa", "prod", "qa"]);
    }

    #[test]
    fn option_group_major_versions() {
        assert_eq!(major_version(Engine::Mysql, "8.4.11"), "8.4");
        assert_eq!(
            major_version(Engine::AuroraMysql, "8.0.mysql_aurora.3.13.0"),
            "8.0"
        );
        assert_eq!(major_version(Engine::Postgres, "17.11"), "17");
        assert_eq!(major_version(Engine::AuroraPostgresql, "16.15"), "16");
    }
}
