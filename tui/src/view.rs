//! Drawing: a pure function of the [`App`] and the time, onto a ratatui frame. Only the visible rows are
//! turned into cells.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;

use crate::app::{App, Mode};

/// Every key, for `?`.
pub const HELP: &[(&str, &str)] = &[
    (
        ":KIND",
        "show a kind (pods, deploy, svc, no, ...; -n NS, -A)",
    ),
    (":ns NAME", "switch namespace (:ns all for every one)"),
    (
        ":ctx [NAME]",
        "list the kubeconfig's contexts, or switch to one",
    ),
    ("0", "every namespace"),
    (
        "/TEXT",
        "filter rows by a regular expression; /!TEXT inverts",
    ),
    ("/-l SELECTOR", "ask the server for the labelled objects"),
    ("j k, arrows", "move"),
    ("g G, PgUp PgDn", "top, bottom, a page"),
    (
        "Enter",
        "drill down: a workload's, a service's or a node's pods",
    ),
    ("Esc", "close, clear the filter, or go back"),
    ("d", "describe"),
    ("l", "logs (a workload's pods together)"),
    (
        "  in logs",
        "w wrap, f follow, t timestamps, p previous, c container, / search",
    ),
    ("y", "YAML"),
    ("s", "scale"),
    (
        "x",
        "a shell in the pod (kyb exec -it; the terminal comes back on exit)",
    ),
    ("e", "edit in $EDITOR (kyb edit)"),
    (
        "r",
        "rollout restart (deployments, daemonsets, statefulsets); drain (nodes)",
    ),
    ("c u", "cordon, uncordon (nodes)"),
    (
        "shift-f",
        "port-forward (pods, services, deployments); :pf lists them",
    ),
    ("ctrl-d", "delete (asks first)"),
    ("o O", "sort by the next column, reverse"),
    ("Tab", "in a : command, complete the kind"),
    ("mouse", "the wheel moves, a click selects"),
    ("?", "this help"),
    ("q, ctrl-c", "quit"),
];

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The cell to show: a live age where the Table has an `Age` column.
fn cell(app: &App, row: &crate::app::Row, i: usize, now: chrono::DateTime<chrono::Utc>) -> String {
    match (app.columns.get(i), row.created) {
        (Some(c), Some(created)) if c.name == "Age" => {
            kyb_api::duration::human_duration((now - created).to_std().unwrap_or_default())
        }
        _ => row.cells.get(i).cloned().unwrap_or_default(),
    }
}

