//! The answers model, version 1. Field names are a contract with every answers
//! file ever written: fields may be added, never renamed or removed.
//!
//! Every field has a default, so `--defaults` is a complete answer set; the
//! doc comments here become the JSON Schema descriptions and the reference in
//! the README.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The flavour built into the binary, and the default.
pub const BUILTIN_FLAVOR: &str = "cloudformation";

/// A complete set of answers (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Answers {
    /// Format version of this file. Always 1.
    pub version: u32,
    pub project: Project,
    /// Blueprint set to render: `cloudformation` (built in), or a flavour folder `DIR/<flavour>/` of a blueprint directory (`--blueprints DIR` or the config directory).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]{0,39}$"))]
    pub flavor: String,
    /// AWS region code, e.g. `us-west-2`; checked against the built-in region table.
    pub region: String,
    /// Environments in promotion order (1 to 8), e.g. dev, then staging, then prod.
    pub environments: Vec<Environment>,
    pub network: Network,
    pub database: Database,
    pub pipeline: Pipeline,
    pub app: App,
    /// Terraform state settings (the `terraform` flavour only).
    #[serde(skip_serializing_if = "State::is_default")]
    pub state: State,
    /// Account-level audit settings. Omitted from a written answers file while it
    /// holds the defaults.
    #[serde(skip_serializing_if = "Security::is_default")]
    pub security: Security,
}

/// Account-level audit settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    /// `create`: the project creates its account's multi-region CloudTrail trail (in one
    /// environment per account), with its bucket, log group and the CIS metric filters and
    /// alarms on it. `existing`: the account already has a multi-region trail (an
    /// organization trail, or one an instructor made for a shared workshop account); no
    /// environment creates one, and the preflight checks that one is logging. CloudTrail
    /// allows 5 trails per region and account, so projects sharing an account use `existing`.
    pub account_trail: AccountTrail,
}

impl Security {
    /// True while every field holds its default.
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountTrail {
    /// The project creates the account's trail.
    #[default]
    Create,
    /// The account already has a multi-region trail; the project creates none.
    Existing,
}

/// Who owns the stack; these become tags and name prefixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Project {
    /// Lowercase letters, digits and hyphens, 3 to 20 characters, starting with a
    /// letter. Prefixes every resource name (S3 names included), so it must be
    /// unique among the stacks in one account.
    pub name: String,
    /// Team or person responsible; the `Owner` tag.
    pub owner: String,
    /// Cost allocation code; the `CostCenter` tag.
    pub cost_center: String,
    /// Extra tags put on every taggable resource.
    pub tags: BTreeMap<String, String>,
}

/// One deployment environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Environment {
    /// Lowercase letters and digits, 1 to 10 characters, starting with a letter (`dev`, `staging`, `prod`).
    pub name: String,
    /// `ephemeral` (cheap, disposable) or `production` (redundant, protected).
    pub profile: Profile,
    /// Whether the pipeline waits for a manual approval before changing this environment.
    pub approval: bool,
    /// 12-digit AWS account id, when this environment lives in another account than the pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// IPv4 VPC range, /16 to /24. Assigned automatically (non-overlapping) when omitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_cidr: Option<String>,
}

