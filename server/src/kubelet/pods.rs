//! The pod worker: one per pod bound to this node, syncing it level-triggered against the container
//! runtime. It creates what is missing (sandbox, init containers in order, then app containers), restarts
//! exited containers by the restart policy with kube's back-off, runs probes and lifecycle hooks, reports
//! the status Kubernetes reports, and on deletion stops the containers within the grace period and removes
//! the pod object.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::Method;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::env::Sources;
use super::node::Host;
use super::probe::{self, Action, Prober};
use super::runtime::{Container, ContainerRuntime, Spec, SANDBOX};
use super::status::{status_of, Seen};
use super::volumes::{self, Volume};
use crate::controllers::{namespace_and_name, pod_event, str_at};

/// What a pod worker works with: the node and its runtime.
pub struct Ctx<R> {
    pub host: Host,
    pub runtime: R,
    /// First starts of pods under way at once. A burst of new pods started all together queues every
    /// container in the runtime at once, so that each pod waits for all of them; in turns (first come,
    /// first served: tokio's semaphore is fair) the early pods run early.
    pub first_starts: tokio::sync::Semaphore,
}

impl<R> Ctx<R> {
    pub fn new(host: Host, runtime: R) -> Self {
        let turns = std::thread::available_parallelism().map_or(2, |n| n.get() * 4);
        Ctx {
            host,
            runtime,
            first_starts: tokio::sync::Semaphore::new(turns),
        }
    }
}

