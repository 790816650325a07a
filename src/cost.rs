//! The monthly cost estimate: what a project will cost per environment and in
//! total, by line item, from the dated price table in `assets/prices.yaml`.
//! Every figure is an estimate of on-demand list prices; the usage the answers
//! do not say (data through NAT, log volume, ...) is a stated assumption.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::answers::model::Answers;
use crate::blueprint::context::Context;

#[derive(Debug, Deserialize)]
pub struct PriceFile {
    pub hours_per_month: f64,
    pub assumptions: Assumptions,
    pub regions: BTreeMap<String, RegionPrices>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Assumptions {
    pub nat_gb_per_gateway: f64,
    pub endpoint_gb_per_endpoint: f64,
    pub log_gb_per_environment: f64,
    pub pipeline_action_minutes: f64,
    pub aurora_io_millions: f64,
    pub rds_storage_gb: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegionPrices {
    pub checked: String,
    /// Price keys that were not re-read from their source on `checked`
    /// (entered from earlier list prices); every estimate names them.
    #[serde(default)]
    pub unchecked: Vec<String>,
    pub currency: String,
    pub sources: Vec<String>,
    pub nat_gateway_hour: f64,
    pub nat_gateway_gb: f64,
    pub interface_endpoint_hour: f64,
    pub interface_endpoint_gb: f64,
    pub rds_instance_hour: BTreeMap<String, BTreeMap<String, f64>>,
    pub rds_gp3_gb_month: f64,
    pub aurora_instance_hour: BTreeMap<String, BTreeMap<String, f64>>,
    pub aurora_storage_gb_month: f64,
    pub aurora_io_million: f64,
    pub kms_key_month: f64,
    pub alarm_month: f64,
    pub dashboard_month: f64,
    pub logs_ingest_gb: f64,
    pub pipeline_action_minute: f64,
}

pub fn prices() -> &'static PriceFile {
    static PRICES: std::sync::OnceLock<PriceFile> = std::sync::OnceLock::new();
    PRICES.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/prices.json")))
            .expect("assets/prices.yaml matches PriceFile")
    })
}

/// One line of the bill. `monthly` is None when the table has no price for it.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub item: String,
    pub quantity: String,
    pub monthly: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// An environment name, or `pipeline` for the shared delivery resources.
    pub name: String,
    pub lines: Vec<Line>,
    pub total: f64,
    /// Items left out of `total` because the table has no price for them.
    pub unpriced: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub region: String,
    pub currency: String,
    pub checked: String,
    pub unchecked: Vec<String>,
    pub sources: Vec<String>,
    pub groups: Vec<Group>,
    pub total: f64,
    pub assumptions: Vec<String>,
}

/// The estimate for resolved answers, or why there is none.
pub fn estimate(a: &Answers) -> Result<Estimate, String> {
    estimate_with(&Context::new(a), prices())
}

