//! `stackwright controls [ID]`: the catalog outside a project; inside a
//! generated project of each flavour, where each control lives and which test
//! proves it (checked against the generated test files), what does not apply
//! and why; `.stackwright/controls.json` is deterministic and kept by `update`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use super::{fixture, tree, Test};

/// Runs the binary in `cwd` (no terminal, colour not switched off by the environment).
fn controls_in(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("stackwright")
        .unwrap()
        .current_dir(cwd)
        .env("STACKWRIGHT_CONFIG_DIR", cwd.join("no-config"))
        .env_remove("NO_COLOR")
        .arg("controls")
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).expect("JSON output")
}

/// The catalog as the asset holds it: (id, title, prevents, seeds).
fn catalog() -> Vec<(String, String, String, Vec<String>)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/controls.yaml"))
            .unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    v["controls"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["title"].as_str().unwrap().to_string(),
                c["prevents"].as_str().unwrap().to_string(),
                c["seeds"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Lines over 80 columns; a test name (never broken) may be one when the name alone is that long.
fn too_wide(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 80)
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("test_") && !t.contains(' ') && t.len() > 78)
        })
        .map(String::from)
        .collect()
}

/// Collapses wrapped text so a sentence can be found whatever the line breaks.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_catalog_lists_every_control_with_its_incident_and_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&controls_in(dir.path(), &[]));
    assert!(!out.contains('\x1b'), "colour when not a terminal:\n{out}");
    assert_eq!(too_wide(&out), Vec::<String>::new());
    let flat = words(&out);
    let cat = catalog();
    assert_eq!(cat.len(), 62, "the catalog of CONTROLS.md has 62 controls");
    for (id, title, prevents, seeds) in &cat {
        assert!(flat.contains(&format!("{id} {title}")), "{id} missing");
        assert!(flat.contains(&words(prevents)), "{id}: incident missing");
        if !seeds.is_empty() {
            assert!(
                flat.contains(&format!(
                    "{id} {title} incident {} seeds {}",
                    words(prevents),
                    seeds.join(", ")
                )),
                "{id}: seeds missing"
            );
        }
    }
    // The legend names each seed file.
    for file in [
        "000_faa6759b324b629f.txt",
        "001_44c7727c4298b27d.txt",
        "002_e3315259ebb76c42.txt",
        "003_5bb5bdb748cbf7c7.txt",
        "004_d39abea0eb5e48ff.txt",
    ] {
        assert!(out.contains(file), "{file} not in the legend");
    }
    let j = json(&controls_in(dir.path(), &["--json"]));
    let ids: Vec<&str> = j["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = cat.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, want, "JSON lists the catalog in its order");
    assert_eq!(j["seeds"]["003"]["file"], "003_5bb5bdb748cbf7c7.txt");
}

#[test]
fn one_control_in_full_with_its_seeds_and_carriers() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&controls_in(dir.path(), &["net-01"]));
    let flat = words(&out);
    assert!(out.starts_with("NET-01  VPC with DNS support"), "{out}");
    assert!(
        flat.contains("control VPC with DNS support and DNS hostnames; CIDR from the answers, per environment, non-overlapping across environments"),
        "{out}"
    );
    assert!(flat.contains("001 (001_44c7727c4298b27d.txt): CloudFormation in us-west-2"));
    for f in ["cdk", "cloudformation", "terraform"] {
        assert!(
            flat.contains(&format!("{f}: the network blueprint")),
            "{f}: {out}"
        );
    }
    assert_eq!(too_wide(&out), Vec::<String>::new());
    // A control whose claim has conditions says them.
    let out = words(&stdout(&controls_in(dir.path(), &["APP-01"])));
    assert!(
        out.contains(
            "cloudformation: the app blueprint, when `app.enabled` and `app.kind == 'ec2'`"
        ),
        "{out}"
    );
    // A control no post-mortem describes says where it comes from.
    let out = words(&stdout(&controls_in(dir.path(), &["NET-06"])));
    assert!(
        out.contains("seeds none; the control comes from checkov check CKV2_AWS_12"),
        "{out}"
    );
    let j = json(&controls_in(dir.path(), &["APP-01", "--json"]));
    assert_eq!(j["id"], "APP-01");
    assert_eq!(j["seeds"], serde_json::json!(["003", "004"]));
}