pub fn draw(frame: &mut Frame, app: &App, now: chrono::DateTime<chrono::Utc>) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let ns = app.view.namespace.as_deref().unwrap_or("all");
    // Cluster-scoped kinds are in no namespace: their title says all, as k9s's does.
    let scope = if app.view.namespaced { ns } else { "all" };
    let head = vec![
        Line::from(vec![
            Span::styled("Context: ", Style::new().fg(app.theme.header)),
            Span::raw(format!("{}  ", app.context)),
            Span::styled("Server: ", Style::new().fg(app.theme.header)),
            Span::raw(format!("{}  ", app.server)),
            Span::styled("Version: ", Style::new().fg(app.theme.header)),
            Span::raw(format!(
                "{} (kyb {})  ",
                app.version,
                env!("CARGO_PKG_VERSION")
            )),
            Span::styled("Nodes: ", Style::new().fg(app.theme.header)),
            Span::raw(app.nodes.map_or("-".to_string(), |n| n.to_string())),
        ]),
        Line::from(vec![
            Span::styled("Namespace: ", Style::new().fg(app.theme.header)),
            Span::raw(format!("{ns}  ")),
            Span::styled("Filter: ", Style::new().fg(app.theme.header)),
            Span::raw(app.filter.text.clone()),
            if app.readonly {
                Span::styled("  [read-only]", Style::new().fg(Color::Red))
            } else {
                Span::raw("")
            },
        ]),
    ];
    frame.render_widget(Paragraph::new(head), header);

    let rows = app.visible();
    let mut title = format!(" {}({scope}) [{}] ", app.view.plural, rows.len());
    if let Some(sel) = &app.view.label_selector {
        title.push_str(&format!("-l {sel} "));
    }
    if let Some(sel) = &app.view.field_selector {
        title.push_str(&format!("--field-selector {sel} "));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, Style::new().fg(app.theme.title)));
    let shown = crate::app::rows_shown(frame.area().height);
    let at = app.selected.min(rows.len().saturating_sub(1));
    let first = crate::app::first_row(app.selected, rows.len(), shown);
    // Columns: the server's, less the wide ones, with NAMESPACE first across namespaces.
    let cols: Vec<usize> = (0..app.columns.len())
        .filter(|i| app.columns[*i].priority == 0)
        .collect();
    let all_ns = app.view.namespace.is_none() && app.view.namespaced;
    let mut header_cells: Vec<String> = Vec::new();
    if all_ns {
        header_cells.push("NAMESPACE".into());
    }
    header_cells.extend(cols.iter().map(|i| app.columns[*i].name.to_uppercase()));
    let lines: Vec<Vec<String>> = rows
        .iter()
        .skip(first)
        .take(shown)
        .map(|r| {
            let mut out = Vec::new();
            if all_ns {
                out.push(r.namespace.clone());
            }
            out.extend(cols.iter().map(|i| cell(app, r, *i, now)));
            out
        })
        .collect();
    let widths: Vec<Constraint> = (0..header_cells.len())
        .map(|c| {
            let w = lines
                .iter()
                .map(|l| l.get(c).map_or(0, |s| s.chars().count()))
                .chain([header_cells[c].len()])
                .max()
                .unwrap_or(0);
            Constraint::Length(w as u16)
        })
        .collect();
    let selected = at - first;
    let table_rows: Vec<TableRow> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let style = match (i == selected, app.theme.selected) {
                (false, _) => Style::new(),
                (true, None) => Style::new().add_modifier(Modifier::REVERSED),
                (true, Some(c)) => Style::new().bg(c),
            };
            TableRow::new(l).style(style)
        })
        .collect();
    let table = Table::new(table_rows, widths)
        .header(TableRow::new(header_cells).style(Style::new().add_modifier(Modifier::BOLD)))
        .column_spacing(3)
        .block(block);
    frame.render_widget(table, body);
    if !app.loaded {
        frame.render_widget(Paragraph::new("loading..."), centered(body, 12, 1));
    } else if rows.is_empty() {
        frame.render_widget(Paragraph::new("No resources found"), centered(body, 18, 1));
    }

    let foot = match &app.mode {
        // While typing a command the status line holds Tab's candidates.
        Mode::Command(t) if app.status.is_empty() => format!(":{t}"),
        Mode::Command(t) => format!(":{t}    {}", app.status),
        Mode::Filter(t) => format!("/{t}"),
        _ => app.status.clone(),
    };
    frame.render_widget(Paragraph::new(foot), footer);

    match &app.mode {
        Mode::Help => {
            let lines: Vec<Line> = HELP
                .iter()
                .map(|(k, v)| {
                    Line::from(vec![
                        Span::styled(format!("{k:<16}"), Style::new().fg(Color::Yellow)),
                        Span::raw(*v),
                    ])
                })
                .collect();
            let width = HELP.iter().map(|(_, v)| v.len() + 18).max().unwrap_or(40);
            let area = centered(frame.area(), width as u16, HELP.len() as u16 + 2);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Help ")),
                area,
            );
        }
        Mode::Confirm { question, .. } => {
            let area = centered(frame.area(), question.len() as u16 + 12, 3);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(format!("{question} (y/n)"))
                    .block(Block::default().borders(Borders::ALL).title(" Confirm ")),
                area,
            );
        }
        Mode::Scale { name, input } => {
            let area = centered(frame.area(), 50, 3);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(format!("Replicas: {input}")).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(format!(" Scale {name} ")),
                ),
                area,
            );
        }
        Mode::Text(page) => {
            let text = match (&page.secret, page.revealed) {
                (Some(secret), true) => secret,
                _ => &page.body,
            };
            let mut title = format!(" {} ", page.title);
            if page.secret.is_some() {
                title.push_str(if page.revealed {
                    "[values shown: v hides] "
                } else {
                    "[values hidden: v shows] "
                });
            }
            let (title, scroll) = (title, &page.scroll);
            let area = frame.area();
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(text.as_str())
                    .wrap(Wrap { trim: false })
                    .scroll((*scroll, 0))
                    .block(Block::default().borders(Borders::ALL).title(title)),
                area,
            );
        }
        Mode::Logs(logs) => draw_logs(frame, logs, app.theme.title),
        Mode::Pulse => draw_pulse(frame, app),
        Mode::Forward { target, input, .. } => {
            let area = centered(frame.area(), 60, 3);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(format!("Ports (LOCAL:REMOTE or REMOTE): {input}")).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(format!(" Port-forward {target} ")),
                ),
                area,
            );
        }
        Mode::Forwards { selected } => {
            let lines: Vec<Line> = if app.forwards.is_empty() {
                vec![Line::raw(
                    "no port-forwards (shift-f on a pod, service or deployment)",
                )]
            } else {
                app.forwards
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let style = if i == *selected {
                            Style::new().add_modifier(Modifier::REVERSED)
                        } else {
                            Style::new()
                        };
                        Line::styled(f.as_str(), style)
                    })
                    .collect()
            };
            let area = centered(frame.area(), 70, lines.len() as u16 + 2);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Port-forwards (ctrl-d stops one) "),
                ),
                area,
            );
        }
        Mode::Normal | Mode::Command(_) | Mode::Filter(_) => {}
    }
}

