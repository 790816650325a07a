//! `stackwright controls [ID]`: the control catalog for instructors and
//! reviewers. Outside a project it prints the catalog (assets/controls.yaml):
//! each control, the failure it prevents and the post-mortems behind it.
//! Inside a generated project it adds, from `.stackwright/controls.json`,
//! where each control lives there, which test proves it, and which controls
//! do not apply and why.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::aws::{facts, Control, Seed};
use crate::blueprint::controls::{NotApplicable, Place, Record, TestRef, PATH};
use crate::blueprint::source;
use crate::cli::ControlsArgs;
use crate::error::{Error, Result};

/// Width of the text output.
const WIDTH: usize = 80;
/// Where a field's text starts: the ID column, then the label column.
const INDENT: usize = 8;
const LABEL: usize = 11;

/// The family of a control ID: `NET` of `NET-01`.
pub fn family(id: &str) -> &str {
    id.split_once('-').map_or(id, |(f, _)| f)
}

/// What the positional argument selects.
enum Selection<'a> {
    All,
    One(&'a Control),
    Family(&'a str),
}

/// Runs the command; returns what to print.
pub fn run(args: &ControlsArgs) -> Result<String> {
    let selection = select(args.id.as_deref())?;
    let style = Style::for_stdout();
    if let Some(flavor) = &args.flavor {
        return catalog(&selection, Some(flavor), args.json, style);
    }
    let project = match &args.project {
        Some(dir) => {
            if !dir.join(".stackwright").is_dir() {
                return Err(Error::Usage(format!(
                    "{}: not a stackwright project (no .stackwright/ folder)\n    hint: give the directory `stackwright new` wrote, or leave out --project to see the catalog",
                    dir.display()
                )));
            }
            Some(dir.clone())
        }
        None => std::env::current_dir()
            .ok()
            .as_deref()
            .and_then(find_project),
    };
    let Some(dir) = project else {
        return catalog(&selection, None, args.json, style);
    };
    let path = dir.join(PATH);
    if !path.is_file() {
        eprintln!(
            "note: {} has no {PATH} (made by an older stackwright); `stackwright update` there writes it. Showing the catalog.",
            dir.display()
        );
        return catalog(&selection, None, args.json, style);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    let record = Record::parse(&text, &path.display().to_string()).map_err(|e| {
        Error::Usage(format!(
            "{e}\n    hint: `stackwright update` in the project rewrites it"
        ))
    })?;
    in_project(&selection, &record, &dir, args.json, style)
}

/// The nearest directory from `start` upwards that holds a `.stackwright/` folder.
pub fn find_project(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".stackwright").is_dir())
        .map(Path::to_path_buf)
}

fn select(arg: Option<&str>) -> Result<Selection<'static>> {
    let Some(arg) = arg else {
        return Ok(Selection::All);
    };
    let wanted = arg.trim().to_uppercase();
    let controls = &facts().controls;
    if let Some(c) = controls.iter().find(|c| c.id == wanted) {
        return Ok(Selection::One(c));
    }
    if let Some(c) = controls.iter().find(|c| family(&c.id) == wanted) {
        return Ok(Selection::Family(family(&c.id)));
    }
    let mut families: Vec<&str> = Vec::new();
    for c in controls {
        if !families.contains(&family(&c.id)) {
            families.push(family(&c.id));
        }
    }
    let candidates = controls
        .iter()
        .map(|c| c.id.as_str())
        .chain(families.iter().copied());
    let hint = match crate::answers::validate::did_you_mean(&wanted, candidates) {
        Some(best) => format!("did you mean `{best}`? "),
        None => String::new(),
    };
    Err(Error::Usage(format!(
        "no control or family `{arg}` in the catalog; {hint}IDs look like NET-01; families: {}\n    hint: `stackwright controls` lists them all",
        families.join(", ")
    )))
}

impl Selection<'_> {
    fn keeps(&self, id: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::One(c) => c.id == id,
            Selection::Family(f) => family(id) == *f,
        }
    }
}

// ---------------------------------------------------------------- catalog

/// A blueprint of a built-in flavour that claims a control, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Carrier {
    flavor: String,
    blueprint: String,
    /// Conditions that must all hold (the blueprint's, then the claim's), as Tera expressions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    when: Vec<String>,
}