/// One pod's worker: syncs on every change and every second, until the pod is gone.
pub async fn worker<R: ContainerRuntime>(ctx: Arc<Ctx<R>>, mut pod: watch::Receiver<Value>) {
    let mut state = PodState::default();
    loop {
        let current = pod.borrow_and_update().clone();
        let next = match sync(&ctx, &current, &mut state).await {
            Ok(Next::Gone) => return,
            Ok(Next::Soon) => Duration::from_secs(1),
            Ok(Next::Steady) => STEADY,
            Err(e) => {
                tracing::warn!(pod = crate::informer::key(&current), error = %e, "pod sync failed");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            changed = pod.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(next) => {}
        }
    }
}

/// How often a pod whose containers all run as they should, with no probes, is looked at again: each look
/// costs the runtime a list and an inspection per container, which slows every start under way.
const STEADY: Duration = Duration::from_secs(5);

/// When a worker should look at its pod again.
enum Next {
    /// The pod is gone.
    Gone,
    /// Something is under way (starting, backing off, probing): in a second.
    Soon,
    /// All is as it should be: after [`STEADY`], or at the pod's next change.
    Steady,
}

/// What a worker remembers between syncs.
#[derive(Default)]
struct PodState {
    /// Image pulls that failed, for their back-off: (failures, when last).
    pull_failures: HashMap<String, (u32, chrono::DateTime<chrono::Utc>)>,
    /// Probes by container id (a restarted container starts afresh).
    probers: HashMap<String, Prober>,
    /// The probes' verdicts by container name: (ready, started).
    probed: HashMap<String, (bool, bool)>,
    /// Termination messages of ended containers, by container id.
    messages: HashMap<String, String>,
}

/// How long an exited container waits before its `restarts`-th start: kube's back-off, begun afresh for
/// a container that had run for 10 minutes.
fn restart_delay(
    restarts: u32,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
) -> chrono::Duration {
    if finished - started >= chrono::Duration::minutes(10) {
        backoff(1)
    } else {
        backoff(restarts)
    }
}

/// kube's container back-off: 10 s doubling to 5 minutes.
fn backoff(restarts: u32) -> chrono::Duration {
    chrono::Duration::seconds((10i64 << restarts.saturating_sub(1).min(5)).min(300))
}

/// The pod's container specs: `initContainers` or `containers`.
fn specs(pod: &Value, field: &str) -> Vec<Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The pod's grace period for stopping containers.
fn grace_of(pod: &Value, field: &str) -> Duration {
    let secs = pod.pointer(field).and_then(Value::as_i64).unwrap_or(30);
    Duration::from_secs(secs.clamp(0, 3600) as u64)
}

/// The host file bound at a container's terminationMessagePath, for one attempt.
fn termination_file(host: &Host, pod: &Value, container: &str, attempt: u32) -> std::path::PathBuf {
    volumes::pod_dir(host, pod)
        .join("containers")
        .join(container)
        .join(attempt.to_string())
        .join("termination-log")
}

/// What ended containers left as their termination message: the file at terminationMessagePath (at most
/// 4096 bytes), or under FallbackToLogsOnError, for a failure with no message, the last lines of the log.
async fn termination_messages<R: ContainerRuntime>(
    ctx: &Ctx<R>,
    pod: &Value,
    containers: &[Container],
    known: &mut HashMap<String, String>,
) {
    let all: Vec<Value> = [specs(pod, "initContainers"), specs(pod, "containers")].concat();
    known.retain(|id, _| containers.iter().any(|c| c.id == *id));
    for c in containers
        .iter()
        .filter(|c| !c.running && c.name != SANDBOX)
    {
        if known.contains_key(&c.id) {
            continue;
        }
        let mut message = std::fs::read(termination_file(&ctx.host, pod, &c.name, c.attempt))
            .map(|b| String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned())
            .unwrap_or_default();
        let fallback = all.iter().any(|s| {
            s["name"] == c.name.as_str()
                && str_at(s, "/terminationMessagePolicy") == "FallbackToLogsOnError"
        });
        if message.is_empty() && fallback && c.exit_code != 0 {
            message = ctx.runtime.log_tail(&c.id, 80).await;
            let start = message.len().saturating_sub(2048);
            let start = (start..message.len())
                .find(|i| message.is_char_boundary(*i))
                .unwrap_or(message.len());
            message = message[start..].to_string();
        }
        known.insert(c.id.clone(), message);
    }
}

/// Makes sure the image is there as the pull policy asks; the waiting reason and message when it is not.
async fn image_ready<R: ContainerRuntime>(
    ctx: &Ctx<R>,
    state: &mut PodState,
    image: &str,
    policy: &str,
) -> Option<(&'static str, String)> {
    let present = ctx.runtime.image_present(image).await;
    if present && policy != "Always" {
        return None;
    }
    if policy == "Never" {
        return Some((
            "ErrImageNeverPull",
            format!("Container image {image:?} is not present with pull policy of Never"),
        ));
    }
    let now = chrono::Utc::now();
    if let Some((n, at)) = state.pull_failures.get(image) {
        if now < *at + backoff(*n) {
            return Some((
                "ImagePullBackOff",
                format!("Back-off pulling image {image:?}"),
            ));
        }
    }
    match ctx.runtime.pull(image).await {
        Ok(()) => {
            state.pull_failures.remove(image);
            None
        }
        Err(why) => {
            let n = state.pull_failures.get(image).map_or(0, |f| f.0) + 1;
            state.pull_failures.insert(image.to_string(), (n, now));
            Some((
                "ErrImagePull",
                format!("failed to pull and unpack image {image:?}: {why}"),
            ))
        }
    }
}

/// Runs a lifecycle hook (exec or httpGet) against the container, within `budget`.
async fn run_hook<R: ContainerRuntime>(
    runtime: &R,
    id: &str,
    hook: &Value,
    container: &Value,
    pod_ip: &str,
    budget: Duration,
) -> Result<(), String> {
    match probe::action(hook, container) {
        Some(Action::Exec(cmd)) => runtime.exec(id, cmd, budget).await,
        Some(Action::Http { port, path }) => probe::http_get(pod_ip, port, &path, budget).await,
        Some(Action::Tcp { .. }) | None => Err("the hook has no handler it can run".into()),
    }
}

/// Stops and removes the pod's containers within its grace period, then removes the pod object.
async fn tear_down<R: ContainerRuntime>(
    ctx: &Ctx<R>,
    pod: &Value,
    containers: &[Container],
) -> anyhow::Result<()> {
    let budget = grace_of(pod, "/metadata/deletionGracePeriodSeconds");
    let pod_ip = str_at(pod, "/status/podIP");
    let started = std::time::Instant::now();
    let stops = containers
        .iter()
        .filter(|c| c.running && c.name != SANDBOX)
        .map(|c| {
            let spec = specs(pod, "containers")
                .into_iter()
                .find(|s| s["name"] == c.name.as_str())
                .unwrap_or(Value::Null);
            async move {
                // preStop runs first, within the grace period; SIGTERM gets what is left of it.
                if let Some(hook) = spec.pointer("/lifecycle/preStop") {
                    if let Err(why) =
                        run_hook(&ctx.runtime, &c.id, hook, &spec, pod_ip, budget).await
                    {
                        let message = format!("PreStopHook failed: {why}");
                        pod_event(
                            &ctx.host.client,
                            "kubelet",
                            pod,
                            "Warning",
                            "FailedPreStopHook",
                            &message,
                        )
                        .await;
                    }
                }
                let left = budget.saturating_sub(started.elapsed());
                ctx.runtime.stop(&c.id, left).await;
            }
        });
    futures::future::join_all(stops).await;
    if !matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
        let after = ctx
            .runtime
            .containers(str_at(pod, "/metadata/uid"))
            .await
            .unwrap_or_default();
        let mut messages = HashMap::new();
        termination_messages(ctx, pod, &after, &mut messages).await;
        let none = HashMap::new();
        let seen = Seen {
            waiting: &none,
            probed: &HashMap::new(),
            messages: &messages,
            pod_ip: "",
            host_ip: &ctx.host.ip,
            scheme: ctx.runtime.scheme(),
        };
        let mut status = status_of(pod, &after, &seen);
        status["phase"] = json!(if status["phase"] == "Succeeded" {
            "Succeeded"
        } else {
            "Failed"
        });
        patch_status(ctx, pod, status).await;
    }
    for c in containers {
        ctx.runtime.remove(&c.id).await;
    }
    let dir = volumes::pod_dir(&ctx.host, pod);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "removing the pod's folder failed");
        }
    }
    let (ns, name) = namespace_and_name(pod);
    let options = json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
        "preconditions": {"uid": str_at(pod, "/metadata/uid")}});
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    crate::controllers::send_unless_gone(
        &ctx.host.client,
        Method::DELETE,
        &path,
        "application/json",
        &options,
    )
    .await
    .map_err(anyhow::Error::msg)
}

