//! `--preset workshop`: a project name per participant (so a room sharing one
//! AWS account does not collide), said on stderr, deterministic per login; and
//! the cheapest useful stack, checked against the cost estimate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::Value;

use crate::{fixture, tree, Test};

fn workshop(user: &str, out: &str) -> crate::Run {
    Test::new()
        .env("USER", user)
        .args(&["new", "--preset", "workshop", "--out", out])
        .run()
        .success()
}

#[test]
fn the_project_is_named_after_the_login_and_says_how_to_choose_another() {
    // No --out: the project directory is the derived name too.
    let run = Test::new()
        .env("USER", "alice")
        .args(&["new", "--preset", "workshop"])
        .run()
        .success()
        .stderr_has(&[
            "project name `ws-alice` (from $USER=alice)",
            "--set project.name=NAME",
        ]);
    let stored = run.read("ws-alice/.stackwright/answers.yaml");
    assert!(stored.contains("  name: ws-alice\n"), "{stored}");
    assert!(run
        .read("ws-alice/Makefile")
        .contains("PROJECT := ws-alice\n"));
    // $LOGNAME when $USER is unset; a login that needs cleaning gets a hash of itself.
    let run = Test::new()
        .env_remove("USER")
        .env("LOGNAME", "J.Doe")
        .file("team.yaml", "region: us-east-1\n")
        .args(&["answers", "check", "team.yaml", "--preset", "workshop"])
        .run()
        .success()
        .stderr_has(&["(from $LOGNAME=J.Doe)"]);
    let out = run.stdout();
    assert!(out.contains("project ws-j-doe-"), "{out}");
}

#[test]
fn the_same_login_gives_the_same_bytes_and_another_login_another_project() {
    let a1 = workshop("alice", "p");
    let a2 = workshop("alice", "p");
    let b = workshop("bob", "p");
    let (t1, t2, tb) = (
        tree(&a1.dir.join("p")),
        tree(&a2.dir.join("p")),
        tree(&b.dir.join("p")),
    );
    assert!(t1.len() > 30, "{} files", t1.len());
    assert!(t1 == t2, "two runs for alice differ");
    assert_eq!(
        t1.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "alice and bob get the same files"
    );
    assert!(t1 != tb, "alice's and bob's projects are the same bytes");
}

#[test]
fn an_answers_file_or_set_chooses_the_name_and_then_nothing_is_said() {
    for run in [
        Test::new()
            .env("USER", "alice")
            .args(&["new", "--preset", "workshop", "--out", "p"])
            .args(&["--set", "project.name=team-one"])
            .run(),
        Test::new()
            .env("USER", "alice")
            .answers("project: {name: team-one}\n")
            .args(&["new", "--preset", "workshop", "--out", "p"])
            .run(),
    ] {
        let run = run.success();
        assert!(!run.stderr().contains("ws-alice"), "{}", run.stderr());
        let stored = run.read("p/.stackwright/answers.yaml");
        assert!(stored.contains("name: team-one"), "{stored}");
    }
}

#[test]
fn without_a_login_it_refuses_before_writing_and_the_estimate_still_works() {
    let run = Test::new()
        .env_remove("USER")
        .args(&["new", "--preset", "workshop", "--out", "p"])
        .run()
        .fails(2)
        .stderr_has(&[
            "--preset workshop: no login name",
            "$USER, $LOGNAME, $USERNAME",
            "--set project.name=ws-YOURNAME",
        ]);
    assert!(!run.dir.join("p").exists(), "something was written");
    // A login without a letter or digit is no better.
    Test::new()
        .env("USER", "...")
        .args(&["new", "--preset", "workshop", "--out", "p"])
        .run()
        .fails(2)
        .stderr_has(&["no login name"]);
    // Naming the project is the way out.
    Test::new()
        .env_remove("USER")
        .args(&["new", "--preset", "workshop", "--out", "p"])
        .args(&["--set", "project.name=ws-carol"])
        .run()
        .success();
    // The estimate does not depend on the name.
    Test::new()
        .env_remove("USER")
        .args(&["cost", "--preset", "workshop"])
        .run()
        .success();
}

// ------------------------------------------------------ physical names

/// Account-and-region singletons: a second participant's stack would fail on
/// these whatever its name.
const SINGLETONS: &[&str] = &[
    "AWS::Config::ConfigurationRecorder",
    "AWS::Config::DeliveryChannel",
    "AWS::GuardDuty::Detector",
    "AWS::SecurityHub::Hub",
    "AWS::Macie::Session",
    "AWS::ApiGateway::Account",
    "AWS::IAM::AccountPasswordPolicy",
    "AWS::S3::AccountPublicAccessBlock",
    "AWS::EC2::EBSDefaultKmsKey",
];