fn bytes(n: i64) -> String {
    const GI: f64 = (1u64 << 30) as f64;
    format!("{:.1}Gi", n as f64 / GI)
}

/// The pulse screen: a line per node (CPU and memory requested against allocatable as gauges, and the
/// CPU's recent history as a sparkline), then pods by phase and the newest warnings.
fn draw_pulse(frame: &mut Frame, app: &App) {
    use ratatui::widgets::{LineGauge, Sparkline};
    let area = frame.area();
    frame.render_widget(Clear, area);
    let data = &app.pulse.data;
    let [nodes_area, bottom] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(12.min(area.height / 2)),
    ])
    .areas(area);
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(
            " Pulse: {} nodes (requests against allocatable) ",
            data.nodes.len()
        ),
        Style::new().fg(Color::Cyan),
    ));
    let inner = block.inner(nodes_area);
    frame.render_widget(block, nodes_area);
    for (i, n) in data.nodes.iter().take(inner.height as usize).enumerate() {
        let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        let [name, cpu, mem, spark] = Layout::horizontal([
            Constraint::Length(24),
            Constraint::Length(30),
            Constraint::Length(34),
            Constraint::Min(10),
        ])
        .spacing(2)
        .areas(row);
        let status = if n.ready { "" } else { " NotReady" };
        frame.render_widget(Paragraph::new(format!("{}{status}", n.name)), name);
        let gauge = |label: String, pct: u16| {
            let color = match pct {
                0..=69 => Color::Green,
                70..=89 => Color::Yellow,
                _ => Color::Red,
            };
            LineGauge::default()
                .ratio(f64::from(pct) / 100.0)
                .label(label)
                .filled_style(Style::new().fg(color))
        };
        let cpu_pct = crate::app::NodeLoad::percent(n.cpu);
        frame.render_widget(
            gauge(format!("cpu {:>3}% {:>5}m", cpu_pct, n.cpu.0), cpu_pct),
            cpu,
        );
        let mem_pct = crate::app::NodeLoad::percent(n.memory);
        frame.render_widget(
            gauge(
                format!("mem {:>3}% {:>7}", mem_pct, bytes(n.memory.0)),
                mem_pct,
            ),
            mem,
        );
        if let Some(h) = app.pulse.history.get(&n.name) {
            let values: Vec<u64> = h.iter().copied().collect();
            frame.render_widget(
                Sparkline::default()
                    .data(&values)
                    .max(100)
                    .style(Style::new().fg(Color::Cyan)),
                spark,
            );
        }
    }
    let [phases, warnings] =
        Layout::horizontal([Constraint::Length(24), Constraint::Min(20)]).areas(bottom);
    let lines: Vec<Line> = data
        .phases
        .iter()
        .map(|(p, n)| Line::raw(format!("{p:<12}{n:>8}")))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Pods ")),
        phases,
    );
    let lines: Vec<Line> = if data.warnings.is_empty() {
        vec![Line::raw("no warnings")]
    } else {
        data.warnings
            .iter()
            .map(|w| Line::styled(w.as_str(), Style::new().fg(Color::Yellow)))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Warnings ")),
        warnings,
    );
}