async fn patch_status<R>(ctx: &Ctx<R>, pod: &Value, status: Value) {
    let (ns, name) = namespace_and_name(pod);
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}/status");
    let body = json!({"status": status});
    if let Err(e) = ctx
        .host
        .client
        .send_json(Method::PATCH, &path, "application/merge-patch+json", &body)
        .await
    {
        tracing::debug!(pod = name, error = %e, "status update failed");
    }
}

/// One level-triggered pass over a pod.
async fn sync<R: ContainerRuntime>(
    ctx: &Arc<Ctx<R>>,
    pod: &Value,
    state: &mut PodState,
) -> anyhow::Result<Next> {
    let uid = str_at(pod, "/metadata/uid");
    let mut containers = ctx.runtime.containers(uid).await?;
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        tear_down(ctx, pod, &containers).await?;
        return Ok(Next::Gone);
    }
    // A finished pod keeps its exited containers (for their status and logs) but not its sandbox.
    if matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
        for c in containers.iter().filter(|c| c.running) {
            ctx.runtime.stop(&c.id, Duration::ZERO).await;
        }
        return Ok(Next::Steady);
    }
    let _turn = match containers.is_empty() {
        true => Some(ctx.first_starts.acquire().await?),
        false => None,
    };
    let sandbox = ctx.runtime.sandbox(pod, &containers).await?;
    if sandbox.created {
        containers = ctx.runtime.containers(uid).await?;
    }
    let policy = pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always");
    let mut waiting: HashMap<String, (String, String)> = HashMap::new();
    let (inits, apps) = (specs(pod, "initContainers"), specs(pod, "containers"));
    let mut run = Run {
        ctx,
        pod,
        containers: &containers,
        sandbox_id: &sandbox.id,
        pod_ip: &sandbox.ip,
        sources: Sources::new(&ctx.host, pod),
        volumes: HashMap::new(),
        waiting: &mut waiting,
        acted: false,
    };
    let volumes_ready = match volumes::prepare(&ctx.host, pod).await {
        Ok(v) => {
            run.volumes = v;
            true
        }
        // Nothing starts without its volumes; containers already made keep running, and their status
        // stays theirs (a ConfigMap deleted under a running pod does not make it look unstarted).
        Err(message) => {
            for c in inits.iter().chain(&apps) {
                let name = str_at(c, "/name");
                if !containers.iter().any(|x| x.name == name) {
                    let reason = ("ContainerCreating".to_string(), message.clone());
                    run.waiting.insert(name.to_string(), reason);
                }
            }
            false
        }
    };
    if volumes_ready {
        // Init containers run one at a time, in order, each to success, before any app container starts.
        let mut initialized = true;
        for spec in &inits {
            let restart = |code: i64| policy != "Never" && code != 0;
            match run.keep(state, spec, &restart).await? {
                Outcome::Done(0) => continue,
                _ => {
                    initialized = false;
                    break;
                }
            }
        }
        if initialized {
            for spec in &apps {
                let restart =
                    |code: i64| policy == "Always" || (policy == "OnFailure" && code != 0);
                run.keep(state, spec, &restart).await?;
            }
        }
    }
    // Read the runtime again only if this pass changed what it has (a steady pod costs one listing).
    let containers = if run.acted {
        ctx.runtime.containers(uid).await?
    } else {
        containers
    };
    probe_pass(ctx, state, pod, &apps, &containers, &sandbox.ip).await;
    termination_messages(ctx, pod, &containers, &mut state.messages).await;
    let seen = Seen {
        waiting: &waiting,
        probed: &state.probed,
        messages: &state.messages,
        pod_ip: &sandbox.ip,
        host_ip: &ctx.host.ip,
        scheme: ctx.runtime.scheme(),
    };
    let status = status_of(pod, &containers, &seen);
    let current = pod.get("status").cloned().unwrap_or(json!({}));
    let changed = status
        .as_object()
        .is_some_and(|m| m.iter().any(|(k, v)| current.get(k) != Some(v)));
    let probed = apps.iter().chain(&inits).any(|c| {
        ["startupProbe", "livenessProbe", "readinessProbe"]
            .iter()
            .any(|p| c.get(*p).is_some())
    });
    let settled = !changed
        && waiting.is_empty()
        && !probed
        && status["phase"] == "Running"
        && status["containerStatuses"]
            .as_array()
            .is_some_and(|cs| cs.iter().all(|c| c["state"]["running"].is_object()));
    if changed {
        patch_status(ctx, pod, status).await;
    }
    Ok(if settled { Next::Steady } else { Next::Soon })
}

