//! The questions, shared by the wizard and the plain prompts: what each field
//! is called, why it matters, which values it offers, and how a typed value is
//! checked (always through `answers::validate`, so a value typed here gets the
//! same message an answers file would get) and stored in the answers.

use crate::answers::model::{
    AccountTrail, Answers, AppKind, Engine, Environment, NatMode, Profile, Stage,
};
use crate::answers::validate::{self, Problem, MAX_ENVIRONMENTS};
use crate::aws::facts;

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Project,
    Region,
    Environments,
    Network,
    Database,
    Pipeline,
    App,
    Review,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Project,
        Step::Region,
        Step::Environments,
        Step::Network,
        Step::Database,
        Step::Pipeline,
        Step::App,
        Step::Review,
    ];

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).expect("listed")
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Project => "Project",
            Step::Region => "Region",
            Step::Environments => "Environments",
            Step::Network => "Network",
            Step::Database => "Database",
            Step::Pipeline => "Pipeline",
            Step::App => "App tier",
            Step::Review => "Review",
        }
    }

    /// Field paths of the answers this step owns; problems under them block leaving it.
    pub fn owns(self, path: &str) -> bool {
        let prefixes: &[&str] = match self {
            Step::Project => &["project", "flavor", "version", "state", "security"],
            Step::Region => &["region"],
            Step::Environments => &["environments"],
            Step::Network => &["network"],
            Step::Database => &["database"],
            Step::Pipeline => &["pipeline"],
            Step::App => &["app"],
            Step::Review => &[],
        };
        prefixes.iter().any(|p| {
            path == *p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}["))
        })
    }

    /// The fields of this step; for environments, five per environment.
    pub fn slots(self, a: &Answers) -> Vec<Slot> {
        let one = |fields: &[Field]| fields.iter().map(|f| Slot::new(*f)).collect();
        match self {
            // The lock table is asked only where the flavour accepts it (Terraform).
            Step::Project if accepts_lock_table(a) => one(&[
                Field::Name,
                Field::Owner,
                Field::CostCenter,
                Field::Flavor,
                Field::LockTable,
                Field::AccountTrail,
            ]),
            Step::Project => one(&[
                Field::Name,
                Field::Owner,
                Field::CostCenter,
                Field::Flavor,
                Field::AccountTrail,
            ]),
            Step::Region => one(&[Field::Region]),
            Step::Environments => (0..a.environments.len())
                .flat_map(|env| Field::ENV.iter().map(move |f| Slot { field: *f, env }))
                .collect(),
            Step::Network => one(&[
                Field::Azs,
                Field::Nat,
                Field::Endpoints,
                Field::AllowPublic,
                Field::TrustedCidrs,
            ]),
            Step::Database => one(&[Field::Engine, Field::Version, Field::Class, Field::DbName]),
            Step::Pipeline => one(&[
                Field::Stages,
                Field::Repository,
                Field::Branch,
                Field::Email,
            ]),
            Step::App => one(&[Field::AppKind, Field::Port]),
            Step::Review => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Owner,
    CostCenter,
    Flavor,
    LockTable,
    AccountTrail,
    Region,
    EnvName,
    EnvProfile,
    EnvApproval,
    EnvAccount,
    EnvCidr,
    Azs,
    Nat,
    Endpoints,
    TrustedCidrs,
    AllowPublic,
    Engine,
    Version,
    Class,
    DbName,
    Stages,
    Repository,
    Branch,
    Email,
    AppKind,
    Port,
}

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Typed text, checked as you type.
    Text,
    /// One of a few values, cycled with ←/→.
    Choice,
    /// Several of a list, toggled with space.
    Multi,
    /// One of a long list, narrowed by typing.
    Search,
}

/// One field; `env` says which environment for the per-environment fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub field: Field,
    pub env: usize,
}

impl Slot {
    pub fn new(field: Field) -> Self {
        Slot { field, env: 0 }
    }
}