/// The property of each resource type that sets its physical name.
const NAME_PROPS: &[(&str, &str)] = &[
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::IAM::Role", "RoleName"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
    ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
    ("AWS::CloudTrail::Trail", "TrailName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
    ("AWS::Logs::MetricFilter", "FilterName"),
    ("AWS::CloudWatch::Alarm", "AlarmName"),
    ("AWS::CloudWatch::CompositeAlarm", "AlarmName"),
    ("AWS::CloudWatch::Dashboard", "DashboardName"),
    ("AWS::KMS::Alias", "AliasName"),
    ("AWS::SNS::Topic", "TopicName"),
    ("AWS::RDS::DBInstance", "DBInstanceIdentifier"),
    ("AWS::RDS::DBCluster", "DBClusterIdentifier"),
    ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName"),
    ("AWS::CodeBuild::Project", "Name"),
    ("AWS::CodePipeline::Pipeline", "Name"),
    ("AWS::CodeStarConnections::Connection", "ConnectionName"),
    ("AWS::Events::Rule", "Name"),
    ("AWS::SSM::Association", "AssociationName"),
    ("AWS::SSM::Parameter", "Name"),
    ("AWS::SecretsManager::Secret", "Name"),
    ("AWS::Lambda::Function", "FunctionName"),
    ("AWS::EC2::SecurityGroup", "GroupName"),
];

/// Top-level properties that end in `Name` or `Identifier` but name no
/// resource of the account (a metric, a database inside the instance, an AWS
/// service, a display label, an SSM document) or refer to another resource.
const NOT_NAMES: &[(&str, &str)] = &[
    ("AWS::CloudWatch::Alarm", "MetricName"),
    ("AWS::RDS::DBInstance", "DBName"),
    ("AWS::RDS::DBInstance", "DBSubnetGroupName"),
    ("AWS::RDS::DBInstance", "DBParameterGroupName"),
    ("AWS::EC2::VPCEndpoint", "ServiceName"),
    ("AWS::SNS::Topic", "DisplayName"),
    ("AWS::SSM::Association", "Name"),
    ("AWS::SSM::Association", "AutomationTargetParameterName"),
    ("AWS::Logs::MetricFilter", "LogGroupName"),
    ("AWS::EC2::FlowLog", "LogGroupName"),
    ("AWS::CloudTrail::Trail", "S3BucketName"),
];

/// Every physical name of a generated project, as `template/resource.property`
/// → the name with the stack name and parameters filled in (pseudo
/// parameters and values known only at deploy time stay `${…}`: they are the
/// same for two participants, so they cannot tell them apart).
fn physical_names(project: &Path) -> BTreeMap<String, String> {
    let makefile = std::fs::read_to_string(project.join("Makefile")).unwrap();
    let var = |name: &str| {
        makefile
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} := ")))
            .unwrap_or_else(|| panic!("Makefile has no {name}"))
            .trim()
            .to_string()
    };
    let name = var("PROJECT");
    // template → (stack name, parameter label) from the Makefile's deploy calls.
    let mut stacks: BTreeMap<String, (String, String)> = BTreeMap::new();
    stacks.insert(
        var("BOOTSTRAP_TEMPLATE"),
        (
            var("BOOTSTRAP_STACK").replace("$(PROJECT)", &name),
            String::new(),
        ),
    );
    for line in makefile.lines() {
        if let Some(call) = line.trim().strip_prefix("$(call deploy_stack,") {
            let parts: Vec<&str> = call.trim_end_matches(')').split(',').collect();
            let [label, stack, _, template] = parts[..] else {
                panic!("unexpected deploy call: {line}")
            };
            stacks.insert(
                template.to_string(),
                (stack.replace("$(PROJECT)", &name), label.to_string()),
            );
        }
    }
    let templates: Vec<_> = std::fs::read_dir(project.join("templates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        templates.len(),
        stacks.len(),
        "every template is deployed as one stack: {templates:?} vs {stacks:?}"
    );
    let mut names = BTreeMap::new();
    for (template, (stack, label)) in &stacks {
        let text = std::fs::read_to_string(project.join(template)).unwrap();
        let doc: Value = serde_yaml::from_str(&text).unwrap();
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        if let Some(Value::Mapping(decl)) = doc.get("Parameters") {
            for (k, v) in decl {
                if let Some(d) = v.get("Default").and_then(scalar) {
                    params.insert(k.as_str().unwrap().to_string(), d);
                }
            }
        }
        if !label.is_empty() {
            let file: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(project.join(format!("params/{label}.json"))).unwrap(),
            )
            .unwrap();
            let blueprint = template
                .trim_start_matches("templates/")
                .trim_end_matches(".yaml");
            if let Some(values) = file[blueprint]["Parameters"].as_object() {
                for (k, v) in values {
                    params.insert(k.clone(), v.as_str().unwrap().to_string());
                }
            }
        }
        params.insert("AWS::StackName".into(), stack.clone());
        names.insert(format!("{template}/(stack)"), stack.clone());
        let resources = doc["Resources"].as_mapping().unwrap();
        for (id, res) in resources {
            let id = id.as_str().unwrap();
            let ty = res["Type"].as_str().unwrap();
            assert!(
                !SINGLETONS.contains(&ty),
                "{template}/{id}: {ty} is one per account and region"
            );
            let Some(Value::Mapping(props)) = res.get("Properties") else {
                continue;
            };
            for (key, value) in props {
                let key = key.as_str().unwrap();
                let is_name = NAME_PROPS.contains(&(ty, key));
                if !is_name {
                    assert!(
                        !(key.ends_with("Name") || key.ends_with("Identifier"))
                            || NOT_NAMES.contains(&(ty, key)),
                        "{template}/{id}: is {ty}.{key} a physical name? add it to NAME_PROPS or NOT_NAMES"
                    );
                    continue;
                }
                let resolved = resolve(value, &params).unwrap_or_else(|| {
                    panic!("{template}/{id}.{key}: cannot read the name {value:?}")
                });
                names.insert(format!("{template}/{id}.{key}"), resolved);
            }
        }
        if let Some(Value::Mapping(outputs)) = doc.get("Outputs") {
            for (id, out) in outputs {
                if let Some(export) = out.get("Export").and_then(|e| e.get("Name")) {
                    let resolved = resolve(export, &params).unwrap();
                    names.insert(
                        format!("{template}/{}.Export", id.as_str().unwrap()),
                        resolved,
                    );
                }
            }
        }
    }
    names
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A literal, `!Ref` of a parameter or the stack name, or `!Sub` (both forms).
fn resolve(v: &Value, params: &BTreeMap<String, String>) -> Option<String> {
    let (function, arg) = match v {
        Value::Tagged(t) => (
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        ),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().unwrap();
            (k.as_str()?.trim_start_matches("Fn::").to_string(), arg)
        }
        other => return scalar(other),
    };
    match function.as_str() {
        "Ref" => params.get(arg.as_str()?).cloned(),
        "Sub" => {
            let (text, vars) = match arg {
                Value::Sequence(s) => (s.first()?.as_str()?, s.get(1)),
                other => (other.as_str()?, None),
            };
            let mut out = text.to_string();
            let mut known = params.clone();
            if let Some(Value::Mapping(vars)) = vars {
                for (k, v) in vars {
                    if let Some(value) = resolve(v, params) {
                        known.insert(k.as_str()?.to_string(), value);
                    }
                }
            }
            for (k, value) in &known {
                out = out.replace(&format!("${{{k}}}"), value);
            }
            Some(out)
        }
        _ => None,
    }
}