/// Which built-in blueprints claim each control: (id, carrier), in flavour and blueprint order.
fn carriers(only: Option<&str>) -> Result<Vec<(String, Carrier)>> {
    let mut out: Vec<(String, Carrier)> = Vec::new();
    for flavor in source::builtin_flavours() {
        if only.is_some_and(|o| o != flavor) {
            continue;
        }
        for bp in source::builtin(flavor)? {
            for c in &bp.manifest.controls {
                let when: Vec<String> = [&bp.manifest.when, &c.when]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect();
                let carrier = Carrier {
                    flavor: flavor.to_string(),
                    blueprint: bp.manifest.name.clone(),
                    when,
                };
                if !out.iter().any(|(id, x)| *id == c.id && *x == carrier) {
                    out.push((c.id.clone(), carrier));
                }
            }
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct CatalogEntry<'a> {
    #[serde(flatten)]
    control: &'a Control,
    carried_by: Vec<&'a Carrier>,
}

#[derive(Serialize)]
struct CatalogJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    flavor: Option<&'a str>,
    seeds: &'a std::collections::BTreeMap<String, Seed>,
    controls: Vec<CatalogEntry<'a>>,
}

fn catalog(
    selection: &Selection,
    flavor: Option<&str>,
    json: bool,
    style: Style,
) -> Result<String> {
    let carriers = carriers(flavor)?;
    let entries: Vec<CatalogEntry> = facts()
        .controls
        .iter()
        .filter(|c| selection.keeps(&c.id))
        .map(|c| CatalogEntry {
            control: c,
            carried_by: carriers
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, x)| x)
                .collect(),
        })
        .filter(|e| flavor.is_none() || !e.carried_by.is_empty())
        .collect();
    if let (Selection::One(c), Some(f)) = (selection, flavor) {
        if entries.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no built-in {f} blueprint carries it; `stackwright controls {}` shows it without --flavor",
                c.id, c.id
            )));
        }
    }
    if json {
        let text = if let Selection::One(_) = selection {
            serde_json::to_string_pretty(&entries[0])
        } else {
            serde_json::to_string_pretty(&CatalogJson {
                flavor,
                seeds: &facts().seeds,
                controls: entries,
            })
        };
        return Ok(text.expect("JSON values serialize") + "\n");
    }
    let mut t = Text::new(style);
    if let Selection::One(_) = selection {
        let e = &entries[0];
        control_head(&mut t, e.control, true);
        t.field("carried by", &carrier_lines(&e.carried_by));
        return Ok(t.finish());
    }
    let total = facts().controls.len();
    let head = match flavor {
        Some(f) => format!(
            "{} of the {total} catalog controls are carried by the built-in {f} blueprints.",
            entries.len()
        ),
        None => format!(
            "The stackwright control catalog: {} of {total} controls.",
            entries.len()
        ),
    };
    t.para(&format!(
        "{head} Each one names the failure it prevents and the post-mortems (seeds) that describe it; \
         inside a generated project this command also shows where each lives and which test proves it."
    ));
    let mut area = "";
    for e in &entries {
        if e.control.area != area {
            area = &e.control.area;
            t.heading(area);
        }
        control_head(&mut t, e.control, false);
        if flavor.is_some() {
            t.field("carried by", &carrier_lines(&e.carried_by));
        }
    }
    seed_legend(&mut t, entries.iter().map(|e| e.control));
    t.blank();
    t.para("`stackwright controls ID` shows one control in full; `--json` prints all of this for tooling.");
    Ok(t.finish())
}

fn carrier_lines(carriers: &[&Carrier]) -> Vec<String> {
    if carriers.is_empty() {
        return vec!["no built-in blueprint yet".into()];
    }
    carriers
        .iter()
        .map(|c| {
            let mut line = format!("{}: the {} blueprint", c.flavor, c.blueprint);
            let when: Vec<String> = c.when.iter().map(|w| format!("`{w}`")).collect();
            if !when.is_empty() {
                line.push_str(&format!(", when {}", when.join(" and ")));
            }
            line
        })
        .collect()
}

