//! Semantic validation: one function per field, shared by every way of
//! answering (file, `--set`, wizard, prompts), plus the cross-field rules.
//! All problems are collected, each naming its field path and what would be valid.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};

use super::model::{Answers, AppKind, Engine, Stage};
use super::Loaded;
use crate::aws::facts;
use crate::error::{Diagnostic, Error, Result};
use crate::yaml::Node;

/// A problem with one value: what is wrong and, where it helps, what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

type Check = std::result::Result<(), Problem>;

/// What a flavour's own answer rules found: each problem, under the field
/// path it is about, refuses the answers like any generic rule; warnings are
/// shown and rendering goes on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    pub problems: Vec<(String, Problem)>,
    pub warnings: Vec<String>,
}

impl Findings {
    /// Refuses the value at `field` (a path such as `state.lock_table`).
    pub fn refuse(&mut self, field: impl Into<String>, problem: Problem) {
        self.problems.push((field.into(), problem));
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }
}

/// The answer rules of the flavour the answers name, beyond the generic ones.
/// Answers know no flavour: whoever loads them passes the lookup
/// (`crate::flavours::answer_rules`).
pub type FlavourRules = fn(&Answers) -> Findings;

pub const MAX_ENVIRONMENTS: usize = 8;
const RESERVED_TAG_KEYS: [&str; 5] = ["Project", "Environment", "Owner", "CostCenter", "ManagedBy"];

/// The closest candidate to `input`, if any is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&input_lower, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(input.len()) / 3).max(1) + usize::from(c.len() > 6))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

pub fn project_name(name: &str) -> Check {
    let valid = (3..=20).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!("`{}` cannot be used in AWS resource names", printable(name)))
            .hint("3-20 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen, e.g. `payments`"))
    }
}

/// A flavour names a folder of blueprint directories, so it must be a plain folder name.
pub fn flavor(name: &str) -> Check {
    let valid = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!("`{}` is not a flavour name", printable(name))).hint(
            "`cloudformation`, or the name of a flavour folder in a blueprint directory: lowercase letters, digits, - and _, starting with a letter",
        ))
    }
}

pub fn tag_value(value: &str) -> Check {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if value.is_empty() || value.chars().count() > 256 || !value.chars().all(allowed) {
        Err(Problem::new(format!(
            "`{}` is not a valid AWS tag value",
            printable(value)
        ))
        .hint("1-256 letters, digits, spaces and _ . : / = + - @"))
    } else {
        Ok(())
    }
}

pub fn tag_key(key: &str) -> Check {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if key.is_empty() || key.chars().count() > 128 || !key.chars().all(allowed) {
        return Err(
            Problem::new(format!("`{}` is not a valid AWS tag key", printable(key)))
                .hint("1-128 letters, digits, spaces and _ . : / = + - @"),
        );
    }
    if key.to_lowercase().starts_with("aws:") {
        return Err(Problem::new(
            "tag keys starting with `aws:` are reserved by AWS",
        ));
    }
    if RESERVED_TAG_KEYS.contains(&key) {
        return Err(
            Problem::new(format!("`{key}` is set by stackwright on every resource"))
                .hint("use project.owner / project.cost_center, or another key"),
        );
    }
    Ok(())
}

pub fn region(code: &str) -> Check {
    if facts().region(code).is_some() {
        return Ok(());
    }
    let codes = facts().regions.iter().map(|r| r.code.as_str());
    let problem = Problem::new(format!("unknown region `{}`", printable(code)));
    Err(match did_you_mean(code, codes) {
        Some(best) => problem.hint(format!("did you mean `{best}`?")),
        None => problem.hint("use a region code such as us-east-1, eu-west-1 or ap-southeast-2 (`stackwright answers schema` lists none; see assets/regions.yaml)"),
    })
}

pub fn environment_name(name: &str) -> Check {
    let valid = (1..=10).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name == "pipeline" {
        return Err(Problem::new(
            "`pipeline` is reserved for the pipeline stack (params/pipeline.json)",
        )
        .hint("e.g. `dev`, `staging`, `prod`"));
    }
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!("`{}` is not a valid environment name", printable(name)))
            .hint("1-10 lowercase letters or digits, starting with a letter, e.g. `dev`, `staging`, `prod`"))
    }
}