#[test]
fn an_unknown_id_gets_the_closest_one_and_exit_2() {
    let run = Test::new().args(&["controls", "NET-1"]).run().fails(2);
    let run = run.stderr_has(&[
        "`NET-1`",
        "did you mean `NET-01`?",
        "families: GEN, SEC, NET",
    ]);
    assert!(run.stdout().is_empty());
    Test::new()
        .args(&["controls", "NETT"])
        .run()
        .fails(2)
        .stderr_has(&["did you mean `NET`?"]);
    Test::new()
        .args(&["controls", "--flavor", "terraform", "SEC-06"])
        .run()
        .fails(2)
        .stderr_has(&["no built-in terraform blueprint carries it"]);
    Test::new()
        .args(&["controls", "--flavor", "pulumi"])
        .run()
        .fails(2);
    Test::new()
        .args(&["controls", "--project", "nowhere"])
        .run()
        .fails(2)
        .stderr_has(&["nowhere: not a stackwright project"]);
}

#[test]
fn a_family_or_a_flavour_narrows_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        json(&controls_in(dir.path(), &a))["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let db = ids(&["db"]);
    assert_eq!(db.len(), 9);
    assert!(db.iter().all(|id| id.starts_with("DB-")), "{db:?}");
    let tf = ids(&["--flavor", "terraform"]);
    assert!(tf.contains(&"CI-10".to_string()) && !tf.contains(&"SEC-06".to_string()));
    let cfn = ids(&["--flavor", "cloudformation"]);
    assert!(!cfn.contains(&"CI-10".to_string()) && cfn.contains(&"APP-01".to_string()));
    let text = stdout(&controls_in(
        dir.path(),
        &["--flavor", "cloudformation", "NET"],
    ));
    assert!(
        text.contains("carried by cloudformation: the network blueprint"),
        "{text}"
    );
    assert!(!text.contains("terraform:"), "{text}");
}

/// Whether `content` defines a test called `name`: a pytest function, a jest
/// test or a `terraform test` run block.
fn defines(content: &str, name: &str) -> bool {
    let heads = [
        format!("def {name}("),
        format!("run \"{name}\""),
        format!("test('{name}"),
        format!("test(\"{name}"),
        format!("it('{name}"),
        format!("it(\"{name}"),
    ];
    content.lines().map(str::trim_start).any(|line| {
        heads.iter().any(|h| {
            line.strip_prefix(h.as_str()).is_some_and(|rest| {
                // The whole name: a jest title may go on after a space, nothing else.
                h.ends_with('(') || h.ends_with('"') || rest.starts_with(['\'', '"', ' '])
            })
        })
    })
}

/// Every claimed test exists in the generated test files, every claimed file
/// or folder exists; returns what is missing.
fn missing_claims(project: &Path, record: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    for c in record["controls"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let tests = c["tests"].as_array().unwrap();
        if tests.is_empty() {
            missing.push(format!("{id}: no test"));
        }
        for t in tests {
            let (file, name) = (t["file"].as_str().unwrap(), t["name"].as_str().unwrap());
            let content = std::fs::read_to_string(project.join(file)).unwrap_or_default();
            if !defines(&content, name) {
                missing.push(format!("{id}: {file} defines no test {name}"));
            }
        }
        for p in c["places"].as_array().unwrap() {
            for file in p["file"].as_str().unwrap().split(", ") {
                let path = match file.find('*') {
                    // `envs/*/backend.hcl`: the folder before the wildcard.
                    Some(i) => project.join(&file[..i]),
                    None => project.join(file),
                };
                if !path.exists() {
                    missing.push(format!("{id}: no {file}"));
                }
            }
        }
    }
    missing
}

fn generate(fixture_name: &str, flavor: &str) -> (tempfile::TempDir, PathBuf) {
    let run = Test::new()
        .answers(&fixture(fixture_name))
        .args(&["new", "--set", &format!("flavor={flavor}"), "--out", "proj"])
        .run()
        .success();
    let dir = run.dir.join("proj");
    // Keep the directory alive past the Run.
    let keep = tempfile::tempdir().unwrap();
    let moved = keep.path().join("proj");
    std::fs::rename(&dir, &moved).unwrap();
    (keep, moved)
}

