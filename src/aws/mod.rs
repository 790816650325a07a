//! Facts about AWS that answers are checked against and templates are built
//! from. They live in data files under `assets/` (each with the date it was
//! checked), so refreshing them never touches code.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::answers::model::{Engine, Profile};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub partition: String,
    pub az_count: u8,
    #[serde(default)]
    pub opt_in: bool,
    #[serde(default = "yes")]
    pub codestar_connections: bool,
    #[serde(default = "yes")]
    pub codebuild: bool,
    #[serde(default = "yes")]
    pub codepipeline: bool,
    #[serde(default = "yes")]
    pub rds: bool,
    pub interface_endpoint_prefix: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct RegionFile {
    regions: Vec<Region>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TlsParameter {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DefaultClass {
    pub ephemeral: String,
    pub production: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EngineFacts {
    pub version: String,
    pub family: String,
    pub port: u16,
    pub log_exports: Vec<String>,
    pub tls_parameter: TlsParameter,
    pub default_class: DefaultClass,
    #[serde(default)]
    pub supported_versions: Vec<String>,
    /// Aurora engines run as a cluster.
    #[serde(default)]
    pub cluster: bool,
    /// Regions that do not offer a default class, and the class to use there.
    #[serde(default)]
    pub region_overrides: BTreeMap<String, ClassOverride>,
    /// Parameter group family by major version prefix (`16` → `postgres16`).
    #[serde(default)]
    pub families: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ClassOverride {
    pub ephemeral: Option<String>,
    pub production: Option<String>,
}

impl EngineFacts {
    /// Default instance class for a profile in a region.
    pub fn class_for(&self, profile: Profile, region: &str) -> &str {
        let o = self.region_overrides.get(region);
        let over = match profile {
            Profile::Ephemeral => o.and_then(|o| o.ephemeral.as_deref()),
            Profile::Production => o.and_then(|o| o.production.as_deref()),
        };
        over.unwrap_or_else(|| self.default_class.for_profile(profile))
    }

    /// Parameter group family for a version: the longest matching major prefix.
    pub fn family_for(&self, version: &str) -> &str {
        self.families
            .iter()
            .filter(|(major, _)| {
                version == major.as_str() || version.starts_with(&format!("{major}."))
            })
            .max_by_key(|(major, _)| major.len())
            .map(|(_, f)| f.as_str())
            .unwrap_or(&self.family)
    }
}

#[derive(Debug, Deserialize)]
struct EngineFile {
    checked: String,
    engines: BTreeMap<String, EngineFacts>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EndpointFacts {
    pub service: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// In aws-cn, whether the service name takes the region's interface prefix.
    #[serde(default)]
    pub partition_prefix: bool,
}

#[derive(Debug, Deserialize)]
struct EndpointFile {
    endpoints: BTreeMap<String, EndpointFacts>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Control {
    pub id: String,
    pub area: String,
    pub title: String,
    /// The control in full, as the catalog states it.
    pub statement: String,
    pub prevents: String,
    /// Keys of [`Facts::seeds`]: the post-mortems that describe the failure.
    #[serde(default)]
    pub seeds: Vec<String>,
    /// Where a control no seed describes comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// A post-mortem behind some controls: its file under `shared/seeds/` and what was being built.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Seed {
    pub file: String,
    pub subject: String,
}

#[derive(Debug, Deserialize)]
struct ControlFile {
    seeds: BTreeMap<String, Seed>,
    controls: Vec<Control>,
}

pub struct Facts {
    pub regions: Vec<Region>,
    pub engines: BTreeMap<String, EngineFacts>,
    pub engines_checked: String,
    pub endpoints: BTreeMap<String, EndpointFacts>,
    pub controls: Vec<Control>,
    pub seeds: BTreeMap<String, Seed>,
}

/// The built-in facts, parsed once per process.
pub fn facts() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(|| {
        // build.rs transcodes assets/*.yaml to JSON.
        let regions: RegionFile = parse_asset(
            "regions.yaml",
            include_str!(concat!(env!("OUT_DIR"), "/regions.json")),
        );
        let engines: EngineFile = parse_asset(
            "engines.yaml",
            include_str!(concat!(env!("OUT_DIR"), "/engines.json")),
        );
        let endpoints: EndpointFile = parse_asset(
            "endpoints.yaml",
            include_str!(concat!(env!("OUT_DIR"), "/endpoints.json")),
        );
        let controls: ControlFile = parse_asset(
            "controls.yaml",
            include_str!(concat!(env!("OUT_DIR"), "/controls.json")),
        );
        Facts {
            regions: regions.regions,
            engines: engines.engines,
            engines_checked: engines.checked,
            endpoints: endpoints.endpoints,
            controls: controls.controls,
            seeds: controls.seeds,
        }
    })
}

fn parse_asset<T: serde::de::DeserializeOwned>(name: &str, json: &str) -> T {
    // Embedded at build time and covered by tests: a failure here is a build defect.
    serde_json::from_str(json).unwrap_or_else(|e| panic!("built-in assets/{name} is invalid: {e}"))
}

impl Facts {
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    pub fn engine(&self, engine: Engine) -> Option<&EngineFacts> {
        self.engines.get(engine.as_str())
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }
}

impl DefaultClass {
    pub fn for_profile(&self, profile: Profile) -> &str {
        match profile {
            Profile::Ephemeral => &self.ephemeral,
            Profile::Production => &self.production,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_catalog_entries_fit_their_limits() {
        let f = facts();
        for (key, seed) in &f.seeds {
            assert!(
                seed.file.starts_with(&format!("{key}_")) && seed.file.ends_with(".txt"),
                "seed {key}: file {:?} is not {key}_….txt",
                seed.file
            );
            let subject = seed.subject.chars().count();
            assert!(
                subject <= 100,
                "seed {key}: subject is {subject} characters, at most 100"
            );
        }
        let mut ids = std::collections::BTreeSet::new();
        for c in &f.controls {
            assert!(ids.insert(c.id.as_str()), "{} is listed twice", c.id);
            assert!(!c.statement.trim().is_empty(), "{}: no statement", c.id);
            assert!(
                !c.seeds.is_empty() || c.origin.is_some(),
                "{}: no seed and no origin",
                c.id
            );
            for s in &c.seeds {
                assert!(
                    f.seeds.contains_key(s),
                    "{}: seed {s} is not in the seeds table",
                    c.id
                );
            }
            let title = c.title.chars().count();
            let prevents = c.prevents.chars().count();
            assert!(
                title <= 60,
                "{}: title is {title} characters, at most 60",
                c.id
            );
            assert!(
                prevents <= 140,
                "{}: prevents is {prevents} characters, at most 140",
                c.id
            );
        }
    }

    /// DB-06 names the engine version policy the database blueprint implements.
    #[test]
    fn db_06_title_matches_the_minor_version_policy() {
        let template = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/blueprints/cloudformation/database/database.yaml"
        ))
        .expect("database blueprint");
        let upgrades: Vec<&str> = template
            .lines()
            .filter_map(|l| l.trim().strip_prefix("AutoMinorVersionUpgrade:"))
            .map(str::trim)
            .collect();
        assert!(
            !upgrades.is_empty(),
            "database.yaml sets no AutoMinorVersionUpgrade"
        );
        let pinned = upgrades.iter().all(|v| *v == "false");
        let db06 = facts()
            .controls
            .iter()
            .find(|c| c.id == "DB-06")
            .expect("DB-06 in the catalog");
        let title = db06.title.to_lowercase();
        if pinned {
            assert!(
                title.contains("pinned minor"),
                "DB-06 title {:?}",
                db06.title
            );
            assert!(
                !title.contains("auto minor"),
                "DB-06 title {:?}",
                db06.title
            );
        } else {
            assert!(title.contains("auto minor"), "DB-06 title {:?}", db06.title);
        }
    }

    #[test]
    fn assets_parse_and_cover_every_engine() {
        let f = facts();
        assert!(f.regions.len() > 20);
        for engine in [
            Engine::Postgres,
            Engine::Mysql,
            Engine::AuroraPostgresql,
            Engine::AuroraMysql,
        ] {
            let e = f
                .engine(engine)
                .unwrap_or_else(|| panic!("{engine} missing"));
            assert!(e.supported_versions.contains(&e.version) || e.supported_versions.is_empty());
            for v in &e.supported_versions {
                assert!(
                    e.families.is_empty()
                        || e.families.keys().any(|m| v.starts_with(&format!("{m}."))),
                    "{engine} {v} has no family"
                );
            }
        }
        assert!(f.endpoints.contains_key("s3"));
        assert!(f.control("NET-01").is_some());
    }
}