pub fn account_id(id: &str) -> Check {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "`{}` is not a 12-digit AWS account id",
            printable(id)
        ))
        .hint("write all 12 digits in quotes, e.g. \"123456789012\""))
    }
}

/// Parses a CIDR; a bare address is refused with its single-host range as the suggestion.
fn parse_net(text: &str, example: &str) -> std::result::Result<IpNet, Problem> {
    let t = text.trim();
    t.parse::<IpNet>().map_err(|_| {
        let problem = Problem::new(format!("`{}` is not a CIDR range", printable(text)));
        match t.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => problem.hint(format!(
                "a CIDR range needs a prefix length: did you mean {ip}/32 (this one address)?"
            )),
            Ok(std::net::IpAddr::V6(ip)) => problem.hint(format!(
                "a CIDR range needs a prefix length: did you mean {ip}/128 (this one address)?"
            )),
            Err(_) => problem.hint(format!(
                "write an address and a prefix length, e.g. {example}"
            )),
        }
    })
}

/// Parses a CIDR and refuses host bits, suggesting the network address.
fn parse_cidr(text: &str) -> std::result::Result<IpNet, Problem> {
    let net = parse_net(text, "203.0.113.0/24 or 2001:db8::/32")?;
    if net.trunc() != net {
        return Err(Problem::new(format!("`{text}` has host bits set"))
            .hint(format!("did you mean {}?", net.trunc())));
    }
    Ok(net)
}

pub fn vpc_cidr(text: &str) -> std::result::Result<Ipv4Net, Problem> {
    let net = match parse_net(text, "10.0.0.0/16")? {
        IpNet::V4(net) => net,
        IpNet::V6(_) => {
            return Err(Problem::new("a VPC range must be IPv4")
                .hint("e.g. 10.0.0.0/16; IPv6 is added by AWS on top of an IPv4 VPC"))
        }
    };
    // Size first, so a suggested fix is one this check then accepts.
    let within = |prefix: u8| {
        Ipv4Net::new(net.addr(), prefix)
            .expect("prefix is at most 32")
            .trunc()
    };
    if net.prefix_len() < 16 {
        return Err(Problem::new(format!(
            "`{}` is larger than AWS allows for a VPC",
            printable(text.trim())
        ))
        .hint(format!("use a prefix from /16 to /24, e.g. {}", within(16))));
    }
    if net.prefix_len() > 24 {
        return Err(Problem::new(format!(
            "`{}` is too small for 3 subnet tiers (public, private, isolated) across up to 3 AZs",
            printable(text.trim())
        ))
        .hint(format!(
            "each subnet gets 1/16 of the VPC and AWS subnets are at least /28, so use /16 to /24, e.g. {}",
            within(24)
        )));
    }
    if net.trunc() != net {
        return Err(
            Problem::new(format!("`{}` has host bits set", printable(text.trim())))
                .hint(format!("did you mean {}?", net.trunc())),
        );
    }
    Ok(net)
}

pub fn trusted_cidr(text: &str, allow_public: bool) -> Check {
    let net = parse_cidr(text)?;
    if net.prefix_len() == 0 && !allow_public {
        return Err(Problem::new(format!("`{net}` covers the whole internet"))
            .hint("list the networks that need access, or set network.allow_public_ingress: true to accept this deliberately"));
    }
    Ok(())
}

pub fn availability_zones(count: u8, region_code: &str) -> Check {
    if !(2..=3).contains(&count) {
        return Err(
            Problem::new(format!("{count} availability zones is not supported")).hint("use 2 or 3"),
        );
    }
    if let Some(region) = facts().region(region_code) {
        if count > region.az_count {
            return Err(Problem::new(format!(
                "{} ({}) has only {} availability zones",
                region.code, region.name, region.az_count
            ))
            .hint(format!(
                "use {} or fewer, or another region",
                region.az_count
            )));
        }
    }
    Ok(())
}

