//! `view`: draws the state, changes nothing, renders nothing expensive.

use std::sync::OnceLock;

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{problem_line, App, Exit, Preview};
use super::keys::{self, Context, BINDINGS};
use crate::ui::fields::{self, Field, Kind, Slot, Step};

/// Below this the wizard says so instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// The preview pane beside the form needs this much width; it goes first.
pub const PREVIEW_WIDTH: u16 = 110;
const SIDEBAR: u16 = 18;
const LABEL: usize = 22;

fn color() -> bool {
    static COLOR: OnceLock<bool> = OnceLock::new();
    *COLOR.get_or_init(|| std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
}

fn fg(c: Color) -> Style {
    if color() {
        Style::new().fg(c)
    } else {
        Style::new()
    }
}

fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}×{}, the wizard needs {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it, or press ctrl-c to leave.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let (status, hints) = footer_lines(app, area.width as usize);
    let footer_height = (status.len() + hints.len()).min(area.height as usize / 3) as u16;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer_height.max(2)),
    ])
    .areas(area);
    draw_header(frame, app, header);
    if let Some(done) = &app.done {
        draw_done(frame, done, body);
    } else {
        let [side, main] =
            Layout::horizontal([Constraint::Length(SIDEBAR), Constraint::Fill(1)]).areas(body);
        draw_sidebar(frame, app, side);
        if app.step == Step::Review {
            draw_review(frame, app, main);
        } else if main.width + SIDEBAR >= PREVIEW_WIDTH {
            let [form, preview] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(main);
            draw_form(frame, app, form);
            draw_preview(frame, app, preview);
        } else {
            draw_form(frame, app, main);
        }
    }
    draw_footer(frame, status, hints, footer);
    if app.help {
        draw_help(frame, area);
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let n = Step::ALL.len();
    let i = app.step.index();
    let bar: String = (0..n).map(|k| if k <= i { '■' } else { '□' }).collect();
    let line = Line::from(vec![
        Span::styled(" stackwright new ", bold()),
        Span::raw(format!("· step {}/{n} {} ", i + 1, app.step.title())),
        Span::styled(bar, fg(Color::Cyan)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_sidebar(frame: &mut Frame, app: &App, area: Rect) {
    let i = app.step.index();
    let mut lines: Vec<Line> = Step::ALL
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let (mark, style) = match k.cmp(&i) {
                std::cmp::Ordering::Less => ("✓", fg(Color::Green)),
                std::cmp::Ordering::Equal => ("▸", bold()),
                std::cmp::Ordering::Greater => (" ", dim()),
            };
            Line::styled(format!("{mark} {}", s.title()), style)
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("writes to", dim()));
    lines.push(Line::raw(format!("{}/", app.target().display())));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Line::from(" Steps "))),
        area,
    );
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

fn draw_form(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::bordered().title(Line::from(format!(" {} ", app.step.title())));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut focus_line = 0;
    let mut focus_end = 0;
    let mut cursor: Option<(usize, usize)> = None;
    let a = &app.answers;

    for (idx, slot) in app.slots().into_iter().enumerate() {
        let focused = idx == app.focus;
        if slot.field == Field::EnvName {
            let e = &a.environments[slot.env];
            if slot.env > 0 {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(
                format!(
                    "Environment {} of {}: {} ({}{})",
                    slot.env + 1,
                    a.environments.len(),
                    e.name,
                    e.profile,
                    if e.approval { ", approval" } else { "" }
                ),
                bold(),
            ));
        }
        if focused {
            focus_line = lines.len();
        }
        let marker = if focused { "▸ " } else { "  " };
        let label = format!("{marker}{:<w$}", slot.field.label(), w = LABEL - 2);
        let label_style = if focused { bold() } else { Style::new() };
        match slot.field.kind() {
            Kind::Text => {
                let room = width.saturating_sub(LABEL).max(4);
                let (value, style) = match (&app.input, focused) {
                    (Some(i), true) => {
                        // Long values scroll sideways with the cursor in view.
                        let (shown, col) = crate::ui::prompt::window(&i.value, i.cursor, room);
                        cursor = Some((lines.len(), LABEL + col));
                        (shown, Style::new())
                    }
                    _ => {
                        let v = fields::text(a, slot);
                        if v.chars().count() > room {
                            let cut: String = v.chars().take(room - 1).collect();
                            (format!("{cut}…"), Style::new())
                        } else {
                            (v, Style::new())
                        }
                    }
                };
                let value = if value.is_empty() {
                    Span::styled(auto_value(app, slot), dim())
                } else {
                    Span::styled(value, style)
                };
                lines.push(Line::from(vec![Span::styled(label, label_style), value]));
                if focused {
                    if let Some(p) = app.input_problem() {
                        let mut msg = format!("✗ {}", p.message);
                        if let Some(h) = p.hint {
                            msg.push_str(&format!(" — {h}"));
                        }
                        for l in wrap(&msg, width.saturating_sub(2)) {
                            lines.push(Line::styled(format!("  {l}"), fg(Color::Red)));
                        }
                    }
                }
            }
            Kind::Choice => {
                let value = fields::text(a, slot);
                let note = fields::note(a, slot.field, &value);
                let mut spans = vec![Span::styled(label, label_style)];
                if focused {
                    spans.push(Span::styled(format!("‹ {value} ›"), selected()));
                } else {
                    spans.push(Span::raw(value));
                }
                lines.push(Line::from(spans));
                if focused && !note.is_empty() {
                    for l in wrap(&note, width.saturating_sub(LABEL)) {
                        lines.push(Line::styled(format!("{:LABEL$}{l}", ""), fg(Color::Yellow)));
                    }
                }
            }
            Kind::Multi => {
                let text = fields::text(a, slot);
                let shown = if text.is_empty() {
                    "none".to_string()
                } else {
                    text
                };
                if focused {
                    lines.push(Line::styled(label, label_style));
                    multi_lines(app, slot, width, &mut lines);
                } else {
                    for (k, l) in wrap(&shown, width.saturating_sub(LABEL))
                        .into_iter()
                        .enumerate()
                    {
                        let head = if k == 0 {
                            label.clone()
                        } else {
                            " ".repeat(LABEL)
                        };
                        lines.push(Line::from(vec![
                            Span::styled(head, label_style),
                            Span::raw(l),
                        ]));
                    }
                }
            }
            Kind::Search => {
                let value = fields::text(a, slot);
                let note = fields::note(a, Field::Region, &value);
                lines.push(Line::from(vec![
                    Span::styled(label, label_style),
                    Span::raw(format!("{value}  ")),
                    Span::styled(note, dim()),
                ]));
                let q = app
                    .input
                    .as_ref()
                    .map(|i| i.value.clone())
                    .unwrap_or_default();
                cursor = Some((lines.len(), 10 + q.chars().count()));
                lines.push(Line::from(vec![
                    Span::styled("  search: ", dim()),
                    Span::raw(q),
                ]));
                let regions = app.regions();
                let rows = (inner.height as usize)
                    .saturating_sub(lines.len() + 4)
                    .max(3);
                let first = app.region_row.saturating_sub(rows - 1);
                for (k, code) in regions.iter().enumerate().skip(first).take(rows) {
                    let row = format!("  {code:<16}{}", fields::note(a, Field::Region, code));
                    let style = if k == app.region_row {
                        selected()
                    } else {
                        Style::new()
                    };
                    lines.push(Line::styled(row, style));
                }
                if regions.is_empty() {
                    lines.push(Line::styled("  no region matches", fg(Color::Red)));
                }
            }
        }
        if focused {
            for l in wrap(&slot.field.help(), width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {l}"), dim()));
            }
            focus_end = lines.len();
        }
    }
    for d in app.step_problems(app.step) {
        lines.push(Line::raw(""));
        for l in wrap(&format!("✗ {}", problem_line(d)), width) {
            lines.push(Line::styled(l, fg(Color::Red)));
        }
    }

    let height = inner.height as usize;
    let offset = if focus_end > height {
        (focus_end - height).min(focus_line)
    } else {
        0
    };
    if let Some((row, col)) = cursor {
        if row >= offset && row - offset < height && col < width {
            frame.set_cursor_position(Position::new(
                inner.x + col as u16,
                inner.y + (row - offset) as u16,
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

/// What an empty text field stands for: for a VPC range, the one it gets.
fn auto_value(app: &App, slot: Slot) -> String {
    let assigned = match slot.field {
        Field::EnvCidr => app
            .resolved()
            .and_then(|r| r.environments.get(slot.env))
            .and_then(|e| e.vpc_cidr.clone()),
        _ => None,
    };
    match assigned {
        Some(cidr) => format!("auto: {cidr}"),
        None => fields::placeholder(slot.field).to_string(),
    }
}

fn multi_lines(app: &App, slot: Slot, width: usize, lines: &mut Vec<Line<'static>>) {
    let opts = fields::options(&app.answers, slot.field);
    let picked = fields::picked(&app.answers, slot.field);
    let mut spans: Vec<Span> = vec![Span::raw("  ")];
    let mut used = 2;
    for (k, (o, on)) in opts.iter().zip(&picked).enumerate() {
        let chip = format!("[{}] {o}", if *on { "x" } else { " " });
        let len = chip.chars().count() + 2;
        if used + len > width && used > 2 {
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw("  "));
            used = 2;
        }
        let style = if k == app.option {
            selected()
        } else if *on {
            fg(Color::Green)
        } else {
            Style::new()
        };
        spans.push(Span::styled(chip, style));
        spans.push(Span::raw("  "));
        used += len;
    }
    lines.push(Line::from(spans));
    if let Some(o) = opts.get(app.option) {
        let note = fields::note(&app.answers, slot.field, o);
        if !note.is_empty() {
            lines.push(Line::styled(format!("  {o}: {note}"), fg(Color::Yellow)));
        }
    }
}

fn draw_preview(frame: &mut Frame, app: &App, area: Rect) {
    let (title, text, style, focus) = match app.preview_text() {
        Ok((path, text)) => {
            let focus = app.preview_focus_line(&text);
            (format!(" Preview: {path} "), text, Style::new(), focus)
        }
        Err(msg) => (" Preview ".to_string(), msg, fg(Color::Red), 0),
    };
    let block = Block::bordered().title(Line::from(title));
    let inner = block.inner(area);
    let width = inner.width.max(1) as usize;
    // Long lines wrap; when the focused field's place is below the fold the
    // view starts a little above it (counted in wrapped rows), and PgUp/PgDn
    // move from there.
    let rows = |l: &str| l.chars().count().div_ceil(width).max(1);
    let anchor: usize = text.lines().take(focus + 3).map(rows).sum();
    let start = if focus == 0 || anchor < inner.height as usize {
        0
    } else {
        text.lines().take(focus).map(rows).sum()
    };
    let total: usize = text.lines().map(rows).sum();
    let offset = (start as i64 + i64::from(app.scroll)).clamp(0, total.saturating_sub(1) as i64);
    let lines: Vec<Line> = text
        .lines()
        .map(|l| Line::styled(l.to_string(), style))
        .collect();
    let para = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((offset.min(i64::from(u16::MAX)) as u16, 0));
    frame.render_widget(para, area);
}

fn human(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn draw_review(frame: &mut Frame, app: &App, area: Rect) {
    let a = &app.answers;
    let (right, summary) = if area.width + SIDEBAR >= PREVIEW_WIDTH {
        let [s, r] = Layout::horizontal([Constraint::Length(44), Constraint::Fill(1)]).areas(area);
        (r, Some(s))
    } else {
        (area, None)
    };
    if let Some(s) = summary {
        let envs: Vec<String> = a
            .environments
            .iter()
            .map(|e| {
                format!(
                    "{} ({}{})",
                    e.name,
                    e.profile,
                    if e.approval { ", approval" } else { "" }
                )
            })
            .collect();
        let resolved = match &app.preview {
            Preview::Ready { loaded, .. } => Some(&loaded.answers),
            _ => None,
        };
        let mut rows: Vec<(String, String)> = vec![
            (
                "project".into(),
                format!(
                    "{} ({}, {})",
                    a.project.name, a.project.owner, a.project.cost_center
                ),
            ),
            (
                "region".into(),
                format!(
                    "{} · {}",
                    a.region,
                    fields::note(a, Field::Region, &a.region)
                ),
            ),
            ("environments".into(), envs.join(" → ")),
        ];
        if let Some(r) = resolved {
            let cidrs: Vec<String> = r
                .environments
                .iter()
                .map(|e| format!("{} {}", e.name, e.vpc_cidr.clone().unwrap_or_default()))
                .collect();
            rows.push(("vpc ranges".into(), cidrs.join(", ")));
        }
        rows.extend([
            (
                "network".into(),
                format!(
                    "{} AZs, NAT {}, {} endpoints",
                    a.network.availability_zones,
                    a.network.nat,
                    a.network.endpoints.len()
                ),
            ),
            (
                "trusted".into(),
                fields::text(a, Slot::new(Field::TrustedCidrs)),
            ),
            (
                "database".into(),
                match resolved {
                    Some(r) if r.database.engine != crate::answers::model::Engine::None => {
                        format!(
                            "{} {} {}",
                            r.database.engine, r.database.version, r.database.instance_class
                        )
                    }
                    _ => a.database.engine.to_string(),
                },
            ),
            ("pipeline".into(), fields::text(a, Slot::new(Field::Stages))),
            (
                "source".into(),
                format!("{}@{}", a.pipeline.repository, a.pipeline.branch),
            ),
            ("alerts to".into(), a.pipeline.notification_email.clone()),
            (
                "app".into(),
                format!("{} on port {}", a.app.kind, a.app.port),
            ),
        ]);
        if let Some(r) = resolved {
            let cost = match crate::cost::estimate(r) {
                Ok(e) => format!("{} · c: details", crate::cost::summary(&e)),
                Err(why) => format!("no estimate: {why}"),
            };
            rows.push(("cost".into(), cost));
        }
        let mut lines: Vec<Line> = Vec::new();
        for (k, v) in rows {
            let v = if v.is_empty() { "none".to_string() } else { v };
            for (i, l) in wrap(&v, 28).into_iter().enumerate() {
                let head = if i == 0 {
                    format!("{k:<13}")
                } else {
                    " ".repeat(13)
                };
                lines.push(Line::from(vec![Span::styled(head, dim()), Span::raw(l)]));
            }
        }
        if let Some(plan) = app.plan() {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("Controls included ({})", plan.controls.len()),
                bold(),
            ));
            for c in &plan.controls {
                lines.push(Line::raw(format!("{:<7}{}", c.id, c.title)));
            }
        }
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(Line::from(" Answers "))),
            s,
        );
    }

    let files = app.files();
    let (list, preview) = if summary.is_some() {
        let [list, preview] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Fill(1)]).areas(right);
        (list, Some(preview))
    } else {
        // Narrow: the resolved answers first, then the files (no preview pane).
        let width = right.width.saturating_sub(2) as usize;
        let lines: Vec<Line> = match app.resolved() {
            Some(_) if app.show_cost => cost_lines(app, width),
            // The estimate first, so it shows without scrolling; `c` has its line items.
            Some(r) => std::iter::once(crate::ui::cost_line(r))
                .chain(crate::ui::review_lines(r, a))
                .flat_map(|l| wrap_keep_indent(&l, right.width.saturating_sub(2) as usize))
                .map(Line::raw)
                .collect(),
            None => app
                .step_problems(Step::Review)
                .into_iter()
                .chain(match &app.preview {
                    Preview::Invalid(d) => d.iter().collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .map(|d| Line::styled(format!("✗ {}", problem_line(d)), fg(Color::Red)))
                .collect(),
        };
        let want = (lines.len() as u16 + 2).min(right.height.saturating_sub(3));
        let [answers, list] =
            Layout::vertical([Constraint::Length(want), Constraint::Fill(1)]).areas(right);
        let overflow = lines.len().saturating_sub(want.saturating_sub(2) as usize);
        let title = match (app.show_cost, overflow > 0) {
            (true, true) => " Cost estimate (pgup/pgdn scroll; c: answers) ",
            (true, false) => " Cost estimate (c: answers) ",
            (false, true) => " Answers (resolved; pgup/pgdn scroll) ",
            (false, false) => " Answers (resolved) ",
        };
        let offset = app.scroll.clamp(0, overflow as i32) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .scroll((offset, 0))
                .block(Block::bordered().title(Line::from(title))),
            answers,
        );
        (list, None)
    };
    let total: usize = files.iter().map(|(_, b)| b).sum();
    let title = match app.plan() {
        Some(p) => format!(
            " {}/ · {} files, {} · {} controls{} ",
            app.target().display(),
            files.len(),
            human(total),
            p.controls.len(),
            if app.setup.dry_run { " · dry run" } else { "" }
        ),
        None => " Files ".to_string(),
    };
    let rows = list.height.saturating_sub(2) as usize;
    let first = app.file_row.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = files
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(k, (p, b))| {
            let text = format!(
                "{p:<w$} {:>9}",
                human(*b),
                w = (list.width as usize).saturating_sub(13)
            );
            Line::styled(
                text,
                if k == app.file_row {
                    selected()
                } else {
                    Style::new()
                },
            )
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Line::from(title))),
        list,
    );
    if let Some(preview) = preview {
        if app.show_cost {
            draw_cost(frame, app, preview);
        } else {
            draw_preview(frame, app, preview);
        }
    }
}

