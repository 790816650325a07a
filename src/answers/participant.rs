//! A project name per participant, for presets used by a room of people who
//! deploy into one shared account: every physical name the generated stacks
//! carry (stacks, buckets, roles, trails, log groups, alarms, exports) starts
//! with the project name, so two participants must never get the same one.
//!
//! The name is `ws-<login>`, derived from the login name in the environment
//! and sanitised to the project-name rules; the same person always gets the
//! same name, so the same answers still give the same bytes.

use sha2::{Digest, Sha256};

/// Where the login name is read from, first set wins.
pub const USER_VARS: [&str; 3] = ["USER", "LOGNAME", "USERNAME"];

/// Prefix of every derived name: it marks workshop projects in a shared
/// account and makes a login that starts with a digit a valid name.
const PREFIX: &str = "ws-";
/// The longest project name (see `validate::project_name`).
const MAX_NAME: usize = 20;
/// Hex digits of the login's SHA-256 added when sanitising lost information.
const HASH_DIGITS: usize = 4;

/// A project name derived from a login name, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub name: String,
    /// The environment variable read (`USER`, …).
    pub var: &'static str,
    /// Its value, as read.
    pub login: String,
}

/// The participant name from the first of [`USER_VARS`] that yields one.
pub fn from_env() -> Option<Derived> {
    from_vars(|var| std::env::var(var).ok())
}

/// As [`from_env`], with the variables looked up by `get` (for tests).
pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Option<Derived> {
    USER_VARS.iter().find_map(|&var| {
        let login = get(var)?;
        name_for(&login).map(|name| Derived { name, var, login })
    })
}

/// `ws-<login>` when the login already follows the project-name rules and fits;
/// otherwise the login lowercased, with every run of other characters made one
/// hyphen, cut to fit, plus the first hex digits of its SHA-256, so that
/// `J.Doe` and `j_doe`, or two long logins sharing a prefix, stay apart.
/// `None` when the login has no ASCII letter or digit at all.
pub fn name_for(login: &str) -> Option<String> {
    let mut clean = String::new();
    for c in login.chars() {
        if c.is_ascii_alphanumeric() {
            clean.push(c.to_ascii_lowercase());
        } else if !clean.is_empty() && !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean = clean.trim_end_matches('-');
    if clean.is_empty() {
        return None;
    }
    if clean == login && PREFIX.len() + clean.len() <= MAX_NAME {
        return Some(format!("{PREFIX}{clean}"));
    }
    let digest = Sha256::digest(login.as_bytes());
    let hash: String = digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(HASH_DIGITS)
        .map(|n| char::from_digit(u32::from(n), 16).expect("a hex digit"))
        .collect();
    let room = MAX_NAME - PREFIX.len() - 1 - HASH_DIGITS;
    let head = clean[..clean.len().min(room)].trim_end_matches('-');
    Some(format!("{PREFIX}{head}-{hash}"))
}

/// The preset text with `name: <name>` as the first key of its top-level
/// `project:` mapping (which every per-participant preset has).
pub fn with_project_name(preset: &str, name: &str) -> String {
    let mut out = String::with_capacity(preset.len() + name.len() + 64);
    let mut done = false;
    for line in preset.lines() {
        out.push_str(line);
        out.push('\n');
        if !done && line.trim_end() == "project:" {
            out.push_str(&format!("  name: {name}\n"));
            done = true;
        }
    }
    assert!(
        done,
        "a per-participant preset has a top-level `project:` mapping"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::validate::project_name;

    #[test]
    fn a_plain_login_is_kept_as_it_is() {
        assert_eq!(name_for("alice").as_deref(), Some("ws-alice"));
        assert_eq!(name_for("bob42").as_deref(), Some("ws-bob42"));
        assert_eq!(name_for("j-doe").as_deref(), Some("ws-j-doe"));
        assert_eq!(name_for("7of9").as_deref(), Some("ws-7of9"));
    }

    #[test]
    fn a_login_that_needs_changing_gets_a_hash_of_itself() {
        let a = name_for("J.Doe").unwrap();
        let b = name_for("j_doe").unwrap();
        let c = name_for("j-doe").unwrap();
        assert!(
            a.starts_with("ws-j-doe-") && b.starts_with("ws-j-doe-"),
            "{a} {b}"
        );
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
        // Deterministic: the first four hex digits of SHA-256("J.Doe").
        let hex = format!("{:x}", Sha256::digest(b"J.Doe"));
        assert_eq!(a, format!("ws-j-doe-{}", &hex[..4]));
    }

    #[test]
    fn long_logins_are_cut_and_stay_apart() {
        let a = name_for("alexandria.ocasio-cortez").unwrap();
        let b = name_for("alexandria.ocasio-smith").unwrap();
        assert_ne!(a, b);
        assert!(a.len() <= MAX_NAME && b.len() <= MAX_NAME, "{a} {b}");
        // Exactly at the limit, a valid login is not changed.
        assert_eq!(
            name_for("abcdefghijklmnopq").as_deref(),
            Some("ws-abcdefghijklmnopq")
        );
        assert_ne!(
            name_for("abcdefghijklmnopqr").as_deref(),
            Some("ws-abcdefghijklmnopqr")
        );
    }

    #[test]
    fn every_derived_name_is_a_valid_project_name() {
        for login in [
            "alice",
            "Alice",
            "j.doe",
            "--x--",
            "a",
            "0",
            "élodie",
            "user@example.com",
            "DOMAIN\\someone",
            "a_very_long_login_name_indeed_1234",
            "x-",
            "ab--cd",
        ] {
            let name = name_for(login).unwrap_or_else(|| panic!("{login}: no name"));
            assert!(project_name(&name).is_ok(), "{login} → {name}");
        }
        for login in ["", "---", "ÉÈ", "._."] {
            assert_eq!(name_for(login), None, "{login}");
        }
    }

    #[test]
    fn the_first_variable_that_yields_a_name_wins() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |var: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| v.to_string())
            }
        };
        let d = from_vars(env(&[("USER", "alice"), ("LOGNAME", "bob")])).unwrap();
        assert_eq!((d.name.as_str(), d.var), ("ws-alice", "USER"));
        let d = from_vars(env(&[("USER", "..."), ("LOGNAME", "bob")])).unwrap();
        assert_eq!((d.name.as_str(), d.var), ("ws-bob", "LOGNAME"));
        assert_eq!(from_vars(env(&[])), None);
    }

    #[test]
    fn the_name_goes_into_the_project_mapping() {
        let text = "# c\nproject:\n  owner: x\nregion: us-east-1\n";
        assert_eq!(
            with_project_name(text, "ws-alice"),
            "# c\nproject:\n  name: ws-alice\n  owner: x\nregion: us-east-1\n"
        );
    }
}