pub fn endpoint(name: &str) -> Check {
    if facts().endpoints.contains_key(name) {
        return Ok(());
    }
    let known: Vec<&str> = facts().endpoints.keys().map(String::as_str).collect();
    let problem = Problem::new(format!("unknown VPC endpoint `{}`", printable(name)));
    Err(match did_you_mean(name, known.iter().copied()) {
        Some(best) => problem.hint(format!("did you mean `{best}`?")),
        None => problem.hint(format!("known endpoints: {}", known.join(", "))),
    })
}

pub fn database_name(name: &str) -> Check {
    let valid = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(Problem::new(format!(
            "`{}` is not a valid database name",
            printable(name)
        ))
        .hint("a letter, then letters, digits or underscores; at most 63 characters"));
    }
    if [
        "postgres",
        "template0",
        "template1",
        "mysql",
        "sys",
        "rdsadmin",
    ]
    .contains(&name.to_lowercase().as_str())
    {
        return Err(
            Problem::new(format!("`{name}` is reserved by the engine")).hint("e.g. `appdb`")
        );
    }
    Ok(())
}

pub fn engine_version(engine: Engine, version: &str) -> Check {
    if engine == Engine::None || version == "auto" {
        return Ok(());
    }
    let Some(facts) = facts().engine(engine) else {
        return Ok(());
    };
    if facts.version == version || facts.supported_versions.iter().any(|v| v == version) {
        return Ok(());
    }
    let mut versions = facts.supported_versions.clone();
    if !versions.contains(&facts.version) {
        versions.insert(0, facts.version.clone());
    }
    Err(Problem::new(format!(
        "{engine} version `{}` is not in the tested version table",
        printable(version)
    ))
    .hint(format!(
        "use `auto` ({}) or one of: {}",
        facts.version,
        versions.join(", ")
    )))
}

pub fn instance_class(class: &str) -> Check {
    if class == "auto" {
        return Ok(());
    }
    let parts: Vec<&str> = class.split('.').collect();
    let valid = parts.len() == 3
        && parts[0] == "db"
        && parts[1..].iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "`{}` is not an RDS instance class",
            printable(class)
        ))
        .hint("`auto`, or a class such as db.t4g.small or db.r7g.large"))
    }
}

/// The instance classes RDS offers per engine (assets/instance_classes.yaml).
fn offered_classes() -> &'static std::collections::BTreeMap<String, BTreeSet<String>> {
    #[derive(serde::Deserialize)]
    struct File {
        engines: std::collections::BTreeMap<String, BTreeSet<String>>,
    }
    static CLASSES: std::sync::OnceLock<std::collections::BTreeMap<String, BTreeSet<String>>> =
        std::sync::OnceLock::new();
    CLASSES.get_or_init(|| {
        crate::yaml::from_str::<File>(include_str!("../../assets/instance_classes.yaml"))
            .expect("assets/instance_classes.yaml is valid")
            .engines
    })
}

/// An instance class the engine offers at the pinned versions (`auto` always is).
pub fn instance_class_for(engine: Engine, class: &str) -> Check {
    instance_class(class)?;
    if class == "auto" || engine == Engine::None {
        return Ok(());
    }
    let Some(offered) = offered_classes().get(engine.as_str()) else {
        return Ok(());
    };
    if offered.contains(class) {
        return Ok(());
    }
    let problem = Problem::new(format!(
        "{engine} does not offer the instance class `{}`",
        printable(class)
    ));
    Err(
        match did_you_mean(class, offered.iter().map(String::as_str)) {
            Some(best) => problem.hint(format!("did you mean `{best}`?")),
            None => {
                let defaults = facts()
                    .engine(engine)
                    .map(|f| {
                        format!(
                            "{} or {}",
                            f.default_class.ephemeral, f.default_class.production
                        )
                    })
                    .unwrap_or_default();
                problem.hint(format!(
                    "`auto`, or a class such as {defaults} (assets/instance_classes.yaml lists all {})",
                    offered.len()
                ))
            }
        },
    )
}