impl Field {
    pub const ENV: [Field; 5] = [
        Field::EnvName,
        Field::EnvProfile,
        Field::EnvApproval,
        Field::EnvAccount,
        Field::EnvCidr,
    ];

    pub fn kind(self) -> Kind {
        match self {
            Field::Flavor
            | Field::LockTable
            | Field::AccountTrail
            | Field::EnvProfile
            | Field::EnvApproval
            | Field::Azs
            | Field::Nat
            | Field::AllowPublic
            | Field::Engine
            | Field::Version
            | Field::AppKind => Kind::Choice,
            Field::Endpoints | Field::Stages => Kind::Multi,
            Field::Region => Kind::Search,
            _ => Kind::Text,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Project name",
            Field::Owner => "Owner",
            Field::CostCenter => "Cost centre",
            Field::Flavor => "Flavour",
            Field::LockTable => "DynamoDB lock table",
            Field::AccountTrail => "Account trail",
            Field::Region => "Region",
            Field::EnvName => "Name",
            Field::EnvProfile => "Profile",
            Field::EnvApproval => "Approval",
            Field::EnvAccount => "Account id",
            Field::EnvCidr => "VPC CIDR",
            Field::Azs => "Availability zones",
            Field::Nat => "NAT gateways",
            Field::Endpoints => "VPC endpoints",
            Field::TrustedCidrs => "Trusted CIDRs",
            Field::AllowPublic => "Allow 0.0.0.0/0",
            Field::Engine => "Engine",
            Field::Version => "Version",
            Field::Class => "Instance class",
            Field::DbName => "Database name",
            Field::Stages => "Stages",
            Field::Repository => "Repository",
            Field::Branch => "Branch",
            Field::Email => "Notification email",
            Field::AppKind => "App tier",
            Field::Port => "App port",
        }
    }

    /// Why the field matters, and the control (with the failure it prevents) it feeds.
    pub fn help(self) -> String {
        let (why, control) = match self {
            Field::Name => ("Prefixes every resource name, S3 buckets included: unique per account.", Some("GEN-01")),
            Field::Owner => ("Becomes the Owner tag on every resource.", Some("GEN-02")),
            Field::CostCenter => ("Becomes the CostCenter tag, for cost allocation.", Some("GEN-02")),
            Field::Flavor => ("The IaC the project is written in: built-in `cloudformation`, `cdk` (TypeScript) or `terraform`, or a flavour of --blueprints DIR.", None),
            Field::LockTable => ("Terraform only. yes: the state bootstrap stack also creates a DynamoDB lock table and every backend names it next to S3 lock files (for teams migrating off DynamoDB locking). no: S3 lock files only.", Some("CI-10")),
            Field::AccountTrail => ("create: the project makes its account's multi-region CloudTrail trail, with its bucket, log group and CIS alarms. existing: the account already has one (an organization trail, or the instructor's in a shared workshop account); nothing of it is created and make preflight checks it is logging. CloudTrail allows 5 trails per region and account.", Some("SEC-02")),
            Field::Region => ("Type to filter. Partition and AZ count bound the network; nothing is hard-coded to it.", Some("GEN-04")),
            Field::EnvName => ("Names the stacks and params/<name>.json; listed in promotion order.", Some("GEN-01")),
            Field::EnvProfile => ("ephemeral: cheap and disposable; production: NAT per AZ, Multi-AZ database, deletion protection, long retention.", Some("DB-04")),
            Field::EnvApproval => ("The pipeline waits for a manual approval before changing this environment.", Some("CI-03")),
            Field::EnvAccount => ("Empty: the pipeline's account. 12 digits: deploy there through a scoped cross-account role.", Some("CI-07")),
            Field::EnvCidr => ("Empty: a non-overlapping /16 is assigned. Otherwise /16 to /24.", Some("NET-01")),
            Field::Azs => ("Subnets spread over this many AZs, at most what the region has.", Some("NET-02")),
            Field::Nat => ("Controlled egress for private subnets; NAT gateways cost money per hour.", Some("NET-03")),
            Field::Endpoints => ("Private paths to AWS services that never cross the internet.", Some("NET-04")),
            Field::TrustedCidrs => ("Comma-separated networks allowed to reach the app port (paste works). Empty: none.", Some("NET-08")),
            Field::AllowPublic => ("Only with yes may a trusted CIDR be 0.0.0.0/0; the docs then carry a warning.", Some("NET-08")),
            Field::Engine => ("A hardened RDS or Aurora database in isolated subnets, or none.", Some("DB-07")),
            Field::Version => ("auto pins the tested version from the built-in table.", Some("DB-01")),
            Field::Class => ("auto picks a class by profile; or e.g. db.t4g.small.", Some("DB-01")),
            Field::DbName => ("The initial database; credentials live in Secrets Manager.", Some("DB-03")),
            Field::Stages => ("Space toggles; stages run in the order shown, deploy once per environment. None: no pipeline.", Some("CI-02")),
            Field::Repository => ("owner/name, connected through CodeConnections; pushes start the pipeline.", Some("CI-01")),
            Field::Branch => ("Pushes to this branch start the pipeline.", Some("CI-01")),
            Field::Email => ("Receives approval requests and alarms.", Some("MON-01")),
            Field::AppKind => ("An optional app tier in the private subnets.", Some("APP-01")),
            Field::Port => ("Trusted CIDRs are admitted on this port only; never 22 or 3389.", Some("NET-07")),
        };
        match control.and_then(|id| facts().control(id)) {
            Some(c) => format!("{why}\n{}: {} — prevents: {}", c.id, c.title, c.prevents),
            None => why.to_string(),
        }
    }
}