/// The logs view: the newest lines that fit (or, scrolled back, those above), wrapped or cut, with lines
/// holding the search highlighted.
fn draw_logs(frame: &mut Frame, logs: &crate::app::Logs, title_color: Color) {
    let area = frame.area();
    frame.render_widget(Clear, area);
    let mut flags = vec![if logs.follow { "follow" } else { "paused" }];
    for (on, name) in [
        (logs.wrap, "wrap"),
        (logs.timestamps, "timestamps"),
        (logs.previous, "previous"),
    ] {
        if on {
            flags.push(name);
        }
    }
    let mut title = format!(" Logs {} [{}] ", logs.source, flags.join(" "));
    if logs.searching || !logs.search.is_empty() {
        title.push_str(&format!("/{} ", logs.search));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, Style::new().fg(title_color)));
    let inner = block.inner(area);
    let (height, width) = (inner.height as usize, inner.width.max(1) as usize);
    let end = logs.lines.len().saturating_sub(logs.back);
    // Walk back from the last line shown until the screen is full.
    let mut used = 0;
    let mut start = end;
    while start > 0 {
        let rows = if logs.wrap {
            logs.lines[start - 1].chars().count().max(1).div_ceil(width)
        } else {
            1
        };
        if used + rows > height {
            break;
        }
        used += rows;
        start -= 1;
    }
    let lines: Vec<Line> = logs
        .lines
        .range(start..end)
        .map(|l| {
            if !logs.search.is_empty() && l.contains(&logs.search) {
                Line::styled(l.as_str(), Style::new().fg(Color::Black).bg(Color::Yellow))
            } else {
                Line::raw(l.as_str())
            }
        })
        .collect();
    let mut text = Paragraph::new(lines).block(block);
    if logs.wrap {
        text = text.wrap(Wrap { trim: false });
    }
    frame.render_widget(text, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Action, Column, Effect, Row, View};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default()
    }

    fn app() -> App {
        let mut app = App::new(View {
            plural: "pods".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
            namespaced: true,
            namespace: Some("default".into()),
            label_selector: None,
            field_selector: None,
        });
        app.context = "kybernet".into();
        app.server = "http://127.0.0.1:6443".into();
        app.version = "v1.32.0".into();
        app.start();
        let columns = [
            ("Name", 0),
            ("Ready", 0),
            ("Status", 0),
            ("Restarts", 0),
            ("Age", 0),
            ("IP", 1),
        ]
        .iter()
        .map(|(n, p)| Column {
            name: n.to_string(),
            priority: *p,
        })
        .collect();
        let rows = (0..3)
            .map(|i| Row {
                namespace: "default".into(),
                name: format!("web-{i}"),
                cells: vec![
                    format!("web-{i}"),
                    "1/1".into(),
                    "Running".into(),
                    "0".into(),
                    "5m".into(),
                    format!("10.0.0.{i}"),
                ],
                created: Some(now() - chrono::Duration::seconds(90 + 3600 * i)),
            })
            .collect();
        app.update(Action::Listed {
            generation: app.generation,
            columns,
            rows,
        });
        app
    }

    fn screen(app: &App, width: u16, height: u16) -> String {
        let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        if let Err(e) = terminal.draw(|f| draw(f, app, now())) {
            panic!("{e}");
        }
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn pods_list() {
        insta::assert_snapshot!(screen(&app(), 80, 10));
    }

    #[test]
    fn all_namespaces_filtered() {
        let mut app = app();
        app.view.namespace = None;
        app.filter.text = "web-[12]".into();
        insta::assert_snapshot!(screen(&app, 80, 10));
    }

    #[test]
    fn help_overlay() {
        let mut app = app();
        app.update(Action::Help);
        insta::assert_snapshot!(screen(&app, 100, 22));
    }

    #[test]
    fn confirm_overlay() {
        let mut app = app();
        app.update(Action::Down);
        app.update(Action::Delete);
        insta::assert_snapshot!(screen(&app, 80, 10));
    }

    #[test]
    fn describe_and_yaml_pages() {
        let mut app = app();
        app.update(Action::Page(Box::new(crate::app::Page {
            title: "Describe pod/web-0".into(),
            body: "Name:         web-0\nNamespace:    default\nStatus:       Running\n".into(),
            ..Default::default()
        })));
        insta::assert_snapshot!("describe", screen(&app, 60, 8));
        app.update(Action::Back);
        app.update(Action::Page(Box::new(crate::app::Page {
            title: "YAML pod/web-0".into(),
            body: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n".into(),
            ..Default::default()
        })));
        app.update(Action::Down);
        insta::assert_snapshot!("yaml_scrolled", screen(&app, 60, 8));
    }

    #[test]
    fn logs_follow_wrap_and_search() {
        let mut app = app();
        app.update(Action::Logs);
        let session = app.log_sessions;
        let lines = (1..=12).map(|i| format!("line {i}")).collect();
        app.update(Action::LogLines { session, lines });
        app.update(Action::LogLines {
            session,
            lines: vec!["a long line that the narrow screen has to wrap onto a second row".into()],
        });
        app.update(Action::LogSource {
            session,
            source: "web-0/web".into(),
        });
        insta::assert_snapshot!("logs_follow", screen(&app, 50, 8));
        for a in [
            Action::Input('w'),
            Action::Up,
            Action::Up,
            Action::StartFilter,
            Action::Input('9'),
        ] {
            app.update(a);
        }
        insta::assert_snapshot!("logs_wrapped_paused_search", screen(&app, 50, 8));
    }

    #[test]
    fn pulse_screen() {
        use crate::app::{NodeLoad, PulseData};
        let mut app = app();
        app.update(Action::StartCommand);
        for c in "pulse".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        for used in [200, 400, 600] {
            let nodes = ["node-a", "node-b"]
                .iter()
                .map(|n| NodeLoad {
                    name: n.to_string(),
                    ready: *n == "node-a",
                    cpu: (used, 1000),
                    memory: (1 << 30, 4 << 30),
                    pods: (3, 110),
                })
                .collect();
            app.update(Action::Pulse(Box::new(PulseData {
                nodes,
                phases: vec![("Running".into(), 5), ("Pending".into(), 1)],
                warnings: vec!["FailedScheduling pod/web-9: 0/2 nodes are available".into()],
            })));
        }
        insta::assert_snapshot!(screen(&app, 110, 14));
    }

    #[test]
    fn port_forward_prompt_and_list() {
        let mut app = app();
        app.update(Action::Forward);
        for c in "8080:80".chars() {
            app.update(Action::Input(c));
        }
        insta::assert_snapshot!("forward_prompt", screen(&app, 80, 10));
        app.update(Action::Back);
        app.update(Action::Forwards(vec![
            "default/pod/web-0 8080:80".into(),
            "default/svc/web 9090:80".into(),
        ]));
        app.update(Action::StartCommand);
        for c in "pf".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        app.update(Action::Down);
        insta::assert_snapshot!("forwards", screen(&app, 80, 10));
    }

    #[test]
    fn xray_and_containers_pages() {
        let mut app = app();
        app.update(Action::Page(Box::new(crate::app::Page {
            title: "Xray deployments(default)".into(),
            body: "Deployment default/web 1/1 ready\n└─ ReplicaSet web-5d 1/1\n   └─ Pod web-5d-x Running\n      └─ Container web ready\n".into(),
            ..Default::default()
        })));
        insta::assert_snapshot!("xray", screen(&app, 60, 8));
    }

    #[test]
    fn scale_prompt_and_command_line() {
        let mut app = app();
        app.view.plural = "deployments".into();
        app.update(Action::Scale);
        app.update(Action::Input('4'));
        insta::assert_snapshot!("scale", screen(&app, 80, 10));
        app.update(Action::Back);
        app.update(Action::StartCommand);
        for c in "svc".chars() {
            app.update(Action::Input(c));
        }
        insta::assert_snapshot!("command", screen(&app, 80, 10));
        assert_eq!(
            app.update(Action::Submit),
            [Effect::Resolve {
                typed: "svc".into(),
                namespace: Some("default".into())
            }]
        );
    }
}