#[test]
fn two_participants_in_one_account_share_no_physical_name() {
    let render = |user: &str| {
        let run = workshop(user, "p");
        (physical_names(&run.dir.join("p")), run)
    };
    // Plain logins, and two long ones that are cut to the same prefix.
    for (a, b) in [
        ("alice", "bob"),
        ("alexandria.ocasio-cortez", "alexandria.ocasio-smith"),
    ] {
        let (names_a, run_a) = render(a);
        let (names_b, _run_b) = render(b);
        let project_a = run_a.read("p/Makefile");
        let project_a = project_a
            .lines()
            .find_map(|l| l.strip_prefix("PROJECT := "))
            .unwrap()
            .to_string();
        assert!(names_a.len() > 80, "only {} names found", names_a.len());
        // Every kind the brief worries about is among them.
        for kind in [
            "(stack)",
            ".BucketName",
            ".RoleName",
            ".TrailName",
            ".LogGroupName",
            ".AlarmName",
            ".Export",
        ] {
            assert!(
                names_a.keys().any(|k| k.ends_with(kind)),
                "no {kind} among the names"
            );
        }
        // Each name carries the project name (or the stack name, which does),
        // so it differs from another participant's.
        for (at, n) in &names_a {
            assert!(
                n.contains(&project_a),
                "{at}: `{n}` does not derive from the project name"
            );
        }
        let set_a: BTreeSet<&String> = names_a.values().collect();
        let set_b: BTreeSet<&String> = names_b.values().collect();
        let shared: Vec<_> = set_a.intersection(&set_b).collect();
        assert!(shared.is_empty(), "{a} and {b} both create {shared:?}");
        // Within one project the names of one kind are distinct as well (an
        // alarm and its metric filter may share a name).
        let mut seen: BTreeMap<(&str, &String), &String> = BTreeMap::new();
        for (at, n) in &names_a {
            let kind = at.rsplit_once('.').map_or(at.as_str(), |(_, k)| k);
            if let Some(first) = seen.insert((kind, n), at) {
                panic!("`{n}` is the name of {first} and of {at}");
            }
        }
    }
    // The comparison can fail: the same participant twice collides on every name.
    let (again_1, _r1) = render("alice");
    let (again_2, _r2) = render("alice");
    let shared = again_1
        .values()
        .filter(|n| again_2.values().any(|m| m == *n))
        .count();
    assert_eq!(shared, again_1.len());
}