/// Decides the defaults that differ between cheap and safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// One NAT gateway, single-AZ database without deletion protection, short retention.
    #[default]
    Ephemeral,
    /// NAT per AZ, Multi-AZ database with deletion protection, long retention.
    Production,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// How many availability zones to spread subnets over: 2 or 3, at most what the region offers.
    pub availability_zones: u8,
    /// NAT gateways: `auto` (by profile: one per AZ for production, one for ephemeral), `single`, `per-az`, or `none`.
    pub nat: NatMode,
    /// VPC endpoints: gateway `s3`, `dynamodb`; interface `ssm`, `ssmmessages`, `ec2messages`,
    /// `secretsmanager`, `kms`, `logs`, `monitoring`, `sts`, `sns`, `sqs`, `ecr.api`, `ecr.dkr`, `execute-api`.
    pub endpoints: Vec<String>,
    /// CIDR ranges allowed to reach the application port. `0.0.0.0/0` and `::/0` are refused
    /// unless `allow_public_ingress` is true.
    pub trusted_cidrs: Vec<String>,
    /// Explicitly allow a world-open trusted CIDR (the generated docs then carry a warning).
    pub allow_public_ingress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    #[default]
    Auto,
    Single,
    PerAz,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// `none`, `postgres`, `mysql`, `aurora-postgresql` or `aurora-mysql`.
    pub engine: Engine,
    /// `auto` (the pinned version from the built-in table) or one of the supported versions.
    pub version: String,
    /// `auto` (by profile) or an RDS instance class such as `db.t4g.small`.
    pub instance_class: String,
    /// Initial database name: a letter, then letters, digits or underscores (at most 63).
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    None,
    #[default]
    Postgres,
    Mysql,
    AuroraPostgresql,
    AuroraMysql,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Pipeline {
    /// Source repository as `owner/name` (GitHub, GitLab or Bitbucket through CodeConnections).
    pub repository: String,
    /// Branch whose pushes start the pipeline.
    pub branch: String,
    /// Stages in the order they run. `deploy` fans out per environment in promotion order.
    /// An empty list means no pipeline is generated.
    pub stages: Vec<Stage>,
    /// Receives manual-approval requests and pipeline alerts.
    pub notification_email: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Validate,
    Test,
    SecurityScan,
    Build,
    Deploy,
    IntegrationTest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct App {
    /// `none`, `ec2`, `ecs` or `lambda`.
    pub kind: AppKind,
    /// Port the application listens on; trusted CIDRs are admitted on this port only.
    pub port: u16,
}

/// Terraform state settings; refused for the other flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct State {
    /// `terraform` flavour only: also create a DynamoDB lock table in the state bootstrap
    /// stack and name it in every backend (`dynamodb_table`, next to `use_lockfile = true`),
    /// for teams still on DynamoDB locking or migrating off it. Default `false`: S3 lock files only.
    pub lock_table: bool,
}

impl State {
    /// True for the defaults, which answers files leave out.
    pub fn is_default(&self) -> bool {
        *self == State::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppKind {
    #[default]
    None,
    Ec2,
    Ecs,
    Lambda,
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            version: 1,
            project: Project::default(),
            flavor: BUILTIN_FLAVOR.into(),
            region: "us-east-1".into(),
            environments: vec![
                Environment {
                    name: "dev".into(),
                    ..Environment::default()
                },
                Environment {
                    name: "prod".into(),
                    profile: Profile::Production,
                    approval: true,
                    ..Environment::default()
                },
            ],
            network: Network::default(),
            database: Database::default(),
            pipeline: Pipeline::default(),
            app: App::default(),
            state: State::default(),
            security: Security::default(),
        }
    }
}

impl Default for Project {
    fn default() -> Self {
        Self {
            name: "demo".into(),
            owner: "platform-team".into(),
            cost_center: "unassigned".into(),
            tags: BTreeMap::new(),
        }
    }
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            name: String::new(),
            profile: Profile::Ephemeral,
            approval: false,
            account_id: None,
            vpc_cidr: None,
        }
    }
}

impl Default for Network {
    fn default() -> Self {
        Self {
            availability_zones: 2,
            nat: NatMode::Auto,
            endpoints: ["s3", "dynamodb", "ssm", "secretsmanager", "kms", "logs"]
                .map(String::from)
                .to_vec(),
            trusted_cidrs: Vec::new(),
            allow_public_ingress: false,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Self {
            engine: Engine::Postgres,
            version: "auto".into(),
            instance_class: "auto".into(),
            name: "appdb".into(),
        }
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self {
            repository: "example-org/demo".into(),
            branch: "main".into(),
            stages: vec![
                Stage::Validate,
                Stage::Test,
                Stage::SecurityScan,
                Stage::Deploy,
                Stage::IntegrationTest,
            ],
            notification_email: "ops@example.com".into(),
        }
    }
}

impl Default for App {
    fn default() -> Self {
        Self {
            kind: AppKind::None,
            port: 443,
        }
    }
}

macro_rules! names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The name used in answers files.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
            /// Every accepted name, in order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(Profile { Ephemeral => "ephemeral", Production => "production" });
names!(NatMode { Auto => "auto", Single => "single", PerAz => "per-az", None => "none" });
names!(Engine {
    None => "none",
    Postgres => "postgres",
    Mysql => "mysql",
    AuroraPostgresql => "aurora-postgresql",
    AuroraMysql => "aurora-mysql",
});
names!(Stage {
    Validate => "validate",
    Test => "test",
    SecurityScan => "security_scan",
    Build => "build",
    Deploy => "deploy",
    IntegrationTest => "integration_test",
});
names!(AccountTrail { Create => "create", Existing => "existing" });
names!(AppKind { None => "none", Ec2 => "ec2", Ecs => "ecs", Lambda => "lambda" });
