//! `kyb logs (POD | TYPE/NAME) [CONTAINER] | -l SELECTOR`, as kubectl prints logs: one container's (the
//! named one, the `kubectl.kubernetes.io/default-container`, or the first), every container's with
//! `--all-containers`, a workload's through one of its pods, or several pods' at once by selector, merged
//! line by line as they arrive when following, each line prefixed `[pod/NAME/CONTAINER] ` with `--prefix`.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use kyb_api::client::ACCEPT_JSON;
use serde_json::Value;

use super::get::encode;
use super::{unknown_type, CliError, CliResult, Ctx};

const USAGE: &str = "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command";

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// POD or TYPE/NAME, and optionally the container
    args: Vec<String>,
    /// Print the logs of this container
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// Get all containers' logs in the pod(s).
    #[arg(long)]
    all_containers: bool,
    /// Specify if the logs should be streamed.
    #[arg(short = 'f', long)]
    follow: bool,
    /// If true, print the logs for the previous instance of the container in a pod if it exists.
    #[arg(short = 'p', long)]
    previous: bool,
    /// Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines otherwise 10, if a selector is provided.
    #[arg(long, allow_hyphen_values = true)]
    tail: Option<i64>,
    /// Only return logs newer than a relative duration like 5s, 2m, or 3h.
    #[arg(long)]
    since: Option<String>,
    /// Only return logs after a specific date (RFC3339).
    #[arg(long)]
    since_time: Option<String>,
    /// Include timestamps on each line in the log output
    #[arg(long)]
    timestamps: bool,
    /// Maximum bytes of logs to return. Defaults to no limit.
    #[arg(long, allow_hyphen_values = true)]
    limit_bytes: Option<i64>,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Prefix each log line with the log source (pod name and container name)
    #[arg(long)]
    prefix: bool,
    /// Specify maximum number of concurrent logs to follow when using by a selector.
    #[arg(long, default_value_t = 5)]
    max_log_requests: usize,
    /// If watching / following pod logs, allow for any errors that occur to be non-fatal
    #[arg(long)]
    ignore_errors: bool,
    /// How long to wait for a workload's pod to exist (e.g. 5s, 2m).
    #[arg(long, default_value = "20s")]
    pod_running_timeout: String,
}

/// A Go duration (`1h30m`, `5s`, `250ms`), in seconds rounded to the nearest.
fn go_seconds(s: &str) -> Option<i64> {
    let mut nanos: f64 = 0.0;
    let mut rest = s.trim();
    if rest == "0" {
        return Some(0);
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += n * scale;
        rest = &rest[unit_len..];
    }
    Some((nanos / 1e9).round() as i64)
}

/// One stream to print: a pod's container.
pub(super) struct Source {
    pub pod: String,
    pub container: String,
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect()
}

