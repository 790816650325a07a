//! Answers: the typed model, where answers come from, and the one validation
//! path every source goes through.
//!
//! Precedence, lowest first: built-in defaults < user config < preset <
//! answers file < `--set`. Layers are merged as located YAML trees, then
//! deserialized and validated once, so an error always points at the layer
//! that supplied the offending value.

pub mod model;
pub mod participant;
pub mod schema;
pub mod validate;

use crate::error::{Diagnostic, Error, Location, Result};
use crate::yaml::{self, Node, NodeValue, PathPart};
pub use model::Answers;
pub use validate::{Findings, FlavourRules};

/// A built-in preset: a base layer of answers under a name.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub summary: &'static str,
    pub text: &'static str,
    /// The project name is derived per participant ([`participant`]) rather
    /// than fixed, so people sharing an account do not collide.
    pub per_participant: bool,
}

/// Every built-in preset.
pub const PRESETS: &[Preset] = &[Preset {
    name: "workshop",
    summary:
        "the cheapest useful stack, named per participant (ws-<login>) so names never collide in a shared account, relying on the account's existing trail (security.account_trail: existing)",
    text: include_str!("../../assets/presets/workshop.yaml"),
    per_participant: true,
}];

/// The preset of this name, as an answers layer, without a derived project
/// name (what `update` lays over a project that already has its name).
pub fn preset(name: &str) -> Option<Source> {
    PRESETS
        .iter()
        .find(|p| p.name == name)
        .map(|p| Source::new(format!("preset {}", p.name), p.text))
}

/// The preset of this name as the base of a new project: a per-participant
/// preset carries the project name derived from `participant` (if any).
pub fn preset_for(name: &str, participant: Option<&participant::Derived>) -> Option<Source> {
    let p = PRESETS.iter().find(|p| p.name == name)?;
    Some(match participant.filter(|_| p.per_participant) {
        Some(d) => Source::new(
            format!("preset {} (project name from ${})", p.name, d.var),
            participant::with_project_name(p.text, &d.name),
        ),
        None => Source::new(format!("preset {}", p.name), p.text),
    })
}

/// One layer of answers text with the name used in messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// Everything that contributes answers, in precedence order.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    pub config: Option<Source>,
    pub preset: Option<Source>,
    pub answers: Option<Source>,
    /// `key.path=value` overrides from the command line.
    pub sets: Vec<String>,
}

/// Answers after every layer, default and check: ready to render.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Resolved: `auto` versions pinned, every VPC range assigned.
    pub answers: Answers,
    /// As the person chose them, before resolution (`auto` stays `auto`): what
    /// a project stores in `.stackwright/answers.yaml`.
    pub chosen: Answers,
    /// Non-fatal notes for the person (e.g. a world-open trusted CIDR that was explicitly allowed).
    pub warnings: Vec<String>,
}

/// Merges the layers and validates the result, reporting every problem at once:
/// syntax and duplicate keys, unknown keys, wrong types and the field and
/// cross-field rules, the generic ones and those of the flavour the answers
/// name (`rules`, usually `crate::flavours::answer_rules`), sorted by where they are.
pub fn load(layers: &Layers, rules: FlavourRules) -> Result<Loaded> {
    load_pinned(layers, &validate::Pins::default(), rules)
}

/// [`load`], resolving what the answers leave open to an earlier run's values where they fit.
pub fn load_pinned(layers: &Layers, pins: &validate::Pins, rules: FlavourRules) -> Result<Loaded> {
    let merged = merge_tree(layers);
    let Some(answers) = merged.answers else {
        return Err(Error::InvalidAnswers(finish(layers, merged.diags)));
    };
    let mut diags = merged.diags;
    // A version written as a number: say now whether it is in the table once quoted.
    for d in diags.iter_mut().filter(|d| d.field == "database.version") {
        let token = d.location.as_ref().and_then(|l| token_at(layers, l));
        if let Some(Err(p)) = token.map(|t| validate::engine_version(answers.database.engine, &t)) {
            d.hint = Some(format!(
                "versions are text, so quote them; but {}: {}",
                p.message,
                p.hint.unwrap_or_default()
            ));
        }
    }
    match validate::validate_pinned(answers, &merged.tree, pins, rules) {
        Ok(loaded) if diags.is_empty() => Ok(loaded),
        Ok(_) => Err(Error::InvalidAnswers(finish(layers, diags))),
        Err(Error::InvalidAnswers(rules)) => {
            for mut d in rules {
                // A value that had the wrong type was replaced by its default for
                // the other checks; what the rules say about the default is noise.
                if merged.dropped.iter().any(|p| covers(p, &d.field)) {
                    continue;
                }
                d.field = merged.removed.original(&d.field);
                diags.push(d);
            }
            Err(Error::InvalidAnswers(finish(layers, diags)))
        }
        Err(other) => Err(other),
    }
}

