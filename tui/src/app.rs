//! The dashboard's state and its one `update`: every key and every piece of data from the server arrives as
//! an [`Action`]; `update` changes the [`App`] and returns the [`Effect`]s (I/O) for the runner to start.
//! Nothing here waits or touches the terminal, so tests drive it synchronously.

use serde_json::Value;

/// One column of the server's Table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// 0 for the columns `kubectl get` shows, more for `-o wide` ones.
    pub priority: i64,
}

/// One row: the object's key and its cells as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub namespace: String,
    pub name: String,
    pub cells: Vec<String>,
    /// `metadata.creationTimestamp`, for the live age.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

/// What the list shows: a kind, where, and by which selectors.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The kind's plural, group and version, as discovery names them.
    pub plural: String,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespaced: bool,
    /// None for all namespaces.
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
}

/// The list filter typed after `/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
}

impl Filter {
    /// The test a row must pass: a regular expression (or, when the text is not one, a substring) matching
    /// one of the row's cells or its namespace, `!` inverting; `-l` selectors are applied by the server
    /// instead. Compiled once per use, not once per row.
    pub fn matcher(&self) -> impl Fn(&Row) -> bool + '_ {
        let (invert, pattern) = match self.text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, self.text.as_str()),
        };
        let off = pattern.is_empty() || pattern.starts_with("-l ");
        let re = (!off).then(|| regex::Regex::new(pattern).ok()).flatten();
        move |row: &Row| {
            if off {
                return true;
            }
            let found = std::iter::once(&row.namespace)
                .chain(&row.cells)
                .any(|cell| match &re {
                    Some(re) => re.is_match(cell),
                    None => cell.contains(pattern),
                });
            found != invert
        }
    }
}

/// Lines kept by the logs view; older ones are dropped, so a chatty pod never outgrows the screen's memory.
pub const LOG_LINES: usize = 5000;

/// The logs view: what is streamed, how it is shown, and the last lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Logs {
    pub namespace: String,
    pub name: String,
    /// The pods view or a workload's (then every pod's lines, each prefixed with its pod).
    pub view: View,
    /// Which container of each pod, counting from the first; `c` moves on.
    pub container: usize,
    pub timestamps: bool,
    pub previous: bool,
    pub wrap: bool,
    /// Whether the view follows new lines; scrolling up stops it, `f` or End resumes.
    pub follow: bool,
    /// Lines from the bottom when not following.
    pub back: usize,
    /// Lines containing this are highlighted; typed after `/`.
    pub search: String,
    pub searching: bool,
    pub lines: std::collections::VecDeque<String>,
    /// Bumped with every new stream, so that lines of an old one are dropped.
    pub session: u64,
    /// What is streamed, for the title: `pod/container`, or a workload's pods.
    pub source: String,
}

impl Logs {
    fn effect(&self) -> Effect {
        Effect::Logs {
            view: self.view.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            container: self.container,
            timestamps: self.timestamps,
            previous: self.previous,
            session: self.session,
        }
    }

    /// Takes streamed lines, keeping the last [`LOG_LINES`].
    pub fn push(&mut self, lines: Vec<String>) {
        let added = lines.len();
        self.lines.extend(lines);
        let extra = self.lines.len().saturating_sub(LOG_LINES);
        self.lines.drain(..extra);
        if !self.follow {
            self.back = (self.back + added).min(self.lines.len());
        }
    }
}

/// A node's allocation: what its pods request against what it offers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeLoad {
    pub name: String,
    pub ready: bool,
    /// (requested, allocatable), in millicores, bytes and pods.
    pub cpu: (i64, i64),
    pub memory: (i64, i64),
    pub pods: (i64, i64),
}

impl NodeLoad {
    /// Requested as a percentage of allocatable.
    pub fn percent((used, total): (i64, i64)) -> u16 {
        if total <= 0 {
            return 0;
        }
        ((used.max(0) as f64 / total as f64) * 100.0)
            .round()
            .min(100.0) as u16
    }
}

/// One reading of the cluster for the pulse screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PulseData {
    pub nodes: Vec<NodeLoad>,
    /// Pods by phase, in kube's phase order.
    pub phases: Vec<(String, usize)>,
    /// The newest warning events, newest first, as `REASON object: message`.
    pub warnings: Vec<String>,
}

/// Samples of CPU allocation kept per node for the sparklines.
pub const PULSE_HISTORY: usize = 60;

/// The pulse screen's state: the last reading and each node's recent CPU allocation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pulse {
    pub data: PulseData,
    pub history: std::collections::HashMap<String, std::collections::VecDeque<u64>>,
}

impl Pulse {
    fn take(&mut self, data: PulseData) {
        for n in &data.nodes {
            let h = self.history.entry(n.name.clone()).or_default();
            h.push_back(u64::from(NodeLoad::percent(n.cpu)));
            if h.len() > PULSE_HISTORY {
                h.pop_front();
            }
        }
        self.history
            .retain(|name, _| data.nodes.iter().any(|n| &n.name == name));
        self.data = data;
    }
}

/// What the screen is doing besides showing the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a `:` command.
    Command(String),
    /// Typing a `/` filter.
    Filter(String),
    Help,
    /// Asking before an action; `y` confirms.
    Confirm {
        question: String,
        effect: Box<Effect>,
    },
    /// Asking for the replicas of a scale.
    Scale {
        name: String,
        input: String,
    },
    /// Streaming logs.
    Logs(Box<Logs>),
    /// Asking for the ports of a port-forward to `target` (`pod/NAME`, `svc/NAME`, ...).
    Forward {
        namespace: String,
        target: String,
        input: String,
    },
    /// The port-forwards running, one selected; ctrl-d stops it.
    Forwards {
        selected: usize,
    },
    /// The pulse screen: nodes' allocation, pods by phase, recent warnings.
    Pulse,
    /// A describe or YAML page.
    Text(Box<Page>),
}

/// A describe, YAML or xray page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub title: String,
    pub body: String,
    pub scroll: u16,
    /// For a Secret's YAML: the body with its values, shown instead of `body` after `v`.
    pub secret: Option<String>,
    pub revealed: bool,
}