fn check_project(fixture_name: &str, flavor: &str, absent: &[(&str, &str)]) {
    let (_keep, project) = generate(fixture_name, flavor);
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join(".stackwright/controls.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["flavor"], flavor);
    let carried = record["controls"].as_array().unwrap();
    let not_applicable = record["not_applicable"].as_array().unwrap();
    assert_eq!(carried.len() + not_applicable.len(), catalog().len());
    assert_eq!(
        missing_claims(&project, &record),
        Vec::<String>::new(),
        "{flavor}"
    );
    for (id, reason) in absent {
        let n = not_applicable
            .iter()
            .find(|n| n["id"] == *id)
            .unwrap_or_else(|| panic!("{flavor}: {id} should not apply"));
        assert!(
            n["reasons"].to_string().contains(reason),
            "{flavor} {id}: {}",
            n["reasons"]
        );
    }
    // Found from a folder inside the project, and the same as the record.
    let sub = project.join("docs");
    let out = stdout(&controls_in(&sub, &[]));
    assert!(!out.contains('\x1b'));
    assert_eq!(too_wide(&out), Vec::<String>::new(), "{flavor}");
    let flat = words(&out);
    assert!(
        flat.contains(&format!(
            "{} of the 62 catalog controls carried",
            carried.len()
        )),
        "{out}"
    );
    for c in carried {
        let id = c["id"].as_str().unwrap();
        let first = &c["tests"][0]["name"];
        assert!(
            flat.contains(first.as_str().unwrap()),
            "{flavor} {id}: {first} not shown"
        );
    }
    for n in not_applicable {
        assert!(
            flat.contains(&words(n["reasons"][0].as_str().unwrap())),
            "{flavor}: {n}"
        );
    }
    // One control: where it lives and the test, from the JSON of the same command.
    let id = carried[0]["id"].as_str().unwrap();
    let one = json(&controls_in(&sub, &[id, "--json"]));
    assert_eq!(one["applies"], true);
    assert_eq!(one["tests"], carried[0]["tests"]);
    assert_eq!(one["places"], carried[0]["places"]);
    let text = stdout(&controls_in(&sub, &[id]));
    assert!(
        text.contains("lives in") && text.contains("tested by"),
        "{text}"
    );
    // --flavor shows the catalog even inside the project.
    let cat = stdout(&controls_in(&sub, &["--flavor", flavor]));
    assert!(words(&cat).contains(&format!("carried by the built-in {flavor} blueprints")));

    // A planted error: a test renamed in the project is reported missing.
    let t = &carried[1]["tests"][0];
    let (file, name) = (t["file"].as_str().unwrap(), t["name"].as_str().unwrap());
    let path = project.join(file);
    let content = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, content.replace(name, &format!("{name}_renamed"))).unwrap();
    let missing = missing_claims(&project, &record);
    assert!(
        missing.iter().any(|m| m.contains(name)),
        "{flavor}: the renamed {name} went unnoticed: {missing:?}"
    );
}

#[test]
fn inside_a_cloudformation_project() {
    check_project(
        "02-two-az-us-west-1-mysql-ec2.yaml",
        "cloudformation",
        &[
            (
                "CI-10",
                "no blueprint of the cloudformation flavour carries it",
            ),
            ("APP-03", "only when `app.kind == 'lambda'`"),
        ],
    );
}

#[test]
fn inside_a_cdk_project() {
    check_project(
        "08-single-prod-us-west-2-lambda-no-database.yaml",
        "cdk",
        &[
            (
                "DB-01",
                "the database blueprint is not part of this project",
            ),
            ("APP-01", "only when `app.kind == 'ec2'`"),
        ],
    );
}

#[test]
fn inside_a_terraform_project() {
    check_project(
        "03-three-env-eu-west-1-postgres-cross-account.yaml",
        "terraform",
        &[
            ("APP-01", "the app blueprint is not part of this project"),
            ("SEC-06", "no blueprint of the terraform flavour carries it"),
        ],
    );
}

#[test]
fn controls_json_is_deterministic_and_in_catalog_order() {
    let render = || {
        let run = Test::new()
            .answers(&fixture(
                "04-four-env-ap-southeast-2-aurora-postgresql-ecs.yaml",
            ))
            .args(&["new", "--out", "p"])
            .run()
            .success();
        run.read("p/.stackwright/controls.json")
    };
    let (a, b) = (render(), render());
    assert_eq!(a, b);
    let v: Value = serde_json::from_str(&a).unwrap();
    let order: Vec<String> = catalog().into_iter().map(|c| c.0).collect();
    for list in ["controls", "not_applicable"] {
        let pos: Vec<usize> = v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| order.iter().position(|o| c["id"] == o.as_str()).unwrap())
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "{list} out of catalog order"
        );
    }
}