pub fn estimate_with(ctx: &Context, table: &PriceFile) -> Result<Estimate, String> {
    let region = &ctx.region.code;
    let p = table
        .regions
        .get(region)
        .ok_or_else(|| format!("no price table for {region}"))?;
    let h = table.hours_per_month;
    let u = &table.assumptions;
    let interface = ctx.network.interface_endpoints.len();
    let azs = ctx.network.az_indexes.len();
    let db = &ctx.database;

    let mut groups = Vec::new();
    for e in &ctx.environments {
        let mut lines = Vec::new();
        let mut unpriced = Vec::new();
        if e.nat_gateways > 0 {
            let n = e.nat_gateways as f64;
            lines.push(Line {
                item: format!("NAT gateway hours ({})", e.nat_mode),
                quantity: format!("{} × {h} h × {}", e.nat_gateways, money(p.nat_gateway_hour)),
                monthly: Some(n * h * p.nat_gateway_hour),
            });
            lines.push(Line {
                item: "NAT data processed (assumed)".into(),
                quantity: format!(
                    "{} × {} GB × {}",
                    e.nat_gateways,
                    u.nat_gb_per_gateway,
                    money(p.nat_gateway_gb)
                ),
                monthly: Some(n * u.nat_gb_per_gateway * p.nat_gateway_gb),
            });
        }
        if interface > 0 {
            let n = (interface * azs) as f64;
            lines.push(Line {
                item: "Interface endpoint hours".into(),
                quantity: format!(
                    "{interface} endpoints × {azs} AZs × {h} h × {}",
                    money(p.interface_endpoint_hour)
                ),
                monthly: Some(n * h * p.interface_endpoint_hour),
            });
            lines.push(Line {
                item: "Interface endpoint data (assumed)".into(),
                quantity: format!(
                    "{interface} × {} GB × {}",
                    u.endpoint_gb_per_endpoint,
                    money(p.interface_endpoint_gb)
                ),
                monthly: Some(
                    interface as f64 * u.endpoint_gb_per_endpoint * p.interface_endpoint_gb,
                ),
            });
        }
        if db.enabled {
            // Multi-AZ: a standby (RDS) or a reader (Aurora) in a second AZ.
            let instances = if e.multi_az { 2 } else { 1 };
            let class = &e.db_instance_class;
            let hourly = if db.aurora {
                &p.aurora_instance_hour
            } else {
                &p.rds_instance_hour
            }
            .get(&db.engine)
            .and_then(|c| c.get(class));
            let label = format!(
                "Database instance hours ({}{class})",
                if db.aurora { "Aurora " } else { "" }
            );
            let quantity = format!(
                "{instances} × {h} h × {}",
                hourly.map_or("?".into(), |r| money(*r))
            );
            match hourly {
                Some(r) => lines.push(Line {
                    item: label,
                    quantity,
                    monthly: Some(f64::from(instances) * h * r),
                }),
                None => {
                    unpriced.push(format!(
                        "{class} ({}) has no price in the {region} table",
                        db.engine
                    ));
                    lines.push(Line {
                        item: label,
                        quantity,
                        monthly: None,
                    });
                }
            }
            if db.aurora {
                lines.push(Line {
                    item: "Aurora storage (assumed size)".into(),
                    quantity: format!(
                        "{} GB × {}",
                        u.rds_storage_gb,
                        money(p.aurora_storage_gb_month)
                    ),
                    monthly: Some(u.rds_storage_gb * p.aurora_storage_gb_month),
                });
                lines.push(Line {
                    item: "Aurora I/O (assumed)".into(),
                    quantity: format!(
                        "{} M requests × {}",
                        u.aurora_io_millions,
                        money(p.aurora_io_million)
                    ),
                    monthly: Some(u.aurora_io_millions * p.aurora_io_million),
                });
            } else {
                lines.push(Line {
                    item: "Database storage (gp3)".into(),
                    quantity: format!(
                        "{instances} × {} GB × {}",
                        u.rds_storage_gb,
                        money(p.rds_gp3_gb_month)
                    ),
                    monthly: Some(f64::from(instances) * u.rds_storage_gb * p.rds_gp3_gb_month),
                });
            }
        }
        // One customer managed key per environment (the security stack's).
        lines.push(Line {
            item: "KMS keys".into(),
            quantity: format!("1 × {}", money(p.kms_key_month)),
            monthly: Some(p.kms_key_month),
        });
        let alarms = alarm_count(ctx, e);
        lines.push(Line {
            item: "CloudWatch alarms".into(),
            quantity: format!("{alarms} × {}", money(p.alarm_month)),
            monthly: Some(alarms as f64 * p.alarm_month),
        });
        lines.push(Line {
            item: "CloudWatch dashboard".into(),
            quantity: format!("1 × {}", money(p.dashboard_month)),
            monthly: Some(p.dashboard_month),
        });
        lines.push(Line {
            item: "Log ingestion (assumed)".into(),
            quantity: format!(
                "{} GB × {}",
                u.log_gb_per_environment,
                money(p.logs_ingest_gb)
            ),
            monthly: Some(u.log_gb_per_environment * p.logs_ingest_gb),
        });
        if e.owns_account_trail {
            lines.push(Line {
                item: "CloudTrail trail (first copy, free)".into(),
                quantity: "1 × $0.00".into(),
                monthly: Some(0.0),
            });
        }
        groups.push(group(e.name.clone(), lines, unpriced));
    }
    groups.push(group(
        "pipeline".into(),
        vec![
            Line {
                item: "CodePipeline V2 action minutes (assumed)".into(),
                quantity: format!(
                    "{} min × {}",
                    u.pipeline_action_minutes,
                    money(p.pipeline_action_minute)
                ),
                monthly: Some(u.pipeline_action_minutes * p.pipeline_action_minute),
            },
            Line {
                item: "KMS key (artifact bucket)".into(),
                quantity: format!("1 × {}", money(p.kms_key_month)),
                monthly: Some(p.kms_key_month),
            },
        ],
        Vec::new(),
    ));
    let total = groups.iter().map(|g| g.total).sum();
    let assumptions = vec![
        format!("{h} hours a month, on-demand list prices in {}, checked {}; no free tier, credits, taxes or support plan", p.currency, p.checked),
        format!("{} GB a month processed per NAT gateway; data transfer out of AWS not included", u.nat_gb_per_gateway),
        format!("{} GB a month per interface endpoint; gateway endpoints (S3, DynamoDB) are free", u.endpoint_gb_per_endpoint),
        format!("{} GB of database storage (the stack's AllocatedStorage); backups within the retention are free up to that size", u.rds_storage_gb),
        format!("Aurora: {} million I/O requests a month per cluster (Aurora Standard)", u.aurora_io_millions),
        format!("{} GB of logs ingested per environment a month; log storage not included", u.log_gb_per_environment),
        if ctx.security.existing_trail {
            "no trail and no CIS alarms: security.account_trail is existing, so the account's own multi-region trail records the events and is billed to whoever owns it".into()
        } else {
            "each account's trail is its first copy of management events (free); an organization trail already in the account would make it a paid second copy ($2.00 per 100,000 events)".into()
        },
        format!("{} CodePipeline V2 action minutes a month; CodeBuild minutes not included", u.pipeline_action_minutes),
        "no load balancer: the app stack has none".into(),
    ];
    Ok(Estimate {
        region: region.clone(),
        currency: p.currency.clone(),
        checked: p.checked.clone(),
        unchecked: p.unchecked.clone(),
        sources: p.sources.clone(),
        groups,
        total,
        assumptions,
    })
}