/// ID and title, then the statement (in full view), the incident and its seeds.
fn control_head(t: &mut Text, c: &Control, full: bool) {
    t.title(&c.id, &c.title);
    if full {
        t.field("area", &[c.area.as_str()]);
        t.field("control", &[c.statement.as_str()]);
    }
    t.field("incident", &[c.prevents.as_str()]);
    let seeds = &facts().seeds;
    let lines: Vec<String> = if c.seeds.is_empty() {
        vec![match &c.origin {
            Some(o) => format!("none; the control comes from {o}"),
            None => "none".into(),
        }]
    } else if full {
        c.seeds
            .iter()
            .map(|s| match seeds.get(s) {
                Some(seed) => format!("{s} ({}): {}", seed.file, seed.subject),
                None => s.clone(),
            })
            .collect()
    } else {
        vec![c.seeds.join(", ")]
    };
    t.field("seeds", &lines);
}

fn seed_legend<'a>(t: &mut Text, controls: impl Iterator<Item = &'a Control>) {
    let mut used: Vec<&str> = controls
        .flat_map(|c| c.seeds.iter().map(String::as_str))
        .collect();
    used.sort_unstable();
    used.dedup();
    if used.is_empty() {
        return;
    }
    t.heading("Seeds: the post-mortems behind the controls (shared/seeds/)");
    for key in used {
        if let Some(seed) = facts().seeds.get(key) {
            t.field(key, &[format!("{}: {}", seed.file, seed.subject)]);
        }
    }
}

// ---------------------------------------------------------------- project

#[derive(Serialize)]
struct ProjectEntry<'a> {
    id: &'a str,
    area: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prevents: Option<&'a str>,
    seeds: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
    applies: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    places: &'a [Place],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tests: &'a [TestRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    reasons: &'a [String],
}

#[derive(Serialize)]
struct ProjectJson<'a> {
    project: &'a str,
    flavor: &'a str,
    record: String,
    controls: Vec<ProjectEntry<'a>>,
    not_applicable: Vec<ProjectEntry<'a>>,
}

fn entry<'a>(
    id: &'a str,
    area: &'a str,
    title: &'a str,
    places: &'a [Place],
    tests: &'a [TestRef],
    reasons: &'a [String],
) -> ProjectEntry<'a> {
    let cat = facts().control(id);
    ProjectEntry {
        id,
        area: cat.map_or(area, |c| c.area.as_str()),
        title: cat.map_or(title, |c| c.title.as_str()),
        statement: cat.map(|c| c.statement.as_str()),
        prevents: cat.map(|c| c.prevents.as_str()),
        seeds: cat.map_or(&[], |c| c.seeds.as_slice()),
        origin: cat.and_then(|c| c.origin.as_deref()),
        applies: reasons.is_empty(),
        places,
        tests,
        reasons,
    }
}

fn in_project(
    selection: &Selection,
    record: &Record,
    dir: &Path,
    json: bool,
    style: Style,
) -> Result<String> {
    let carried: Vec<ProjectEntry> = record
        .controls
        .iter()
        .filter(|c| selection.keeps(&c.id))
        .map(|c| entry(&c.id, &c.area, &c.title, &c.places, &c.tests, &[]))
        .collect();
    let absent: Vec<ProjectEntry> = record
        .not_applicable
        .iter()
        .filter(|n| selection.keeps(&n.id))
        .map(|n: &NotApplicable| entry(&n.id, &n.area, &n.title, &[], &[], &n.reasons))
        .collect();
    let record_path = dir.join(PATH).display().to_string();
    if let Selection::One(c) = selection {
        let Some(e) = carried.into_iter().chain(absent).next() else {
            // A catalog control the record does not mention: a newer catalog than the project's.
            return Err(Error::Usage(format!(
                "{}: {record_path} does not mention it (written by another stackwright version); `stackwright update` there rewrites it",
                c.id
            )));
        };
        if json {
            return Ok(serde_json::to_string_pretty(&e).expect("JSON values serialize") + "\n");
        }
        let mut t = Text::new(style);
        control_head(&mut t, c, true);
        project_fields(&mut t, &e);
        return Ok(t.finish());
    }
    if json {
        let j = ProjectJson {
            project: &record.project,
            flavor: &record.flavor,
            record: record_path,
            controls: carried,
            not_applicable: absent,
        };
        return Ok(serde_json::to_string_pretty(&j).expect("JSON values serialize") + "\n");
    }
    let mut t = Text::new(style);
    t.para(&format!(
        "Project {} ({} flavour, {}): {} of the {} catalog controls carried{}, {} not applicable. \
         For each: the failure it prevents, the post-mortems (seeds) behind it, where it lives \
         in this project and the generated tests that prove it (`make test` runs them).",
        record.project,
        record.flavor,
        dir.display(),
        record.controls.len(),
        record.controls.len() + record.not_applicable.len(),
        match selection {
            Selection::Family(f) =>
                format!(" ({} of family {f} shown)", carried.len() + absent.len()),
            _ => String::new(),
        },
        record.not_applicable.len(),
    ));
    let mut area = "";
    for e in &carried {
        if e.area != area {
            area = e.area;
            t.heading(area);
        }
        list_head(&mut t, e);
        project_fields(&mut t, e);
    }
    if !absent.is_empty() {
        t.heading("Not applicable to this project");
        for e in &absent {
            list_head(&mut t, e);
            project_fields(&mut t, e);
        }
    }
    let shown: Vec<&Control> = carried
        .iter()
        .chain(&absent)
        .filter_map(|e| facts().control(e.id))
        .collect();
    seed_legend(&mut t, shown.into_iter());
    t.blank();
    t.para("`stackwright controls ID` shows one control in full; `--json` prints all of this for tooling.");
    Ok(t.finish())
}