#[test]
fn update_rewrites_controls_json_like_the_other_bookkeeping() {
    let run = Test::new()
        .answers("project: {name: atlas}\napp: {kind: none}\n")
        .args(&["new", "--out", "p"])
        .run()
        .success();
    let project = run.dir.join("p");
    let record = project.join(".stackwright/controls.json");
    let before = std::fs::read_to_string(&record).unwrap();
    assert!(before.contains("\"id\": \"APP-01\""));
    // Without the file, the command says so and shows the catalog.
    std::fs::remove_file(&record).unwrap();
    let o = controls_in(&project, &[]);
    assert!(stdout(&o).starts_with("The stackwright control catalog"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`stackwright update` there writes it"));
    // update writes it back, and follows a changed answer.
    Command::cargo_bin("stackwright")
        .unwrap()
        .current_dir(&project)
        .env("STACKWRIGHT_CONFIG_DIR", run.dir.join("config"))
        .args(["update", "--allow-dirty", "--set", "app.kind=ec2"])
        .assert()
        .success();
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert!(
        after["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "APP-01"),
        "APP-01 carried after app.kind=ec2"
    );
    let files = tree(&project);
    assert!(files.contains_key(".stackwright/controls.json"));
}

#[test]
fn completions_offer_the_subcommand_and_the_control_ids() {
    // fish completes no positional values from clap's static scripts: the subcommand only.
    for shell in ["bash", "zsh", "fish"] {
        let out = Test::new()
            .args(&["completions", shell])
            .run()
            .success()
            .stdout();
        assert!(out.contains("controls"), "{shell}: no controls subcommand");
        if shell == "fish" {
            continue;
        }
        assert!(
            out.contains("NET-01") && out.contains("DEP-07") && out.contains("PRJ"),
            "{shell}: no control IDs or families"
        );
    }
}

/// Every fixture in every built-in flavour: each claimed test is defined in
/// the generated file it names, each claimed file exists, and the record
/// covers the whole catalog.
#[test]
fn every_fixture_claims_only_tests_and_files_that_exist() {
    for name in super::fixtures() {
        for flavor in ["cloudformation", "cdk", "terraform"] {
            let (_keep, project) = generate(&name, flavor);
            let record: Value = serde_json::from_str(
                &std::fs::read_to_string(project.join(".stackwright/controls.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(
                missing_claims(&project, &record),
                Vec::<String>::new(),
                "{name} as {flavor}"
            );
            let listed = record["controls"].as_array().unwrap().len()
                + record["not_applicable"].as_array().unwrap().len();
            assert_eq!(listed, catalog().len(), "{name} as {flavor}");
        }
    }
}

/// How one flavour names its trail resources in control claims, and whether
/// a rendered project creates them in some environment.
struct TrailResources {
    flavor: &'static str,
    /// Identifiers as the claims write them (logical ids, Terraform addresses, constructs).
    names: &'static [&'static str],
    /// Whether any environment of the project in `dir` creates the trail.
    created: fn(&Path) -> bool,
}

/// CloudFormation: the trail resources carry `Condition: IsTrailOwner`, true
/// where an environment's TrailOwner parameter is its own name.
fn cfn_trail_created(dir: &Path) -> bool {
    let params: Vec<PathBuf> = std::fs::read_dir(dir.join("params"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "pipeline.json")
        .collect();
    assert!(!params.is_empty());
    let template = std::fs::read_to_string(dir.join("templates/security.yaml")).unwrap();
    assert!(template
        .contains("  Trail:\n    Type: AWS::CloudTrail::Trail\n    Condition: IsTrailOwner\n"));
    params.iter().any(|p| {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let env = p.file_stem().unwrap().to_str().unwrap();
        v["security"]["Parameters"]["TrailOwner"] == env
    })
}

/// Terraform: `aws_cloudtrail.this` and its companions have `count = var.create_trail ? 1 : 0`,
/// fed by each root's `owns_account_trail`.
fn tf_trail_created(dir: &Path) -> bool {
    let module = std::fs::read_to_string(dir.join("modules/security/main.tf")).unwrap();
    let trail = module
        .split("resource \"aws_cloudtrail\" \"this\" {")
        .nth(1)
        .expect("the security module declares the trail");
    assert!(trail.contains("count = var.create_trail ? 1 : 0"));
    let envs: Vec<PathBuf> = std::fs::read_dir(dir.join("envs"))
        .unwrap()
        .map(|e| e.unwrap().path().join("terraform.tfvars"))
        .collect();
    assert!(!envs.is_empty());
    envs.iter().any(|p| {
        let text = std::fs::read_to_string(p).unwrap();
        let line = text
            .lines()
            .find(|l| l.split('=').next().unwrap().trim() == "owns_account_trail")
            .expect("every root says whether it owns the trail");
        line.split('=').nth(1).unwrap().trim() == "true"
    })
}

/// CDK: the security stack creates the trail where `ownsAccountSingletons(env)`.
fn cdk_trail_created(dir: &Path) -> bool {
    let stack = std::fs::read_to_string(dir.join("lib/security-stack.ts")).unwrap();
    assert!(stack.contains("if (ownsAccountSingletons(env)) {"));
    let config = std::fs::read_to_string(dir.join("config/environments.ts")).unwrap();
    let body = config
        .split("export function ownsAccountSingletons(env: EnvironmentConfig): boolean {")
        .nth(1)
        .expect("config/environments.ts defines ownsAccountSingletons")
        .split("\n}")
        .next()
        .unwrap();
    !body.trim_end().ends_with("return false;")
}

const TRAILS: &[TrailResources] = &[
    TrailResources {
        flavor: "cloudformation",
        names: &[
            "Trail",
            "TrailBucket",
            "TrailBucketPolicy",
            "TrailLogGroup",
            "TrailLogsRole",
            "MetricFilter",
        ],
        created: cfn_trail_created,
    },
    TrailResources {
        flavor: "cdk",
        names: &[
            "Trail",
            "TrailBucket",
            "TrailLogGroup",
            "CIS metric filters",
        ],
        created: cdk_trail_created,
    },
    TrailResources {
        flavor: "terraform",
        names: &[
            "aws_cloudtrail.this",
            "module.trail_bucket",
            "aws_cloudwatch_log_group.trail",
            "trail_trust",
        ],
        created: tf_trail_created,
    },
];

/// The claims (control id, file and resource text) of a rendered project.
fn claims(dir: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".stackwright/controls.json")).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    for c in v["controls"].as_array().unwrap() {
        for p in c["places"].as_array().unwrap() {
            out.push((
                c["id"].as_str().unwrap().to_string(),
                format!("{} {}", p["file"], p["resource"]),
            ));
        }
    }
    out
}

/// Whether `text` names `name` as a whole identifier (not as part of a longer one).
fn names(text: &str, name: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(name).any(|(i, _)| {
        !word(text[..i].chars().next_back()) && !word(text[i + name.len()..].chars().next())
    })
}

/// The workshop preset (fixture 12) relies on the account's existing trail:
/// in every flavour no environment creates a trail, and no control claim
/// (SEC-03..07, MON-02 and the rest) names a trail resource. With
/// `security.account_trail: create` the same claims do name them, so the
/// names are the ones the claims use and the check can fail.
#[test]
fn with_the_account_s_existing_trail_no_claim_names_a_trail_resource_it_does_not_create() {
    let answers = fixture("12-workshop-preset-us-east-1.yaml");
    for t in TRAILS {
        let flavor = format!("flavor={}", t.flavor);
        let run = Test::new()
            .answers(&answers)
            .args(&["new", "--set", &flavor, "--out", "existing"])
            .run()
            .success();
        let existing = run.dir.join("existing");
        assert!(
            !(t.created)(&existing),
            "{}: an environment creates a trail",
            t.flavor
        );
        for (id, claim) in claims(&existing) {
            for name in t.names {
                assert!(
                    !names(&claim, name),
                    "{}: {id} names {name}, which this project does not create: {claim}",
                    t.flavor
                );
            }
        }

        let run = Test::new()
            .answers(&answers)
            .args(&[
                "new",
                "--set",
                &flavor,
                "--set",
                "security.account_trail=create",
                "--out",
                "create",
            ])
            .run()
            .success();
        let create = run.dir.join("create");
        assert!(
            (t.created)(&create),
            "{}: no environment creates the trail",
            t.flavor
        );
        let all: Vec<(String, String)> = claims(&create);
        for name in t.names {
            assert!(
                all.iter().any(|(_, c)| names(c, name)),
                "{}: no claim names {name} when the project creates the trail",
                t.flavor
            );
        }
        for id in ["SEC-03", "MON-02"] {
            assert!(
                all.iter().any(|(i, _)| i == id),
                "{}: {id} is claimed",
                t.flavor
            );
        }
    }
}