/// Everything that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// `:`
    StartCommand,
    /// `/`
    StartFilter,
    Input(char),
    Backspace,
    Submit,
    /// Esc: closes what is open, else goes back a view.
    Back,
    Help,
    Describe,
    Yaml,
    Delete,
    Scale,
    /// `y` in a confirmation, or anything else to refuse.
    Confirm(bool),
    /// Enter on a row: its pods.
    DrillDown,
    /// `l`: the row's logs.
    Logs,
    /// `x`: a shell in the pod.
    Shell,
    /// `e`: edit the object in $EDITOR.
    Edit,
    /// `r`: rollout restart (workloads) or drain (nodes).
    Restart,
    /// `c` / `u`: cordon or uncordon a node.
    Cordon(bool),
    /// shift-f: port-forward to the row.
    Forward,
    /// Tab in a `:` command: complete the kind.
    Complete,
    /// The names `:` completes (kinds from discovery, and the screens).
    Kinds(Vec<String>),
    /// A click on the screen's line `y` of a screen `height` lines high: select that row.
    Click {
        y: u16,
        height: u16,
    },
    /// The port-forwards running now, as their descriptions.
    Forwards(Vec<String>),
    /// A new reading for the pulse screen.
    Pulse(Box<PulseData>),
    /// The nodes counted, for the header.
    Nodes(usize),
    /// `0`: every namespace.
    AllNamespaces,
    /// Sort by the next column, or turn the order round.
    SortNext,
    SortReverse,
    Quit,
    // From the runner:
    /// A fresh list of the view with this generation (columns and rows).
    Listed {
        generation: u64,
        columns: Vec<Column>,
        rows: Vec<Row>,
    },
    /// One watch event for the view with this generation.
    Changed {
        generation: u64,
        deleted: bool,
        row: Row,
    },
    /// A kind named by `:kind` was found (or not) in discovery.
    Resolved(Option<View>),
    /// A page to show.
    Page(Box<Page>),
    /// A view to open (drill down).
    Open(View),
    /// A message for the status line.
    Status(String),
    /// Log lines of a stream.
    LogLines {
        session: u64,
        lines: Vec<String>,
    },
    /// What a log stream reads, once known (`pod/container`, or the workload's pods).
    LogSource {
        session: u64,
        source: String,
    },
}

/// I/O for the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// List and watch this view (replacing any watch), tagging what comes back with `generation`.
    Watch {
        view: View,
        generation: u64,
    },
    /// Look a typed kind up in discovery (`:deploy`), keeping the namespace.
    Resolve {
        typed: String,
        namespace: Option<String>,
    },
    Describe {
        view: View,
        namespace: String,
        name: String,
    },
    Yaml {
        view: View,
        namespace: String,
        name: String,
    },
    Delete {
        view: View,
        namespace: String,
        name: String,
    },
    Scale {
        view: View,
        namespace: String,
        name: String,
        replicas: u32,
    },
    /// Stream the logs of a pod (or of every pod of a workload), replacing any stream.
    Logs {
        view: View,
        namespace: String,
        name: String,
        container: usize,
        timestamps: bool,
        previous: bool,
        session: u64,
    },
    /// Stop streaming logs.
    StopLogs,
    /// Give the terminal to `kyb ARGS` (exec -it, edit) and take it back when it ends.
    Suspend(Vec<String>),
    /// Run `kyb ARGS` in the background; its last line goes to the status line.
    Run(Vec<String>),
    /// Start `kyb port-forward -n NS TARGET PORTS` and keep it running.
    Forward {
        namespace: String,
        target: String,
        ports: String,
    },
    /// Stop the port-forward at this place in the list.
    StopForward(usize),
    /// Read a namespace's deployments (or services) and show them as a tree down to containers.
    Xray {
        services: bool,
        namespace: Option<String>,
    },
    /// Switch to another kubeconfig context.
    Context(String),
    /// Read the cluster for the pulse screen every few seconds, until stopped.
    StartPulse,
    StopPulse,
    /// Stamp the pod template so that the workload rolls its pods, as `kubectl rollout restart`.
    RolloutRestart {
        view: View,
        namespace: String,
        name: String,
    },
    /// Fetch the object and open the view of its pods.
    DrillDown {
        view: View,
        namespace: String,
        name: String,
    },
    Quit,
}

pub struct App {
    pub view: View,
    /// Bumped with every new view, so that late data of an old one is dropped.
    pub generation: u64,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub filter: Filter,
    pub selected: usize,
    pub sort: Option<(usize, bool)>,
    pub mode: Mode,
    pub status: String,
    /// Views to go back to with Esc.
    pub history: Vec<View>,
    /// For the header.
    pub context: String,
    pub server: String,
    pub version: String,
    /// Nodes in the cluster, as last counted (None until then).
    pub nodes: Option<usize>,
    pub readonly: bool,
    pub loaded: bool,
    /// Log streams opened so far, to tell their lines apart.
    pub log_sessions: u64,
    /// The port-forwards running, as the runner last told.
    pub forwards: Vec<String>,
    /// What `:` completes.
    pub kinds: Vec<String>,
    /// The kubeconfig's contexts, for `:ctx`.
    pub contexts: Vec<String>,
    pub pulse: Pulse,
    pub theme: crate::config::Theme,
}

/// How many rows the list shows on a screen `height` lines high: less the header (2), the footer (1), the
/// borders (2) and the column header (1).
pub fn rows_shown(height: u16) -> usize {
    (height as usize).saturating_sub(6).max(1)
}

/// The first row shown, so that the selection is on screen.
pub fn first_row(selected: usize, rows: usize, shown: usize) -> usize {
    selected
        .min(rows.saturating_sub(1))
        .saturating_sub(shown.saturating_sub(1))
}

/// The kinds whose logs are their pods' logs (by selector).
pub fn has_pods(plural: &str) -> bool {
    matches!(
        plural,
        "deployments"
            | "replicasets"
            | "statefulsets"
            | "daemonsets"
            | "jobs"
            | "replicationcontrollers"
            | "services"
    )
}

/// The kinds that have a scale subresource the dashboard offers.
fn scalable(plural: &str) -> bool {
    matches!(
        plural,
        "deployments" | "replicasets" | "statefulsets" | "replicationcontrollers"
    )
}