/// The cost estimate's line items, assumptions and sources, scrolled by PgUp/PgDn.
fn draw_cost(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::bordered().title(Line::from(" Cost estimate (pgup/pgdn scroll; c: files) "));
    let inner = block.inner(area);
    let lines = cost_lines(app, inner.width as usize);
    let overflow = lines.len().saturating_sub(inner.height as usize);
    let offset = app.scroll.clamp(0, overflow as i32) as u16;
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)).block(block), area);
}

fn cost_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    match app.resolved().map(crate::cost::estimate) {
        Some(Ok(e)) => crate::cost::lines(&e, width)
            .into_iter()
            .map(Line::raw)
            .collect(),
        Some(Err(why)) => vec![Line::raw(format!("No estimate: {why}"))],
        None => vec![Line::styled(
            "No estimate until the answers are valid",
            fg(Color::Red),
        )],
    }
}

/// Wraps a review line (a 14-column key, then the value), continuing under the value.
fn wrap_keep_indent(text: &str, width: usize) -> Vec<String> {
    const KEY: usize = 14;
    let split = text.char_indices().nth(KEY).map_or(text.len(), |(i, _)| i);
    let (key, value) = text.split_at(split);
    if value.trim().is_empty() {
        return vec![text.to_string()];
    }
    wrap(value, width.saturating_sub(KEY))
        .into_iter()
        .enumerate()
        .map(|(k, l)| {
            if k == 0 {
                format!("{key}{l}")
            } else {
                format!("{:KEY$}{l}", "")
            }
        })
        .collect()
}

