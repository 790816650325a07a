//! Answers: the typed model, where answers come from, and the one validation
//! path every source goes through.
//!
//! Precedence, lowest first: built-in defaults < user config < preset <
//! answers file < `--set`. Layers are merged as located YAML trees, then
//! deserialized and validated once, so an error always points at the layer
//! that supplied the offending value.

pub mod model;
pub mod schema;
pub mod validate;

use crate::error::{Diagnostic, Error, Location, Result};
use crate::yaml::{self, Node, NodeValue, PathPart};
pub use model::Answers;

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
    pub answers: Answers,
    /// Non-fatal notes for the person (e.g. a world-open trusted CIDR that was explicitly allowed).
    pub warnings: Vec<String>,
}

/// Merges the layers and validates the result, reporting every problem at once.
pub fn load(layers: &Layers) -> Result<Loaded> {
    let (answers, tree) = merge_tree(layers)?;
    validate::validate(answers, &tree)
}

/// Merges the layers without validating or resolving `auto` values: what the
/// wizard starts from, so a range or version it would assign stays `auto`.
pub fn merge(layers: &Layers) -> Result<Answers> {
    merge_tree(layers).map(|(answers, _)| answers)
}

fn merge_tree(layers: &Layers) -> Result<(Answers, Node)> {
    let mut diags = Vec::new();
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
        match yaml::parse(&source.text, &source.name) {
            Ok(node) => {
                if !matches!(node.value, NodeValue::Map(_)) {
                    diags.push(
                        Diagnostic::new(
                            "",
                            "the answers must be a mapping of keys (version, project, region, …)",
                        )
                        .at(Some(node.location.clone())),
                    );
                    continue;
                }
                schema::check_keys(&node, &mut diags);
                tree.merge(node);
            }
            Err(d) => diags.push(d),
        }
    }
    for set in &layers.sets {
        if let Err(d) = apply_set(&mut tree, set) {
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        return Err(Error::InvalidAnswers(diags));
    }
    let answers = deserialize(&tree)?;
    Ok((answers, tree))
}

/// Where the merged answers set a key (`flavor`, `environments[1].name`), for
/// errors found after validation.
pub fn locate(layers: &Layers, path: &str) -> Option<Location> {
    merge_tree(layers)
        .ok()
        .and_then(|(_, tree)| tree.location_of(path))
}

/// Loads answers from text alone (defaults underneath), as `answers check` and tests do.
pub fn load_str(name: &str, text: &str) -> Result<Loaded> {
    load(&Layers {
        answers: Some(Source::new(name, text)),
        ..Layers::default()
    })
}

fn deserialize(tree: &Node) -> Result<Answers> {
    serde_path_to_error::deserialize(tree.to_value()).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = err.inner().to_string();
        let mut diag = Diagnostic::new(path.clone(), friendly_type_error(&message));
        if let Some(hint) = variant_hint(&message) {
            diag = diag.hint(hint);
        } else if message.contains("expected a string") && message.contains("integer") {
            diag = diag.hint("quote the value, e.g. \"012345678901\", so leading zeros survive");
        }
        Error::invalid(diag.at(tree.location_of(&path)))
    })
}

fn friendly_type_error(message: &str) -> String {
    message
        .replace("invalid type: ", "wrong type: got ")
        .replace("expected u8", "expected a small whole number")
        .replace("expected u16", "expected a port number (1-65535)")
        .replace("expected u32", "expected a whole number")
}

/// For `unknown variant `x`, expected one of `a`, `b``, suggest the closest name.
fn variant_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (given, rest) = rest.split_once('`')?;
    let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match validate::did_you_mean(given, names.iter().copied()) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None => Some(format!("valid values: {}", names.join(", "))),
    }
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