/// The containers of a pod to print, as kubectl's LogsForObject picks them.
pub(super) fn sources(
    pod: &Value,
    container: Option<&str>,
    (all, quiet): (bool, bool),
) -> CliResult<Vec<Source>> {
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let source = |c: String| Source {
        pod: name.clone(),
        container: c,
    };
    if all {
        let every = [
            names(pod, "initContainers"),
            names(pod, "containers"),
            names(pod, "ephemeralContainers"),
        ]
        .concat();
        return Ok(every.into_iter().map(source).collect());
    }
    if let Some(c) = container {
        let known = ["initContainers", "containers", "ephemeralContainers"]
            .iter()
            .any(|f| names(pod, f).iter().any(|n| n == c));
        if !known {
            return Err(CliError::Msg(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        return Ok(vec![source(c.to_string())]);
    }
    let apps = names(pod, "containers");
    let annotated = pod
        .pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty());
    if let Some(a) = annotated {
        if apps.iter().any(|c| c == a) {
            return Ok(vec![source(a.to_string())]);
        }
        eprintln!("Default container name {a:?} not found in pod {name}");
    }
    let Some(first) = apps.first().cloned() else {
        return Ok(Vec::new());
    };
    let (inits, ephemeral) = (
        names(pod, "initContainers"),
        names(pod, "ephemeralContainers"),
    );
    if apps.len() > 1 || !inits.is_empty() || !ephemeral.is_empty() {
        let all: Vec<String> = apps
            .iter()
            .cloned()
            .chain(ephemeral.iter().map(|c| format!("{c} (ephem)")))
            .chain(inits.iter().map(|c| format!("{c} (init)")))
            .collect();
        if !quiet {
            eprintln!("Defaulted container {first:?} out of: {}", all.join(", "));
        }
    }
    Ok(vec![source(first)])
}

/// kubectl's ByLogging order: pods on a node first, running before pending, ready before not, more
/// restarts before fewer, older before newer.
fn rank(pod: &Value) -> (bool, u8, bool, std::cmp::Reverse<i64>, String) {
    let phase = match pod["status"]["phase"].as_str() {
        Some("Running") => 0,
        Some("Unknown") => 1,
        Some("Pending") => 2,
        _ => 3,
    };
    let ready = pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let restarts: i64 = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["restartCount"].as_i64())
        .sum();
    (
        pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty),
        phase,
        !ready,
        std::cmp::Reverse(restarts),
        pod["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// The selector of a workload or service as a label query.
fn selector_of(obj: &Value) -> Option<String> {
    let spec = &obj["spec"];
    let labels = spec["selector"]
        .get("matchLabels")
        .or_else(|| spec["selector"].as_object().map(|_| &spec["selector"]))
        .and_then(Value::as_object)?;
    let mut parts: Vec<String> = labels
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    for e in spec["selector"]["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str().unwrap_or_default();
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str() {
            Some("In") => format!("{key} in ({})", values.join(",")),
            Some("NotIn") => format!("{key} notin ({})", values.join(",")),
            Some("Exists") => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

async fn list_pods(ctx: &Ctx, selector: &str) -> CliResult<Vec<Value>> {
    let path = format!(
        "/api/v1/namespaces/{}/pods?labelSelector={}",
        ctx.namespace(),
        encode(selector)
    );
    let list = ctx.client.get_json(&path).await?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// The pods whose logs are wanted: the pod named, one pod of a workload, or every pod a selector matches.
async fn pods(ctx: &Ctx, a: &LogsArgs, timeout: Duration) -> CliResult<Vec<Value>> {
    if let Some(sel) = &a.selector {
        let pods = list_pods(ctx, sel).await?;
        if pods.is_empty() {
            eprintln!("No resources found in {} namespace.", ctx.namespace());
        }
        return Ok(pods);
    }
    Ok(vec![pod_for(ctx, &a.args[0], timeout).await?])
}

/// `--pod-running-timeout`, or `default` when it is zero.
pub(super) fn running_timeout(flag: &str, default: Duration) -> CliResult<Duration> {
    Ok(super::parse_duration(flag)
        .map_err(|_| CliError::Msg(format!("invalid --pod-running-timeout {flag:?}")))?
        .unwrap_or(default))
}

/// The container a command acts on: the one named, else the default one (annotation or first, with
/// kubectl's note).
pub(super) fn container_of(pod: &Value, named: Option<&str>, quiet: bool) -> CliResult<String> {
    Ok(match named {
        Some(c) => c.to_string(),
        None => sources(pod, None, (false, quiet))?
            .into_iter()
            .next()
            .map(|s| s.container)
            .unwrap_or_default(),
    })
}

/// The pod an exec or attach goes into, unless it has finished (`verb` words kubectl's refusal): its name
/// and the container.
pub(super) async fn live_target(
    ctx: &Ctx,
    target: &str,
    container: Option<&str>,
    timeout: &str,
    (verb, quiet): (&str, bool),
) -> CliResult<(String, String)> {
    let pod = pod_for(
        ctx,
        target,
        running_timeout(timeout, Duration::from_secs(60))?,
    )
    .await?;
    let phase = pod["status"]["phase"].as_str().unwrap_or_default();
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(CliError::Msg(format!(
            "cannot {verb} a container in a completed pod; current phase is {phase}"
        )));
    }
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((name, container_of(&pod, container, quiet)?))
}

/// The pod `POD` or `TYPE/NAME` names: the pod itself, or the one of a workload's pods kubectl would pick.
pub(super) async fn pod_for(ctx: &Ctx, arg: &str, timeout: Duration) -> CliResult<Value> {
    let (typed, name) = match arg.split_once('/') {
        Some((t, n)) => (t, n),
        None => ("pods", arg),
    };
    let discovery = ctx.discovery(false).await?;
    let resource = discovery
        .resolve(typed)
        .ok_or_else(|| unknown_type(typed))?;
    let path = format!("{}/{}", resource.path(Some(ctx.namespace())), encode(name));
    let obj = ctx.client.get_json(&path).await?;
    if resource.kind == "Pod" {
        return Ok(obj);
    }
    let selector = selector_of(&obj).ok_or_else(|| {
        CliError::Msg(format!(
            "cannot get the logs from {}",
            resource.kind_group()
        ))
    })?;
    let deadline = Instant::now() + timeout;
    loop {
        let mut pods = list_pods(ctx, &selector).await?;
        pods.sort_by_key(rank);
        if let Some(first) = pods.first().cloned() {
            if pods.len() > 1 {
                let name = first["metadata"]["name"].as_str().unwrap_or_default();
                eprintln!("Found {} pods, using pod/{name}", pods.len());
            }
            return Ok(first);
        }
        if Instant::now() >= deadline {
            return Err(CliError::Msg("timed out waiting for the condition".into()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Writes a stream's lines, each with the prefix when there is one.
struct Lines {
    prefix: Option<Vec<u8>>,
    partial: Vec<u8>,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(prefix) = &self.prefix else {
            out.extend_from_slice(chunk);
            return;
        };
        self.partial.extend_from_slice(chunk);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            out.extend_from_slice(prefix);
            out.extend(self.partial.drain(..=i));
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.partial.is_empty() {
            if let Some(prefix) = &self.prefix {
                out.extend_from_slice(prefix);
            }
            out.append(&mut self.partial);
        }
    }
}

/// Streams one container's log to `sink`, a chunk of whole (prefixed) lines at a time.
async fn pump(
    ctx: &Ctx,
    source: &Source,
    query: &str,
    prefix: bool,
    mut sink: impl FnMut(Vec<u8>),
) -> CliResult {
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/log?container={}{query}",
        ctx.namespace(),
        encode(&source.pod),
        encode(&source.container)
    );
    let mut resp = ctx.client.stream(&path, ACCEPT_JSON).await?;
    let mut lines = Lines {
        prefix: prefix.then(|| format!("[pod/{}/{}] ", source.pod, source.container).into_bytes()),
        partial: Vec::new(),
    };
    loop {
        let chunk = resp
            .chunk()
            .await
            .map_err(|e| CliError::Msg(e.to_string()))?;
        let mut out = Vec::new();
        match chunk {
            Some(c) => lines.feed(&c, &mut out),
            None => {
                lines.finish(&mut out);
                sink(out);
                return Ok(());
            }
        }
        if !out.is_empty() {
            sink(out);
        }
    }
}

fn write_out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

pub async fn run(ctx: &Ctx, a: LogsArgs) -> CliResult {
    match (a.args.len(), &a.selector) {
        (0, None) | (3.., _) => return Err(CliError::Msg(USAGE.into())),
        (1 | 2, Some(_)) => {
            return Err(CliError::Msg(
                "only a selector (-l) or a POD name is allowed".into(),
            ))
        }
        _ => {}
    }
    let since = match &a.since {
        Some(s) => Some(go_seconds(s).ok_or_else(|| {
            CliError::Msg(format!(
                "invalid argument {s:?} for \"--since\" flag: time: invalid duration {s:?}"
            ))
        })?),
        None => None,
    };
    if a.since_time.is_some() && since.is_some_and(|s| s != 0) {
        return Err(CliError::Msg(
            "at most one of `sinceTime` or `since` may be specified".into(),
        ));
    }
    let container = a.container.clone().or_else(|| a.args.get(1).cloned());
    if a.all_containers {
        if let Some(c) = &container {
            return Err(CliError::Msg(format!(
                "--all-containers=true should not be specified with container name {c}"
            )));
        }
    }
    if a.container.is_some() && a.args.len() == 2 {
        return Err(CliError::Msg(
            "only one of -c or an inline [CONTAINER] arg is allowed".into(),
        ));
    }
    if a.limit_bytes.is_some_and(|l| l < 0) {
        return Err(CliError::Msg("--limit-bytes must be greater than 0".into()));
    }
    if since.is_some_and(|s| s < 0) {
        return Err(CliError::Msg("--since must be greater than 0".into()));
    }
    let tail = match (a.tail, &a.selector) {
        (Some(t), _) if t < -1 => {
            return Err(CliError::Msg(
                "--tail must be greater than or equal to -1".into(),
            ))
        }
        (None, Some(_)) => Some(10),
        (Some(-1) | None, _) => None,
        (Some(t), _) => Some(t),
    };
    let mut query = String::new();
    for (on, key) in [
        (a.follow, "follow"),
        (a.previous, "previous"),
        (a.timestamps, "timestamps"),
    ] {
        if on {
            query.push_str(&format!("&{key}=true"));
        }
    }
    if let Some(t) = tail {
        query.push_str(&format!("&tailLines={t}"));
    }
    if let Some(s) = since.filter(|s| *s != 0) {
        query.push_str(&format!("&sinceSeconds={s}"));
    }
    if let Some(t) = &a.since_time {
        query.push_str(&format!("&sinceTime={}", encode(t)));
    }
    if let Some(l) = a.limit_bytes.filter(|l| *l != 0) {
        query.push_str(&format!("&limitBytes={l}"));
    }
    let timeout = running_timeout(&a.pod_running_timeout, Duration::from_secs(20))?;
    let mut all = Vec::new();
    for pod in pods(ctx, &a, timeout).await? {
        all.extend(sources(
            &pod,
            container.as_deref(),
            (a.all_containers, false),
        )?);
    }
    if a.follow && all.len() > 1 {
        if all.len() > a.max_log_requests {
            return Err(CliError::Msg(format!(
                "you are attempting to follow {} log streams, but maximum allowed concurrency is {}, use --max-log-requests to increase the limit",
                all.len(),
                a.max_log_requests
            )));
        }
        return follow_all(ctx, all, &query, &a).await;
    }
    for source in &all {
        if let Err(e) = pump(ctx, source, &query, a.prefix, |b| write_out(&b)).await {
            if !a.ignore_errors {
                return Err(e);
            }
            write_out(format!("error: {}\n", strip_error(&e)).as_bytes());
        }
    }
    Ok(())
}

/// An error's words without kubectl's `error: ` lead, for `--ignore-errors` lines.
fn strip_error(e: &CliError) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

/// Follows several streams at once, printing whole lines as they arrive from any of them.
async fn follow_all(ctx: &Ctx, all: Vec<Source>, query: &str, a: &LogsArgs) -> CliResult {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<Vec<u8>, CliError>>();
    let client = std::sync::Arc::new(ctx.client.clone());
    for source in all {
        let (tx, client, query, prefix) = (tx.clone(), client.clone(), query.to_string(), a.prefix);
        tokio::spawn(async move {
            let ctx = Ctx {
                client: (*client).clone(),
            };
            let lines = tx.clone();
            let result = pump(&ctx, &source, &query, prefix, move |b| {
                let _ = lines.send(Ok(b));
            })
            .await;
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
    }
    drop(tx);
    while let Some(item) = rx.recv().await {
        match item {
            Ok(bytes) => write_out(&bytes),
            Err(e) if a.ignore_errors => {
                write_out(format!("error: {}\n", strip_error(&e)).as_bytes())
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_durations_round_to_seconds() {
        assert_eq!(go_seconds("5s"), Some(5));
        assert_eq!(go_seconds("1h30m"), Some(5400));
        assert_eq!(go_seconds("1500ms"), Some(2));
        assert_eq!(go_seconds("0"), Some(0));
        assert_eq!(go_seconds("soon"), None);
    }

    #[test]
    fn prefixed_lines_stay_whole_across_chunks() {
        let mut lines = Lines {
            prefix: Some(b"[pod/p/c] ".to_vec()),
            partial: Vec::new(),
        };
        let mut out = Vec::new();
        lines.feed(b"one\ntw", &mut out);
        lines.feed(b"o\nthr", &mut out);
        lines.finish(&mut out);
        assert_eq!(out, b"[pod/p/c] one\n[pod/p/c] two\n[pod/p/c] thr");
    }

    #[test]
    fn containers_default_as_kubectl_picks_them() {
        let pod = json!({"metadata": {"name": "p", "annotations": {"kubectl.kubernetes.io/default-container": "b"}},
            "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}]}});
        let pick = |c: Option<&str>, all: bool| -> Vec<String> {
            sources(&pod, c, (all, false))
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.container)
                .collect()
        };
        assert_eq!(pick(None, false), ["b"]);
        assert_eq!(pick(Some("a"), false), ["a"]);
        assert_eq!(pick(None, true), ["i", "a", "b"]);
        assert!(pick(Some("x"), false).is_empty());
        let deploy = json!({"spec": {"selector": {"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}}});
        assert_eq!(
            selector_of(&deploy).as_deref(),
            Some("app=web,tier in (a,b)")
        );
        let service = json!({"spec": {"selector": {"app": "web"}}});
        assert_eq!(selector_of(&service).as_deref(), Some("app=web"));
    }
}