/// Runs the due probes of the pod's running app containers; kills those a liveness or startup probe gave
/// up on (the restart policy then takes over), and reports failures as the kubelet's events.
async fn probe_pass<R: ContainerRuntime>(
    ctx: &Arc<Ctx<R>>,
    state: &mut PodState,
    pod: &Value,
    specs: &[Value],
    containers: &[Container],
    pod_ip: &str,
) {
    state
        .probers
        .retain(|id, _| containers.iter().any(|c| c.id == *id));
    state.probed.clear();
    for spec in specs {
        let cname = str_at(spec, "/name");
        let Some(c) = containers
            .iter()
            .filter(|c| c.name == cname && c.running)
            .max_by_key(|c| c.attempt)
        else {
            continue;
        };
        let age = c
            .started_at
            .and_then(|t| (chrono::Utc::now() - t).to_std().ok())
            .unwrap_or_default();
        let since = std::time::Instant::now()
            .checked_sub(age)
            .unwrap_or_else(std::time::Instant::now);
        let runtime = &ctx.runtime;
        let run = |action: Action, timeout: Duration| {
            let id = c.id.clone();
            async move {
                match action {
                    Action::Exec(cmd) => runtime.exec(&id, cmd, timeout).await,
                    Action::Http { port, path } => {
                        probe::http_get(pod_ip, port, &path, timeout).await
                    }
                    Action::Tcp { port } => probe::tcp(pod_ip, port, timeout).await,
                }
            }
        };
        let verdict = state
            .probers
            .entry(c.id.clone())
            .or_default()
            .pass(spec, since, run)
            .await;
        state
            .probed
            .insert(cname.to_string(), (verdict.ready, verdict.started));
        for message in &verdict.unhealthy {
            pod_event(
                &ctx.host.client,
                "kubelet",
                pod,
                "Warning",
                "Unhealthy",
                message,
            )
            .await;
        }
        if let Some((kind, _)) = verdict.kill {
            let message = format!(
                "Container {cname} failed {} probe, will be restarted",
                kind.word().to_lowercase()
            );
            pod_event(
                &ctx.host.client,
                "kubelet",
                pod,
                "Normal",
                "Killing",
                &message,
            )
            .await;
            state.probers.remove(&c.id);
            // The stop takes up to the grace period; the worker goes on meanwhile.
            let grace = grace_of(pod, "/spec/terminationGracePeriodSeconds");
            let (ctx, id) = (ctx.clone(), c.id.clone());
            tokio::spawn(async move { ctx.runtime.stop(&id, grace).await });
        }
    }
}

