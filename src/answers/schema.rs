//! The JSON Schema of the answers file (for editors, `answers schema`) and the
//! strict key check built on it: unknown keys anywhere are errors with a
//! did-you-mean, reported all at once with their locations.

use std::sync::OnceLock;

use serde_json::Value;

use super::model::Answers;
use super::validate::did_you_mean;
use crate::error::Diagnostic;
use crate::yaml::{Node, NodeValue};

/// The schema as JSON text.
pub fn json_schema() -> String {
    serde_json::to_string_pretty(schema()).expect("schema serializes") + "\n"
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema =
            serde_json::to_value(schemars::schema_for!(Answers)).expect("schema serializes");
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "title".into(),
                Value::String("stackwright answers (version 1)".into()),
            );
        }
        schema
    })
}

/// Reports every key in `node` that the answers model does not know.
pub fn check_keys(node: &Node, diags: &mut Vec<Diagnostic>) {
    let root = schema();
    walk(node, root, root, "", diags);
}

fn resolve<'a>(mut s: &'a Value, root: &'a Value) -> &'a Value {
    for _ in 0..8 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(def) => s = def,
                None => return s,
            }
            continue;
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            if let Some(options) = s.get(combinator).and_then(Value::as_array) {
                if let Some(found) = options
                    .iter()
                    .map(|o| resolve(o, root))
                    .find(|o| o.get("properties").is_some() || o.get("items").is_some())
                {
                    return found;
                }
            }
        }
        return s;
    }
    s
}

fn walk(node: &Node, schema: &Value, root: &Value, path: &str, diags: &mut Vec<Diagnostic>) {
    let schema = resolve(schema, root);
    match &node.value {
        NodeValue::Map(entries) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, key_loc, value) in entries {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if let Some(sub) = props.and_then(|p| p.get(key)) {
                    walk(value, sub, root, &child_path, diags);
                } else if let Some(sub) = additional {
                    walk(value, sub, root, &child_path, diags);
                } else if let Some(props) = props {
                    let known: Vec<&str> = props.keys().map(String::as_str).collect();
                    let mut diag = Diagnostic::new(child_path, "unknown key");
                    diag = match did_you_mean(key, known.iter().copied()) {
                        Some(best) => diag.hint(format!("did you mean `{best}`?")),
                        None => diag.hint(format!("known keys here: {}", known.join(", "))),
                    };
                    diags.push(diag.at(Some(key_loc.clone())));
                }
            }
        }
        NodeValue::Seq(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item, item_schema, root, &format!("{path}[{i}]"), diags);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_found_at_every_level_with_suggestions() {
        let node = crate::yaml::parse(
            "projet: {name: x}\nenvironments:\n  - {name: dev, aproval: true}\nnetwork: {nat: auto, endpoint: []}\n",
            "t.yaml",
        )
        .unwrap();
        let mut diags = Vec::new();
        check_keys(&node, &mut diags);
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 3, "{text:#?}");
        assert!(
            text[0].contains("t.yaml:1:1: projet: unknown key") && text[0].contains("`project`")
        );
        assert!(text[1].contains("environments[0].aproval") && text[1].contains("`approval`"));
        assert!(text[2].contains("network.endpoint") && text[2].contains("`endpoints`"));
    }

    #[test]
    fn tags_accept_any_key() {
        let node = crate::yaml::parse("project: {tags: {anything: goes}}\n", "t").unwrap();
        let mut diags = Vec::new();
        check_keys(&node, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
    }
}