impl Slot {
    /// The answers-file path this field sets, e.g. `environments[1].vpc_cidr`.
    pub fn path(self) -> String {
        let env = |key: &str| format!("environments[{}].{key}", self.env);
        match self.field {
            Field::Name => "project.name".into(),
            Field::Owner => "project.owner".into(),
            Field::CostCenter => "project.cost_center".into(),
            Field::Flavor => "flavor".into(),
            Field::LockTable => "state.lock_table".into(),
            Field::AccountTrail => "security.account_trail".into(),
            Field::Region => "region".into(),
            Field::EnvName => env("name"),
            Field::EnvProfile => env("profile"),
            Field::EnvApproval => env("approval"),
            Field::EnvAccount => env("account_id"),
            Field::EnvCidr => env("vpc_cidr"),
            Field::Azs => "network.availability_zones".into(),
            Field::Nat => "network.nat".into(),
            Field::Endpoints => "network.endpoints".into(),
            Field::TrustedCidrs => "network.trusted_cidrs".into(),
            Field::AllowPublic => "network.allow_public_ingress".into(),
            Field::Engine => "database.engine".into(),
            Field::Version => "database.version".into(),
            Field::Class => "database.instance_class".into(),
            Field::DbName => "database.name".into(),
            Field::Stages => "pipeline.stages".into(),
            Field::Repository => "pipeline.repository".into(),
            Field::Branch => "pipeline.branch".into(),
            Field::Email => "pipeline.notification_email".into(),
            Field::AppKind => "app.kind".into(),
            Field::Port => "app.port".into(),
        }
    }
}

/// Whether the chosen flavour accepts `state.lock_table`: its own answer
/// rules do not refuse it.
fn accepts_lock_table(a: &Answers) -> bool {
    let mut with = a.clone();
    with.state.lock_table = true;
    !crate::flavours::answer_rules(&with)
        .problems
        .iter()
        .any(|(field, _)| field == "state.lock_table")
}

/// Whether a field means anything with the other answers as they are: no
/// port without an app, no database details without a database, no
/// repository without a pipeline.
pub fn applies(a: &Answers, s: Slot) -> bool {
    match s.field {
        Field::Port => a.app.kind != AppKind::None,
        Field::LockTable => accepts_lock_table(a),
        Field::Version | Field::Class | Field::DbName => a.database.engine != Engine::None,
        Field::Repository | Field::Branch | Field::Email => !a.pipeline.stages.is_empty(),
        _ => true,
    }
}

