//! `.stackwright/controls.json`: the catalog controls a project carries, where
//! each lives and which generated tests prove it, and the controls that do not
//! apply to it with the reason. Written with every render from what the engine
//! worked out (the blueprints' claims and the tests found in the rendered
//! files); `stackwright controls` reads it back inside a project.

use serde::{Deserialize, Serialize};

use super::ControlDoc;
use crate::aws::facts;

/// Where the record lives inside a project.
pub const PATH: &str = ".stackwright/controls.json";

/// Format version of the record; a reader refuses a newer one.
pub const FORMAT: u32 = 1;

/// The whole record. Lists are in catalog order, so the same answers give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format: u32,
    pub project: String,
    pub flavor: String,
    pub controls: Vec<Carried>,
    pub not_applicable: Vec<NotApplicable>,
}

/// A control the project carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    pub id: String,
    pub area: String,
    pub title: String,
    /// Every place a blueprint claims it, in blueprint order.
    pub places: Vec<Place>,
    /// The generated tests named after it.
    pub tests: Vec<TestRef>,
}

/// A file of the project and the resources, constructs or modules in it that carry a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub file: String,
    pub resource: String,
}

/// One generated test: its file and its name as the test runner knows it
/// (a pytest function, a jest test title, a `terraform test` run block).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRef {
    pub file: String,
    pub name: String,
}

/// A catalog control this project does not carry, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplicable {
    pub id: String,
    pub area: String,
    pub title: String,
    pub reasons: Vec<String>,
}

/// Why a blueprint of the flavour does not put a control into this project.
pub(super) struct Unmet<'a> {
    pub id: &'a str,
    pub reason: String,
}

impl Record {
    /// The record of a render: the controls found, and every other catalog
    /// control with the reasons the blueprints give (or that none carries it).
    pub(super) fn new(
        project: &str,
        flavor: &str,
        carried: &[ControlDoc],
        unmet: &[Unmet],
    ) -> Self {
        let controls = carried
            .iter()
            .map(|c| Carried {
                id: c.id.clone(),
                area: c.area.clone(),
                title: c.title.clone(),
                places: c.places.clone(),
                tests: c.tests.iter().map(|t| TestRef::parse(t)).collect(),
            })
            .collect();
        let not_applicable = facts()
            .controls
            .iter()
            .filter(|cat| !carried.iter().any(|c| c.id == cat.id))
            .map(|cat| {
                let mut reasons: Vec<String> = Vec::new();
                for u in unmet.iter().filter(|u| u.id == cat.id) {
                    if !reasons.contains(&u.reason) {
                        reasons.push(u.reason.clone());
                    }
                }
                if reasons.is_empty() {
                    reasons.push(format!("no blueprint of the {flavor} flavour carries it"));
                }
                NotApplicable {
                    id: cat.id.clone(),
                    area: cat.area.clone(),
                    title: cat.title.clone(),
                    reasons,
                }
            })
            .collect();
        Record {
            format: FORMAT,
            project: project.to_string(),
            flavor: flavor.to_string(),
            controls,
            not_applicable,
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("the record serializes") + "\n"
    }

    /// Reads a record; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Head {
            format: u32,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        if head.format > FORMAT {
            return Err(format!(
                "{path}: format {} is newer than this stackwright reads (format {FORMAT}); upgrade stackwright",
                head.format
            ));
        }
        serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))
    }
}

impl TestRef {
    /// `tests/unit/test_network.py::test_net_01_…` → file and name.
    fn parse(id: &str) -> Self {
        match id.split_once("::") {
            Some((file, name)) => TestRef {
                file: file.to_string(),
                name: name.to_string(),
            },
            None => TestRef {
                file: String::new(),
                name: id.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_format_is_refused_with_what_to_do() {
        let err = Record::parse(r#"{"format": 99}"#, PATH).unwrap_err();
        assert!(
            err.contains("format 99") && err.contains("upgrade"),
            "{err}"
        );
        let err = Record::parse("{", PATH).unwrap_err();
        assert!(err.starts_with(PATH), "{err}");
    }

    #[test]
    fn uncarried_controls_say_why_and_every_catalog_control_is_somewhere() {
        let carried = vec![ControlDoc {
            id: "NET-01".into(),
            area: "Network".into(),
            title: "t".into(),
            prevents: "p".into(),
            file: "templates/network.yaml".into(),
            resource: "Vpc".into(),
            places: vec![Place {
                file: "templates/network.yaml".into(),
                resource: "Vpc".into(),
            }],
            tests: vec!["tests/unit/test_network.py::test_net_01_dns".into()],
        }];
        let unmet = [
            Unmet {
                id: "APP-01",
                reason: "the app blueprint is not part of this project".into(),
            },
            Unmet {
                id: "APP-01",
                reason: "the app blueprint is not part of this project".into(),
            },
        ];
        let r = Record::new("demo", "cloudformation", &carried, &unmet);
        assert_eq!(r.controls.len(), 1);
        assert_eq!(r.controls[0].tests[0].name, "test_net_01_dns");
        assert_eq!(r.controls[0].tests[0].file, "tests/unit/test_network.py");
        assert_eq!(
            r.controls.len() + r.not_applicable.len(),
            facts().controls.len()
        );
        let app = r.not_applicable.iter().find(|n| n.id == "APP-01").unwrap();
        assert_eq!(
            app.reasons,
            ["the app blueprint is not part of this project"]
        );
        let ci10 = r.not_applicable.iter().find(|n| n.id == "CI-10").unwrap();
        assert_eq!(
            ci10.reasons,
            ["no blueprint of the cloudformation flavour carries it"]
        );
        assert_eq!(Record::parse(&r.to_text(), PATH).unwrap(), r);
    }
}
