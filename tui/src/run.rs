//! The runner: the terminal, the key map, and the tasks that do the dashboard's I/O. Tasks send what they
//! learn back as [`Action`]s over one channel; only this loop touches the [`App`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use kyb_api::client::{encode, Client, Method, ACCEPT_TABLE};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::app::{columns_of, row_of, Action, App, Effect, Mode, View};

/// Renders what the CLI knows how to print, for the dashboard's pages.
pub type DescribeFn = Arc<
    dyn Fn(
            Client,
            View,
            String,
            String,
        ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send>>
        + Send
        + Sync,
>;

/// What `kyb dashboard` hands over.
#[derive(Clone)]
pub struct Options {
    pub client: Client,
    /// The kubeconfig context's name, for the header.
    pub context: String,
    /// The namespace to start in; None for all.
    pub namespace: Option<String>,
    pub readonly: bool,
    pub describe: DescribeFn,
    pub yaml: fn(&Value) -> String,
    /// `kyb` and the connection flags it was started with, for the commands the dashboard hands the
    /// terminal to (exec -it, edit) or runs (cordon, drain).
    pub kyb: Vec<String>,
    /// The kubeconfig's contexts, for `:ctx`.
    pub contexts: Vec<String>,
    /// A client for another context, with that context's namespace.
    pub connect: ConnectFn,
    /// The keys and colours file; absent, the defaults.
    pub config: Option<std::path::PathBuf>,
}

/// Connects to a kubeconfig context by name: its client and namespace.
pub type ConnectFn = Arc<dyn Fn(&str) -> Result<(Client, String), String> + Send + Sync>;

/// The key map: which action a key is, in the screen's current mode (`keys`: the list's letters).
pub fn action_for(keys: &crate::config::KeyMap, mode: &Mode, key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let typing = match mode {
        Mode::Command(_) | Mode::Filter(_) | Mode::Scale { .. } | Mode::Forward { .. } => true,
        Mode::Logs(logs) => logs.searching,
        _ => false,
    };
    if let (Mode::Text(_), KeyCode::Char('v')) = (mode, key.code) {
        return Some(Action::Input('v'));
    }
    // In the logs view a few letters are its own switches (wrap, follow, timestamps, previous, container).
    if let (Mode::Logs(logs), KeyCode::Char(c @ ('w' | 'f' | 't' | 'p' | 'c'))) = (mode, key.code) {
        if !logs.searching && !ctrl {
            return Some(Action::Input(c));
        }
    }
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('d') if ctrl => Action::Delete,
        KeyCode::Esc => Action::Back,
        KeyCode::Enter if typing => Action::Submit,
        KeyCode::Tab if matches!(mode, Mode::Command(_)) => Action::Complete,
        KeyCode::Enter => Action::DrillDown,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home => Action::Top,
        KeyCode::End => Action::Bottom,
        KeyCode::Char(c) if typing => Action::Input(c),
        KeyCode::Char('y') if matches!(mode, Mode::Confirm { .. }) => Action::Confirm(true),
        KeyCode::Char(_) if matches!(mode, Mode::Confirm { .. }) => Action::Confirm(false),
        KeyCode::Char(c) => return keys.0.get(&c).cloned(),
        _ => return None,
    })
}

fn collection(view: &View, namespace: Option<&str>) -> String {
    let root = if view.group.is_empty() {
        format!("/api/{}", view.version)
    } else {
        format!("/apis/{}/{}", view.group, view.version)
    };
    match namespace {
        Some(ns) if view.namespaced => format!("{root}/namespaces/{}/{}", encode(ns), view.plural),
        _ => format!("{root}/{}", view.plural),
    }
}

fn object_path(view: &View, namespace: &str, name: &str) -> String {
    let ns = (!namespace.is_empty()).then_some(namespace);
    format!("{}/{}", collection(view, ns), encode(name))
}

/// Rows or items asked for at a time when listing.
const PAGE: usize = 500;

/// Reads a collection in pages of [`PAGE`], as kubectl's `--chunk-size`, so that a big list never sits in
/// memory whole; `take` gets each page as it comes.
async fn paged(
    client: &Client,
    path: &str,
    accept: &str,
    mut take: impl FnMut(Value),
) -> Result<(), kyb_api::client::ClientError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut next = String::new();
    loop {
        let page = match next.as_str() {
            "" => format!("{path}{sep}limit={PAGE}"),
            token => format!("{path}{sep}limit={PAGE}&continue={}", encode(token)),
        };
        let body = client
            .send(Method::GET, &page, accept, None)
            .await?
            .json()?;
        next = body["metadata"]["continue"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        take(body);
        if next.is_empty() {
            return Ok(());
        }
    }
}