fn list_head(t: &mut Text, e: &ProjectEntry) {
    t.title(e.id, e.title);
    if let Some(p) = e.prevents {
        t.field("incident", &[p]);
    }
    if !e.seeds.is_empty() {
        t.field("seeds", &[e.seeds.join(", ")]);
    } else if let Some(o) = e.origin {
        t.field("seeds", &[format!("none; the control comes from {o}")]);
    }
}

/// Where a control lives and what proves it, or why it does not apply.
fn project_fields(t: &mut Text, e: &ProjectEntry) {
    if !e.applies {
        t.field("why not", e.reasons);
        return;
    }
    let places: Vec<String> = e
        .places
        .iter()
        .map(|p| format!("{}: {}", p.file, p.resource))
        .collect();
    t.field("lives in", &places);
    t.tests(e.tests);
}

// ---------------------------------------------------------------- text

#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn for_stdout() -> Self {
        Style {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal(),
        }
    }
}

/// Wrapping at [`WIDTH`] between words only: `cross-account` and `us-west-2`
/// stay whole, so the text can be searched as written.
fn options() -> textwrap::Options<'static> {
    textwrap::Options::new(WIDTH).word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Control characters shown as `\u{1b}`: reasons and places come from
/// blueprint manifests, which may be anyone's (`--blueprints DIR`), and must
/// not drive the terminal.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Text output: titles, labelled fields wrapped to [`WIDTH`] columns.
struct Text {
    out: String,
    style: Style,
}

impl Text {
    fn new(style: Style) -> Self {
        Text {
            out: String::new(),
            style,
        }
    }