/// Merges the layers without validating or resolving `auto` values: what the
/// wizard starts from, so a range or version it would assign stays `auto`.
pub fn merge(layers: &Layers) -> Result<Answers> {
    let merged = merge_tree(layers);
    match merged.answers {
        Some(answers) if merged.diags.is_empty() => Ok(answers),
        _ => Err(Error::InvalidAnswers(finish(layers, merged.diags))),
    }
}

/// Whether `path` is `prefix` or lies under it.
fn covers(prefix: &str, path: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Sorts problems by where they are (layer order, then line and column) and
/// attaches the source line each one points into.
fn finish(layers: &Layers, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let sources: Vec<&Source> = [&layers.config, &layers.preset, &layers.answers]
        .into_iter()
        .flatten()
        .collect();
    let rank = |d: &Diagnostic| -> (usize, usize, usize) {
        let Some(loc) = &d.location else {
            return (0, 0, 0);
        };
        let layer = if loc.source.starts_with("--set ") {
            sources.len() + 2
        } else {
            sources
                .iter()
                .position(|s| s.name == loc.source)
                .map_or(0, |i| i + 1)
        };
        (layer, loc.line, loc.col)
    };
    diags.sort_by_key(|d| rank(d));
    diags.dedup();
    for d in &mut diags {
        let Some(loc) = &d.location else { continue };
        if loc.line == 0 {
            if let Some(set) = loc.source.strip_prefix("--set ") {
                let value = set.find('=').map_or(0, |i| i + 1);
                let line = format!("--set {set}");
                d.excerpt = Some(Box::new(crate::error::Excerpt {
                    span: 6 + value..line.len().max(6 + value + 1),
                    line,
                }));
            }
            continue;
        }
        if let Some(source) = sources.iter().find(|s| s.name == loc.source) {
            d.excerpt =
                crate::error::Excerpt::locate(&source.text, loc.line, loc.col).map(Box::new);
        }
    }
    diags
}

/// Sequence items taken out of the merged tree because their type was wrong,
/// so later paths can be told with the indexes the person wrote.
#[derive(Debug, Default)]
struct Removed(Vec<(String, usize)>);

impl Removed {
    /// The path as written, for a path into the tree after removals.
    fn original(&self, path: &str) -> String {
        if self.0.is_empty() {
            return path.to_string();
        }
        let mut out: Vec<PathPart> = Vec::new();
        for part in yaml::split_path(path) {
            match part {
                PathPart::Index(i) => {
                    let seq = yaml::join_path(&out);
                    let mut gone: Vec<usize> = self
                        .0
                        .iter()
                        .filter(|(p, _)| *p == seq)
                        .map(|(_, i)| *i)
                        .collect();
                    gone.sort_unstable();
                    let orig = (0..).filter(|j| !gone.contains(j)).nth(i).unwrap_or(i);
                    out.push(PathPart::Index(orig));
                }
                key => out.push(key),
            }
        }
        yaml::join_path(&out)
    }
}

struct Merged {
    /// `None` when the layers could not be read far enough to check the rules.
    answers: Option<Answers>,
    tree: Node,
    diags: Vec<Diagnostic>,
    /// Paths (as written) whose values were dropped for a wrong type.
    dropped: Vec<String>,
    removed: Removed,
}

fn merge_tree(layers: &Layers) -> Merged {
    let mut diags = Vec::new();
    let mut unreadable = false;
    let mut unknown = Vec::new();
    let defaults = serde_yaml::to_value(Answers::default()).expect("defaults serialize");
    let mut tree = Node::from_value(
        &defaults,
        &Location {
            source: "built-in defaults".into(),
            line: 0,
            col: 0,
        },
    );
    for source in [&layers.config, &layers.preset, &layers.answers]
        .into_iter()
        .flatten()
    {
        match yaml::parse_all(&source.text, &source.name) {
            Ok((node, problems)) => {
                diags.extend(problems);
                if !matches!(node.value, NodeValue::Map(_)) {
                    diags.push(
                        Diagnostic::new(
                            "",
                            "the answers must be a mapping of keys (version, project, region, …)",
                        )
                        .at(Some(node.location.clone())),
                    );
                    unreadable = true;
                    continue;
                }
                let before = diags.len();
                schema::check_keys(&node, &mut diags);
                unknown.extend(diags[before..].iter().map(|d| d.field.clone()));
                tree.merge(node);
            }
            Err(d) => {
                diags.push(d);
                unreadable = true;
            }
        }
    }
    for set in &layers.sets {
        if let Err(d) = apply_set(&mut tree, set) {
            diags.push(d);
        }
    }
    let mut merged = Merged {
        answers: None,
        tree,
        diags,
        dropped: Vec::new(),
        removed: Removed::default(),
    };
    if unreadable {
        return merged;
    }
    for path in &unknown {
        merged.tree.remove(path);
    }
    merged.answers = deserialize_all(layers, &mut merged);
    merged
}

/// Where the merged answers set a key (`flavor`, `environments[1].name`), for
/// errors found after validation.
pub fn locate(layers: &Layers, path: &str) -> Option<Location> {
    merge_tree(layers).tree.location_of(path)
}

/// Loads answers from text alone (defaults underneath), as `answers check` and tests do.
pub fn load_str(name: &str, text: &str, rules: FlavourRules) -> Result<Loaded> {
    load(
        &Layers {
            answers: Some(Source::new(name, text)),
            ..Layers::default()
        },
        rules,
    )
}

/// Deserializes the tree, collecting every wrong type: each offending value is
/// reported, taken out (so its default stands in) and the rest is read again.
fn deserialize_all(layers: &Layers, m: &mut Merged) -> Option<Answers> {
    for _ in 0..=yaml::MAX_NODES.min(2_000) {
        let err = match serde_path_to_error::deserialize::<_, Answers>(m.tree.to_value()) {
            Ok(answers) => return Some(answers),
            Err(err) => err,
        };
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let written = m.removed.original(&path);
        let message = err.inner().to_string();
        let node = m.tree.at_path(&path).cloned();
        let location = m.tree.location_of(&path);
        let mut diag = Diagnostic::new(written.clone(), friendly_type_error(&message));
        if let Some(hint) = type_hint(layers, &path, &message, node.as_ref(), location.as_ref()) {
            diag = diag.hint(hint);
        }
        m.diags.push(diag.at(location));
        if path.is_empty() || !m.tree.remove(&path) {
            return None;
        }
        // A list item is left out (the rest of the list is still checked, with
        // the indexes as written); a map value falls back to its default.
        let parts = yaml::split_path(&written);
        match parts.last() {
            Some(PathPart::Index(i)) => {
                let seq = yaml::join_path(&parts[..parts.len() - 1]);
                m.removed.0.push((seq, *i));
            }
            _ => m.dropped.push(written),
        }
    }
    None
}

fn friendly_type_error(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((given, rest)) = rest.split_once('`') {
            let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
            return format!(
                "`{given}` is not an accepted value; expected one of {}",
                names.join(", ")
            );
        }
    }
    message
        .replace("invalid type: ", "wrong type: got ")
        .replace("expected u8", "expected a small whole number")
        .replace("expected u16", "expected a port number (1-65535)")
        .replace("expected u32", "expected a whole number")
        .replace("expected a sequence", "expected a list")
}