// ------------------------------------------------------ cost

/// The estimate's total, in cents.
fn total_cents(out: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("total (estimate)"))
        .unwrap_or_else(|| panic!("no total in:\n{out}"));
    let amount = line.rsplit('$').next().unwrap().trim().replace(',', "");
    let (dollars, cents) = amount.split_once('.').unwrap();
    dollars.parse::<u64>().unwrap() * 100 + cents.parse::<u64>().unwrap()
}

#[test]
fn the_preset_is_the_cheapest_useful_stack() {
    let cost = |sets: &[&str]| {
        let mut args = vec!["cost", "--preset", "workshop"];
        for s in sets {
            args.extend(["--set", *s]);
        }
        Test::new().args(&args).run().success().stdout()
    };
    let full = cost(&[]);
    // The line items, without the assumptions that follow them.
    let base = full.split("Assumptions:").next().unwrap().to_string();
    // No NAT, no interface endpoint, the smallest class, no Multi-AZ, one environment.
    for absent in ["NAT", "Interface endpoint", "Aurora", "\n  prod"] {
        assert!(!base.contains(absent), "{absent:?} in:\n{base}");
    }
    let db = base
        .lines()
        .find(|l| l.contains("Database instance hours (db.t4g.micro)"))
        .unwrap_or_else(|| panic!("no db.t4g.micro line in:\n{base}"));
    assert!(db.contains(" 1 × 730 h"), "not a single instance: {db}");
    // Each thing it leaves out would cost more, by the estimate's own figures.
    let total = total_cents(&base);
    for more in [
        &["network.nat=single"][..],
        &["network.endpoints=[s3, dynamodb, ssm]"],
        &["database.instance_class=db.t4g.small"],
        &["network.availability_zones=3", "network.nat=per-az"],
        &["environments[0].profile=production"],
        &["environments[1]={name: prod, profile: production}"],
    ] {
        let other = total_cents(&cost(more));
        assert!(
            other > total,
            "{more:?} costs {other} cents, the preset {total}"
        );
    }
    // The preset itself says what it leaves out and why.
    let listed = Test::new()
        .args(&["answers", "presets"])
        .run()
        .success()
        .stdout();
    for part in [
        "What it leaves out, and why",
        "NAT gateways (nat: none)",
        "Interface endpoints",
    ] {
        assert!(listed.contains(part), "{part:?} not in:\n{listed}");
    }
}