fn draw_done(frame: &mut Frame, done: &Exit, area: Rect) {
    let (title, text, style) = match done {
        Exit::Written(summary) => (" Done ", summary.clone(), fg(Color::Green)),
        Exit::Saved(path) => (
            " Saved ",
            format!(
                "saved the answers to {p}; nothing else was written.\nmake the project later with:\n  stackwright new --answers {p}\nor edit them here again with:\n  stackwright new --wizard --answers {p}",
                p = path.display()
            ),
            fg(Color::Green),
        ),
        Exit::Failed(e) => (" Not written ", format!("error: {e}"), fg(Color::Red)),
        Exit::Cancelled => (" Cancelled ", "nothing was written".to_string(), Style::new()),
    };
    let mut lines: Vec<Line> = text
        .lines()
        .map(|l| Line::styled(l.to_string(), style))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("press any key to leave", dim()));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Line::from(title))),
        area,
    );
}

/// The footer: the status (wrapped, never cut) and the key hints, wrapped
/// so every hint (quitting included) stays visible on narrow terminals.
fn footer_lines(app: &App, width: usize) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let width = width.max(10);
    let mut status: Vec<Line> = Vec::new();
    let quit_question = "Discard the unsaved answers?";
    if app.confirm_quit {
        status.push(Line::styled(format!(" {quit_question}"), fg(Color::Yellow)));
    } else if let Some(s) = &app.status {
        for l in wrap(s, width.saturating_sub(2)) {
            status.push(Line::styled(format!(" {l}"), fg(Color::Red)));
        }
    } else {
        status.push(Line::raw(""));
    }
    let ctx = app.contexts();
    let mut items: Vec<(String, String)> = Vec::new();
    if app.confirm_quit {
        items.extend([
            ("y".to_string(), "quit, write nothing".to_string()),
            ("s".to_string(), "save the answers".to_string()),
            ("any other key".to_string(), "keep editing".to_string()),
        ]);
    } else {
        if ctx == [Context::Modal] {
            items.push(("any key".into(), "close".into()));
        }
        for (label, what) in keys::hints(&ctx) {
            items.push((label.to_string(), what.to_string()));
        }
    }
    let mut hints: Vec<Line> = Vec::new();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (label, what) in items {
        let len = label.chars().count() + what.chars().count() + 3;
        if used + len > width && used > 1 {
            hints.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" "));
            used = 1;
        }
        spans.push(Span::styled(label, bold()));
        spans.push(Span::raw(format!(" {what}  ")));
        used += len;
    }
    hints.push(Line::from(spans));
    (status, hints)
}

