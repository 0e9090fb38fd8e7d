//! Container probes as the kubelet runs them: startup, liveness and readiness, each by exec, httpGet or
//! tcpSocket, with initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold and
//! failureThreshold. Until a startup probe succeeds the others wait; a readiness result drives the
//! container's `ready`; a liveness (or startup) failure past its threshold asks for the container to be
//! killed, so that the restart policy takes over.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::controllers::str_at;

/// The three probes, in the order they gate each other.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    Startup,
    Liveness,
    Readiness,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Startup => "startupProbe",
            Kind::Liveness => "livenessProbe",
            Kind::Readiness => "readinessProbe",
        }
    }

    /// How the kubelet names the probe in its events.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Startup => "Startup",
            Kind::Liveness => "Liveness",
            Kind::Readiness => "Readiness",
        }
    }
}

/// One probe's timing, with Kubernetes' defaults.
struct Timing {
    initial_delay: Duration,
    period: Duration,
    timeout: Duration,
    success_threshold: u32,
    failure_threshold: u32,
}

fn timing(probe: &Value) -> Timing {
    let int = |k: &str, default: u64| {
        probe
            .get(k)
            .and_then(Value::as_u64)
            .unwrap_or(default)
            .clamp(0, 24 * 3600)
    };
    Timing {
        initial_delay: Duration::from_secs(int("initialDelaySeconds", 0)),
        period: Duration::from_secs(int("periodSeconds", 10).max(1)),
        timeout: Duration::from_secs(int("timeoutSeconds", 1).max(1)),
        success_threshold: int("successThreshold", 1).max(1) as u32,
        failure_threshold: int("failureThreshold", 3).max(1) as u32,
    }
}

/// What a probe asks of the container: a command, an HTTP GET, or a TCP connection.
pub enum Action {
    Exec(Vec<String>),
    Http { port: u16, path: String },
    Tcp { port: u16 },
}

/// The probe's (or lifecycle hook's) action, its named ports resolved against the container's ports.
pub fn action(probe: &Value, container: &Value) -> Option<Action> {
    let port = |p: &Value| -> Option<u16> {
        match p {
            Value::Number(n) => u16::try_from(n.as_u64()?).ok(),
            Value::String(name) => container
                .get("ports")?
                .as_array()?
                .iter()
                .find(|cp| cp.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|cp| cp.get("containerPort"))
                .and_then(Value::as_u64)
                .and_then(|n| u16::try_from(n).ok()),
            _ => None,
        }
    };
    if let Some(cmd) = probe.pointer("/exec/command").and_then(Value::as_array) {
        return Some(Action::Exec(
            cmd.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect(),
        ));
    }
    if let Some(h) = probe.get("httpGet") {
        let path = match str_at(h, "/path") {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        return Some(Action::Http {
            port: port(h.get("port")?)?,
            path,
        });
    }
    let t = probe.get("tcpSocket")?;
    Some(Action::Tcp {
        port: port(t.get("port")?)?,
    })
}

/// What one probe of one container has seen.
#[derive(Default)]
struct Record {
    last_run: Option<Instant>,
    successes: u32,
    failures: u32,
    /// The probe's verdict so far (for readiness: ready; for startup: started).
    passed: bool,
}

/// The probes of one container instance (a restarted container starts afresh).
#[derive(Default)]
pub struct Prober {
    records: HashMap<Kind, Record>,
}

/// What a pass of probes concluded.
pub struct Verdict {
    pub ready: bool,
    pub started: bool,
    /// A probe failed past its threshold: kill the container (with the event's message).
    pub kill: Option<(Kind, String)>,
    /// Probe failures to report as `Unhealthy` events.
    pub unhealthy: Vec<String>,
}

impl Prober {
    /// Runs the probes that are due. `since` is when the container started; `run` performs an action and
    /// answers with the failure's words, if it failed.
    pub async fn pass<F, Fut>(&mut self, container: &Value, since: Instant, run: F) -> Verdict
    where
        F: Fn(Action, Duration) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let has = |k: Kind| container.get(k.field()).is_some_and(|p| !p.is_null());
        let mut verdict = Verdict {
            ready: !has(Kind::Readiness),
            started: !has(Kind::Startup),
            kill: None,
            unhealthy: Vec::new(),
        };
        for kind in [Kind::Startup, Kind::Liveness, Kind::Readiness] {
            if !has(kind) {
                continue;
            }
            if kind != Kind::Startup && !verdict.started {
                continue;
            }
            let rec = self.records.entry(kind).or_default();
            if kind == Kind::Startup && rec.passed {
                verdict.started = true;
                continue;
            }
            let probe = &container[kind.field()];
            let t = timing(probe);
            let now = Instant::now();
            let due = now >= since + t.initial_delay
                && rec.last_run.is_none_or(|last| now >= last + t.period);
            if due {
                rec.last_run = Some(now);
                let outcome = match action(probe, container) {
                    Some(a) => run(a, t.timeout).await,
                    None => Err("probe has no handler it can run".to_string()),
                };
                match outcome {
                    Ok(()) => {
                        rec.failures = 0;
                        rec.successes = rec.successes.saturating_add(1);
                        if rec.successes >= t.success_threshold {
                            rec.passed = true;
                        }
                    }
                    Err(why) => {
                        rec.successes = 0;
                        rec.failures = rec.failures.saturating_add(1);
                        verdict
                            .unhealthy
                            .push(format!("{} probe failed: {why}", kind.word()));
                        if rec.failures >= t.failure_threshold {
                            rec.passed = false;
                            if kind != Kind::Readiness {
                                verdict.kill = Some((kind, why));
                            }
                        }
                    }
                }
            }
            match kind {
                Kind::Startup => verdict.started = rec.passed,
                Kind::Readiness => verdict.ready = rec.passed,
                Kind::Liveness => {}
            }
        }
        verdict.ready &= verdict.started;
        verdict
    }
}