#[test]
fn the_workshop_fixture_is_what_the_preset_makes() {
    // tests/fixtures/answers/12-workshop-preset-us-east-1.yaml is the preset as
    // an answers file, so the checker matrix covers the preset.
    let from_fixture = Test::new()
        .answers(&fixture("12-workshop-preset-us-east-1.yaml"))
        .args(&["new", "--out", "p"])
        .run()
        .success();
    let from_preset = workshop("fixture", "p");
    let (a, b) = (
        tree(&from_fixture.dir.join("p")),
        tree(&from_preset.dir.join("p")),
    );
    for (path, bytes) in &a {
        assert!(
            b.get(path) == Some(bytes),
            "{path} differs between the fixture and the preset"
        );
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn update_with_the_preset_keeps_the_projects_name() {
    let run = Test::new()
        .args(&[
            "new",
            "--defaults",
            "--set",
            "project.name=team-one",
            "--out",
            "proj",
        ])
        .run()
        .success();
    let out = assert_cmd::Command::cargo_bin("stackwright")
        .unwrap()
        .current_dir(run.dir.join("proj"))
        .env("STACKWRIGHT_CONFIG_DIR", run.dir.join("config"))
        .env("USER", "alice")
        .args(["update", "--preset", "workshop"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = run.read("proj/.stackwright/answers.yaml");
    assert!(stored.contains("  name: team-one\n"), "{stored}");
    assert!(
        stored.contains("  nat: none\n"),
        "the preset did not apply: {stored}"
    );
    assert!(!stored.contains("ws-alice"), "{stored}");
}

/// `security.account_trail`: the preset relies on the account's existing trail,
/// so no participant's project creates one (CloudTrail allows 5 per region and
/// account); `create` (the default) brings the trail back.
#[test]
fn the_preset_uses_the_accounts_existing_trail_and_create_brings_it_back() {
    let trail_params = |run: &crate::Run| {
        let params: serde_json::Value =
            serde_json::from_str(&run.read("p/params/dev.json")).expect("params JSON");
        params["security"]["Parameters"]["TrailOwner"]
            .as_str()
            .expect("TrailOwner")
            .to_string()
    };
    let existing = workshop("alice", "p");
    assert!(existing
        .read("p/.stackwright/answers.yaml")
        .contains("security:\n  account_trail: existing\n"));
    assert_eq!(trail_params(&existing), "", "no environment owns a trail");
    let controls: serde_json::Value =
        serde_json::from_str(&existing.read("p/.stackwright/controls.json")).expect("JSON");
    for id in ["SEC-02", "DEP-07"] {
        let absent = controls["not_applicable"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not listed as not applicable"));
        assert!(
            absent["reasons"][0]
                .as_str()
                .unwrap()
                .contains("because security.account_trail is existing"),
            "{absent}"
        );
    }
    let docs = existing.read("p/docs/controls.md");
    let section = docs
        .split("## Not applicable: the account's existing trail")
        .nth(1)
        .expect("docs/controls.md has no not-applicable section");
    assert!(
        section.contains("- **SEC-02** ") && section.contains("- **DEP-07** "),
        "{section}"
    );
    let readme = existing.read("p/README.md");
    assert!(readme.contains("**The account's trail.**"), "no trail note");
    // The Cost section's assumptions: no trail of its own.
    assert!(readme.contains("no trail and no CIS alarms: security.account_trail is existing"));
    assert!(!readme.contains("each account's trail is its first copy"));
    assert!(existing
        .read("p/scripts/preflight.py")
        .contains("check_account_trail(session.client(\"cloudtrail\"))"));

    let create = Test::new()
        .env("USER", "alice")
        .args(&["new", "--preset", "workshop", "--out", "p"])
        .args(&["--set", "security.account_trail=create"])
        .run()
        .success();
    assert_eq!(trail_params(&create), "dev");
    assert!(!create
        .read("p/docs/controls.md")
        .contains("## Not applicable"));
    let controls = create.read("p/.stackwright/controls.json");
    assert!(!controls.contains("security.account_trail is existing"));
    assert!(!create
        .read("p/scripts/preflight.py")
        .contains("check_account_trail"));
    let readme = create.read("p/README.md");
    assert!(readme.contains("each account's trail is its first copy"));
    assert!(!readme.contains("**The account's trail.**"));
}

#[test]
fn a_wrong_account_trail_value_is_named_with_its_place_and_a_suggestion() {
    Test::new()
        .file(
            "a.yaml",
            "region: us-east-1\nsecurity:\n  account_trail: exsting\n",
        )
        .args(&["answers", "check", "a.yaml"])
        .run()
        .fails(2)
        .stderr_has(&[
            "a.yaml:3:18: security.account_trail",
            "expected one of create, existing",
            "did you mean `existing`?",
        ]);
}

#[test]
fn the_schema_describes_the_account_trail_key() {
    let run = Test::new().args(&["answers", "schema"]).run().success();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let text = schema.to_string();
    assert!(schema["properties"]["security"].is_object(), "{text}");
    assert!(
        text.contains("\"create\"") && text.contains("\"existing\""),
        "{text}"
    );
}