impl App {
    pub fn new(view: View) -> App {
        App {
            view,
            generation: 0,
            columns: Vec::new(),
            rows: Vec::new(),
            filter: Filter::default(),
            selected: 0,
            sort: None,
            mode: Mode::Normal,
            status: String::new(),
            history: Vec::new(),
            context: String::new(),
            server: String::new(),
            version: String::new(),
            nodes: None,
            readonly: false,
            loaded: false,
            log_sessions: 0,
            forwards: Vec::new(),
            kinds: Vec::new(),
            contexts: Vec::new(),
            pulse: Pulse::default(),
            theme: crate::config::Theme::default(),
        }
    }

    /// After a switch of context: the same kind in the context's namespace (or still all), afresh.
    pub fn switched(&mut self, namespace: String) -> Vec<Effect> {
        let mut view = self.view.clone();
        if view.namespace.is_some() {
            view.namespace = Some(namespace);
        }
        view.label_selector = None;
        view.field_selector = None;
        self.history.clear();
        self.status = format!("context {}", self.context);
        self.open(view, false)
    }

    /// The effect that starts the first view.
    pub fn start(&mut self) -> Vec<Effect> {
        self.open(self.view.clone(), false)
    }

    /// The rows shown, filtered and sorted.
    pub fn visible(&self) -> Vec<&Row> {
        let keeps = self.filter.matcher();
        let mut rows: Vec<&Row> = self.rows.iter().filter(|r| keeps(r)).collect();
        if let Some((col, reverse)) = self.sort {
            let age = self.columns.get(col).is_some_and(|c| c.name == "Age");
            rows.sort_by(|a, b| {
                let order = if age {
                    b.created.cmp(&a.created)
                } else {
                    natural(
                        a.cells.get(col).map_or("", String::as_str),
                        b.cells.get(col).map_or("", String::as_str),
                    )
                };
                if reverse {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        rows
    }

    /// The selected row: the selection, kept within the rows shown.
    fn current(&self) -> Option<Row> {
        let rows = self.visible();
        let i = self.selected.min(rows.len().saturating_sub(1));
        rows.get(i).map(|r| (*r).clone())
    }

    fn open(&mut self, view: View, remember: bool) -> Vec<Effect> {
        if remember {
            self.history.push(self.view.clone());
        }
        self.view = view;
        self.generation += 1;
        self.rows.clear();
        self.columns.clear();
        self.selected = 0;
        self.sort = None;
        self.loaded = false;
        vec![Effect::Watch {
            view: self.view.clone(),
            generation: self.generation,
        }]
    }

    fn move_to(&mut self, i: isize) {
        let n = self.visible().len() as isize;
        self.selected = i.clamp(0, (n - 1).max(0)) as usize;
    }

    /// A `:` command: `ns NAME`, `ctx`, `q`, or a kind.
    fn command(&mut self, text: &str) -> Vec<Effect> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            [] => Vec::new(),
            ["q" | "quit" | "q!"] => vec![Effect::Quit],
            ["xray" | "x", kind] => match *kind {
                "deploy" | "deployment" | "deployments" | "dp" => vec![Effect::Xray {
                    services: false,
                    namespace: self.view.namespace.clone(),
                }],
                "svc" | "service" | "services" => vec![Effect::Xray {
                    services: true,
                    namespace: self.view.namespace.clone(),
                }],
                other => {
                    self.status = format!("xray shows deploy or svc, not {other}");
                    Vec::new()
                }
            },
            ["ctx" | "context", name] => vec![Effect::Context(name.to_string())],
            ["ctx" | "context"] => {
                let mut body = String::new();
                for c in &self.contexts {
                    let mark = if *c == self.context { "*" } else { " " };
                    body.push_str(&format!("{mark} {c}\n"));
                }
                self.mode = Mode::Text(Box::new(Page {
                    title: "Contexts (:ctx NAME switches)".into(),
                    body,
                    ..Default::default()
                }));
                Vec::new()
            }
            ["pulse" | "pu"] => {
                self.mode = Mode::Pulse;
                vec![Effect::StartPulse]
            }
            ["pf" | "portforward" | "portforwards"] => {
                self.mode = Mode::Forwards { selected: 0 };
                Vec::new()
            }
            ["ns" | "namespace", name] => {
                let mut view = self.view.clone();
                view.namespace = (*name != "all" && *name != "0").then(|| name.to_string());
                self.open(view, true)
            }
            ["ns" | "namespace"] => {
                let view = self.view.clone();
                self.resolve("namespaces", view.namespace)
            }
            [typed, rest @ ..] => {
                let mut ns = self.view.namespace.clone();
                if let ["-n" | "--namespace", name] = rest {
                    ns = Some(name.to_string());
                } else if let ["-A" | "--all-namespaces"] = rest {
                    ns = None;
                }
                self.resolve(typed, ns)
            }
        }
    }

    fn resolve(&mut self, typed: &str, namespace: Option<String>) -> Vec<Effect> {
        vec![Effect::Resolve {
            typed: typed.to_string(),
            namespace,
        }]
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // Data for the view, whatever the screen is doing.
        match action {
            Action::Listed {
                generation,
                columns,
                rows,
            } => {
                if generation == self.generation {
                    self.columns = columns;
                    self.rows = rows;
                    self.loaded = true;
                    self.move_to(self.selected as isize);
                }
                return Vec::new();
            }
            Action::Changed {
                generation,
                deleted,
                row,
            } => {
                if generation == self.generation {
                    let at = self
                        .rows
                        .iter()
                        .position(|r| r.name == row.name && r.namespace == row.namespace);
                    match (at, deleted) {
                        (Some(i), true) => {
                            self.rows.remove(i);
                            // The selection stays in the list; the draw clamps it to what is shown.
                            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
                        }
                        (Some(i), false) => self.rows[i] = row,
                        (None, false) => self.rows.push(row),
                        (None, true) => {}
                    }
                }
                return Vec::new();
            }
            Action::Resolved(found) => {
                return match found {
                    Some(view) => self.open(view, true),
                    None => {
                        self.status = "unknown resource type".into();
                        Vec::new()
                    }
                };
            }
            Action::Page(page) => {
                self.mode = Mode::Text(page);
                return Vec::new();
            }
            Action::Open(view) => return self.open(view, true),
            Action::Status(s) => {
                self.status = s;
                return Vec::new();
            }
            Action::LogLines { session, lines } => {
                if let Mode::Logs(logs) = &mut self.mode {
                    if logs.session == session {
                        logs.push(lines);
                    }
                }
                return Vec::new();
            }
            Action::Kinds(mut kinds) => {
                kinds.sort();
                kinds.dedup();
                self.kinds = kinds;
                return Vec::new();
            }
            Action::Nodes(n) => {
                self.nodes = Some(n);
                return Vec::new();
            }
            Action::Pulse(data) => {
                self.pulse.take(*data);
                return Vec::new();
            }
            Action::Forwards(list) => {
                if let Mode::Forwards { selected } = &mut self.mode {
                    *selected = (*selected).min(list.len().saturating_sub(1));
                }
                self.forwards = list;
                return Vec::new();
            }
            Action::LogSource { session, source } => {
                if let Mode::Logs(logs) = &mut self.mode {
                    if logs.session == session {
                        logs.source = source;
                    }
                }
                return Vec::new();
            }
            _ => {}
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Command(mut text) => match action {
                Action::Complete if !text.contains(' ') => {
                    let found: Vec<&String> =
                        self.kinds.iter().filter(|k| k.starts_with(&text)).collect();
                    if let Some(first) = found.first() {
                        // The longest prefix every candidate shares; the candidates on the status line.
                        let mut common = first.as_str();
                        for k in &found[1..] {
                            let n = common
                                .chars()
                                .zip(k.chars())
                                .take_while(|(a, b)| a == b)
                                .count();
                            common = &common[..common
                                .char_indices()
                                .nth(n)
                                .map_or(common.len(), |(i, _)| i)];
                        }
                        text = common.to_string();
                        if found.len() == 1 {
                            text.push(' ');
                        }
                        let shown: Vec<&str> = found.iter().take(8).map(|k| k.as_str()).collect();
                        self.status = shown.join(" ");
                    }
                    self.mode = Mode::Command(text);
                }
                Action::Input(c) => {
                    text.push(c);
                    self.mode = Mode::Command(text);
                }
                Action::Backspace => {
                    text.pop();
                    self.mode = Mode::Command(text);
                }
                Action::Submit => return self.command(&text),
                Action::Back => {}
                _ => self.mode = Mode::Command(text),
            },
            Mode::Filter(mut text) => match action {
                Action::Input(c) => {
                    text.push(c);
                    self.filter.text = text.clone();
                    self.mode = Mode::Filter(text);
                    self.move_to(0);
                }
                Action::Backspace => {
                    text.pop();
                    self.filter.text = text.clone();
                    self.mode = Mode::Filter(text);
                }
                Action::Submit => {
                    // `-l SELECTOR` asks the server for the labelled objects.
                    if let Some(sel) = text.strip_prefix("-l ") {
                        let mut view = self.view.clone();
                        view.label_selector = Some(sel.trim().to_string());
                        self.filter.text.clear();
                        return self.open(view, true);
                    }
                }
                Action::Back => self.filter.text.clear(),
                _ => self.mode = Mode::Filter(text),
            },
            Mode::Help => {
                if !matches!(action, Action::Back | Action::Help | Action::Quit) {
                    self.mode = Mode::Help;
                }
            }
            Mode::Confirm { question, effect } => match action {
                Action::Confirm(true) => return vec![*effect],
                Action::Confirm(false) | Action::Back => {}
                _ => self.mode = Mode::Confirm { question, effect },
            },
            Mode::Scale { name, mut input } => match action {
                Action::Input(c) if c.is_ascii_digit() => {
                    input.push(c);
                    self.mode = Mode::Scale { name, input };
                }
                Action::Backspace => {
                    input.pop();
                    self.mode = Mode::Scale { name, input };
                }
                Action::Submit => match (input.parse::<u32>(), self.current()) {
                    (Ok(replicas), Some(row)) if row.name == name => {
                        return vec![Effect::Scale {
                            view: self.view.clone(),
                            namespace: row.namespace,
                            name,
                            replicas,
                        }];
                    }
                    _ => self.status = "scale: a number of replicas, please".into(),
                },
                Action::Back => {}
                _ => self.mode = Mode::Scale { name, input },
            },
            Mode::Forward {
                namespace,
                target,
                mut input,
            } => match action {
                Action::Input(c) if c.is_ascii_digit() || c == ':' => {
                    input.push(c);
                    self.mode = Mode::Forward {
                        namespace,
                        target,
                        input,
                    };
                }
                Action::Backspace => {
                    input.pop();
                    self.mode = Mode::Forward {
                        namespace,
                        target,
                        input,
                    };
                }
                Action::Submit if !input.is_empty() => {
                    return vec![Effect::Forward {
                        namespace,
                        target,
                        ports: input,
                    }];
                }
                Action::Back => {}
                _ => {
                    self.mode = Mode::Forward {
                        namespace,
                        target,
                        input,
                    }
                }
            },
            Mode::Pulse => match action {
                Action::Back | Action::Quit => return vec![Effect::StopPulse],
                Action::StartCommand => {
                    self.mode = Mode::Command(String::new());
                    return vec![Effect::StopPulse];
                }
                _ => self.mode = Mode::Pulse,
            },
            Mode::Forwards { mut selected } => {
                let n = self.forwards.len();
                match action {
                    Action::Back | Action::Quit => return Vec::new(),
                    Action::Up => selected = selected.saturating_sub(1),
                    Action::Down => selected = (selected + 1).min(n.saturating_sub(1)),
                    Action::Delete if selected < n => {
                        self.mode = Mode::Confirm {
                            question: format!("Stop the port-forward {}?", self.forwards[selected]),
                            effect: Box::new(Effect::StopForward(selected)),
                        };
                        return Vec::new();
                    }
                    _ => {}
                }
                self.mode = Mode::Forwards { selected };
            }
            Mode::Logs(mut logs) => {
                if logs.searching {
                    match action {
                        Action::Input(c) => logs.search.push(c),
                        Action::Backspace => {
                            logs.search.pop();
                        }
                        Action::Submit => logs.searching = false,
                        Action::Back => {
                            logs.searching = false;
                            logs.search.clear();
                        }
                        _ => {}
                    }
                    self.mode = Mode::Logs(logs);
                    return Vec::new();
                }
                let mut restart = false;
                match action {
                    Action::Back | Action::Quit => return vec![Effect::StopLogs],
                    Action::Up => {
                        logs.follow = false;
                        logs.back = (logs.back + 1).min(logs.lines.len());
                    }
                    Action::PageUp => {
                        logs.follow = false;
                        logs.back = (logs.back + 20).min(logs.lines.len());
                    }
                    Action::Down => logs.back = logs.back.saturating_sub(1),
                    Action::PageDown => logs.back = logs.back.saturating_sub(20),
                    Action::Bottom => {
                        logs.follow = true;
                        logs.back = 0;
                    }
                    Action::StartFilter => {
                        logs.searching = true;
                        logs.search.clear();
                    }
                    Action::Input('w') => logs.wrap = !logs.wrap,
                    Action::Input('f') => {
                        logs.follow = !logs.follow;
                        logs.back = 0;
                    }
                    Action::Input('t') => {
                        logs.timestamps = !logs.timestamps;
                        restart = true;
                    }
                    Action::Input('p') => {
                        logs.previous = !logs.previous;
                        restart = true;
                    }
                    Action::Input('c') => {
                        logs.container += 1;
                        restart = true;
                    }
                    _ => {}
                }
                if logs.follow {
                    logs.back = 0;
                }
                let effects = if restart {
                    logs.session += 1;
                    logs.lines.clear();
                    logs.back = 0;
                    vec![logs.effect()]
                } else {
                    Vec::new()
                };
                self.mode = Mode::Logs(logs);
                return effects;
            }
            Mode::Text(mut page) => {
                match action {
                    Action::Back | Action::Quit => return Vec::new(),
                    Action::Down => page.scroll = page.scroll.saturating_add(1),
                    Action::Up => page.scroll = page.scroll.saturating_sub(1),
                    Action::PageDown => page.scroll = page.scroll.saturating_add(20),
                    Action::PageUp => page.scroll = page.scroll.saturating_sub(20),
                    Action::Top => page.scroll = 0,
                    Action::Input('v') if page.secret.is_some() => page.revealed = !page.revealed,
                    _ => {}
                }
                self.mode = Mode::Text(page);
            }
            Mode::Normal => return self.normal(action),
        }
        Vec::new()
    }

    fn normal(&mut self, action: Action) -> Vec<Effect> {
        let selected = self.selected as isize;
        match action {
            Action::Click { y, height } => {
                // Rows start below the two header lines, the border and the column header.
                let shown = rows_shown(height);
                let n = self.visible().len();
                if let Some(row) = (y as usize).checked_sub(4).filter(|r| *r < shown) {
                    let index = first_row(self.selected, n, shown) + row;
                    if index < n {
                        self.selected = index;
                    }
                }
            }
            Action::Up => self.move_to(selected - 1),
            Action::Down => self.move_to(selected + 1),
            Action::PageUp => self.move_to(selected - 20),
            Action::PageDown => self.move_to(selected + 20),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(isize::MAX / 2),
            Action::StartCommand => {
                self.status.clear();
                self.mode = Mode::Command(String::new());
            }
            Action::StartFilter => {
                self.filter.text.clear();
                self.mode = Mode::Filter(String::new());
            }
            Action::Help => self.mode = Mode::Help,
            Action::Quit => return vec![Effect::Quit],
            Action::Back => {
                if !self.filter.text.is_empty() {
                    self.filter.text.clear();
                } else if let Some(view) = self.history.pop() {
                    return self.open(view, false);
                }
            }
            Action::AllNamespaces => {
                let mut view = self.view.clone();
                view.namespace = None;
                return self.open(view, true);
            }
            Action::SortNext => {
                let n = self.columns.len().max(1);
                self.sort = Some(match self.sort {
                    None => (0, false),
                    Some((c, r)) => ((c + 1) % n, r),
                });
            }
            Action::SortReverse => {
                self.sort = Some(match self.sort {
                    None => (0, true),
                    Some((c, r)) => (c, !r),
                });
            }
            Action::Logs => {
                if let Some(row) = self.current() {
                    if self.view.plural != "pods" && !has_pods(&self.view.plural) {
                        self.status = format!("{} have no logs", self.view.plural);
                        return Vec::new();
                    }
                    self.log_sessions += 1;
                    let logs = Logs {
                        namespace: row.namespace,
                        name: row.name.clone(),
                        view: self.view.clone(),
                        container: 0,
                        timestamps: false,
                        previous: false,
                        wrap: false,
                        follow: true,
                        back: 0,
                        search: String::new(),
                        searching: false,
                        lines: std::collections::VecDeque::new(),
                        session: self.log_sessions,
                        source: row.name,
                    };
                    let effect = logs.effect();
                    self.mode = Mode::Logs(Box::new(logs));
                    return vec![effect];
                }
            }
            Action::Forward => match self.current() {
                Some(row)
                    if matches!(
                        self.view.plural.as_str(),
                        "pods" | "services" | "deployments"
                    ) =>
                {
                    let short = match self.view.plural.as_str() {
                        "pods" => "pod",
                        "services" => "svc",
                        _ => "deployment",
                    };
                    self.mode = Mode::Forward {
                        namespace: row.namespace,
                        target: format!("{short}/{}", row.name),
                        input: String::new(),
                    };
                }
                Some(_) => self.status = format!("no port-forward to {}", self.view.plural),
                None => {}
            },
            Action::Shell | Action::Edit | Action::Restart | Action::Cordon(_) => {
                let Some(row) = self.current() else {
                    return Vec::new();
                };
                let plural = self.view.plural.as_str();
                // `-n NS` right after the verb, before any `--`.
                let ns = |mut args: Vec<String>| {
                    if !row.namespace.is_empty() {
                        args.splice(1..1, ["-n".to_string(), row.namespace.clone()]);
                    }
                    args
                };
                let changes = !matches!(action, Action::Shell);
                if changes && self.readonly {
                    self.status = "read-only: changes are off".into();
                    return Vec::new();
                }
                let kind = self.view.kind.to_lowercase();
                let effect = match (action, plural) {
                    (Action::Shell, "pods") => Effect::Suspend(ns(vec![
                        "exec".into(),
                        "-it".into(),
                        row.name.clone(),
                        "--".into(),
                        "sh".into(),
                    ])),
                    (Action::Edit, _) => {
                        let target = match self.view.group.as_str() {
                            "" => format!("{}/{}", self.view.plural, row.name),
                            g => format!("{}.{g}/{}", self.view.plural, row.name),
                        };
                        Effect::Suspend(ns(vec!["edit".into(), target]))
                    }
                    (Action::Restart, "deployments" | "daemonsets" | "statefulsets") => {
                        Effect::RolloutRestart {
                            view: self.view.clone(),
                            namespace: row.namespace,
                            name: row.name,
                        }
                    }
                    (Action::Restart, "nodes") => {
                        self.mode = Mode::Confirm {
                            question: format!("Drain node {}?", row.name),
                            effect: Box::new(Effect::Run(vec![
                                "drain".into(),
                                row.name,
                                "--ignore-daemonsets".into(),
                                "--delete-emptydir-data".into(),
                                "--force".into(),
                            ])),
                        };
                        return Vec::new();
                    }
                    (Action::Cordon(on), "nodes") => Effect::Run(vec![
                        if on { "cordon" } else { "uncordon" }.into(),
                        row.name,
                    ]),
                    (Action::Shell, _) => {
                        self.status = format!("a shell needs a pod, not a {kind}");
                        return Vec::new();
                    }
                    (Action::Restart, _) => {
                        self.status = format!("a {kind} cannot be restarted or drained");
                        return Vec::new();
                    }
                    _ => {
                        self.status = format!("only nodes are cordoned, not a {kind}");
                        return Vec::new();
                    }
                };
                return vec![effect];
            }
            Action::Describe | Action::Yaml | Action::DrillDown => {
                if let Some(row) = self.current() {
                    let (view, namespace, name) = (self.view.clone(), row.namespace, row.name);
                    return vec![match action {
                        Action::Describe => Effect::Describe {
                            view,
                            namespace,
                            name,
                        },
                        Action::Yaml => Effect::Yaml {
                            view,
                            namespace,
                            name,
                        },
                        _ => Effect::DrillDown {
                            view,
                            namespace,
                            name,
                        },
                    }];
                }
            }
            Action::Delete => {
                if let Some(row) = self.current() {
                    if self.readonly {
                        self.status = "read-only: delete is off".into();
                    } else {
                        let what = format!("{} {}", self.view.kind, row.name);
                        self.mode = Mode::Confirm {
                            question: format!("Delete {what}?"),
                            effect: Box::new(Effect::Delete {
                                view: self.view.clone(),
                                namespace: row.namespace,
                                name: row.name,
                            }),
                        };
                    }
                }
            }
            Action::Scale => match self.current() {
                Some(_) if self.readonly => self.status = "read-only: scale is off".into(),
                Some(row) if scalable(&self.view.plural) => {
                    self.mode = Mode::Scale {
                        name: row.name,
                        input: String::new(),
                    }
                }
                Some(_) => self.status = format!("{} cannot be scaled", self.view.plural),
                None => {}
            },
            _ => {}
        }
        Vec::new()
    }
}

/// Orders text with numbers by their value ("pod-2" before "pod-10"), as a person reads a list.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let order = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len())
}

/// A row from a Table's row (`cells`, `object.metadata`).
pub fn row_of(row: &Value) -> Row {
    let meta = &row["object"]["metadata"];
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Row {
        namespace: meta["namespace"].as_str().unwrap_or_default().to_string(),
        name: meta["name"].as_str().unwrap_or_default().to_string(),
        cells: row["cells"]
            .as_array()
            .map(|c| c.iter().map(text).collect())
            .unwrap_or_default(),
        created: meta["creationTimestamp"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    }
}

/// The columns of a Table.
pub fn columns_of(table: &Value) -> Vec<Column> {
    table["columnDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| Column {
            name: c["name"].as_str().unwrap_or_default().to_string(),
            priority: c["priority"].as_i64().unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn pods_view() -> View {
        View {
            plural: "pods".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
            namespaced: true,
            namespace: Some("default".into()),
            label_selector: None,
            field_selector: None,
        }
    }

    fn row(name: &str, status: &str) -> Row {
        Row {
            namespace: "default".into(),
            name: name.into(),
            cells: vec![name.into(), "1/1".into(), status.into()],
            created: None,
        }
    }

    fn listed(app: &mut App) {
        let generation = app.generation;
        app.update(Action::Listed {
            generation,
            columns: ["Name", "Ready", "Status"]
                .iter()
                .map(|n| Column {
                    name: n.to_string(),
                    priority: 0,
                })
                .collect(),
            rows: vec![
                row("web-10", "Running"),
                row("web-2", "Pending"),
                row("db-0", "Running"),
            ],
        });
    }

    #[test]
    fn watch_events_keep_the_list_and_late_ones_are_dropped() {
        let mut app = App::new(pods_view());
        assert!(matches!(
            app.start().as_slice(),
            [Effect::Watch { generation: 1, .. }]
        ));
        listed(&mut app);
        app.update(Action::Changed {
            generation: 1,
            deleted: false,
            row: row("web-2", "Running"),
        });
        app.update(Action::Changed {
            generation: 1,
            deleted: true,
            row: row("db-0", ""),
        });
        app.update(Action::Changed {
            generation: 0,
            deleted: false,
            row: row("stale", ""),
        });
        let names: Vec<&str> = app.visible().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["web-10", "web-2"]);
        assert_eq!(app.rows[1].cells[2], "Running");
    }

    #[test]
    fn filters_sort_and_selection() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        for a in [Action::StartFilter, Action::Input('w'), Action::Input('e')] {
            app.update(a);
        }
        assert_eq!(app.visible().len(), 2);
        app.update(Action::Submit);
        assert_eq!(app.mode, Mode::Normal);
        app.update(Action::StartFilter);
        for c in "!Pend".chars() {
            app.update(Action::Input(c));
        }
        assert_eq!(app.visible().len(), 2);
        app.update(Action::Back);
        app.update(Action::StartFilter);
        for c in "web-[0-9]$".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        let names: Vec<&str> = app.visible().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["web-2"], "a regular expression");
        app.update(Action::Back);
        app.update(Action::SortNext);
        let names: Vec<&str> = app.visible().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["db-0", "web-2", "web-10"]);
        app.update(Action::SortReverse);
        app.update(Action::Bottom);
        assert_eq!(app.selected, 2);
        assert_eq!(app.current().map(|r| r.name), Some("db-0".to_string()));
    }

    #[test]
    fn delete_asks_first_and_scale_takes_a_number() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        app.update(Action::Delete);
        assert!(matches!(app.mode, Mode::Confirm { .. }));
        assert!(app.update(Action::Confirm(false)).is_empty());
        app.update(Action::Delete);
        let effects = app.update(Action::Confirm(true));
        assert!(matches!(effects.as_slice(), [Effect::Delete { name, .. }] if name == "web-10"));
        // Pods do not scale; deployments do.
        app.update(Action::Scale);
        assert_eq!(app.mode, Mode::Normal);
        assert_eq!(app.status, "pods cannot be scaled");
        let mut deploy = pods_view();
        deploy.plural = "deployments".into();
        app.update(Action::Resolved(Some(deploy)));
        listed(&mut app);
        app.update(Action::Scale);
        for a in [Action::Input('x'), Action::Input('5'), Action::Submit] {
            app.update(a.clone());
            if a == Action::Input('5') {
                assert!(matches!(&app.mode, Mode::Scale { input, .. } if input == "5"));
            }
        }
        assert_eq!(app.mode, Mode::Normal);
        let mut app2 = App::new(pods_view());
        app2.readonly = true;
        app2.start();
        listed(&mut app2);
        app2.update(Action::Delete);
        assert_eq!(app2.mode, Mode::Normal);
    }

    #[test]
    fn logs_keep_a_bounded_buffer_and_restart_on_switches() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        let effects = app.update(Action::Logs);
        assert!(matches!(
            effects.as_slice(),
            [Effect::Logs {
                session: 1,
                container: 0,
                timestamps: false,
                ..
            }]
        ));
        let lines: Vec<String> = (0..LOG_LINES + 10).map(|i| i.to_string()).collect();
        app.update(Action::LogLines { session: 1, lines });
        app.update(Action::LogLines {
            session: 0,
            lines: vec!["stale".into()],
        });
        let Mode::Logs(logs) = &app.mode else {
            panic!("not in logs: {:?}", app.mode);
        };
        assert_eq!(logs.lines.len(), LOG_LINES);
        assert_eq!(logs.lines.front().map(String::as_str), Some("10"));
        assert_eq!(logs.lines.back().map(String::as_str), Some("5009"));
        // Timestamps and the next container start a new stream; Esc stops it.
        let effects = app.update(Action::Input('t'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Logs {
                session: 2,
                timestamps: true,
                ..
            }]
        ));
        let effects = app.update(Action::Input('c'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Logs {
                session: 3,
                container: 1,
                ..
            }]
        ));
        assert_eq!(app.update(Action::Back), [Effect::StopLogs]);
        assert_eq!(app.mode, Mode::Normal);
        // Config maps have no logs.
        let mut cm = pods_view();
        cm.plural = "configmaps".into();
        app.update(Action::Resolved(Some(cm)));
        listed(&mut app);
        assert!(app.update(Action::Logs).is_empty());
        assert_eq!(app.status, "configmaps have no logs");
    }

    #[test]
    fn shell_edit_restart_and_node_actions() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        assert_eq!(
            app.update(Action::Shell),
            [Effect::Suspend(
                ["exec", "-n", "default", "-it", "web-10", "--", "sh"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert_eq!(
            app.update(Action::Edit),
            [Effect::Suspend(
                ["edit", "-n", "default", "pods/web-10"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert!(app.update(Action::Restart).is_empty());
        assert_eq!(app.status, "a pod cannot be restarted or drained");
        let mut deploy = pods_view();
        (deploy.plural, deploy.group, deploy.kind) =
            ("deployments".into(), "apps".into(), "Deployment".into());
        app.update(Action::Resolved(Some(deploy)));
        listed(&mut app);
        assert!(matches!(
            app.update(Action::Restart).as_slice(),
            [Effect::RolloutRestart { name, .. }] if name == "web-10"
        ));
        assert_eq!(
            app.update(Action::Edit),
            [Effect::Suspend(
                ["edit", "-n", "default", "deployments.apps/web-10"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        let mut nodes = pods_view();
        (nodes.plural, nodes.kind, nodes.namespaced) = ("nodes".into(), "Node".into(), false);
        app.update(Action::Resolved(Some(nodes)));
        let generation = app.generation;
        app.update(Action::Listed {
            generation,
            columns: Vec::new(),
            rows: vec![Row {
                namespace: String::new(),
                name: "n1".into(),
                cells: vec!["n1".into()],
                created: None,
            }],
        });
        assert_eq!(
            app.update(Action::Cordon(true)),
            [Effect::Run(vec!["cordon".into(), "n1".into()])]
        );
        assert!(app.update(Action::Restart).is_empty());
        assert!(matches!(
            app.update(Action::Confirm(true)).as_slice(),
            [Effect::Run(args)] if args[0] == "drain"
        ));
        app.readonly = true;
        assert!(app.update(Action::Cordon(false)).is_empty());
        assert_eq!(app.status, "read-only: changes are off");
    }

    #[test]
    fn port_forwards_start_list_and_stop() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        app.update(Action::Forward);
        for c in "8080:80x".chars() {
            app.update(Action::Input(c));
        }
        assert_eq!(
            app.update(Action::Submit),
            [Effect::Forward {
                namespace: "default".into(),
                target: "pod/web-10".into(),
                ports: "8080:80".into()
            }]
        );
        app.update(Action::Forwards(vec![
            "pod/web-10 127.0.0.1:8080 -> 80".into()
        ]));
        app.update(Action::StartCommand);
        for c in "pf".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        assert_eq!(app.mode, Mode::Forwards { selected: 0 });
        app.update(Action::Delete);
        assert_eq!(app.update(Action::Confirm(true)), [Effect::StopForward(0)]);
    }

    #[test]
    fn pulse_keeps_a_history_per_node() {
        let mut app = App::new(pods_view());
        app.start();
        app.update(Action::StartCommand);
        for c in "pulse".chars() {
            app.update(Action::Input(c));
        }
        assert_eq!(app.update(Action::Submit), [Effect::StartPulse]);
        assert_eq!(app.mode, Mode::Pulse);
        for used in 0..(PULSE_HISTORY as i64 + 5) {
            let node = NodeLoad {
                name: "n1".into(),
                ready: true,
                cpu: (used * 10, 1000),
                memory: (0, 0),
                pods: (used, 110),
            };
            app.update(Action::Pulse(Box::new(PulseData {
                nodes: vec![node],
                ..Default::default()
            })));
        }
        let history = &app.pulse.history["n1"];
        assert_eq!(history.len(), PULSE_HISTORY);
        assert_eq!(history.back(), Some(&64));
        assert_eq!(NodeLoad::percent((1500, 1000)), 100);
        assert_eq!(NodeLoad::percent((1, 0)), 0);
        assert_eq!(app.update(Action::Back), [Effect::StopPulse]);
        assert_eq!(app.mode, Mode::Normal);
    }

    #[test]
    fn secret_pages_toggle_their_values() {
        let mut app = App::new(pods_view());
        app.start();
        app.update(Action::Page(Box::new(Page {
            title: "YAML secret/s".into(),
            body: "data:\n  k: ••••\n".into(),
            secret: Some("data:\n  k: czNjcmV0\n".into()),
            ..Default::default()
        })));
        app.update(Action::Input('v'));
        assert!(matches!(&app.mode, Mode::Text(p) if p.revealed));
        app.update(Action::Down);
        app.update(Action::Input('v'));
        assert!(matches!(&app.mode, Mode::Text(p) if !p.revealed && p.scroll == 1));
        app.update(Action::Back);
        assert_eq!(app.mode, Mode::Normal);
    }

    #[test]
    fn tab_completes_kinds_and_clicks_select() {
        let mut app = App::new(pods_view());
        app.start();
        listed(&mut app);
        app.update(Action::Kinds(
            [
                "deployments",
                "deploy",
                "daemonsets",
                "ds",
                "pods",
                "po",
                "pulse",
            ]
            .map(String::from)
            .to_vec(),
        ));
        app.update(Action::StartCommand);
        app.update(Action::Input('d'));
        app.update(Action::Complete);
        assert_eq!(app.mode, Mode::Command("d".into()));
        assert_eq!(app.status, "daemonsets deploy deployments ds");
        for c in "epl".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Complete);
        assert_eq!(app.mode, Mode::Command("deploy".into()));
        app.update(Action::Input('m'));
        app.update(Action::Complete);
        assert_eq!(app.mode, Mode::Command("deployments ".into()));
        app.update(Action::Back);
        // Rows start on line 4; a click there selects the first row shown.
        app.update(Action::Click { y: 6, height: 20 });
        assert_eq!(app.selected, 2);
        app.update(Action::Click { y: 4, height: 20 });
        assert_eq!(app.selected, 0);
        app.update(Action::Click { y: 1, height: 20 });
        assert_eq!(app.selected, 0);
        assert_eq!(first_row(50, 100, 10), 41);
        assert_eq!(first_row(5, 3, 10), 0);
    }

    #[test]
    fn contexts_are_listed_and_switched() {
        let mut app = App::new(pods_view());
        app.start();
        app.context = "a".into();
        app.contexts = vec!["a".into(), "b".into()];
        app.update(Action::StartCommand);
        for c in "ctx".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        assert!(matches!(&app.mode, Mode::Text(p) if p.body == "* a\n  b\n"));
        app.update(Action::Back);
        app.update(Action::StartCommand);
        for c in "ctx b".chars() {
            app.update(Action::Input(c));
        }
        assert_eq!(app.update(Action::Submit), [Effect::Context("b".into())]);
        app.context = "b".into();
        let effects = app.switched("team".into());
        assert!(matches!(effects.as_slice(), [Effect::Watch { .. }]));
        assert_eq!(app.view.namespace.as_deref(), Some("team"));
    }

    #[test]
    fn scale_submits_the_replicas() {
        let mut app = App::new(pods_view());
        app.view.plural = "deployments".into();
        app.start();
        listed(&mut app);
        app.update(Action::Scale);
        app.update(Action::Input('5'));
        let effects = app.update(Action::Submit);
        assert!(matches!(
            effects.as_slice(),
            [Effect::Scale { name, replicas: 5, .. }] if name == "web-10"
        ));
    }

    #[test]
    fn commands_views_and_going_back() {
        let mut app = App::new(pods_view());
        app.start();
        for c in "deploy".chars() {
            app.update(Action::Input(c));
        }
        assert_eq!(app.mode, Mode::Normal, "typing without ':' does nothing");
        app.update(Action::StartCommand);
        for c in "deploy -A".chars() {
            app.update(Action::Input(c));
        }
        let effects = app.update(Action::Submit);
        assert_eq!(
            effects,
            [Effect::Resolve {
                typed: "deploy".into(),
                namespace: None
            }]
        );
        let mut deploy = pods_view();
        deploy.plural = "deployments".into();
        let effects = app.update(Action::Resolved(Some(deploy)));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Watch { generation: 2, .. }]
        ));
        assert_eq!(app.view.plural, "deployments");
        app.update(Action::AllNamespaces);
        assert_eq!(app.view.namespace, None);
        app.update(Action::Back);
        app.update(Action::Back);
        assert_eq!(app.view.plural, "pods");
        app.update(Action::StartCommand);
        for c in "ns kube-system".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        assert_eq!(app.view.namespace.as_deref(), Some("kube-system"));
        app.update(Action::StartCommand);
        app.update(Action::Input('q'));
        assert_eq!(app.update(Action::Submit), [Effect::Quit]);
        // A label selector filter goes to the server.
        app.update(Action::StartFilter);
        for c in "-l app=web".chars() {
            app.update(Action::Input(c));
        }
        app.update(Action::Submit);
        assert_eq!(app.view.label_selector.as_deref(), Some("app=web"));
    }
}
