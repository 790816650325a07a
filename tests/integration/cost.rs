//! The generated README's "Cost" section against the estimate `src/cost.rs`
//! computes for the same answers: every figure the README prints is looked
//! up from the estimate, never written down here.

use stackwright::answers;
use stackwright::blueprint::source;
use stackwright::cost;

fn readme(answers_text: &str, flavour: &str) -> String {
    let text = format!("flavor: {flavour}\n{answers_text}");
    let loaded =
        answers::load_str("answers.yaml", &text, stackwright::flavours::answer_rules).unwrap();
    let blueprints = source::resolve(flavour, &[]).unwrap();
    let plan = stackwright::flavours::render(&loaded, &blueprints).unwrap();
    let f = plan
        .files
        .iter()
        .find(|f| f.path == "README.md")
        .expect("a README");
    String::from_utf8(f.content.clone()).unwrap()
}

fn section(readme: &str) -> &str {
    let start = readme.find("\n## Cost\n").expect("a Cost section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

const CASES: &[&str] = &[
    "project: {name: demo}\n",
    "project: {name: shop}\nenvironments: [{name: dev}, {name: qa}, {name: prod, profile: production}]\ndatabase: {engine: aurora-mysql}\nnetwork: {availability_zones: 3}\n",
    "project: {name: lean}\nnetwork: {nat: none, endpoints: [s3, dynamodb]}\ndatabase: {engine: none}\npipeline: {stages: []}\n",
    "project: {name: big}\ndatabase: {engine: postgres, instance_class: db.r7g.xlarge}\n",
];

#[test]
fn every_flavours_readme_shows_the_estimate_src_cost_computes() {
    for flavour in ["cloudformation", "cdk", "terraform"] {
        for text in CASES {
            let loaded =
                answers::load_str("answers.yaml", text, stackwright::flavours::answer_rules)
                    .unwrap();
            let e = cost::estimate(&loaded.answers).unwrap();
            let r = readme(text, flavour);
            let s = section(&r);
            let ctx = format!("{flavour}, {text}:\n{s}");
            assert!(s.contains("**estimate**, not a quote"), "{ctx}");
            assert!(
                s.contains(&format!("prices checked {}", e.checked)),
                "{ctx}"
            );
            assert!(s.contains(&format!("**${:.2}**", e.total)), "{ctx}");
            for g in &e.groups {
                assert!(
                    s.contains(&format!("| `{}` | ${:.2} |", g.name, g.total)),
                    "{} total: {ctx}",
                    g.name
                );
                // The largest items, largest first, each with its amount.
                let mut priced: Vec<_> = g.lines.iter().filter(|l| l.monthly.is_some()).collect();
                priced.sort_by(|a, b| b.monthly.unwrap().total_cmp(&a.monthly.unwrap()));
                let top = priced[0];
                assert!(
                    s.contains(&format!(
                        "| `{}` | {} | {} | ${:.2} |",
                        g.name,
                        top.item,
                        top.quantity,
                        top.monthly.unwrap()
                    )),
                    "{} largest item {}: {ctx}",
                    g.name,
                    top.item
                );
                for u in &g.unpriced {
                    assert!(s.contains(u.as_str()), "unpriced {u}: {ctx}");
                }
            }
            for a in &e.assumptions {
                assert!(s.contains(a.as_str()), "assumption {a}: {ctx}");
            }
            for k in &e.unchecked {
                assert!(s.contains(&format!("`{k}`")), "unchecked {k}: {ctx}");
            }
        }
    }
}

#[test]
fn an_unpriced_class_is_named_in_the_readme_and_the_total_says_so() {
    let s = readme(CASES[3], "cloudformation");
    let s = section(&s);
    assert!(s.contains("without 2 unpriced items"), "{s}");
    assert!(s.contains("| unpriced |"), "{s}");
    assert!(s.contains("db.r7g.xlarge (postgres) has no price"), "{s}");
}

#[test]
fn a_region_without_prices_says_so_in_the_readme() {
    for flavour in ["cloudformation", "cdk", "terraform"] {
        let r = readme("project: {name: euro}\nregion: eu-west-1\n", flavour);
        let s = section(&r);
        assert!(
            s.contains("No estimate: no price table for eu-west-1"),
            "{s}"
        );
        assert!(!s.contains("$"), "{s}");
    }
}

#[test]
fn the_cost_section_is_the_same_bytes_for_the_same_answers() {
    for flavour in ["cloudformation", "cdk", "terraform"] {
        assert_eq!(readme(CASES[1], flavour), readme(CASES[1], flavour));
    }
}

fn plan_for(
    answers_text: &str,
    flavour: &str,
) -> (
    answers::Answers,
    Vec<stackwright::output::RenderedFile>,
    Vec<stackwright::blueprint::Blueprint>,
) {
    let text = format!("flavor: {flavour}\n{answers_text}");
    let loaded =
        answers::load_str("answers.yaml", &text, stackwright::flavours::answer_rules).unwrap();
    let blueprints = source::resolve(flavour, &[]).unwrap();
    let plan = stackwright::flavours::render(&loaded, &blueprints).unwrap();
    (loaded.answers, plan.files, blueprints)
}

/// Resources of a rendered template counted by its text: two-space keys
/// under `Resources:` followed by a `Type: AWS::` line.
fn resources_by_text(text: &str) -> usize {
    let body = &text[text.find("\nResources:\n").expect("a Resources section")..];
    let body = match body[1..].find("\nOutputs:") {
        Some(i) => &body[..i + 1],
        None => body,
    };
    let lines: Vec<&str> = body.lines().collect();
    lines
        .windows(2)
        .filter(|w| {
            w[0].starts_with("  ")
                && !w[0].starts_with("   ")
                && w[0].trim_end().ends_with(':')
                && w[1].trim_start().starts_with("Type: AWS::")
        })
        .count()
}

#[test]
fn dry_run_lists_each_environments_stacks_with_their_resource_counts() {
    let (a, files, bps) = plan_for(CASES[0], "cloudformation");
    let out =
        stackwright::inventory::text(&files, &a, &bps, stackwright::flavours::for_name(&a.flavor));
    let file = |p: &str| {
        String::from_utf8(files.iter().find(|f| f.path == p).unwrap().content.clone()).unwrap()
    };
    for env in ["dev", "prod"] {
        let params: serde_json::Value =
            serde_json::from_str(&file(&format!("params/{env}.json"))).unwrap();
        let stacks: Vec<&String> = params.as_object().unwrap().keys().collect();
        let mut total = 0;
        for s in &stacks {
            let n = resources_by_text(&file(&format!("templates/{s}.yaml")));
            assert!(n > 0, "{s}");
            total += n;
            let row = out
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{s} ")))
                .unwrap_or_else(|| panic!("no row for {s}:\n{out}"));
            assert!(
                row.contains(&format!(" {n} resources")),
                "{s} has {n}: {row}"
            );
        }
        assert!(
            out.contains(&format!(
                "  {env}: {} stacks, {total} resources",
                stacks.len()
            )),
            "{env}: {} stacks, {total}:\n{out}",
            stacks.len()
        );
    }
    assert!(out.contains("pipeline (once): 1 stack,"), "{out}");
}

#[test]
fn dry_run_counts_terraform_resource_blocks_per_module_and_lists_cdk_stages() {
    let (a, files, bps) = plan_for(CASES[0], "terraform");
    let out =
        stackwright::inventory::text(&files, &a, &bps, stackwright::flavours::for_name(&a.flavor));
    // Independent count: `resource "` at the start of a line in a module folder's own .tf files.
    let count = |dir: &str| -> usize {
        files
            .iter()
            .filter(|f| {
                f.path.starts_with(&format!("{dir}/"))
                    && f.path.ends_with(".tf")
                    && !f.path[dir.len() + 1..].contains('/')
            })
            .map(|f| {
                String::from_utf8_lossy(&f.content)
                    .lines()
                    .filter(|l| l.starts_with("resource \""))
                    .count()
            })
            .sum()
    };
    let network = count("modules/network");
    assert!(network > 0);
    assert!(
        out.lines()
            .any(|l| l.contains("module.network (modules/network)")
                && l.contains(&format!(" {network} resources"))),
        "network {network}:\n{out}"
    );
    // The security module instantiates modules/security/bucket once per call
    // (the access-log bucket, the trail bucket): each call counted in.
    let bucket_calls = files
        .iter()
        .filter(|f| f.path == "modules/security/main.tf")
        .map(|f| {
            String::from_utf8_lossy(&f.content)
                .lines()
                .filter(|l| l.trim() == "source = \"./bucket\"")
                .count()
        })
        .sum::<usize>();
    assert!(bucket_calls >= 1);
    let security = count("modules/security") + bucket_calls * count("modules/security/bucket");
    assert!(
        out.lines()
            .any(|l| l.contains("module.security (modules/security)")
                && l.contains(&format!(" {security} resources"))),
        "security {security}:\n{out}"
    );
    assert!(out.contains("  dev: root envs/dev/"), "{out}");

    let (a, files, bps) = plan_for(CASES[0], "cdk");
    let out =
        stackwright::inventory::text(&files, &a, &bps, stackwright::flavours::for_name(&a.flavor));
    assert!(
        out.contains("  dev: stage dev, 4 stacks: Security, Network, Database, Monitoring"),
        "{out}"
    );
    assert!(out.contains("does not count them"), "{out}");
}

#[test]
fn the_dry_run_prints_the_inventory_and_blueprints_context_shows_the_cost_value() {
    let dry = super::Test::new()
        .args(&["new", "--defaults", "--dry-run"])
        .run()
        .success();
    let out = dry.stdout();
    let stacks = out.find("Stacks per environment").expect("the inventory");
    let cost = out.find("Estimated monthly cost").expect("the estimate");
    assert!(stacks < cost, "{out}");
    assert!(out.contains("  dev: 4 stacks, "), "{out}");

    let run = super::Test::new()
        .args(&["blueprints", "context"])
        .run()
        .success();
    let value: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let loaded = answers::load(
        &answers::Layers::default(),
        stackwright::flavours::answer_rules,
    )
    .unwrap();
    let e = cost::estimate(&loaded.answers).unwrap();
    assert_eq!(value["cost"]["total"], format!("${:.2}", e.total));
    assert_eq!(value["cost"]["available"], true);
}