/// Lists a view as Tables: its columns, rows and resourceVersion.
async fn list(
    client: &Client,
    path: &str,
) -> Result<(Vec<crate::app::Column>, Vec<crate::app::Row>, String), kyb_api::client::ClientError> {
    let (mut columns, mut rows, mut rv) = (Vec::new(), Vec::new(), String::new());
    paged(client, path, ACCEPT_TABLE, |table| {
        if columns.is_empty() {
            columns = columns_of(&table);
        }
        rows.extend(table["rows"].as_array().into_iter().flatten().map(row_of));
        rv = table["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    })
    .await?;
    Ok((columns, rows, rv))
}

/// Says on the status line what went wrong and waits, each time twice as long, up to 10 s; false once
/// the dashboard is gone.
async fn back_off(
    tx: &mpsc::UnboundedSender<Action>,
    error: impl std::fmt::Display,
    pause: &mut Duration,
) -> bool {
    if tx
        .send(Action::Status(format!("{error}; retrying")))
        .is_err()
    {
        return false;
    }
    tokio::time::sleep(*pause).await;
    *pause = (*pause * 2).min(Duration::from_secs(10));
    true
}

/// Lists the view as a Table, then watches it, relisting after a 410 and coming back with a growing pause
/// (up to 10 s) when the server is away; until the receiver is gone or the task is aborted.
async fn watch(client: Client, view: View, generation: u64, tx: mpsc::UnboundedSender<Action>) {
    let mut query = Vec::new();
    if let Some(l) = &view.label_selector {
        query.push(format!("labelSelector={}", encode(l)));
    }
    if let Some(f) = &view.field_selector {
        query.push(format!("fieldSelector={}", encode(f)));
    }
    let base = collection(&view, view.namespace.as_deref());
    let list_path = match query.is_empty() {
        true => base.clone(),
        false => format!("{base}?{}", query.join("&")),
    };
    let mut pause = Duration::from_millis(250);
    loop {
        let (columns, rows, mut rv) = match list(&client, &list_path).await {
            Ok(listed) => listed,
            Err(e) => {
                if !back_off(&tx, &e, &mut pause).await {
                    return;
                }
                continue;
            }
        };
        let listed = Action::Listed {
            generation,
            columns,
            rows,
        };
        if tx.send(listed).is_err() || tx.send(Action::Status(String::new())).is_err() {
            return;
        }
        pause = Duration::from_millis(250);
        // Watch from the list's revision until the stream ends; then go on from the last one seen.
        loop {
            let mut q = query.clone();
            q.extend([
                "watch=true".to_string(),
                format!("resourceVersion={rv}"),
                "allowWatchBookmarks=true".into(),
            ]);
            let mut stream = match client
                .watch(&format!("{base}?{}", q.join("&")), ACCEPT_TABLE)
                .await
            {
                Ok(s) => s,
                Err(e) if e.status().is_some_and(|s| s.code == 410) => break,
                Err(e) => {
                    if !back_off(&tx, &e, &mut pause).await {
                        return;
                    }
                    break;
                }
            };
            let mut expired = false;
            while let Some(Ok(event)) = stream.next().await {
                let kind = event["type"].as_str().unwrap_or_default();
                let object = &event["object"];
                if kind == "ERROR" {
                    expired = object["code"] == 410;
                    break;
                }
                if let Some(v) = object["metadata"]["resourceVersion"].as_str() {
                    rv = v.to_string();
                }
                for row in object["rows"].as_array().into_iter().flatten() {
                    if let Some(v) = row["object"]["metadata"]["resourceVersion"].as_str() {
                        rv = v.to_string();
                    }
                    let changed = Action::Changed {
                        generation,
                        deleted: kind == "DELETED",
                        row: row_of(row),
                    };
                    if tx.send(changed).is_err() {
                        return;
                    }
                }
            }
            if expired {
                break;
            }
        }
    }
}

/// Streams the logs of a pod, or of every pod of a workload (each line prefixed with its pod), as batches of
/// lines, until aborted.
async fn stream_logs(client: Client, logs: Effect, tx: mpsc::UnboundedSender<Action>) {
    let Effect::Logs {
        view,
        namespace,
        name,
        container,
        timestamps,
        previous,
        session,
    } = logs
    else {
        return;
    };
    let say = |line: String| {
        let _ = tx.send(Action::LogLines {
            session,
            lines: vec![line],
        });
    };
    let pods = match pods_for_logs(&client, &view, &namespace, &name).await {
        Ok(p) if p.is_empty() => {
            return say(format!("no pods for {}/{name}", view.kind.to_lowercase()))
        }
        Ok(p) => p,
        Err(e) => return say(format!("error: {e}")),
    };
    let many = pods.len() > 1;
    let mut streams = Vec::new();
    let mut sources = Vec::new();
    for pod in &pods {
        let names: Vec<&str> = pod["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        let Some(c) = names
            .get(container % names.len().max(1))
            .map(|c| c.to_string())
        else {
            continue;
        };
        let pod_name = pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ns = pod["metadata"]["namespace"]
            .as_str()
            .unwrap_or(&namespace)
            .to_string();
        let mut path = format!(
            "/api/v1/namespaces/{}/pods/{}/log?container={}&follow=true&tailLines=500",
            encode(&ns),
            encode(&pod_name),
            encode(&c)
        );
        if timestamps {
            path.push_str("&timestamps=true");
        }
        if previous {
            path.push_str("&previous=true");
        }
        let prefix = if many {
            format!("[{pod_name}/{c}] ")
        } else {
            String::new()
        };
        sources.push(format!("{pod_name}/{c}"));
        let (client, tx) = (client.clone(), tx.clone());
        streams.push(async move {
            let mut resp = match client.stream(&path, "*/*").await {
                Ok(r) => r,
                Err(e) => {
                    let line = format!("{prefix}error: {e}");
                    let _ = tx.send(Action::LogLines {
                        session,
                        lines: vec![line],
                    });
                    return;
                }
            };
            let mut partial = Vec::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                partial.extend_from_slice(&chunk);
                let Some(end) = partial.iter().rposition(|b| *b == b'\n') else {
                    continue;
                };
                let whole: Vec<u8> = partial.drain(..=end).collect();
                let lines = String::from_utf8_lossy(&whole)
                    .lines()
                    .map(|l| format!("{prefix}{l}"))
                    .collect();
                if tx.send(Action::LogLines { session, lines }).is_err() {
                    return;
                }
            }
            if !partial.is_empty() {
                let line = format!("{prefix}{}", String::from_utf8_lossy(&partial));
                let _ = tx.send(Action::LogLines {
                    session,
                    lines: vec![line],
                });
            }
        });
    }
    let source = match sources.as_slice() {
        [one] => one.clone(),
        all => format!("{} pods of {}/{name}", all.len(), view.kind.to_lowercase()),
    };
    let _ = tx.send(Action::LogSource { session, source });
    futures::future::join_all(streams).await;
}

/// The pods whose logs a row stands for: the pod, or a workload's (or service's) pods by selector.
async fn pods_for_logs(
    client: &Client,
    view: &View,
    namespace: &str,
    name: &str,
) -> Result<Vec<Value>, String> {
    let obj = client
        .get_json(&object_path(view, namespace, name))
        .await
        .map_err(|e| e.to_string())?;
    if view.plural == "pods" {
        return Ok(vec![obj]);
    }
    let pods = pods_of(view, &obj).ok_or("no selector")?;
    let mut path = collection(&pods, pods.namespace.as_deref());
    if let Some(sel) = &pods.label_selector {
        path.push_str(&format!("?labelSelector={}", encode(sel)));
    }
    let list = client.get_json(&path).await.map_err(|e| e.to_string())?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// Every object of a collection, read in pages.
async fn list_all(client: &Client, path: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    paged(client, path, "application/json", |mut list| {
        if let Value::Array(page) = list["items"].take() {
            items.extend(page);
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(items)
}

/// One reading for the pulse screen: each node's requested against allocatable resources (from the pods
/// bound to it that have not finished), pods by phase, and the newest warning events.
async fn read_pulse(client: &Client) -> Result<crate::app::PulseData, String> {
    use kyb_api::quantity::Resources;
    let nodes = list_all(client, "/api/v1/nodes").await?;
    let pods = list_all(client, "/api/v1/pods").await?;
    let events = list_all(client, "/api/v1/events?fieldSelector=type%3DWarning").await?;
    let mut requested: std::collections::HashMap<&str, Resources> = Default::default();
    let mut phases: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in &pods {
        let phase = p["status"]["phase"].as_str().unwrap_or("Pending");
        *phases.entry(phase).or_default() += 1;
        if matches!(phase, "Succeeded" | "Failed") {
            continue;
        }
        if let Some(node) = p["spec"]["nodeName"].as_str() {
            requested
                .entry(node)
                .or_default()
                .add(&Resources::of_pod(p));
        }
    }
    let loads = nodes
        .iter()
        .map(|n| {
            let name = n["metadata"]["name"].as_str().unwrap_or_default();
            let offer = Resources::from_list(n["status"].get("allocatable"));
            let used = requested.get(name).copied().unwrap_or_default();
            crate::app::NodeLoad {
                name: name.to_string(),
                ready: n["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True"),
                cpu: (used.milli_cpu, offer.milli_cpu),
                memory: (used.memory, offer.memory),
                pods: (used.pods, offer.pods),
            }
        })
        .collect();
    let order = ["Running", "Pending", "Succeeded", "Failed", "Unknown"];
    let mut phases: Vec<(String, usize)> = phases
        .into_iter()
        .map(|(p, n)| (p.to_string(), n))
        .collect();
    phases.sort_by_key(|(p, _)| order.iter().position(|o| o == p).unwrap_or(order.len()));
    let when = |e: &Value| {
        ["lastTimestamp", "eventTime", "firstTimestamp"]
            .iter()
            .find_map(|k| e[*k].as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut events: Vec<&Value> = events.iter().collect();
    events.sort_by_key(|e| std::cmp::Reverse(when(e)));
    let warnings = events
        .iter()
        .take(10)
        .map(|e| {
            format!(
                "{} {}/{}: {}",
                e["reason"].as_str().unwrap_or_default(),
                e["involvedObject"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase(),
                e["involvedObject"]["name"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default().trim()
            )
        })
        .collect();
    Ok(crate::app::PulseData {
        nodes: loads,
        phases,
        warnings,
    })
}

/// The `uid`s an object names as owners.
fn owners(obj: &Value) -> Vec<&str> {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["uid"].as_str())
        .collect()
}

fn name(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// A pod's lines of an xray tree: the pod, its phase, and a line per container.
fn xray_pod(out: &mut Vec<String>, prefix: &str, last: bool, pod: &Value, extra: &str) {
    let (branch, under) = if last {
        ("└─ ", "   ")
    } else {
        ("├─ ", "│  ")
    };
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    out.push(format!("{prefix}{branch}Pod {} {phase}{extra}", name(pod)));
    let statuses: Vec<&Value> = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let containers: Vec<&Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for (i, c) in containers.iter().enumerate() {
        let cname = c["name"].as_str().unwrap_or_default();
        let ready = statuses
            .iter()
            .find(|s| s["name"] == cname)
            .is_some_and(|s| s["ready"] == true);
        let branch = if i + 1 == containers.len() {
            "└─ "
        } else {
            "├─ "
        };
        let state = if ready { "ready" } else { "not ready" };
        out.push(format!("{prefix}{under}{branch}Container {cname} {state}"));
    }
}

/// The xray tree of a namespace (or all): Deployment → ReplicaSet → Pod → Container, or Service →
/// Endpoints → Pod → Container.
async fn xray(client: &Client, services: bool, namespace: Option<&str>) -> Result<String, String> {
    let at = |plural: &str, group: &str| {
        let root = if group.is_empty() {
            "/api/v1".to_string()
        } else {
            format!("/apis/{group}")
        };
        match namespace {
            Some(ns) => format!("{root}/namespaces/{}/{plural}", encode(ns)),
            None => format!("{root}/{plural}"),
        }
    };
    let pods = list_all(client, &at("pods", "")).await?;
    let mut out = Vec::new();
    if services {
        let svcs = list_all(client, &at("services", "")).await?;
        let eps = list_all(client, &at("endpoints", "")).await?;
        for s in &svcs {
            let ns = s["metadata"]["namespace"].as_str().unwrap_or_default();
            out.push(format!(
                "Service {ns}/{} {} {}",
                name(s),
                s["spec"]["type"].as_str().unwrap_or("ClusterIP"),
                s["spec"]["clusterIP"].as_str().unwrap_or_default()
            ));
            let Some(ep) = eps
                .iter()
                .find(|e| name(e) == name(s) && e["metadata"]["namespace"] == ns)
            else {
                out.push("└─ no Endpoints".into());
                continue;
            };
            let addresses: Vec<(&Value, bool)> = ep["subsets"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|sub| {
                    let ready = sub["addresses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| (a, true));
                    let not = sub["notReadyAddresses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| (a, false));
                    ready.chain(not)
                })
                .collect();
            let ready = addresses.iter().filter(|(_, r)| *r).count();
            out.push(format!(
                "└─ Endpoints {} {ready} ready of {}",
                name(ep),
                addresses.len()
            ));
            for (i, (a, is_ready)) in addresses.iter().enumerate() {
                let last = i + 1 == addresses.len();
                let ip = a["ip"].as_str().unwrap_or_default();
                let extra = format!(" {ip}{}", if *is_ready { "" } else { " (not ready)" });
                match pods.iter().find(|p| {
                    a["targetRef"]["name"] == p["metadata"]["name"]
                        && p["metadata"]["namespace"] == ns
                }) {
                    Some(p) => xray_pod(&mut out, "   ", last, p, &extra),
                    None => out.push(format!(
                        "   {}Address{extra}",
                        if last { "└─ " } else { "├─ " }
                    )),
                }
            }
        }
    } else {
        let deploys = list_all(client, &at("deployments", "apps/v1")).await?;
        let sets = list_all(client, &at("replicasets", "apps/v1")).await?;
        for d in &deploys {
            let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
            out.push(format!(
                "Deployment {ns}/{} {}/{} ready",
                name(d),
                d["status"]["readyReplicas"].as_i64().unwrap_or(0),
                d["spec"]["replicas"].as_i64().unwrap_or(0)
            ));
            let uid = d["metadata"]["uid"].as_str().unwrap_or_default();
            let mine: Vec<&Value> = sets.iter().filter(|rs| owners(rs).contains(&uid)).collect();
            for (i, rs) in mine.iter().enumerate() {
                let last = i + 1 == mine.len();
                let (branch, under) = if last {
                    ("└─ ", "   ")
                } else {
                    ("├─ ", "│  ")
                };
                out.push(format!(
                    "{branch}ReplicaSet {} {}/{}",
                    name(rs),
                    rs["status"]["readyReplicas"].as_i64().unwrap_or(0),
                    rs["spec"]["replicas"].as_i64().unwrap_or(0)
                ));
                let rs_uid = rs["metadata"]["uid"].as_str().unwrap_or_default();
                let its: Vec<&Value> = pods
                    .iter()
                    .filter(|p| owners(p).contains(&rs_uid))
                    .collect();
                for (j, p) in its.iter().enumerate() {
                    xray_pod(&mut out, under, j + 1 == its.len(), p, "");
                }
            }
        }
    }
    if out.is_empty() {
        out.push("nothing here".into());
    }
    Ok(out.join("\n"))
}

/// Reads the pulse every two seconds until aborted.
async fn pulse(client: Client, tx: mpsc::UnboundedSender<Action>) {
    loop {
        let sent = match read_pulse(&client).await {
            Ok(data) => tx.send(Action::Pulse(Box::new(data))),
            Err(e) => tx.send(Action::Status(format!("{e}; retrying"))),
        };
        if sent.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `kyb` with the connection flags the dashboard was started with.
fn kyb_command(options: &Options) -> Option<tokio::process::Command> {
    let (program, flags) = options.kyb.split_first()?;
    let mut command = tokio::process::Command::new(program);
    command.args(flags);
    Some(command)
}

/// What a write came to, for the status line: `what` when it was done, else the server's words.
fn told<T>(done: Result<T, kyb_api::client::ClientError>, what: String) -> Result<Action, String> {
    done.map(|_| Action::Status(what))
        .map_err(|e| e.to_string())
}

fn page(title: String, body: String) -> Action {
    Action::Page(Box::new(crate::app::Page {
        title,
        body,
        ..Default::default()
    }))
}

/// Does one effect (not a watch) and says what came of it.
async fn perform(options: &Options, effect: Effect, tx: mpsc::UnboundedSender<Action>) {
    let client = options.client.clone();
    let report = |r: Result<Action, String>| {
        let _ = tx.send(r.unwrap_or_else(Action::Status));
    };
    match effect {
        Effect::Resolve { typed, namespace } => {
            let found = kyb_api::client::Discovery::load(&client, false)
                .await
                .ok()
                .and_then(|d| {
                    d.resolve(&typed).map(|r| View {
                        plural: r.name.clone(),
                        group: r.group.clone(),
                        version: r.version.clone(),
                        kind: r.kind.clone(),
                        namespaced: r.namespaced,
                        namespace,
                        label_selector: None,
                        field_selector: None,
                    })
                });
            report(Ok(match found {
                Some(v) => Action::Resolved(Some(v)),
                None => Action::Status(format!(
                    "error: the server doesn't have a resource type \"{typed}\""
                )),
            }));
        }
        Effect::Describe {
            view,
            namespace,
            name,
        } => {
            let title = format!("Describe {}/{name}", view.kind.to_lowercase());
            let text = (options.describe)(client, view, namespace, name).await;
            report(text.map(|body| page(title, body)));
        }
        Effect::Yaml {
            view,
            namespace,
            name,
        } => {
            let got = client
                .get_json(&object_path(&view, &namespace, &name))
                .await
                .map_err(|e| e.to_string());
            let title = format!("YAML {}/{name}", view.kind.to_lowercase());
            report(got.map(|obj| {
                let shown = (options.yaml)(&obj);
                if obj["kind"] != "Secret" {
                    return page(title, shown);
                }
                // A Secret's values stay hidden until asked for.
                let mut masked = obj.clone();
                for field in ["data", "stringData"] {
                    if let Some(m) = masked[field].as_object_mut() {
                        for v in m.values_mut() {
                            *v = Value::String("••••••••".into());
                        }
                    }
                }
                Action::Page(Box::new(crate::app::Page {
                    title,
                    body: (options.yaml)(&masked),
                    secret: Some(shown),
                    ..Default::default()
                }))
            }));
        }
        Effect::Delete {
            view,
            namespace,
            name,
        } => {
            let done = client
                .send(
                    Method::DELETE,
                    &object_path(&view, &namespace, &name),
                    "application/json",
                    None,
                )
                .await;
            report(told(
                done,
                format!("{}/{name} deleted", view.kind.to_lowercase()),
            ));
        }
        Effect::Scale {
            view,
            namespace,
            name,
            replicas,
        } => {
            let body = json!({"spec": {"replicas": replicas}});
            let done = client
                .send_json(
                    Method::PATCH,
                    &format!("{}/scale", object_path(&view, &namespace, &name)),
                    "application/merge-patch+json",
                    &body,
                )
                .await;
            let what = format!("{}/{name} scaled to {replicas}", view.kind.to_lowercase());
            report(told(done, what));
        }
        Effect::DrillDown {
            view,
            namespace,
            name,
        } => {
            let got = client
                .get_json(&object_path(&view, &namespace, &name))
                .await;
            report(match got {
                // A pod's level below is its containers.
                Ok(obj) if view.plural == "pods" => Ok(page(
                    format!("Containers pod/{name}"),
                    containers_page(&obj),
                )),
                Ok(obj) => pods_of(&view, &obj)
                    .map(Action::Open)
                    .ok_or_else(|| format!("{} has no pods to show", view.kind.to_lowercase())),
                Err(e) => Err(e.to_string()),
            });
        }
        Effect::Xray {
            services,
            namespace,
        } => {
            let title = format!(
                "Xray {}({})",
                if services { "services" } else { "deployments" },
                namespace.as_deref().unwrap_or("all")
            );
            let tree = xray(&client, services, namespace.as_deref()).await;
            report(tree.map(|body| page(title, body)));
        }
        Effect::RolloutRestart {
            view,
            namespace,
            name,
        } => {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let body = json!({"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": now}}}}});
            let done = client
                .send_json(
                    Method::PATCH,
                    &object_path(&view, &namespace, &name),
                    "application/merge-patch+json",
                    &body,
                )
                .await;
            let what = format!(
                "{}.{}/{name} restarted",
                view.kind.to_lowercase(),
                view.group
            );
            report(told(done, what));
        }
        Effect::Run(args) => {
            let out = match kyb_command(options) {
                Some(mut kyb) => {
                    kyb.args(&args)
                        .stdin(std::process::Stdio::null())
                        .output()
                        .await
                }
                None => Err(std::io::Error::other("no kyb to run")),
            };
            report(match out {
                Ok(o) => {
                    let text = if o.status.success() {
                        o.stdout
                    } else {
                        o.stderr
                    };
                    let text = String::from_utf8_lossy(&text);
                    Ok(Action::Status(
                        text.lines().last().unwrap_or_default().to_string(),
                    ))
                }
                Err(e) => Err(format!("running kyb: {e}")),
            });
        }
        Effect::Watch { .. }
        | Effect::Logs { .. }
        | Effect::StopLogs
        | Effect::Suspend(_)
        | Effect::Forward { .. }
        | Effect::StopForward(_)
        | Effect::StartPulse
        | Effect::StopPulse
        | Effect::Context(_)
        | Effect::Quit => {}
    }
}

/// A pod's containers (init ones first, marked) as a table: name, image, ready, state, restarts, ports.
pub fn containers_page(pod: &Value) -> String {
    let mut rows = vec![["NAME", "IMAGE", "READY", "STATE", "RESTARTS", "PORTS"].map(String::from)];
    for (list, statuses, init) in [
        ("initContainers", "initContainerStatuses", true),
        ("containers", "containerStatuses", false),
    ] {
        for c in pod["spec"][list].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or_default();
            let status = pod["status"][statuses]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == name);
            let state = status
                .and_then(|s| s["state"].as_object())
                .and_then(|m| m.iter().next())
                .map(|(k, v)| match v["reason"].as_str() {
                    Some(r) => format!("{k}: {r}"),
                    None => k.clone(),
                })
                .unwrap_or_else(|| "waiting".into());
            let ports: Vec<String> = c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let port = p["containerPort"].as_i64()?;
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    Some(match p["name"].as_str() {
                        Some(n) => format!("{n}:{port}/{proto}"),
                        None => format!("{port}/{proto}"),
                    })
                })
                .collect();
            rows.push([
                if init {
                    format!("init:{name}")
                } else {
                    name.to_string()
                },
                c["image"].as_str().unwrap_or_default().to_string(),
                status.is_some_and(|s| s["ready"] == true).to_string(),
                state,
                status
                    .and_then(|s| s["restartCount"].as_i64())
                    .unwrap_or(0)
                    .to_string(),
                ports.join(","),
            ]);
        }
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            cells.join("   ").trim_end().to_string() + "\n"
        })
        .collect()
}

/// The view of an object's pods: by its selector (workloads, services), or by node.
pub fn pods_of(view: &View, obj: &Value) -> Option<View> {
    let ns = obj["metadata"]["namespace"].as_str().map(str::to_string);
    let mut pods = View {
        plural: "pods".into(),
        group: String::new(),
        version: "v1".into(),
        kind: "Pod".into(),
        namespaced: true,
        namespace: ns,
        label_selector: None,
        field_selector: None,
    };
    if view.plural == "nodes" {
        pods.namespace = None;
        pods.field_selector = Some(format!(
            "spec.nodeName={}",
            obj["metadata"]["name"].as_str()?
        ));
        return Some(pods);
    }
    let selector = obj["spec"]["selector"].get("matchLabels").or_else(|| {
        (view.plural == "services" || view.plural == "replicationcontrollers")
            .then(|| &obj["spec"]["selector"])
    })?;
    let labels: Vec<String> = selector
        .as_object()?
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    if labels.is_empty() {
        return None;
    }
    pods.label_selector = Some(labels.join(","));
    Some(pods)
}

/// Reads the terminal's events on a thread of its own, polling a tenth of a second at a time, so that it can
/// be paused while a command (exec -it, edit) has the terminal: a paused reader reads nothing.
fn key_reader() -> (
    mpsc::UnboundedReceiver<std::io::Result<Event>>,
    Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (tx, rx) = mpsc::unbounded_channel();
    let paused = Arc::new(AtomicBool::new(false));
    let pause = paused.clone();
    std::thread::spawn(move || loop {
        if tx.is_closed() {
            return;
        }
        if pause.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match crossterm::event::poll(Duration::from_millis(100)) {
            Ok(false) => {}
            Ok(true) => {
                let event = crossterm::event::read();
                let failed = event.is_err();
                if tx.send(event).is_err() || failed {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    });
    (rx, paused)
}

/// Puts the terminal back: raw mode off, the main screen, the cursor shown.
fn restore() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Runs the dashboard until the user quits.
pub async fn run(mut options: Options) -> Result<(), String> {
    let start = View {
        plural: "pods".into(),
        group: String::new(),
        version: "v1".into(),
        kind: "Pod".into(),
        namespaced: true,
        namespace: options.namespace.clone(),
        label_selector: None,
        field_selector: None,
    };
    let mut app = App::new(start);
    app.context = options.context.clone();
    app.server = options.client.base.clone();
    let (keys_map, theme) = match &options.config {
        Some(path) => crate::config::load(path)?,
        None => Default::default(),
    };
    app.theme = theme;
    app.readonly = options.readonly;
    app.contexts = options.contexts.clone();
    app.version = options
        .client
        .get_json("/version")
        .await
        .ok()
        .and_then(|v| v["gitVersion"].as_str().map(str::to_string))
        .unwrap_or_default();

    crossterm::terminal::enable_raw_mode().map_err(|e| format!("the terminal: {e}"))?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let entered = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableMouseCapture,
        crossterm::cursor::Hide
    );
    let result = match entered {
        Ok(()) => event_loop(&mut options, &mut app, &keys_map).await,
        Err(e) => Err(format!("the terminal: {e}")),
    };
    restore();
    result
}

async fn event_loop(
    options: &mut Options,
    app: &mut App,
    keys_map: &crate::config::KeyMap,
) -> Result<(), String> {
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = ratatui::Terminal::new(backend).map_err(|e| e.to_string())?;
    terminal.clear().map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let (mut keys, paused) = key_reader();
    // Data redraws at most ten times a second (a key at once); with nothing new, once a second for ages.
    const FRAME: Duration = Duration::from_millis(100);
    let mut drawn = std::time::Instant::now() - FRAME;
    let mut dirty = true;
    let mut watcher: Option<tokio::task::JoinHandle<()>> = None;
    let mut logger: Option<tokio::task::JoinHandle<()>> = None;
    let mut pulser: Option<tokio::task::JoinHandle<()>> = None;
    // Running port-forwards: what each is, and its `kyb port-forward` (killed when dropped).
    let mut forwards: Vec<(String, tokio::process::Child)> = Vec::new();
    let mut effects = app.start();
    // The header's node count, every ten seconds.
    let counter = {
        let (client, tx) = (options.client.clone(), tx.clone());
        tokio::spawn(async move {
            loop {
                if let Ok(nodes) = list_all(&client, "/api/v1/nodes").await {
                    if tx.send(Action::Nodes(nodes.len())).is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        })
    };
    // What `:` completes: every served kind's names, and the screens.
    {
        let (client, tx) = (options.client.clone(), tx.clone());
        tokio::spawn(async move {
            if let Ok(d) = kyb_api::client::Discovery::load(&client, false).await {
                let mut kinds: Vec<String> = ["ns", "pulse", "xray", "pf", "quit"]
                    .map(String::from)
                    .to_vec();
                for r in d.resources.iter().filter(|r| !r.name.contains('/')) {
                    kinds.push(r.name.clone());
                    kinds.push(r.singular.clone());
                    kinds.extend(r.short_names.iter().cloned());
                }
                kinds.retain(|k| !k.is_empty());
                let _ = tx.send(Action::Kinds(kinds));
            }
        });
    }
    loop {
        // A port-forward that ended (its pod gone, say) leaves the list.
        let before = forwards.len();
        forwards.retain_mut(|(_, child)| matches!(child.try_wait(), Ok(None)));
        if forwards.len() != before {
            app.status = "a port-forward ended".into();
            effects.extend(app.update(Action::Forwards(
                forwards.iter().map(|(d, _)| d.clone()).collect(),
            )));
        }
        while !effects.is_empty() {
            let mut effects_next = Vec::new();
            for effect in effects.drain(..) {
                match effect {
                    Effect::Context(name) => match (options.connect)(&name) {
                        Ok((client, namespace)) => {
                            options.client = client;
                            // Commands run for the dashboard use the new context too.
                            if let Some(i) = options.kyb.iter().position(|a| a == "--context") {
                                options.kyb.drain(i..(i + 2).min(options.kyb.len()));
                            }
                            options.kyb.extend(["--context".to_string(), name.clone()]);
                            app.context = name;
                            app.server = options.client.base.clone();
                            effects_next.extend(app.switched(namespace));
                        }
                        Err(e) => app.status = e,
                    },
                    Effect::StartPulse => {
                        if let Some(p) = pulser.take() {
                            p.abort();
                        }
                        let (client, tx) = (options.client.clone(), tx.clone());
                        pulser = Some(tokio::spawn(pulse(client, tx)));
                    }
                    Effect::StopPulse => {
                        if let Some(p) = pulser.take() {
                            p.abort();
                        }
                    }
                    Effect::Quit => {
                        for task in [watcher.take(), logger.take(), pulser.take()]
                            .into_iter()
                            .flatten()
                        {
                            task.abort();
                        }
                        counter.abort();
                        return Ok(());
                    }
                    Effect::Watch { view, generation } => {
                        if let Some(w) = watcher.take() {
                            w.abort();
                        }
                        let (client, tx) = (options.client.clone(), tx.clone());
                        watcher = Some(tokio::spawn(watch(client, view, generation, tx)));
                    }
                    Effect::StopLogs => {
                        if let Some(l) = logger.take() {
                            l.abort();
                        }
                    }
                    Effect::Forward {
                        namespace,
                        target,
                        ports,
                    } => {
                        let Some(mut kyb) = kyb_command(options) else {
                            continue;
                        };
                        kyb.args(["port-forward", "-n", &namespace, &target, &ports])
                            .stdin(std::process::Stdio::null())
                            .stdout(std::process::Stdio::piped())
                            .stderr(std::process::Stdio::piped())
                            .kill_on_drop(true);
                        match kyb.spawn() {
                            Ok(mut child) => {
                                // What it says (where it listens, or why it cannot) goes to the status line.
                                for out in [
                                    child.stdout.take().map(|o| {
                                        Box::new(o) as Box<dyn tokio::io::AsyncRead + Send + Unpin>
                                    }),
                                    child.stderr.take().map(|e| {
                                        Box::new(e) as Box<dyn tokio::io::AsyncRead + Send + Unpin>
                                    }),
                                ]
                                .into_iter()
                                .flatten()
                                {
                                    let tx = tx.clone();
                                    tokio::spawn(async move {
                                        use tokio::io::AsyncBufReadExt;
                                        let mut lines = tokio::io::BufReader::new(out).lines();
                                        while let Ok(Some(line)) = lines.next_line().await {
                                            if tx.send(Action::Status(line)).is_err() {
                                                return;
                                            }
                                        }
                                    });
                                }
                                forwards.push((format!("{namespace}/{target} {ports}"), child));
                            }
                            Err(e) => app.status = format!("running kyb port-forward: {e}"),
                        }
                        effects_next.extend(app.update(Action::Forwards(
                            forwards.iter().map(|(d, _)| d.clone()).collect(),
                        )));
                    }
                    Effect::StopForward(i) => {
                        if i < forwards.len() {
                            let (what, _) = forwards.remove(i);
                            app.status = format!("port-forward {what} stopped");
                        }
                        effects_next.extend(app.update(Action::Forwards(
                            forwards.iter().map(|(d, _)| d.clone()).collect(),
                        )));
                    }
                    Effect::Suspend(args) => {
                        // The reader stops polling (it polls a tenth of a second at a time) before the
                        // command gets the terminal, so none of its keys are taken from it.
                        paused.store(true, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        restore();
                        let status = match kyb_command(options) {
                            Some(mut kyb) => kyb.args(&args).status().await,
                            None => Err(std::io::Error::other("no kyb to run")),
                        };
                        let back = crossterm::terminal::enable_raw_mode().and_then(|()| {
                            crossterm::execute!(
                                std::io::stdout(),
                                crossterm::terminal::EnterAlternateScreen,
                                crossterm::cursor::Hide
                            )
                        });
                        back.map_err(|e| format!("the terminal: {e}"))?;
                        terminal.clear().map_err(|e| e.to_string())?;
                        paused.store(false, std::sync::atomic::Ordering::SeqCst);
                        app.status = match status {
                            Ok(s) if s.success() => String::new(),
                            Ok(s) => format!("kyb {} ended with {s}", args.join(" ")),
                            Err(e) => format!("running kyb: {e}"),
                        };
                        dirty = true;
                        drawn = std::time::Instant::now() - FRAME;
                    }
                    logs @ Effect::Logs { .. } => {
                        if let Some(l) = logger.take() {
                            l.abort();
                        }
                        let (client, tx) = (options.client.clone(), tx.clone());
                        logger = Some(tokio::spawn(stream_logs(client, logs, tx)));
                    }
                    other => {
                        let tx = tx.clone();
                        let options = options.clone();
                        tokio::spawn(async move { perform(&options, other, tx).await });
                    }
                }
            }
            effects = effects_next;
        }
        if dirty && drawn.elapsed() >= FRAME {
            let now = chrono::Utc::now();
            terminal
                .draw(|f| crate::view::draw(f, app, now))
                .map_err(|e| e.to_string())?;
            drawn = std::time::Instant::now();
            dirty = false;
        }
        let wait = if dirty {
            FRAME.saturating_sub(drawn.elapsed())
        } else {
            Duration::from_secs(1)
        };
        tokio::select! {
            key = keys.recv() => match key {
                Some(Ok(Event::Key(mut k))) if k.kind == crossterm::event::KeyEventKind::Press => {
                    // Esc and the next key read together arrive as Alt and that key: both are meant.
                    if k.modifiers.contains(KeyModifiers::ALT) {
                        effects = app.update(Action::Back);
                        k.modifiers.remove(KeyModifiers::ALT);
                    }
                    if let Some(a) = action_for(keys_map, &app.mode, k) {
                        effects.extend(app.update(a));
                    }
                    dirty = true;
                    drawn = std::time::Instant::now() - FRAME;
                }
                Some(Ok(Event::Mouse(m))) => {
                    use crossterm::event::{MouseButton, MouseEventKind};
                    let height = terminal.size().map(|s| s.height).unwrap_or(0);
                    let action = match m.kind {
                        MouseEventKind::ScrollDown => Some(Action::Down),
                        MouseEventKind::ScrollUp => Some(Action::Up),
                        MouseEventKind::Down(MouseButton::Left) => {
                            Some(Action::Click { y: m.row, height })
                        }
                        _ => None,
                    };
                    if let Some(a) = action {
                        effects = app.update(a);
                        dirty = true;
                        drawn = std::time::Instant::now() - FRAME;
                    }
                }
                Some(Ok(Event::Resize(..))) => {
                    dirty = true;
                    drawn = std::time::Instant::now() - FRAME;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("reading the terminal: {e}")),
                None => return Ok(()),
            },
            Some(action) = rx.recv() => {
                effects = app.update(action);
                while let Ok(more) = rx.try_recv() {
                    effects.extend(app.update(more));
                }
                dirty = true;
            }
            _ = tokio::time::sleep(wait) => dirty = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn keys_mean_different_things_by_mode() {
        let act =
            |mode: &Mode, key: KeyEvent| action_for(&crate::config::KeyMap::default(), mode, key);
        let none = KeyModifiers::NONE;
        assert_eq!(
            act(&Mode::Normal, key(KeyCode::Char('d'), none)),
            Some(Action::Describe)
        );
        assert_eq!(
            act(
                &Mode::Normal,
                key(KeyCode::Char('d'), KeyModifiers::CONTROL)
            ),
            Some(Action::Delete)
        );
        assert_eq!(
            act(&Mode::Filter(String::new()), key(KeyCode::Char('d'), none)),
            Some(Action::Input('d'))
        );
        assert_eq!(
            act(&Mode::Command(String::new()), key(KeyCode::Enter, none)),
            Some(Action::Submit)
        );
        assert_eq!(
            act(&Mode::Normal, key(KeyCode::Enter, none)),
            Some(Action::DrillDown)
        );
        let confirm = Mode::Confirm {
            question: String::new(),
            effect: Box::new(Effect::Quit),
        };
        assert_eq!(
            act(&confirm, key(KeyCode::Char('y'), none)),
            Some(Action::Confirm(true))
        );
        assert_eq!(
            act(&confirm, key(KeyCode::Char('n'), none)),
            Some(Action::Confirm(false))
        );
        assert_eq!(act(&Mode::Normal, key(KeyCode::F(5), none)), None);
        let forward = Mode::Forward {
            namespace: String::new(),
            target: String::new(),
            input: String::new(),
        };
        assert_eq!(
            act(&forward, key(KeyCode::Char('0'), none)),
            Some(Action::Input('0'))
        );
    }

    #[test]
    fn a_pods_containers_as_a_table() {
        let pod = json!({"spec": {"initContainers": [{"name": "setup", "image": "busybox"}],
            "containers": [{"name": "web", "image": "nginx:1", "ports": [{"name": "http", "containerPort": 80}]}]},
            "status": {"initContainerStatuses": [{"name": "setup", "ready": false, "restartCount": 0,
                "state": {"terminated": {"reason": "Completed"}}}],
                "containerStatuses": [{"name": "web", "ready": true, "restartCount": 2, "state": {"running": {}}}]}});
        assert_eq!(
            containers_page(&pod),
            "NAME         IMAGE     READY   STATE                   RESTARTS   PORTS\n\
             init:setup   busybox   false   terminated: Completed   0\n\
             web          nginx:1   true    running                 2          http:80/TCP\n"
        );
    }

    #[test]
    fn xray_draws_a_pod_and_its_containers() {
        let pod = json!({"metadata": {"name": "web-1"}, "status": {"phase": "Running",
            "containerStatuses": [{"name": "app", "ready": true}, {"name": "side", "ready": false}]},
            "spec": {"containers": [{"name": "app"}, {"name": "side"}]}});
        let mut out = Vec::new();
        xray_pod(&mut out, "│  ", false, &pod, " 10.0.0.1");
        xray_pod(&mut out, "   ", true, &pod, "");
        assert_eq!(
            out,
            [
                "│  ├─ Pod web-1 Running 10.0.0.1",
                "│  │  ├─ Container app ready",
                "│  │  └─ Container side not ready",
                "   └─ Pod web-1 Running",
                "      ├─ Container app ready",
                "      └─ Container side not ready",
            ]
        );
    }

    #[test]
    fn drilling_down_selects_the_pods() {
        let view = |plural: &str| View {
            plural: plural.into(),
            group: String::new(),
            version: "v1".into(),
            kind: String::new(),
            namespaced: true,
            namespace: None,
            label_selector: None,
            field_selector: None,
        };
        let deploy = json!({"metadata": {"name": "web", "namespace": "prod"},
            "spec": {"selector": {"matchLabels": {"app": "web", "tier": "front"}}}});
        let pods = pods_of(&view("deployments"), &deploy);
        assert_eq!(
            pods.as_ref().and_then(|p| p.label_selector.as_deref()),
            Some("app=web,tier=front")
        );
        assert_eq!(pods.and_then(|p| p.namespace), Some("prod".into()));
        let svc = json!({"metadata": {"name": "web", "namespace": "prod"}, "spec": {"selector": {"app": "web"}}});
        assert_eq!(
            pods_of(&view("services"), &svc).and_then(|p| p.label_selector),
            Some("app=web".into())
        );
        let node = json!({"metadata": {"name": "n1"}});
        assert_eq!(
            pods_of(&view("nodes"), &node).and_then(|p| p.field_selector),
            Some("spec.nodeName=n1".into())
        );
        assert_eq!(pods_of(&view("configmaps"), &json!({"metadata": {}})), None);
        assert_eq!(
            object_path(&view("pods"), "a b", "x/y"),
            "/api/v1/namespaces/a%20b/pods/x%2Fy"
        );
    }
}