/// An HTTP GET as the kubelet's prober sends it: 200 to 399 is success.
pub async fn http_get(ip: &str, port: u16, path: &str, timeout: Duration) -> Result<(), String> {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect((ip, port))
            .await
            .map_err(|e| format!("Get \"http://{ip}:{port}{path}\": {e}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
        let line = String::from_utf8_lossy(&head[..n]).into_owned();
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("malformed HTTP response {line:?}"))?;
        if (200..400).contains(&code) {
            Ok(())
        } else {
            Err(format!("HTTP probe failed with statuscode: {code}"))
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "Get \"http://{ip}:{port}{path}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            ))
        })
}

/// A TCP connection as the kubelet's prober makes it.
pub async fn tcp(ip: &str, port: u16, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((ip, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("dial tcp {ip}:{port}: connect: {e}")),
        Err(_) => Err(format!("dial tcp {ip}:{port}: i/o timeout")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn thresholds_gate_readiness_and_ask_for_a_kill() {
        let container = json!({"name": "c",
            "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 1, "successThreshold": 1},
            "livenessProbe": {"tcpSocket": {"port": "web"}, "periodSeconds": 1, "failureThreshold": 2},
            "ports": [{"name": "web", "containerPort": 8080}]});
        let healthy = AtomicBool::new(true);
        let run = |a: Action, _t: Duration| {
            let ok = match a {
                Action::Exec(_) => true,
                Action::Tcp { port } => port == 8080 && healthy.load(Ordering::SeqCst),
                Action::Http { .. } => false,
            };
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("refused".to_string())
                }
            }
        };
        let mut p = Prober::default();
        let since = Instant::now() - Duration::from_secs(5);
        let v = p.pass(&container, since, &run).await;
        assert!(v.ready && v.started && v.kill.is_none());
        healthy.store(false, Ordering::SeqCst);
        // Probes wait for their period: force them due by forgetting when they last ran.
        for r in p.records.values_mut() {
            r.last_run = None;
        }
        let v = p.pass(&container, since, &run).await;
        assert!(v.kill.is_none(), "one failure is under the threshold of 2");
        assert_eq!(v.unhealthy, ["Liveness probe failed: refused"]);
        for r in p.records.values_mut() {
            r.last_run = None;
        }
        let v = p.pass(&container, since, &run).await;
        assert_eq!(v.kill.map(|k| k.0), Some(Kind::Liveness));
    }

    #[tokio::test]
    async fn startup_holds_the_others_back() {
        let container = json!({"name": "c",
            "startupProbe": {"exec": {"command": ["x"]}, "failureThreshold": 30},
            "readinessProbe": {"exec": {"command": ["y"]}}});
        let run = |a: Action, _t: Duration| {
            let ok = matches!(&a, Action::Exec(cmd) if cmd[0] == "y");
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("no".to_string())
                }
            }
        };
        let mut p = Prober::default();
        let v = p.pass(&container, Instant::now(), &run).await;
        assert!(!v.started && !v.ready && v.kill.is_none());
        assert!(!p.records.contains_key(&Kind::Readiness));
    }
}
