//! `.stackwright/lock.yaml`: what the stored answers left open resolved to
//! (engine version, VPC ranges), and what made the project (stackwright
//! version, blueprint digest, git blueprint commit). The answers keep what the
//! person chose; the lock makes a replay byte-identical and an upgrade a
//! deliberate step (`update --to-current-versions`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::model::Engine;
use crate::answers::validate::Pins;
use crate::answers::Loaded;
use crate::blueprint::Blueprint;
use crate::error::{Error, Result};

/// Format version of the lock file this stackwright writes and reads.
pub const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Format version of this file.
    pub version: u32,
    /// The stackwright that wrote the project last.
    pub stackwright: String,
    pub flavor: String,
    pub blueprints: BlueprintsLock,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseLock>,
    #[serde(default)]
    pub environments: Vec<EnvironmentLock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintsLock {
    /// sha256 over every blueprint's manifest and files, in name order.
    pub digest: String,
    /// The git repository the blueprint set came from (`--blueprints git+URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// The commit of that repository the project was rendered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseLock {
    pub engine: Engine,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentLock {
    pub name: String,
    pub vpc_cidr: String,
}

/// A git blueprint set resolved to one commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitPin {
    pub url: String,
    pub commit: String,
}

/// sha256 of a blueprint set: changes whenever a manifest or template does.
pub fn digest(blueprints: &[Blueprint]) -> String {
    let mut sorted: Vec<&Blueprint> = blueprints.iter().collect();
    sorted.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for bp in sorted {
        field(bp.manifest.name.as_bytes());
        field(
            serde_json::to_string(&bp.manifest)
                .expect("manifests serialize")
                .as_bytes(),
        );
        for (path, body) in &bp.files {
            field(path.as_bytes());
            field(body.as_bytes());
        }
    }
    format!("sha256:{}", hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Lock {
    /// The lock for a project rendered from `loaded` with `blueprints`.
    pub fn new(loaded: &Loaded, blueprints: &[Blueprint], git: Option<&GitPin>) -> Self {
        let a = &loaded.answers;
        Lock {
            version: LOCK_VERSION,
            stackwright: env!("CARGO_PKG_VERSION").to_string(),
            flavor: a.flavor.clone(),
            blueprints: BlueprintsLock {
                digest: digest(blueprints),
                git: git.map(|g| g.url.clone()),
                commit: git.map(|g| g.commit.clone()),
            },
            database: (a.database.engine != Engine::None).then(|| DatabaseLock {
                engine: a.database.engine,
                version: a.database.version.clone(),
            }),
            environments: a
                .environments
                .iter()
                .filter_map(|e| {
                    e.vpc_cidr.as_ref().map(|c| EnvironmentLock {
                        name: e.name.clone(),
                        vpc_cidr: c.clone(),
                    })
                })
                .collect(),
        }
    }

    /// The file text, with a header saying what it is.
    pub fn to_text(&self) -> String {
        format!(
            "# What .stackwright/answers.yaml left open resolved to, and what made this project.\n\
             # Written by stackwright new/update; do not edit. `stackwright update` keeps these values;\n\
             # `stackwright update --to-current-versions` adopts the running stackwright's engine versions.\n{}",
            crate::yaml::to_string(self)
        )
    }

    /// Reads a lock file; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self> {
        let lock: Lock = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            Error::Usage(format!(
                "{path}{at}: not a stackwright lock file: {e}\n    hint: delete it to rebuild it from the stored answers (the VPC ranges and versions are then worked out again)"
            ))
        })?;
        if lock.version > LOCK_VERSION {
            return Err(Error::Usage(format!(
                "{path}: lock format {} was written by a newer stackwright ({}); this one ({}) reads format {LOCK_VERSION}\n    hint: install stackwright {} or newer",
                lock.version,
                lock.stackwright,
                env!("CARGO_PKG_VERSION"),
                lock.stackwright
            )));
        }
        Ok(lock)
    }

    /// The values to keep while the answers still leave them open.
    pub fn pins(&self) -> Pins {
        Pins {
            database: self
                .database
                .as_ref()
                .map(|d| (d.engine, d.version.clone())),
            vpc_cidrs: self
                .environments
                .iter()
                .map(|e| (e.name.clone(), e.vpc_cidr.clone()))
                .collect(),
        }
    }

    pub fn git(&self) -> Option<GitPin> {
        match (&self.blueprints.git, &self.blueprints.commit) {
            (Some(url), Some(commit)) => Some(GitPin {
                url: url.clone(),
                commit: commit.clone(),
            }),
            _ => None,
        }
    }
}