/// The rules that involve other answers (overlapping ranges, AZ counts, the
/// app port against the database port, services missing in the region), for
/// this field with these answers: the first problem the whole answers have there.
pub fn cross_check(a: &Answers, s: Slot) -> Result<(), String> {
    let path = s.path();
    let under = |field: &str| {
        field == path
            || field
                .strip_prefix(path.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    match crate::ui::resolve(a) {
        Err(crate::error::Error::InvalidAnswers(diags)) => {
            match diags.iter().find(|d| under(&d.field)) {
                Some(d) => Err(match &d.hint {
                    Some(h) => format!("{} (hint: {h})", d.message),
                    None => d.message.clone(),
                }),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A field's value as text (text fields), or the selected option's name.
pub fn text(a: &Answers, s: Slot) -> String {
    let env = a.environments.get(s.env);
    match s.field {
        Field::Name => a.project.name.clone(),
        Field::Owner => a.project.owner.clone(),
        Field::CostCenter => a.project.cost_center.clone(),
        Field::Region => a.region.clone(),
        Field::EnvName => env.map(|e| e.name.clone()).unwrap_or_default(),
        Field::EnvAccount => env.and_then(|e| e.account_id.clone()).unwrap_or_default(),
        Field::EnvCidr => env.and_then(|e| e.vpc_cidr.clone()).unwrap_or_default(),
        Field::TrustedCidrs => a.network.trusted_cidrs.join(", "),
        Field::Class => a.database.instance_class.clone(),
        Field::DbName => a.database.name.clone(),
        Field::Repository => a.pipeline.repository.clone(),
        Field::Branch => a.pipeline.branch.clone(),
        Field::Email => a.pipeline.notification_email.clone(),
        Field::Port => a.app.port.to_string(),
        Field::Endpoints => a.network.endpoints.join(", "),
        Field::Stages => a
            .pipeline
            .stages
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => options(a, s.field)
            .get(selected(a, s))
            .cloned()
            .unwrap_or_default(),
    }
}

/// What an empty text field means, shown in its place.
pub fn placeholder(f: Field) -> &'static str {
    match f {
        Field::EnvAccount => "same account as the pipeline",
        Field::EnvCidr => "auto (a free /16)",
        Field::TrustedCidrs => "none",
        _ => "",
    }
}

/// Splits a pasted or typed list on commas, whitespace and newlines.
pub fn split_list(v: &str) -> Vec<String> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Checks a typed value exactly as the answers file would.
pub fn check(a: &Answers, s: Slot, v: &str) -> Result<(), Problem> {
    match s.field {
        Field::Name => validate::project_name(v),
        Field::Owner | Field::CostCenter => validate::tag_value(v),
        Field::Region => validate::region(v),
        Field::EnvName => {
            validate::environment_name(v)?;
            if a.environments
                .iter()
                .enumerate()
                .any(|(i, e)| i != s.env && e.name == v)
            {
                return Err(Problem {
                    message: format!("environment `{v}` is listed twice"),
                    hint: Some("environment names must be unique".into()),
                });
            }
            Ok(())
        }
        Field::EnvAccount if v.is_empty() => Ok(()),
        Field::EnvAccount => validate::account_id(v),
        Field::EnvCidr if v.is_empty() => Ok(()),
        Field::EnvCidr => validate::vpc_cidr(v).map(|_| ()),
        Field::TrustedCidrs => split_list(v)
            .iter()
            .try_for_each(|c| validate::trusted_cidr(c, a.network.allow_public_ingress)),
        Field::Class => validate::instance_class_for(a.database.engine, v),
        Field::DbName if a.database.engine == Engine::None => Ok(()),
        Field::DbName => validate::database_name(v),
        Field::Repository => validate::repository(v),
        Field::Branch => validate::branch(v),
        Field::Email => validate::email(v),
        Field::Port => match v.parse::<u16>() {
            Ok(port) => validate::app_port(port),
            Err(_) => Err(Problem {
                message: format!("`{v}` is not a port number"),
                hint: Some("expected a port number (1-65535), e.g. 443".into()),
            }),
        },
        _ => Ok(()),
    }
}

/// Stores a checked text value.
pub fn set_text(a: &mut Answers, s: Slot, v: &str) {
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    match s.field {
        Field::Name => {
            // The placeholder repository follows the name until it is set on purpose.
            if a.pipeline.repository == placeholder_repository(&a.project.name) {
                a.pipeline.repository = placeholder_repository(v);
            }
            a.project.name = v.into();
        }
        Field::Owner => a.project.owner = v.into(),
        Field::CostCenter => a.project.cost_center = v.into(),
        Field::Region => set_region(a, v),
        Field::EnvName => a.environments[s.env].name = v.into(),
        Field::EnvAccount => a.environments[s.env].account_id = opt(v),
        Field::EnvCidr => a.environments[s.env].vpc_cidr = opt(v),
        Field::TrustedCidrs => {
            let list = split_list(v);
            if list != a.network.trusted_cidrs {
                a.network.trusted_cidrs = list;
            }
        }
        Field::Class => a.database.instance_class = v.into(),
        Field::DbName => a.database.name = v.into(),
        Field::Repository => a.pipeline.repository = v.into(),
        Field::Branch => a.pipeline.branch = v.into(),
        Field::Email => a.pipeline.notification_email = v.into(),
        Field::Port => a.app.port = v.parse().unwrap_or(a.app.port),
        _ => {}
    }
}

/// The repository the built-in defaults name for a project (`example-org/<name>`).
pub fn placeholder_repository(name: &str) -> String {
    format!("example-org/{name}")
}

/// Sets the region and keeps the AZ count within what it offers.
pub fn set_region(a: &mut Answers, code: &str) {
    a.region = code.to_string();
    if let Some(r) = facts().region(code) {
        a.network.availability_zones = a.network.availability_zones.min(r.az_count.max(2));
    }
}

/// The values a choice, multi or search field offers.
pub fn options(a: &Answers, f: Field) -> Vec<String> {
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
    match f {
        // The built-in flavours, and a flavour of --blueprints DIR the questions started with.
        Field::Flavor => {
            let mut all: Vec<String> = crate::blueprint::source::builtin_flavours()
                .into_iter()
                .map(String::from)
                .collect();
            if !all.contains(&a.flavor) {
                all.push(a.flavor.clone());
            }
            all.sort();
            all
        }
        Field::EnvProfile => names(Profile::NAMES),
        Field::EnvApproval | Field::AllowPublic | Field::LockTable => names(&["no", "yes"]),
        Field::Azs => {
            let max = facts().region(&a.region).map_or(3, |r| r.az_count.min(3));
            (2..=max.max(2)).map(|n| n.to_string()).collect()
        }
        Field::Nat => names(NatMode::NAMES),
        Field::Engine => names(Engine::NAMES),
        Field::Version => {
            let mut v = vec!["auto".to_string()];
            if let Some(e) = facts().engine(a.database.engine) {
                if !e.supported_versions.contains(&e.version) {
                    v.push(e.version.clone());
                }
                v.extend(e.supported_versions.iter().cloned());
            }
            if !v.contains(&a.database.version) {
                v.push(a.database.version.clone());
            }
            v
        }
        Field::AppKind => names(AppKind::NAMES),
        Field::AccountTrail => names(AccountTrail::NAMES),
        Field::Endpoints => facts().endpoints.keys().cloned().collect(),
        Field::Stages => names(Stage::NAMES),
        Field::Region => facts().regions.iter().map(|r| r.code.clone()).collect(),
        _ => Vec::new(),
    }
}

/// A few words on one option: what it costs, where it is, what it is.
pub fn note(a: &Answers, f: Field, option: &str) -> String {
    let azs = a.network.availability_zones;
    match (f, option) {
        (Field::Nat, "auto") => format!(
            "by profile: one per AZ in production ({azs}× ~$33/month + data), one in ephemeral"
        ),
        (Field::Nat, "single") => {
            "one NAT gateway: ~$33/month + $0.045/GB; an AZ outage cuts egress".into()
        }
        (Field::Nat, "per-az") => {
            format!("one per AZ: survives an AZ outage; {azs}× ~$33/month + data")
        }
        (Field::Nat, "none") => {
            "no NAT: $0; private subnets reach AWS only through endpoints".into()
        }
        (Field::Region, code) => facts().region(code).map_or_else(String::new, |r| {
            format!("{} · {} · {} AZs", r.name, r.partition, r.az_count)
        }),
        (Field::Endpoints, name) => facts()
            .endpoints
            .get(name)
            .map_or_else(String::new, |e| format!("{} ({})", e.description, e.kind)),
        (Field::Engine, "none") => "no database stack".into(),
        (Field::Engine, e) if e.starts_with("aurora") => "Aurora cluster".into(),
        (Field::Engine, _) => "RDS instance".into(),
        (Field::Version, "auto") => facts()
            .engine(a.database.engine)
            .map_or_else(String::new, |e| format!("pinned {}", e.version)),
        (Field::AccountTrail, "create") => {
            "one trail per account, first copy of events free".into()
        }
        (Field::AccountTrail, "existing") => "the account's own trail; none created".into(),
        (Field::EnvProfile, "ephemeral") => "cheap, disposable".into(),
        (Field::EnvProfile, "production") => "redundant, protected".into(),
        _ => String::new(),
    }
}

/// Index of the current value among a choice field's options.
pub fn selected(a: &Answers, s: Slot) -> usize {
    let env = a.environments.get(s.env);
    let current: String = match s.field {
        Field::Flavor => a.flavor.clone(),
        Field::EnvProfile => env.map_or("", |e| e.profile.as_str()).into(),
        Field::EnvApproval => yes_no(env.is_some_and(|e| e.approval)).into(),
        Field::AllowPublic => yes_no(a.network.allow_public_ingress).into(),
        Field::LockTable => yes_no(a.state.lock_table).into(),
        Field::AccountTrail => a.security.account_trail.as_str().into(),
        Field::Azs => a.network.availability_zones.to_string(),
        Field::Nat => a.network.nat.as_str().into(),
        Field::Engine => a.database.engine.as_str().into(),
        Field::Version => a.database.version.clone(),
        Field::AppKind => a.app.kind.as_str().into(),
        Field::Region => a.region.clone(),
        _ => String::new(),
    };
    options(a, s.field)
        .iter()
        .position(|o| *o == current)
        .unwrap_or(0)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Picks option `i` of a choice field.
pub fn set_choice(a: &mut Answers, s: Slot, i: usize) {
    let opts = options(a, s.field);
    let Some(v) = opts.get(i) else { return };
    let parse = |names: &[&str]| names.iter().position(|n| n == v).unwrap_or(0);
    match s.field {
        Field::Flavor => {
            a.flavor = v.clone();
            // A flavour that refuses the lock table (it is a Terraform setting) drops it.
            if !accepts_lock_table(a) {
                a.state.lock_table = false;
            }
        }
        Field::LockTable => a.state.lock_table = v == "yes",
        Field::AccountTrail => {
            a.security.account_trail =
                [AccountTrail::Create, AccountTrail::Existing][parse(AccountTrail::NAMES)]
        }
        Field::EnvProfile => {
            a.environments[s.env].profile =
                [Profile::Ephemeral, Profile::Production][parse(Profile::NAMES)]
        }
        Field::EnvApproval => a.environments[s.env].approval = v == "yes",
        Field::AllowPublic => a.network.allow_public_ingress = v == "yes",
        Field::Azs => a.network.availability_zones = v.parse().unwrap_or(2),
        Field::Nat => {
            a.network.nat = [
                NatMode::Auto,
                NatMode::Single,
                NatMode::PerAz,
                NatMode::None,
            ][parse(NatMode::NAMES)]
        }
        Field::Engine => {
            a.database.engine = [
                Engine::None,
                Engine::Postgres,
                Engine::Mysql,
                Engine::AuroraPostgresql,
                Engine::AuroraMysql,
            ][parse(Engine::NAMES)];
            // A version of another engine would be refused: fall back to the pinned one.
            if validate::engine_version(a.database.engine, &a.database.version).is_err() {
                a.database.version = "auto".into();
            }
            // Likewise a class the new engine does not offer.
            if validate::instance_class_for(a.database.engine, &a.database.instance_class).is_err()
            {
                a.database.instance_class = "auto".into();
            }
        }
        Field::Version => a.database.version = v.clone(),
        Field::AppKind => {
            a.app.kind =
                [AppKind::None, AppKind::Ec2, AppKind::Ecs, AppKind::Lambda][parse(AppKind::NAMES)]
        }
        Field::Region => set_region(a, v),
        _ => {}
    }
}

/// Which options of a multi field are picked.
pub fn picked(a: &Answers, f: Field) -> Vec<bool> {
    options(a, f)
        .iter()
        .map(|o| match f {
            Field::Endpoints => a.network.endpoints.contains(o),
            Field::Stages => a.pipeline.stages.iter().any(|s| s.as_str() == o),
            _ => false,
        })
        .collect()
}

const STAGES: [Stage; 6] = [
    Stage::Validate,
    Stage::Test,
    Stage::SecurityScan,
    Stage::Build,
    Stage::Deploy,
    Stage::IntegrationTest,
];

/// Toggles option `i` of a multi field. A stage switched on goes to its place in
/// the canonical order; an endpoint goes last. Untouched lists keep their order.
pub fn toggle(a: &mut Answers, f: Field, i: usize) {
    match f {
        Field::Endpoints => {
            let Some(name) = options(a, f).get(i).cloned() else {
                return;
            };
            if let Some(p) = a.network.endpoints.iter().position(|e| *e == name) {
                a.network.endpoints.remove(p);
            } else {
                a.network.endpoints.push(name);
            }
        }
        Field::Stages => {
            let Some(stage) = STAGES.get(i).copied() else {
                return;
            };
            let stages = &mut a.pipeline.stages;
            if let Some(p) = stages.iter().position(|s| *s == stage) {
                stages.remove(p);
            } else {
                let at = stages
                    .iter()
                    .position(|s| *s > stage)
                    .unwrap_or(stages.len());
                stages.insert(at, stage);
            }
        }
        _ => {}
    }
}

/// Sets a multi field to exactly these options, keeping the order of those already there.
pub fn set_picked(a: &mut Answers, f: Field, want: &[bool]) {
    for (i, (have, want)) in picked(a, f).into_iter().zip(want).enumerate() {
        if have != *want {
            toggle(a, f, i);
        }
    }
}

const SUGGESTED: [&str; 8] = [
    "staging", "qa", "test", "uat", "perf", "preprod", "demo", "sandbox",
];

/// Adds an environment after `after`; returns its index, or `None` at the limit.
pub fn add_environment(a: &mut Answers, after: usize) -> Option<usize> {
    if a.environments.len() >= MAX_ENVIRONMENTS {
        return None;
    }
    let taken = |n: &str| a.environments.iter().any(|e| e.name == n);
    let name = SUGGESTED
        .iter()
        .map(|s| s.to_string())
        .chain((1..).map(|i| format!("env{i}")))
        .find(|n| !taken(n))
        .expect("an unused name exists");
    let at = (after + 1).min(a.environments.len());
    a.environments.insert(
        at,
        Environment {
            name,
            ..Environment::default()
        },
    );
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_table_is_asked_for_terraform_only_and_dropped_with_it() {
        let mut a = Answers::default();
        let project = |a: &Answers| -> Vec<Field> {
            Step::Project.slots(a).iter().map(|s| s.field).collect()
        };
        assert!(!project(&a).contains(&Field::LockTable));
        let flavour = |a: &Answers, name: &str| {
            options(a, Field::Flavor)
                .iter()
                .position(|o| o == name)
                .expect("a built-in flavour")
        };
        let i = flavour(&a, "terraform");
        set_choice(&mut a, Slot::new(Field::Flavor), i);
        assert!(project(&a).contains(&Field::LockTable));
        assert!(applies(&a, Slot::new(Field::LockTable)));
        assert_eq!(Slot::new(Field::LockTable).path(), "state.lock_table");
        set_choice(&mut a, Slot::new(Field::LockTable), 1);
        assert!(a.state.lock_table);
        assert_eq!(selected(&a, Slot::new(Field::LockTable)), 1);
        // Another flavour would refuse the setting: it goes with the flavour.
        let i = flavour(&a, "cloudformation");
        set_choice(&mut a, Slot::new(Field::Flavor), i);
        assert!(!a.state.lock_table);
        assert!(!project(&a).contains(&Field::LockTable));
        // CDK refuses it too (its answer rules say so): not asked, and dropped.
        let i = flavour(&a, "terraform");
        set_choice(&mut a, Slot::new(Field::Flavor), i);
        a.state.lock_table = true;
        let i = flavour(&a, "cdk");
        set_choice(&mut a, Slot::new(Field::Flavor), i);
        assert!(!a.state.lock_table);
        assert!(!project(&a).contains(&Field::LockTable));
        assert!(!applies(&a, Slot::new(Field::LockTable)));
    }

    #[test]
    fn stages_toggle_into_canonical_order() {
        let mut a = Answers::default();
        toggle(&mut a, Field::Stages, 2);
        assert!(!a.pipeline.stages.contains(&Stage::SecurityScan));
        toggle(&mut a, Field::Stages, 3);
        toggle(&mut a, Field::Stages, 2);
        let names: Vec<_> = a.pipeline.stages.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "validate",
                "test",
                "security_scan",
                "build",
                "deploy",
                "integration_test"
            ]
        );
    }

    #[test]
    fn checks_are_the_answers_file_checks() {
        let a = Answers::default();
        let p = check(&a, Slot::new(Field::Name), "Bad").unwrap_err();
        assert_eq!(p, validate::project_name("Bad").unwrap_err());
        let dup = check(
            &a,
            Slot {
                field: Field::EnvName,
                env: 1,
            },
            "dev",
        )
        .unwrap_err();
        assert!(dup.message.contains("listed twice"));
        assert!(check(&a, Slot::new(Field::TrustedCidrs), "10.0.0.0/8, 0.0.0.0/0").is_err());
        assert!(check(&a, Slot::new(Field::Port), "22").is_err());
    }

    #[test]
    fn the_placeholder_repository_follows_the_project_name() {
        let mut a = Answers::default();
        assert_eq!(a.pipeline.repository, placeholder_repository("demo"));
        set_text(&mut a, Slot::new(Field::Name), "payments");
        assert_eq!(a.pipeline.repository, "example-org/payments");
        set_text(&mut a, Slot::new(Field::Repository), "acme/pay");
        set_text(&mut a, Slot::new(Field::Name), "billing");
        assert_eq!(
            a.pipeline.repository, "acme/pay",
            "a chosen repository stays"
        );
    }

    #[test]
    fn engine_change_drops_a_foreign_version() {
        let mut a = Answers::default();
        let pg = facts().engine(Engine::Postgres).unwrap().version.clone();
        a.database.version = pg;
        let mysql = options(&a, Field::Engine)
            .iter()
            .position(|o| o == "mysql")
            .unwrap();
        set_choice(&mut a, Slot::new(Field::Engine), mysql);
        assert_eq!(a.database.version, "auto");
    }
}