/// What became of one container in a pass.
enum Outcome {
    Running,
    /// Exited with this code, and is not to be started again.
    Done(i64),
    /// Not running: created just now, backing off, or waiting for something.
    Pending,
}

/// One pass's view of a pod, shared by its containers.
struct Run<'a, R> {
    ctx: &'a Ctx<R>,
    pod: &'a Value,
    containers: &'a [Container],
    sandbox_id: &'a str,
    pod_ip: &'a str,
    sources: Sources<'a>,
    volumes: HashMap<String, Volume>,
    waiting: &'a mut HashMap<String, (String, String)>,
    /// Whether this pass created or removed a container, so that what the runtime has must be read again.
    acted: bool,
}

impl<R: ContainerRuntime> Run<'_, R> {
    /// Makes sure the container runs, or has run, as its restart rule says.
    async fn keep(
        &mut self,
        state: &mut PodState,
        spec: &Value,
        restart: &(dyn Fn(i64) -> bool + Sync),
    ) -> anyhow::Result<Outcome> {
        let (ctx, pod) = (self.ctx, self.pod);
        let cname = str_at(spec, "/name");
        let (ns, pod_name) = namespace_and_name(pod);
        let uid = str_at(pod, "/metadata/uid");
        let mine: Vec<&Container> = self.containers.iter().filter(|c| c.name == cname).collect();
        let latest = mine.iter().max_by_key(|c| c.attempt).copied();
        let next = match latest {
            Some(c) if c.running => return Ok(Outcome::Running),
            Some(c) => {
                if !restart(c.exit_code) {
                    return Ok(Outcome::Done(c.exit_code));
                }
                let finished = c.finished_at.unwrap_or_else(chrono::Utc::now);
                let restarts = c.attempt + 1;
                let delay = restart_delay(restarts, c.started_at.unwrap_or(finished), finished);
                if chrono::Utc::now() < finished + delay {
                    let message = format!(
                        "back-off {}s restarting failed container={cname} pod={pod_name}_{ns}({uid})",
                        delay.num_seconds(),
                    );
                    self.waiting
                        .insert(cname.to_string(), ("CrashLoopBackOff".into(), message));
                    return Ok(Outcome::Pending);
                }
                // Keep the one before as the previous instance; older ones go.
                for old in mine.iter().filter(|o| o.attempt < c.attempt) {
                    self.acted = true;
                    ctx.runtime.remove(&old.id).await;
                }
                restarts
            }
            None => 0,
        };
        let image = str_at(spec, "/image");
        let pull = spec
            .get("imagePullPolicy")
            .and_then(Value::as_str)
            .unwrap_or("IfNotPresent");
        if let Some((reason, message)) = image_ready(ctx, state, image, pull).await {
            self.waiting
                .insert(cname.to_string(), (reason.into(), message));
            return Ok(Outcome::Pending);
        }
        let env = match self.sources.environment(spec, self.pod_ip).await {
            Ok(env) => env,
            Err(message) => {
                self.waiting.insert(
                    cname.to_string(),
                    ("CreateContainerConfigError".into(), message),
                );
                return Ok(Outcome::Pending);
            }
        };
        let (mut mounts, tmpfs) = volumes::mounts(spec, &self.volumes);
        // The termination message file: a host file bound at terminationMessagePath, as the kubelet does.
        let log = termination_file(&ctx.host, pod, cname, next);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&log, b"").map_err(|e| anyhow::anyhow!("{}: {e}", log.display()))?;
        let target = match str_at(spec, "/terminationMessagePath") {
            "" => "/dev/termination-log",
            p => p,
        };
        mounts.push(super::runtime::Mount {
            source: log,
            target: target.to_string(),
            read_only: false,
        });
        let spec_of = container_spec(pod, spec, next, self.sandbox_id, env, mounts, tmpfs);
        self.acted = true;
        match ctx.runtime.start(spec_of).await {
            Err(e) => {
                self.waiting.insert(
                    cname.to_string(),
                    ("CreateContainerError".into(), e.to_string()),
                );
            }
            // postStart runs right after the start; if it fails the container is killed, as the kubelet does.
            Ok(id) => {
                if let Some(hook) = spec.pointer("/lifecycle/postStart") {
                    let budget = Duration::from_secs(30);
                    if let Err(why) =
                        run_hook(&ctx.runtime, &id, hook, spec, self.pod_ip, budget).await
                    {
                        let message = format!("PostStartHook failed: {why}");
                        pod_event(
                            &ctx.host.client,
                            "kubelet",
                            pod,
                            "Warning",
                            "FailedPostStartHook",
                            &message,
                        )
                        .await;
                        ctx.runtime.stop(&id, Duration::ZERO).await;
                    }
                }
            }
        }
        Ok(Outcome::Pending)
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    })
}