    fn bold(&self, s: &str) -> String {
        if self.style.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn para(&mut self, text: &str) {
        for line in textwrap::wrap(&clean(text), options()) {
            self.out.push_str(&line);
            self.out.push('\n');
        }
    }

    fn heading(&mut self, text: &str) {
        self.blank();
        let h = self.bold(&clean(text));
        self.out.push_str(&h);
        self.out.push('\n');
    }

    /// `NET-01  VPC with DNS support…` (the title wrapped under itself).
    fn title(&mut self, id: &str, title: &str) {
        let opts = options().subsequent_indent("        ");
        let id = clean(id);
        let first = format!("{id:<width$}", width = INDENT);
        let text = format!("{first}{}", clean(title));
        let wrapped = textwrap::wrap(&text, opts);
        for (i, line) in wrapped.iter().enumerate() {
            if i == 0 {
                let rest = line.get(id.len()..).unwrap_or_default();
                self.out.push_str(&self.bold(&id));
                self.out.push_str(rest);
            } else {
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }

    /// `        label      text…`: each item starts a line, wrapped items continue under the text.
    fn field<S: AsRef<str>>(&mut self, label: &str, items: &[S]) {
        let pad = " ".repeat(INDENT + LABEL);
        for (i, item) in items.iter().map(AsRef::as_ref).enumerate() {
            let first = if i == 0 {
                format!("{}{label:<width$}", " ".repeat(INDENT), width = LABEL)
            } else {
                pad.clone()
            };
            let opts = options().initial_indent(&first).subsequent_indent(&pad);
            for line in textwrap::wrap(&clean(item), opts) {
                self.out.push_str(line.trim_end());
                self.out.push('\n');
            }
        }
    }

    /// `        tested by  FILE` then each test name under it. Names are never
    /// broken (they are pasted into test runners): when the longest of them
    /// does not fit under the file, all of them start further left, by as
    /// much as it needs; a name longer than the whole width stays whole.
    fn tests(&mut self, tests: &[TestRef]) {
        let longest = tests
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0);
        let indent = WIDTH.saturating_sub(longest).clamp(2, INDENT + LABEL + 2);
        let mut last: Option<&str> = None;
        for r in tests {
            if last != Some(r.file.as_str()) {
                let label = if last.is_none() { "tested by" } else { "" };
                self.field(label, std::slice::from_ref(&r.file));
                last = Some(&r.file);
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&clean(&r.name));
            self.out.push('\n');
        }
    }

    fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_wrap_within_the_width_and_keep_their_column() {
        let mut t = Text::new(Style { color: false });
        t.title("NET-01", &"long title ".repeat(12));
        t.field("incident", &["word ".repeat(40)]);
        let long = format!("test_net_01_{}", "x".repeat(60));
        t.tests(&[
            TestRef {
                file: "tests/unit/test_network.py".into(),
                name: "test_net_01_dns".into(),
            },
            TestRef {
                file: "tests/unit/test_network.py".into(),
                name: long.clone(),
            },
        ]);
        let text = t.finish();
        // The long test name is whole, and both names start where it fits.
        assert!(text.contains(&format!("\n        {long}\n")), "{text}");
        assert!(text.contains("\n        test_net_01_dns\n"), "{text}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} columns: {line:?}",
                line.len()
            );
        }
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NET-01  long title"));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("        incident   word")));
        // Continuations line up under the text, past the label column.
        let cont = lines
            .iter()
            .skip_while(|l| !l.contains("incident"))
            .nth(1)
            .unwrap();
        assert!(
            cont.starts_with(&" ".repeat(INDENT + LABEL))
                && !cont.starts_with(&" ".repeat(INDENT + LABEL + 1)),
            "{cont:?}"
        );
    }

    #[test]
    fn control_characters_from_manifests_do_not_reach_the_terminal() {
        let mut t = Text::new(Style { color: false });
        t.field("why not", &["applies when `\x1b[2Jx`"]);
        t.title("NET-01", "a\x07b");
        let text = t.finish();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.contains("`\\u{1b}[2Jx`") && text.contains("a\\u{7}b"),
            "{text}"
        );
    }

    #[test]
    fn selection_by_id_family_or_did_you_mean() {
        assert!(matches!(select(Some("net-01")).unwrap(), Selection::One(c) if c.id == "NET-01"));
        assert!(matches!(
            select(Some("db")).unwrap(),
            Selection::Family("DB")
        ));
        let err = select(Some("NET-1")).err().unwrap().to_string();
        assert!(err.contains("did you mean `NET-01`"), "{err}");
        let err = select(Some("zzzzzz")).err().unwrap().to_string();
        assert!(
            !err.contains("did you mean") && err.contains("families: GEN"),
            "{err}"
        );
    }

    #[test]
    fn carriers_follow_the_built_in_manifests() {
        let all = carriers(None).unwrap();
        let of = |id: &str| -> Vec<&str> {
            all.iter()
                .filter(|(c, _)| c == id)
                .map(|(_, x)| x.flavor.as_str())
                .collect()
        };
        // Terraform remote state is a Terraform control only.
        assert!(!of("CI-10").is_empty());
        assert!(
            of("CI-10").iter().all(|f| *f == "terraform"),
            "{:?}",
            of("CI-10")
        );
        assert!(of("NET-01").contains(&"cloudformation"));
        let app = all
            .iter()
            .find(|(id, x)| id == "APP-01" && x.flavor == "cloudformation")
            .unwrap();
        assert_eq!(app.1.when, ["app.enabled", "app.kind == 'ec2'"]);
        assert!(carriers(Some("cdk"))
            .unwrap()
            .iter()
            .all(|(_, x)| x.flavor == "cdk"));
    }
}