/// What to do about a wrong type, in the terms of the file it came from.
fn type_hint(
    layers: &Layers,
    path: &str,
    message: &str,
    node: Option<&Node>,
    location: Option<&Location>,
) -> Option<String> {
    if let Some(hint) = variant_hint(message) {
        return Some(hint);
    }
    let from_set = location.is_some_and(|l| l.source.starts_with("--set "));
    let value = node.map(|n| &n.value);
    if message.contains("expected a boolean") {
        if let Some(NodeValue::Str(s)) = value {
            if ["yes", "no", "on", "off", "y", "n"].contains(&s.to_lowercase().as_str()) {
                let want = ["yes", "on", "y"].contains(&s.to_lowercase().as_str());
                return Some(format!(
                    "YAML 1.2 booleans are true/false: write `{want}` instead of `{s}`"
                ));
            }
        }
        return Some("write true or false".into());
    }
    if message.contains("expected a sequence") {
        let key = path.rsplit('.').next().unwrap_or(path);
        let shown = match value {
            Some(NodeValue::Str(s)) => s.clone(),
            _ => "VALUE".into(),
        };
        return Some(if from_set {
            format!(
                "a list is written in brackets, quoted for the shell: --set '{path}=[{shown}]' (several: [a, b])"
            )
        } else {
            format!("write a list: `{key}: [{shown}]`, or one `- item` per line")
        });
    }
    if message.contains("expected a string") {
        if path.ends_with("account_id") {
            return Some("quote the value, e.g. \"012345678901\", so leading zeros survive".into());
        }
        if matches!(value, Some(NodeValue::Int(_)) | Some(NodeValue::Float(_))) {
            let token = location
                .and_then(|l| token_at(layers, l))
                .unwrap_or_else(|| match value {
                    Some(NodeValue::Float(f)) => f.to_string(),
                    Some(NodeValue::Int(i)) => i.to_string(),
                    _ => String::new(),
                });
            return Some(format!(
                "quote it, \"{token}\": unquoted, YAML reads it as a number{}",
                if path.ends_with("version") {
                    " (9.60 would become 9.6)"
                } else {
                    ""
                }
            ));
        }
    }
    None
}