pub fn repository(repo: &str) -> Check {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && p != "."
            && p != ".."
    };
    match repo.split_once('/') {
        Some((owner, name)) if ok_part(owner) && ok_part(name) => Ok(()),
        _ => Err(
            Problem::new(format!("`{}` is not a repository id", printable(repo)))
                .hint("write it as owner/name, e.g. acme/payments"),
        ),
    }
}

pub fn branch(name: &str) -> Check {
    let bad = name.is_empty()
        || name.len() > 200
        || name.starts_with(['-', '/'])
        || name.ends_with(['/', '.'])
        || name.contains("..")
        || name.contains("//")
        || name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\{}$`'\"".contains(c));
    if bad {
        Err(
            Problem::new(format!("`{}` is not a usable branch name", printable(name)))
                .hint("letters, digits and - _ . /, e.g. main or release/1.x"),
        )
    } else {
        Ok(())
    }
}

pub fn email(addr: &str) -> Check {
    let valid = match addr.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#%&*+-/=?^_{|}~.".contains(c))
                && !local.starts_with('.')
                && !local.ends_with('.')
                && domain.contains('.')
                && !domain.starts_with(['.', '-'])
                && !domain.ends_with(['.', '-'])
                && domain.split('.').all(|l| !l.is_empty())
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        }
        None => false,
    };
    if valid && addr.len() <= 254 {
        Ok(())
    } else {
        Err(
            Problem::new(format!("`{}` is not an email address", printable(addr)))
                .hint("e.g. ops@example.com"),
        )
    }
}

pub fn app_port(port: u16) -> Check {
    match port {
        0 => Err(Problem::new("port 0 is not a port").hint("use 1-65535, e.g. 443")),
        22 | 3389 => Err(Problem::new(format!("port {port} is a remote-shell port; instances are reached through SSM Session Manager instead"))
            .hint("use the application's own port, e.g. 443 or 8080")),
        _ => Ok(()),
    }
}

/// Shows control characters visibly so a message never hides what was typed.
fn printable(s: &str) -> String {
    let shown: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().count() > 80 {
        format!("{shown}…")
    } else {
        shown
    }
}

/// Runs every rule, the generic ones and the flavour's, collecting all
/// problems; fills in what `auto` and omission leave open.
pub fn validate(answers: Answers, tree: &Node, rules: FlavourRules) -> Result<Loaded> {
    validate_pinned(answers, tree, &Pins::default(), rules)
}

/// Values an earlier run resolved (from a project's lock file), reused for
/// what the answers still leave open so that an update changes only what the
/// person changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    /// The engine and the version `auto` resolved to.
    pub database: Option<(Engine, String)>,
    /// Environment name → the VPC range assigned to it.
    pub vpc_cidrs: Vec<(String, String)>,
}

/// [`validate`], resolving `auto` and omitted values to `pins` where they still fit.
pub fn validate_pinned(
    mut answers: Answers,
    tree: &Node,
    pins: &Pins,
    rules: FlavourRules,
) -> Result<Loaded> {
    let chosen = answers.clone();
    let mut v = Collector {
        tree,
        diags: Vec::new(),
    };
    let mut warnings = Vec::new();
    let a = &answers;

    if a.version != 1 {
        v.push(
            "version",
            Err(
                Problem::new(format!("version {} is not supported", a.version))
                    .hint("this stackwright reads version 1"),
            ),
        );
    }
    v.push("flavor", flavor(&a.flavor));
    let own = rules(a);
    for (field, problem) in own.problems {
        v.push(&field, Err(problem));
    }
    warnings.extend(own.warnings);
    v.push("project.name", project_name(&a.project.name));
    v.push("project.owner", tag_value(&a.project.owner));
    v.push("project.cost_center", tag_value(&a.project.cost_center));
    if a.project.tags.len() > 40 {
        v.push(
            "project.tags",
            Err(Problem::new(
                "more than 40 extra tags; AWS allows 50 per resource and stackwright sets 5",
            )),
        );
    }
    for (k, val) in &a.project.tags {
        v.push(&format!("project.tags.{k}"), tag_key(k));
        v.push(&format!("project.tags.{k}"), tag_value(val));
    }

    let region_ok = region(&a.region);
    let region_known = region_ok.is_ok();
    v.push("region", region_ok);

    // Environments.
    if a.environments.is_empty() || a.environments.len() > MAX_ENVIRONMENTS {
        v.push(
            "environments",
            Err(
                Problem::new(format!("{} environments given", a.environments.len())).hint(format!(
                    "list 1 to {MAX_ENVIRONMENTS} environments in promotion order"
                )),
            ),
        );
    }
    let mut seen = BTreeSet::new();
    let mut explicit: Vec<(usize, Ipv4Net)> = Vec::new();
    for (i, env) in a.environments.iter().enumerate() {
        let base = format!("environments[{i}]");
        v.push(&format!("{base}.name"), environment_name(&env.name));
        if !env.name.is_empty() && !seen.insert(env.name.as_str()) {
            v.push(
                &format!("{base}.name"),
                Err(
                    Problem::new(format!("environment `{}` is listed twice", env.name))
                        .hint("environment names must be unique"),
                ),
            );
        }
        if let Some(id) = &env.account_id {
            v.push(&format!("{base}.account_id"), account_id(id));
        }
        if let Some(cidr) = &env.vpc_cidr {
            match vpc_cidr(cidr) {
                Ok(net) => {
                    for (j, other) in &explicit {
                        if net.contains(&other.network()) || other.contains(&net.network()) {
                            v.push(&format!("{base}.vpc_cidr"), Err(Problem::new(format!(
                                "{net} overlaps environments[{j}].vpc_cidr ({other})"
                            ))
                            .hint("give every environment its own range, or omit vpc_cidr to have one assigned")));
                        }
                    }
                    explicit.push((i, net));
                }
                Err(p) => v.push(&format!("{base}.vpc_cidr"), Err(p)),
            }
        }
    }

    // Network.
    let az_region = if region_known { a.region.as_str() } else { "" };
    v.push(
        "network.availability_zones",
        availability_zones(a.network.availability_zones, az_region),
    );
    let mut seen_ep = BTreeSet::new();
    for (i, ep) in a.network.endpoints.iter().enumerate() {
        v.push(&format!("network.endpoints[{i}]"), endpoint(ep));
        if !seen_ep.insert(ep.as_str()) {
            v.push(
                &format!("network.endpoints[{i}]"),
                Err(Problem::new(format!("`{ep}` is listed twice"))),
            );
        }
    }
    for (i, cidr) in a.network.trusted_cidrs.iter().enumerate() {
        let check = trusted_cidr(cidr, a.network.allow_public_ingress);
        if check.is_ok() && cidr.trim().ends_with("/0") {
            warnings.push(format!(
                "network.trusted_cidrs[{i}] = {cidr} covers the whole internet (allowed by network.allow_public_ingress); no security group opens it today (no load balancer), but one that serves network.trusted_cidrs would admit every address"
            ));
        }
        v.push(&format!("network.trusted_cidrs[{i}]"), check);
    }

    // Database.
    v.push(
        "database.version",
        engine_version(a.database.engine, &a.database.version),
    );
    v.push(
        "database.instance_class",
        instance_class_for(a.database.engine, &a.database.instance_class),
    );
    if a.database.engine != Engine::None {
        v.push("database.name", database_name(&a.database.name));
    }

    // Pipeline.
    v.push("pipeline.repository", repository(&a.pipeline.repository));
    v.push("pipeline.branch", branch(&a.pipeline.branch));
    v.push(
        "pipeline.notification_email",
        email(&a.pipeline.notification_email),
    );
    let mut seen_stage = BTreeSet::new();
    for (i, stage) in a.pipeline.stages.iter().enumerate() {
        if !seen_stage.insert(*stage) {
            v.push(
                &format!("pipeline.stages[{i}]"),
                Err(Problem::new(format!("stage `{stage}` is listed twice"))),
            );
        }
    }
    let pos = |s: Stage| a.pipeline.stages.iter().position(|x| *x == s);
    if let Some(it) = pos(Stage::IntegrationTest) {
        match pos(Stage::Deploy) {
            None => v.push(
                &format!("pipeline.stages[{it}]"),
                Err(
                    Problem::new("integration_test needs a deploy stage to test")
                        .hint("add `deploy` before it, or remove integration_test"),
                ),
            ),
            Some(d) if d > it => v.push(
                &format!("pipeline.stages[{it}]"),
                Err(Problem::new("integration_test runs before deploy")
                    .hint("move integration_test after deploy")),
            ),
            _ => {}
        }
    }
    if let Some(d) = pos(Stage::Deploy) {
        for s in [
            Stage::Validate,
            Stage::Test,
            Stage::SecurityScan,
            Stage::Build,
        ] {
            if let Some(p) = pos(s) {
                if p > d {
                    v.push(
                        &format!("pipeline.stages[{p}]"),
                        Err(Problem::new(format!(
                            "{s} runs after deploy, so it cannot stop a bad change"
                        ))
                        .hint(format!("move {s} before deploy"))),
                    );
                }
            }
        }
    }
    if !a.pipeline.stages.is_empty() {
        if let Some(r) = facts().region(&a.region) {
            for (service, available) in [
                ("CodeStar Connections", r.codestar_connections),
                ("CodePipeline", r.codepipeline),
                ("CodeBuild", r.codebuild),
            ] {
                if !available {
                    v.push("region", Err(Problem::new(format!("{service} is not available in {}, so the pipeline cannot be deployed there", r.code))
                        .hint("pick another region, or set pipeline.stages: [] to generate no pipeline")));
                }
            }
        }
    }
    if a.database.engine != Engine::None {
        if let Some(r) = facts().region(&a.region) {
            if !r.rds {
                v.push(
                    "database.engine",
                    Err(Problem::new(format!("RDS is not available in {}", r.code))
                        .hint("pick another region or engine: none")),
                );
            }
        }
    }

    // App.
    v.push("app.port", app_port(a.app.port));
    if a.app.kind != AppKind::None
        && a.database.engine != Engine::None
        && facts()
            .engine(a.database.engine)
            .is_some_and(|e| e.port == a.app.port)
    {
        v.push(
            "app.port",
            Err(
                Problem::new("the application port equals the database port")
                    .hint("choose the port the application serves, e.g. 443 or 8080"),
            ),
        );
    }

    if !v.diags.is_empty() {
        return Err(Error::InvalidAnswers(v.diags));
    }

    // Resolution: assign VPC ranges that overlap nothing, pin `auto` versions.
    // Ranges pinned by an earlier run are kept first, unless an explicit range
    // of this run now overlaps them.
    let overlaps = |a: &Ipv4Net, b: &Ipv4Net| a.contains(&b.network()) || b.contains(&a.network());
    let mut assigned: Vec<Ipv4Net> = explicit.iter().map(|(_, n)| *n).collect();
    for env in &mut answers.environments {
        if env.vpc_cidr.is_some() {
            continue;
        }
        let pinned = pins
            .vpc_cidrs
            .iter()
            .find(|(name, _)| *name == env.name)
            .and_then(|(_, cidr)| cidr.parse::<Ipv4Net>().ok());
        if let Some(net) = pinned {
            if !assigned.iter().any(|t| overlaps(t, &net)) {
                assigned.push(net);
                env.vpc_cidr = Some(net.to_string());
            }
        }
    }
    let mut candidates = (0u8..=255)
        .map(|second| Ipv4Net::new(Ipv4Addr::new(10, second, 0, 0), 16).expect("valid /16"));
    for env in &mut answers.environments {
        if env.vpc_cidr.is_none() {
            let free = candidates
                .by_ref()
                .find(|c| !assigned.iter().any(|t| overlaps(t, c)))
                .expect("256 /16 ranges cannot all be taken by 8 environments");
            assigned.push(free);
            env.vpc_cidr = Some(free.to_string());
        }
    }
    if answers.database.version == "auto" && answers.database.engine != Engine::None {
        let pinned = pins
            .database
            .as_ref()
            .filter(|(engine, version)| {
                *engine == answers.database.engine && engine_version(*engine, version).is_ok()
            })
            .map(|(_, version)| version.clone());
        if let Some(version) = pinned {
            answers.database.version = version;
        } else if let Some(e) = facts().engine(answers.database.engine) {
            answers.database.version = e.version.clone();
        }
    }
    Ok(Loaded {
        answers,
        chosen,
        warnings,
    })
}

struct Collector<'a> {
    tree: &'a Node,
    diags: Vec<Diagnostic>,
}

impl Collector<'_> {
    fn push(&mut self, field: &str, check: Check) {
        if let Err(p) = check {
            let mut d = Diagnostic::new(field, p.message);
            if let Some(h) = p.hint {
                d = d.hint(h);
            }
            self.diags.push(d.at(self.tree.location_of(field)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_typos_but_not_nonsense() {
        assert_eq!(
            did_you_mean("us-west-3", ["us-west-1", "us-west-2", "eu-west-3"]),
            Some("us-west-1")
        );
        assert_eq!(
            did_you_mean("postgress", ["postgres", "mysql"]),
            Some("postgres")
        );
        assert_eq!(did_you_mean("zzzz", ["postgres", "mysql"]), None);
    }

    #[test]
    fn cidr_rules() {
        assert!(vpc_cidr("10.0.0.0/16").is_ok());
        assert!(vpc_cidr("10.0.0.1/16")
            .unwrap_err()
            .hint
            .unwrap()
            .contains("10.0.0.0/16"));
        assert!(vpc_cidr("10.0.0.0/25")
            .unwrap_err()
            .message
            .contains("too small"));
        assert!(vpc_cidr("10.0.0.0/8")
            .unwrap_err()
            .message
            .contains("larger"));
        assert!(vpc_cidr("2001:db8::/56").is_err());
        assert!(trusted_cidr("0.0.0.0/0", false).is_err());
        assert!(trusted_cidr("::/0", false).is_err());
        assert!(trusted_cidr("::/0", true).is_ok());
        assert!(trusted_cidr("2001:db8::/32", false).is_ok());
        assert!(trusted_cidr("198.51.100.7/32", false).is_ok());
        assert!(trusted_cidr("300.1.1.1/32", false).is_err());
    }

    #[test]
    fn instance_classes_are_those_the_engine_offers() {
        assert!(instance_class_for(Engine::Postgres, "db.t4g.micro").is_ok());
        assert!(instance_class_for(Engine::AuroraMysql, "auto").is_ok());
        let typo = instance_class_for(Engine::Postgres, "db.t4g.mirco").unwrap_err();
        assert!(typo.message.contains("does not offer"), "{typo:?}");
        assert_eq!(typo.hint.as_deref(), Some("did you mean `db.t4g.micro`?"));
        let unknown = instance_class_for(Engine::Mysql, "db.zz9.plural").unwrap_err();
        let mysql = facts().engine(Engine::Mysql).unwrap();
        assert!(unknown
            .hint
            .unwrap()
            .contains(&format!("{} or", mysql.default_class.ephemeral)));
        assert!(
            instance_class_for(Engine::Postgres, "t4g.micro").is_err(),
            "syntax first"
        );
    }

    #[test]
    fn names_and_ids() {
        assert!(project_name("payments").is_ok());
        for bad in [
            "Payments",
            "pa",
            "a--b",
            "9abc",
            "abc-",
            "this-name-is-way-too-long",
        ] {
            assert!(project_name(bad).is_err(), "{bad}");
        }
        assert!(environment_name("prod2").is_ok());
        assert!(environment_name("Prod").is_err());
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901").is_err());
        assert!(email("ops@example.com").is_ok());
        for bad in ["ops", "ops@", "@x.com", "a b@x.com", "ops@localhost"] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(branch("release/1.x").is_ok());
        assert!(branch("bad..name").is_err());
        assert!(repository("acme/payments").is_ok());
        assert!(repository("acme").is_err());
    }
}
