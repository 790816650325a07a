//! Keystroke-to-frame latency of the wizard as it runs on a terminal: for
//! each key, `update` plus drawing the whole frame at 120×40, with the real
//! built-in blueprints and three environments. Checking the whole answers and
//! rendering the preview's files happen off the input thread (deferred mode);
//! that work and the frame that shows it are timed too, as the preview latency. A scripted session types, deletes, moves between
//! fields, flips choices on every step and toggles options, so most keys
//! change an answer.
//!
//! Run: `cargo bench --bench keystroke`. Prints p50/p90/p99/max of both and
//! says loudly when the keystroke p99 reaches the 16 ms frame budget (60 Hz);
//! the budget is measured here, not asserted. Under `cargo test` (no
//! `--bench` argument) one round runs as a smoke test of the session, untimed.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use stackwright::answers::{self, Layers, Source};
use stackwright::blueprint::source;
use stackwright::ui::fields::Step;
use stackwright::ui::tui::app::Preview;
use stackwright::ui::tui::message::Message;
use stackwright::ui::tui::{app, update::update, view, App, Setup};

const BUDGET: Duration = Duration::from_millis(16);
const ROUNDS: usize = 12;

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// One pass through the wizard, as keys; `project_fields` is how many fields
/// the project step asks (Enter accepts each one).
fn session(project_fields: usize) -> Vec<Message> {
    let mut keys = Vec::new();
    let typed = |keys: &mut Vec<Message>, text: &str| {
        for c in text.chars() {
            keys.push(key(KeyCode::Char(c)));
        }
        for _ in text.chars() {
            keys.push(key(KeyCode::Backspace));
        }
    };
    // Project: edit the name and owner, then move on.
    typed(&mut keys, "pay");
    keys.push(key(KeyCode::Tab));
    typed(&mut keys, "-team");
    keys.push(key(KeyCode::BackTab));
    for _ in 0..project_fields {
        keys.push(key(KeyCode::Enter));
    }
    // Region: search and pick.
    for c in "eu-w".chars() {
        keys.push(key(KeyCode::Char(c)));
    }
    keys.push(key(KeyCode::Down));
    keys.push(key(KeyCode::Up));
    keys.push(key(KeyCode::Enter));
    // Environments: flip profile and approval of each, type a CIDR.
    for _ in 0..3 {
        keys.push(key(KeyCode::Tab));
        keys.push(key(KeyCode::Right));
        keys.push(key(KeyCode::Left));
        keys.push(key(KeyCode::Tab));
        keys.push(key(KeyCode::Right));
        keys.push(key(KeyCode::Right));
        keys.push(key(KeyCode::Tab));
        keys.push(key(KeyCode::Tab));
        typed(&mut keys, "10.9.0.0/16");
        keys.push(key(KeyCode::Tab));
    }
    keys.push(key(KeyCode::Enter));
    // Network: AZs, NAT, endpoints.
    keys.push(key(KeyCode::Right));
    keys.push(key(KeyCode::Left));
    keys.push(key(KeyCode::Tab));
    for _ in 0..4 {
        keys.push(key(KeyCode::Right));
    }
    keys.push(key(KeyCode::Tab));
    for _ in 0..3 {
        keys.push(key(KeyCode::Char(' ')));
        keys.push(key(KeyCode::Char(' ')));
        keys.push(key(KeyCode::Right));
    }
    for _ in 0..3 {
        keys.push(key(KeyCode::Enter));
    }
    // Database: cycle the engines back to postgres.
    for _ in 0..5 {
        keys.push(key(KeyCode::Right));
    }
    for _ in 0..4 {
        keys.push(key(KeyCode::Enter));
    }
    // Pipeline: toggle a stage off and on; app: cycle the kinds.
    keys.push(key(KeyCode::Char(' ')));
    keys.push(key(KeyCode::Char(' ')));
    for _ in 0..4 {
        keys.push(key(KeyCode::Enter));
    }
    for _ in 0..4 {
        keys.push(key(KeyCode::Right));
    }
    keys.push(key(KeyCode::Enter));
    keys.push(key(KeyCode::Enter));
    // Review: walk the files and scroll.
    for _ in 0..10 {
        keys.push(key(KeyCode::Down));
    }
    keys.push(key(KeyCode::PageDown));
    keys
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that does not match skips the run.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"keystroke".contains(f.as_str())) {
        return;
    }
    // `cargo test --all-targets` runs this without `--bench`: one round, no figures.
    let measuring = args.iter().any(|a| a == "--bench");
    let rounds = if measuring { ROUNDS } else { 1 };
    let blueprints = source::resolve("cloudformation", &[]).expect("built-in blueprints");
    let text = "project: {name: bench, owner: perf, cost_center: CC-1}\nregion: us-east-1\n\
        environments:\n  - {name: dev}\n  - {name: staging}\n  - {name: prod, profile: production, approval: true}\n\
        database: {engine: postgres}\napp: {kind: ecs, port: 8443}\n";
    let start = answers::merge(&Layers {
        answers: Some(Source::new("bench.yaml", text)),
        ..Layers::default()
    })
    .expect("bench answers merge");
    let mut times = Vec::new();
    let mut previews = Vec::new();
    let mut frames = 0usize;
    for _ in 0..rounds {
        let setup = Setup {
            blueprints: blueprints.clone(),
            ..Setup::default()
        };
        let mut app = App::new(start.clone(), setup);
        app.deferred = true;
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        terminal.draw(|f| view::draw(f, &app)).expect("draw");
        for msg in session(Step::Project.slots(&start).len()) {
            let t = Instant::now();
            update(&mut app, msg);
            terminal.draw(|f| view::draw(f, &app)).expect("draw");
            let key = t.elapsed();
            times.push(key);
            frames += 1;
            // What the worker thread does, then the frame that shows it.
            if let Some((generation, answers)) = app.take_render_job() {
                let t = Instant::now();
                let checked = app::check(&answers);
                let loaded = match &checked {
                    Preview::Rendering(loaded) => Some((**loaded).clone()),
                    _ => None,
                };
                app.checked(generation, checked);
                if let Some(loaded) = loaded {
                    let preview = app::render(loaded, &app.setup.blueprints);
                    app.rendered(generation, preview);
                }
                terminal.draw(|f| view::draw(f, &app)).expect("draw");
                previews.push(key + t.elapsed());
            }
        }
        assert_eq!(
            app.step,
            Step::Review,
            "the scripted session reaches the review"
        );
    }
    if !measuring {
        println!("keystroke: {frames} keys, one round (smoke run; `cargo bench --bench keystroke` measures)");
        return;
    }
    times.sort();
    let p50 = percentile(&times, 0.50);
    let p90 = percentile(&times, 0.90);
    let p99 = percentile(&times, 0.99);
    let max = *times.last().expect("keys were pressed");
    println!(
        "keystroke-to-frame, 120x40, 3 environments, {frames} keys: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (budget {} ms)",
        p50.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        BUDGET.as_millis()
    );
    previews.sort();
    if !previews.is_empty() {
        println!(
            "preview (key, then rendering every file off the input thread, then its frame), {} renders: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            previews.len(),
            percentile(&previews, 0.50).as_secs_f64() * 1e3,
            percentile(&previews, 0.99).as_secs_f64() * 1e3,
            previews.last().expect("some").as_secs_f64() * 1e3,
        );
    }
    if p99 >= BUDGET {
        eprintln!(
            "keystroke: OVER BUDGET: p99 {:.2} ms reaches the {} ms frame budget",
            p99.as_secs_f64() * 1e3,
            BUDGET.as_millis()
        );
    }
}