fn draw_footer(
    frame: &mut Frame,
    status: Vec<Line<'static>>,
    hints: Vec<Line<'static>>,
    area: Rect,
) {
    // When space is short the hints keep their lines and the status gives way.
    let hint_rows = (hints.len() as u16).min(area.height);
    let [status_area, hints_area] = Layout::vertical([
        Constraint::Length(area.height - hint_rows),
        Constraint::Length(hint_rows),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(status), status_area);
    frame.render_widget(Paragraph::new(hints), hints_area);
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let w = area.width.saturating_sub(4).min(80);
    let h = area.height.saturating_sub(2);
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let mut lines: Vec<Line> = Vec::new();
    for ctx in [
        Context::Global,
        Context::Command,
        Context::Typing,
        Context::Choice,
        Context::Multi,
        Context::Environments,
        Context::Review,
    ] {
        lines.push(Line::styled(keys::context_title(ctx), bold()));
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            lines.push(Line::raw(format!(" {:<10}{}", b.label, b.what)));
        }
    }
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(Line::from(" Keys (any key closes) "));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if lines.len() > inner.height as usize {
        let right = lines.split_off(lines.len().div_ceil(2));
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(inner);
        frame.render_widget(Paragraph::new(lines), l);
        frame.render_widget(Paragraph::new(right), r);
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