/// The text of the value at a location, as written.
fn token_at(layers: &Layers, loc: &Location) -> Option<String> {
    let source = [&layers.config, &layers.preset, &layers.answers]
        .into_iter()
        .flatten()
        .find(|s| s.name == loc.source)?;
    let ex = crate::error::Excerpt::locate(&source.text, loc.line, loc.col)?;
    Some(ex.line.get(ex.span)?.to_string())
}

/// For `unknown variant `x`, expected one of `a`, `b``, suggest the closest name.
fn variant_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (given, rest) = rest.split_once('`')?;
    let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    validate::did_you_mean(given, names.iter().copied())
        .map(|best| format!("did you mean `{best}`?"))
}

/// Applies one `--set key.path=value` to the merged tree.
fn apply_set(tree: &mut Node, set: &str) -> Result<(), Diagnostic> {
    let source = format!("--set {set}");
    let Some((path, raw)) = set.split_once('=') else {
        return Err(
            Diagnostic::new("", format!("`{set}` is not key.path=value"))
                .hint("for example --set region=eu-west-1 or --set environments[1].approval=true")
                .at(Some(set_location(&source))),
        );
    };
    let parts = yaml::split_path(path.trim());
    if parts.is_empty() {
        return Err(Diagnostic::new("", "empty key in --set").at(Some(set_location(&source))));
    }
    let mut value = yaml::parse(raw, &source).map_err(|mut d| {
        d.location = Some(set_location(&source));
        d
    })?;
    relocate(&mut value, &set_location(&source));

    // Reuse the schema check on a one-path document so unknown keys get the same message.
    let mut probe = value.clone();
    for part in parts.iter().rev() {
        probe = match part {
            PathPart::Key(k) => Node::new(
                NodeValue::Map(vec![(k.clone(), set_location(&source), probe)]),
                set_location(&source),
            ),
            PathPart::Index(_) => Node::new(NodeValue::Seq(vec![probe]), set_location(&source)),
        };
    }
    let mut diags = Vec::new();
    schema::check_keys(&probe, &mut diags);
    if let Some(d) = diags.into_iter().next() {
        return Err(d);
    }

    let mut node = tree;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match part {
            PathPart::Key(key) => {
                if !matches!(node.value, NodeValue::Map(_)) {
                    node.value = NodeValue::Map(Vec::new());
                }
                let NodeValue::Map(entries) = &mut node.value else {
                    unreachable!()
                };
                let pos = match entries.iter().position(|(k, _, _)| k == key) {
                    Some(pos) => pos,
                    None => {
                        let empty = Node::new(NodeValue::Map(Vec::new()), set_location(&source));
                        entries.push((key.clone(), set_location(&source), empty));
                        entries.len() - 1
                    }
                };
                node = &mut entries[pos].2;
            }
            PathPart::Index(index) => {
                let field = yaml::join_path(&parts[..i]);
                let NodeValue::Seq(items) = &mut node.value else {
                    return Err(Diagnostic::new(
                        field,
                        "--set can only index into a list that the other answers already define",
                    )
                    .hint("write the whole list instead, e.g. --set 'environments=[{name: dev}]'")
                    .at(Some(set_location(&source))));
                };
                if *index > items.len() {
                    return Err(Diagnostic::new(
                        field,
                        format!("index {index} is past the end of a list of {}", items.len()),
                    )
                    .hint(format!(
                        "use an index from 0 to {} (the last one appends)",
                        items.len()
                    ))
                    .at(Some(set_location(&source))));
                }
                if *index == items.len() {
                    items.push(Node::new(NodeValue::Map(Vec::new()), set_location(&source)));
                }
                node = &mut items[*index];
            }
        }
        if last {
            node.merge(value);
            return Ok(());
        }
    }
    Ok(())
}