/// What the runtime makes a container from: the spec with its environment and mounts resolved, limits as
/// the kubelet maps them (memory in bytes, CPU in billionths, shares from the request) and the
/// securityContext over the pod's.
fn container_spec(
    pod: &Value,
    c: &Value,
    attempt: u32,
    sandbox: &str,
    env: Vec<String>,
    mounts: Vec<super::runtime::Mount>,
    tmpfs: Vec<String>,
) -> Spec {
    let (ns, pod_name) = namespace_and_name(pod);
    let milli = |path: &str| {
        c.pointer(path)
            .and_then(Value::as_str)
            .and_then(kyb_api::quantity::parse_milli)
    };
    let pick = |field: &str| {
        c.pointer(&format!("/securityContext/{field}"))
            .or_else(|| pod.pointer(&format!("/spec/securityContext/{field}")))
            .filter(|v| !v.is_null())
    };
    let uid = pick("runAsUser").and_then(Value::as_i64);
    let gid = pick("runAsGroup").and_then(Value::as_i64);
    let user = match (uid, gid) {
        (Some(u), Some(g)) => Some(format!("{u}:{g}")),
        (Some(u), None) => Some(u.to_string()),
        (None, Some(g)) => Some(format!("0:{g}")),
        (None, None) => None,
    };
    let caps = |list: &str| -> Option<Vec<String>> {
        let names = strings(c.pointer(&format!("/securityContext/capabilities/{list}")))?;
        (!names.is_empty()).then_some(names)
    };
    let flag = |path: &str| c.pointer(path).and_then(Value::as_bool);
    // $(NAME) in the command and arguments takes the container's final environment.
    let lookup = |n: &str| {
        env.iter()
            .find_map(|kv| kv.strip_prefix(n)?.strip_prefix('=').map(String::from))
    };
    let expanded = |v: Option<&Value>| {
        strings(v).map(|list| list.iter().map(|s| super::env::expand(s, lookup)).collect())
    };
    Spec {
        pod_uid: str_at(pod, "/metadata/uid").to_string(),
        pod_name: pod_name.to_string(),
        namespace: ns.to_string(),
        name: str_at(c, "/name").to_string(),
        attempt,
        sandbox: sandbox.to_string(),
        image: str_at(c, "/image").to_string(),
        command: expanded(c.get("command")),
        args: expanded(c.get("args")),
        env,
        working_dir: c
            .get("workingDir")
            .and_then(Value::as_str)
            .map(String::from),
        mounts,
        tmpfs,
        stdin: flag("/stdin"),
        stdin_once: flag("/stdinOnce"),
        tty: flag("/tty"),
        user,
        read_only_root: flag("/securityContext/readOnlyRootFilesystem"),
        privileged: flag("/securityContext/privileged"),
        cap_add: caps("add"),
        cap_drop: caps("drop"),
        memory: milli("/resources/limits/memory").map(|m| (m / 1000) as i64),
        nano_cpus: milli("/resources/limits/cpu").map(|m| (m * 1_000_000) as i64),
        cpu_shares: milli("/resources/requests/cpu").map(|m| ((m * 1024 / 1000) as i64).max(2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_starts_the_back_off_afresh() {
        let t0 = chrono::Utc::now();
        let short = t0 + chrono::Duration::seconds(5);
        let long = t0 + chrono::Duration::minutes(11);
        assert_eq!(restart_delay(4, t0, short).num_seconds(), 80);
        assert_eq!(restart_delay(4, t0, long).num_seconds(), 10);
    }

    #[test]
    fn back_off_doubles_from_ten_seconds_to_five_minutes() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(2).num_seconds(), 20);
        assert_eq!(backoff(6).num_seconds(), 300);
        assert_eq!(backoff(60).num_seconds(), 300);
    }

    #[test]
    fn security_context_and_limits_map_as_the_kubelet_maps_them() {
        let pod = json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"securityContext": {"runAsUser": 1000, "runAsGroup": 3000}}});
        let c = json!({"name": "c", "image": "i", "command": ["sh"], "securityContext": {"runAsUser": 2000,
            "capabilities": {"add": ["NET_ADMIN"], "drop": []}, "readOnlyRootFilesystem": true},
            "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}, "requests": {"cpu": "1m"}}});
        let s = container_spec(&pod, &c, 2, "sb", vec![], vec![], vec![]);
        assert_eq!(s.user.as_deref(), Some("2000:3000"));
        assert_eq!(s.cap_add, Some(vec!["NET_ADMIN".to_string()]));
        assert_eq!(s.cap_drop, None);
        assert_eq!(s.read_only_root, Some(true));
        assert_eq!(s.memory, Some(64 << 20));
        assert_eq!(s.nano_cpus, Some(500_000_000));
        assert_eq!(s.cpu_shares, Some(2));
        assert_eq!((s.attempt, s.namespace.as_str()), (2, "ns"));
    }
}