fn group(name: String, lines: Vec<Line>, unpriced: Vec<String>) -> Group {
    let total = lines.iter().filter_map(|l| l.monthly).sum();
    Group {
        name,
        lines,
        total,
        unpriced,
    }
}

/// Alarms in one environment's stacks: per NAT gateway two (monitoring), the
/// monitoring stack's own, the CIS alarms where the environment owns its
/// account's trail, three for the database and three for an app.
fn alarm_count(ctx: &Context, e: &crate::blueprint::context::EnvCtx) -> usize {
    const CIS_ALARMS: usize = 14;
    2 * e.nat_gateways
        + if e.owns_account_trail { CIS_ALARMS } else { 0 }
        + if ctx.database.enabled { 3 } else { 0 }
        + match ctx.app.kind.as_str() {
            "ec2" => 2,
            "ecs" | "lambda" => 3,
            _ => 0,
        }
}

/// A unit price: two decimals, three when the third is not zero ($0.115, $0.045).
fn money(v: f64) -> String {
    let three = format!("{v:.3}");
    match three.strip_suffix('0') {
        Some(two) => format!("${two}"),
        None => format!("${three}"),
    }
}

/// "total" or, when something could not be priced, what the total leaves out.
fn total_label(e: &Estimate) -> String {
    let unpriced: usize = e.groups.iter().map(|g| g.unpriced.len()).sum();
    match unpriced {
        0 => "total (estimate)".into(),
        n => format!(
            "total (estimate, without {n} unpriced item{})",
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// The estimate as the generated README shows it: every figure already
/// formatted here, so templates print and never compute. `available` is
/// false (with `reason`) when the region has no price table.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeCost {
    pub available: bool,
    pub reason: String,
    pub region: String,
    pub currency: String,
    pub checked: String,
    pub total: String,
    pub total_label: String,
    pub groups: Vec<ReadmeGroup>,
    pub assumptions: Vec<String>,
    pub unchecked: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeGroup {
    pub name: String,
    pub total: String,
    /// The group's three largest line items, largest first (ties in bill order).
    pub key_lines: Vec<ReadmeLine>,
    pub unpriced: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeLine {
    pub item: String,
    pub quantity: String,
    pub monthly: String,
}

/// Line items a README names per environment; `stackwright cost` has them all.
pub const README_KEY_LINES: usize = 3;

/// The README's cost section for this context, from the built-in price table.
pub fn readme(ctx: &Context) -> ReadmeCost {
    readme_from(estimate_with(ctx, prices()), &ctx.region.code)
}

fn readme_from(est: Result<Estimate, String>, region: &str) -> ReadmeCost {
    let e = match est {
        Ok(e) => e,
        Err(reason) => {
            return ReadmeCost {
                available: false,
                reason,
                region: region.to_string(),
                currency: String::new(),
                checked: String::new(),
                total: String::new(),
                total_label: String::new(),
                groups: Vec::new(),
                assumptions: Vec::new(),
                unchecked: Vec::new(),
                sources: Vec::new(),
            }
        }
    };
    let line = |l: &Line| ReadmeLine {
        item: l.item.clone(),
        quantity: l.quantity.clone(),
        monthly: l.monthly.map_or("unpriced".into(), |m| format!("${m:.2}")),
    };
    let groups = e
        .groups
        .iter()
        .map(|g| {
            let mut order: Vec<&Line> = g.lines.iter().collect();
            // Unpriced first (the gap matters most), then by amount; stable.
            order.sort_by(|a, b| {
                let key = |l: &Line| l.monthly.unwrap_or(f64::INFINITY);
                key(b).total_cmp(&key(a))
            });
            ReadmeGroup {
                name: g.name.clone(),
                total: format!("${:.2}", g.total),
                key_lines: order.into_iter().take(README_KEY_LINES).map(line).collect(),
                unpriced: g.unpriced.clone(),
            }
        })
        .collect();
    ReadmeCost {
        available: true,
        reason: String::new(),
        region: e.region.clone(),
        currency: e.currency.clone(),
        checked: e.checked.clone(),
        total: format!("${:.2}", e.total),
        total_label: total_label(&e),
        groups,
        assumptions: e.assumptions.clone(),
        unchecked: e.unchecked.clone(),
        sources: e.sources.clone(),
    }
}

/// One line: the total, then each environment's (and the pipeline's), e.g.
/// `$503.96 a month (estimate): dev $114.68 · prod $387.28 · pipeline $2.00`.
pub fn summary(e: &Estimate) -> String {
    let parts: Vec<String> = e
        .groups
        .iter()
        .map(|g| format!("{} ${:.2}", g.name, g.total))
        .collect();
    let unpriced: usize = e.groups.iter().map(|g| g.unpriced.len()).sum();
    format!(
        "${:.2} a month ({}): {}",
        e.total,
        if unpriced == 0 {
            "estimate".to_string()
        } else {
            format!("estimate, without {unpriced} unpriced")
        },
        parts.join(" · ")
    )
}

/// The estimate laid out for a pane `width` columns wide: each item with its
/// amount on one line (the item cut short when the pane is narrow), its
/// quantity under it, then the assumptions and sources wrapped.
pub fn lines(e: &Estimate, width: usize) -> Vec<String> {
    let width = width.max(30);
    let row = |indent: usize, label: &str, amount: &str| {
        let room = width.saturating_sub(indent + amount.chars().count() + 1);
        let label: String = if label.chars().count() > room {
            let cut: String = label.chars().take(room.saturating_sub(1)).collect();
            format!("{cut}…")
        } else {
            label.to_string()
        };
        let pad = width.saturating_sub(indent + label.chars().count() + amount.chars().count());
        format!("{}{label}{}{amount}", " ".repeat(indent), " ".repeat(pad))
    };
    let wrapped = |first: &str, rest: &str, text: &str, out: &mut Vec<String>| {
        let mut line = first.to_string();
        let mut empty = true;
        let room = width.saturating_sub(rest.chars().count()).max(8);
        let pieces = text.split_whitespace().flat_map(|w| {
            // A word longer than a line (a URL) is cut into line-sized pieces.
            let chars: Vec<char> = w.chars().collect();
            chars
                .chunks(room)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
        });
        for word in pieces {
            if !empty && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::replace(&mut line, rest.to_string()));
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(&word);
            empty = false;
        }
        out.push(line);
    };
    let mut out = vec![
        format!("Monthly estimate, {} {}", e.region, e.currency),
        format!("prices checked {}; not a quote", e.checked),
        String::new(),
    ];
    for g in &e.groups {
        out.push(row(0, &g.name, &format!("${:.2}", g.total)));
        for l in &g.lines {
            let m = l.monthly.map_or("unpriced".into(), |m| format!("${m:.2}"));
            out.push(row(2, &l.item, &m));
            wrapped("    ", "      ", &l.quantity, &mut out);
        }
        for u in &g.unpriced {
            wrapped("  not in the total: ", "    ", u, &mut out);
        }
        out.push(String::new());
    }
    out.push(row(0, &total_label(e), &format!("${:.2}", e.total)));
    out.push(String::new());
    out.push("Assumptions".into());
    for a in &e.assumptions {
        wrapped("- ", "  ", a, &mut out);
    }
    if !e.unchecked.is_empty() {
        out.push(String::new());
        wrapped(
            "",
            "",
            &format!(
                "Not re-read on {} from the AWS pricing pages: {}",
                e.checked,
                e.unchecked.join(", ")
            ),
            &mut out,
        );
    }
    out.push(String::new());
    out.push("Sources".into());
    for u in &e.sources {
        wrapped("- ", "  ", u, &mut out);
    }
    out
}

/// Plain-text table for the terminal.
pub fn text(e: &Estimate) -> String {
    let mut s = format!(
        "Estimated monthly cost ({}, {}, prices checked {}) — an estimate, not a quote\n",
        e.region, e.currency, e.checked
    );
    for g in &e.groups {
        let _ = writeln!(s, "\n  {:<88}{:>10}", g.name, format!("${:.2}", g.total));
        for l in &g.lines {
            let m = l.monthly.map_or("unpriced".into(), |m| format!("${m:.2}"));
            let _ = writeln!(s, "    {:<46} {:<39} {:>10}", l.item, l.quantity, m);
        }
        for u in &g.unpriced {
            let _ = writeln!(s, "    not in the total: {u}");
        }
    }
    let _ = writeln!(
        s,
        "\n  {:<88}{:>10}",
        total_label(e),
        format!("${:.2}", e.total)
    );
    s.push_str("\nAssumptions:\n");
    for a in &e.assumptions {
        let _ = writeln!(s, "  - {a}");
    }
    if !e.unchecked.is_empty() {
        let _ = writeln!(
            s,
            "Prices not re-read on {} from the AWS pricing pages (earlier list prices or published listings, see the price table; check them before relying on them): {}",
            e.checked,
            e.unchecked.join(", ")
        );
    }
    s.push_str("Sources:\n");
    for u in &e.sources {
        let _ = writeln!(s, "  - {u}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::load_str;

    fn est(yaml: &str) -> Estimate {
        estimate(
            &load_str("answers.yaml", yaml, crate::flavours::answer_rules)
                .expect("valid")
                .answers,
        )
        .expect("priced region")
    }

    fn line(e: &Estimate, env: &str, item: &str) -> Line {
        let g = e
            .groups
            .iter()
            .find(|g| g.name == env)
            .expect("environment");
        g.lines
            .iter()
            .find(|l| l.item.starts_with(item))
            .unwrap_or_else(|| panic!("{env}: no line {item}"))
            .clone()
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("priced");
        assert!((a - b).abs() < 0.005, "{a} != {b}");
    }

    // Hand-computed from assets/prices.yaml (us-east-1, checked 2026-11-30).
    #[test]
    fn nat_hours_follow_the_profile_single_in_dev_per_az_in_prod() {
        let e = est("project: {name: demo}\n");
        close(line(&e, "dev", "NAT gateway hours").monthly, 0.045 * 730.0); // 32.85
        close(
            line(&e, "prod", "NAT gateway hours").monthly,
            2.0 * 0.045 * 730.0,
        ); // 65.70
        close(line(&e, "dev", "NAT data").monthly, 50.0 * 0.045); // 2.25
    }

    #[test]
    fn an_existing_account_trail_drops_the_trail_line_and_its_cis_alarms() {
        let yaml = "environments: [{name: dev}]\nnetwork: {nat: none}\ndatabase: {engine: none}\n";
        let create = est(yaml);
        let existing = est(&format!("{yaml}security: {{account_trail: existing}}\n"));
        assert!(line(&create, "dev", "CloudTrail trail").monthly == Some(0.0));
        let dev = existing.groups.iter().find(|g| g.name == "dev").unwrap();
        assert!(
            dev.lines.iter().all(|l| !l.item.contains("CloudTrail")),
            "{:?}",
            dev.lines
        );
        // No NAT, no database, no app: the 14 CIS alarms are the difference.
        let alarms = |e: &Estimate| line(e, "dev", "CloudWatch alarms").monthly.unwrap();
        let price = alarms(&existing);
        close(Some(alarms(&create)), price + 14.0 * 0.10);
        assert!(text(&existing).contains("security.account_trail is existing"));
        assert!(!text(&create).contains("security.account_trail"));
    }

    #[test]
    fn interface_endpoints_are_billed_per_az() {
        // Defaults: ssm, secretsmanager, kms, logs are interface endpoints; s3 and dynamodb gateways.
        let e = est("network: {availability_zones: 3}\n");
        close(
            line(&e, "dev", "Interface endpoint hours").monthly,
            4.0 * 3.0 * 730.0 * 0.01,
        ); // 87.60
        let e = est("network: {nat: none, endpoints: [s3, dynamodb]}\n");
        let dev = e.groups.iter().find(|g| g.name == "dev").unwrap();
        assert!(dev
            .lines
            .iter()
            .all(|l| !l.item.starts_with("Interface") && !l.item.starts_with("NAT")));
    }

    #[test]
    fn multi_az_doubles_database_hours_and_storage() {
        let e = est("database: {engine: postgres, instance_class: db.t4g.small}\n");
        close(
            line(&e, "dev", "Database instance hours").monthly,
            730.0 * 0.032,
        ); // 23.36
        close(
            line(&e, "prod", "Database instance hours").monthly,
            2.0 * 730.0 * 0.032,
        ); // 46.72
        close(
            line(&e, "prod", "Database storage").monthly,
            2.0 * 20.0 * 0.115,
        ); // 4.60
    }

    #[test]
    fn aurora_has_instance_storage_and_io_lines() {
        let e = est("database: {engine: aurora-postgresql}\nenvironments: [{name: dev}]\n");
        close(
            line(&e, "dev", "Database instance hours").monthly,
            730.0 * 0.073,
        ); // 53.29
        close(line(&e, "dev", "Aurora storage").monthly, 20.0 * 0.10);
        close(line(&e, "dev", "Aurora I/O").monthly, 10.0 * 0.20);
    }

    #[test]
    fn an_unpriced_class_is_named_and_left_out_of_the_total() {
        // db.r7g.xlarge is a valid PostgreSQL class with no price in the table.
        let e = est("database: {engine: postgres, instance_class: db.r7g.xlarge}\n");
        let prod = e.groups.iter().find(|g| g.name == "prod").unwrap();
        assert_eq!(line(&e, "prod", "Database instance hours").monthly, None);
        assert!(
            prod.unpriced[0].contains("db.r7g.xlarge"),
            "{:?}",
            prod.unpriced
        );
        let sum: f64 = e.groups.iter().map(|g| g.total).sum();
        assert!((e.total - sum).abs() < 1e-9);
        assert!(
            text(&e).contains("without 2 unpriced items"),
            "{}",
            text(&e)
        );
    }

    #[test]
    fn the_default_project_prices_its_production_database() {
        // Production default: db.m7g.large PostgreSQL, Multi-AZ.
        let e = est("project: {name: demo}\n");
        close(
            line(&e, "prod", "Database instance hours").monthly,
            2.0 * 730.0 * 0.168,
        ); // 245.28
        assert!(e.groups.iter().all(|g| g.unpriced.is_empty()));
        assert!(!text(&e).contains("unpriced"));
    }

    /// Every class the engines' defaults pick in us-east-1, every class the
    /// presets and the answers fixtures name, has a us-east-1 price.
    #[test]
    fn every_default_preset_and_fixture_class_is_priced_in_us_east_1() {
        let mut checked = 0;
        for engine in ["postgres", "mysql", "aurora-postgresql", "aurora-mysql"] {
            let e = est(&format!(
                "region: us-east-1\ndatabase: {{engine: {engine}}}\nenvironments: [{{name: dev, profile: ephemeral}}, {{name: prod, profile: production}}]\n"
            ));
            for g in &e.groups {
                assert!(g.unpriced.is_empty(), "{engine}: {:?}", g.unpriced);
            }
            checked += 1;
        }
        for p in crate::answers::PRESETS {
            let a = crate::answers::load(
                &crate::answers::Layers {
                    preset: crate::answers::preset(p.name),
                    sets: vec!["region=us-east-1".into()],
                    ..Default::default()
                },
                crate::flavours::answer_rules,
            )
            .expect("preset loads")
            .answers;
            let e = estimate(&a).expect("priced region");
            assert!(
                e.groups.iter().all(|g| g.unpriced.is_empty()),
                "preset {}",
                p.name
            );
            checked += 1;
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/answers");
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).unwrap();
            let a = crate::answers::load(
                &crate::answers::Layers {
                    answers: Some(crate::answers::Source::new(
                        path.display().to_string(),
                        text,
                    )),
                    sets: vec!["region=us-east-1".into()],
                    ..Default::default()
                },
                crate::flavours::answer_rules,
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
            .answers;
            let e = estimate(&a).expect("priced region");
            for g in &e.groups {
                assert!(
                    g.unpriced.is_empty(),
                    "{}: {:?}",
                    path.display(),
                    g.unpriced
                );
            }
            checked += 1;
        }
        assert!(checked >= 4 + 1 + 11, "{checked}");
    }

    #[test]
    fn the_pane_layout_fits_its_width_and_keeps_every_figure() {
        let e = est("project: {name: demo}\n");
        for width in [40, 56, 78] {
            // 40: narrower than any pane the wizard draws it in.
            let out = lines(&e, width);
            for l in &out {
                assert!(l.chars().count() <= width, "{width}: {l:?}");
            }
            let all = out.join("\n");
            for g in &e.groups {
                assert!(all.contains(&format!("${:.2}", g.total)), "{}", g.name);
                for l in &g.lines {
                    assert!(all.contains(&format!("${:.2}", l.monthly.unwrap())));
                }
            }
            assert!(all.contains(&format!("${:.2}", e.total)));
            assert!(all.contains("not a quote"));
            let flat = out.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains("50 GB a month processed per NAT gateway"),
                "{flat}"
            );
        }
        let s = summary(&e);
        assert!(
            s.starts_with(&format!("${:.2} a month (estimate)", e.total)),
            "{s}"
        );
        for g in &e.groups {
            assert!(s.contains(&format!("{} ${:.2}", g.name, g.total)), "{s}");
        }
    }

    #[test]
    fn a_region_without_a_table_gets_no_guess() {
        let a = load_str(
            "a.yaml",
            "region: eu-west-1\n",
            crate::flavours::answer_rules,
        )
        .unwrap()
        .answers;
        assert_eq!(estimate(&a).unwrap_err(), "no price table for eu-west-1");
    }

    #[test]
    fn every_figure_is_called_an_estimate_with_its_assumptions() {
        let e = est("project: {name: demo}\n");
        let out = text(&e);
        assert!(out.contains("an estimate, not a quote"));
        assert!(out.contains("50 GB a month processed per NAT gateway"));
        assert!(out.contains("checked 2026-11-30"));
    }

    #[test]
    fn prices_not_re_read_on_the_checked_date_are_named() {
        let e = est("project: {name: demo}\n");
        assert!(!e.unchecked.is_empty());
        let out = text(&e);
        assert!(out.contains("not re-read on 2026-11-30"), "{out}");
        for key in &e.unchecked {
            assert!(out.contains(key.as_str()), "{key} missing from:\n{out}");
        }
    }
}