fn set_location(source: &str) -> Location {
    Location {
        source: source.to_string(),
        line: 0,
        col: 0,
    }
}

fn relocate(node: &mut Node, loc: &Location) {
    node.location = loc.clone();
    match &mut node.value {
        NodeValue::Seq(items) => items.iter_mut().for_each(|n| relocate(n, loc)),
        NodeValue::Map(entries) => entries.iter_mut().for_each(|(_, kl, n)| {
            *kl = loc.clone();
            relocate(n, loc);
        }),
        _ => {}
    }
}

/// The resolved answers as stored in a generated project.
pub fn to_yaml(answers: &Answers) -> String {
    yaml::to_string(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    /// Layering is the same for every flavour: these tests load without a flavour's rules.
    fn no_flavour(_: &Answers) -> Findings {
        Findings::default()
    }

    fn load(l: &Layers) -> Result<Loaded> {
        super::load(l, no_flavour)
    }

    fn load_str(name: &str, text: &str) -> Result<Loaded> {
        super::load_str(name, text, no_flavour)
    }

    /// A flavour's own rule is reported like a generic one: under its field,
    /// at the line and column of the layer that set the value, with the
    /// source line and the hint; a value from `--set` points at the `--set`;
    /// its warnings reach the loaded answers.
    #[test]
    fn a_flavour_rule_is_reported_at_the_value_it_refuses() {
        fn rules(a: &Answers) -> Findings {
            let mut found = Findings::default();
            if a.environments.get(1).is_some_and(|e| e.approval) {
                found.refuse(
                    "environments[1].approval",
                    validate::Problem::new("this flavour deploys without approvals")
                        .hint("set environments[1].approval: false"),
                );
            }
            found.warn("this flavour is a stand-in");
            found
        }
        let text =
            "region: eu-west-1\nenvironments:\n  - {name: dev}\n  - {name: prod, approval: true}\n";
        let Err(Error::InvalidAnswers(diags)) =
            super::load(&layers(None, None, Some(text), &[]), rules)
        else {
            panic!("the flavour's rule refuses these answers");
        };
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!(
            d.location,
            Some(Location {
                source: "team.yaml".into(),
                line: 4,
                col: 28
            })
        );
        assert_eq!(
            d.to_string(),
            "team.yaml:4:28: environments[1].approval: this flavour deploys without approvals\n    hint: set environments[1].approval: false"
        );
        let excerpt = d.excerpt.as_ref().expect("the source line is shown");
        assert_eq!(&excerpt.line[excerpt.span.clone()], "true");

        let set = &["environments[1].approval=true"];
        let Err(Error::InvalidAnswers(diags)) = super::load(&layers(None, None, None, set), rules)
        else {
            panic!("the flavour's rule refuses a --set value too");
        };
        assert_eq!(
            diags[0].location.as_ref().map(|l| l.source.as_str()),
            Some("--set environments[1].approval=true")
        );

        let fine = super::load(
            &layers(None, None, None, &["environments[1].approval=false"]),
            rules,
        )
        .unwrap();
        assert_eq!(fine.warnings, ["this flavour is a stand-in"]);
    }

    fn layers(
        config: Option<&str>,
        preset: Option<&str>,
        answers: Option<&str>,
        sets: &[&str],
    ) -> Layers {
        Layers {
            config: config.map(|t| Source::new("config.yaml", t)),
            preset: preset.map(|t| Source::new("preset", t)),
            answers: answers.map(|t| Source::new("team.yaml", t)),
            sets: sets.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn region(l: &Layers) -> String {
        load(l).unwrap().answers.region
    }

    #[test]
    fn layer_0_built_in_defaults() {
        let a = load(&Layers::default()).unwrap().answers;
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.environments.len(), 2);
        assert_eq!(a.environments[0].vpc_cidr.as_deref(), Some("10.0.0.0/16"));
    }

    #[test]
    fn layer_1_config_beats_defaults() {
        assert_eq!(
            region(&layers(Some("region: eu-west-1"), None, None, &[])),
            "eu-west-1"
        );
    }

    #[test]
    fn layer_2_preset_beats_config() {
        assert_eq!(
            region(&layers(
                Some("region: eu-west-1"),
                Some("region: eu-west-2"),
                None,
                &[]
            )),
            "eu-west-2"
        );
    }

    #[test]
    fn layer_3_answers_file_beats_preset() {
        let l = layers(
            Some("region: eu-west-1"),
            Some("region: eu-west-2"),
            Some("region: eu-west-3"),
            &[],
        );
        assert_eq!(region(&l), "eu-west-3");
    }

    #[test]
    fn layer_4_set_beats_everything() {
        let l = layers(
            Some("region: eu-west-1"),
            Some("region: eu-west-2"),
            Some("region: eu-west-3"),
            &["region=eu-north-1"],
        );
        assert_eq!(region(&l), "eu-north-1");
    }

    #[test]
    fn maps_merge_across_layers_and_lists_replace() {
        let l = layers(
            Some("project: {owner: config-owner, cost_center: CC-1}\nnetwork: {endpoints: [s3]}"),
            None,
            Some("project: {owner: file-owner}\nnetwork: {endpoints: [kms, logs]}"),
            &["environments[1].approval=false", "network.nat=single"],
        );
        let a = load(&l).unwrap().answers;
        assert_eq!(a.project.owner, "file-owner");
        assert_eq!(a.project.cost_center, "CC-1");
        assert_eq!(a.network.endpoints, vec!["kms", "logs"]);
        assert!(!a.environments[1].approval);
        assert_eq!(a.network.nat, model::NatMode::Single);
    }

    #[test]
    fn set_can_append_an_environment_and_values_are_yaml() {
        let l = layers(
            None,
            None,
            None,
            &[
                "environments[2]={name: qa, profile: ephemeral}",
                "network.trusted_cidrs=[10.1.0.0/16]",
            ],
        );
        let a = load(&l).unwrap().answers;
        assert_eq!(a.environments[2].name, "qa");
        assert_eq!(a.network.trusted_cidrs, vec!["10.1.0.0/16"]);
        let err = load(&layers(None, None, None, &["environments[7].name=x"])).unwrap_err();
        assert!(err.to_string().contains("past the end"), "{err}");
    }

    #[test]
    fn auto_cidrs_avoid_explicit_ones() {
        let a = load(&layers(
            None,
            None,
            Some("environments:\n  - {name: a}\n  - {name: b, vpc_cidr: 10.0.0.0/16}\n  - {name: c}\n"),
            &[],
        ))
        .unwrap()
        .answers;
        let cidrs: Vec<_> = a
            .environments
            .iter()
            .map(|e| e.vpc_cidr.clone().unwrap())
            .collect();
        assert_eq!(cidrs, ["10.1.0.0/16", "10.0.0.0/16", "10.2.0.0/16"]);
    }

    #[test]
    fn stored_answers_load_back_identically() {
        let first = load(&layers(
            None,
            None,
            Some("region: eu-west-1\ndatabase: {engine: mysql}\n"),
            &[],
        ))
        .unwrap()
        .answers;
        let again = load_str("stored.yaml", &to_yaml(&first)).unwrap().answers;
        assert_eq!(first, again);
    }
}
