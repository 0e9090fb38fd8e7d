//! The PodDisruptionBudget controller (kube's disruption controller): for each budget, counts the pods it
//! selects, how many should stay healthy (from minAvailable or maxUnavailable, percentages taken of the
//! owning controllers' scale) and how many are, and writes `disruptionsAllowed`, which the API server's
//! eviction subresource spends. Evictions it recorded in `disruptedPods` stop counting as healthy until
//! the pod goes or two minutes pass.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::Client;
use kyb_api::selector::LabelSelector;
use serde_json::{json, Value};

use super::replicaset::{controller_ref, is_ready};
use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, str_at};

/// How long an eviction the API server recorded waits for its pod to go before it counts again.
const DELETION_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

fn selector(pdb: &Value) -> Option<LabelSelector> {
    LabelSelector::from_json(pdb.pointer("/spec/selector")?).ok()
}

/// An int-or-percent of `of`, rounded up (intstr.GetScaledValueFromIntOrPercent with roundUp).
fn scaled(v: &Value, of: i64) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("invalid value {v}")),
        Value::String(s) => {
            let p: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("invalid value for IntOrString: invalid value {s:?}"))?;
            Ok((p * of + 99) / 100)
        }
        _ => Err(format!("invalid value {v}")),
    }
}

struct Controller {
    client: Client,
    budgets: Store,
    pods: Store,
}

impl Controller {
    /// The summed scale of the controllers of `pods` (kube's getExpectedScale): a ReplicaSet owned by a
    /// Deployment counts as the Deployment.
    async fn expected_scale(&self, ns: &str, pods: &[Arc<Value>]) -> Result<i64, String> {
        let mut seen = HashSet::new();
        // Each controller is read once per sync, however many pods it has.
        let mut read_owners = HashSet::new();
        let mut total = 0;
        for pod in pods {
            let Some(r) = controller_ref(pod) else {
                return Err(format!(
                    "found no controllers for pod {:?}",
                    namespace_and_name(pod).1
                ));
            };
            if !read_owners.insert(str_at(r, "/uid").to_string()) {
                continue;
            }
            let (mut kind, mut name) = (
                str_at(r, "/kind").to_string(),
                str_at(r, "/name").to_string(),
            );
            let mut obj = self.fetch(ns, &kind, &name).await?;
            if kind == "ReplicaSet" {
                if let Some(d) = controller_ref(&obj).filter(|d| str_at(d, "/kind") == "Deployment")
                {
                    (kind, name) = ("Deployment".to_string(), str_at(d, "/name").to_string());
                    obj = self.fetch(ns, &kind, &name).await?;
                }
            }
            if seen.insert((kind, name)) {
                total += obj
                    .pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
            }
        }
        Ok(total)
    }

    async fn fetch(&self, ns: &str, kind: &str, name: &str) -> Result<Value, String> {
        let base = match kind {
            "ReplicaSet" => "/apis/apps/v1/namespaces/{ns}/replicasets",
            "Deployment" => "/apis/apps/v1/namespaces/{ns}/deployments",
            "StatefulSet" => "/apis/apps/v1/namespaces/{ns}/statefulsets",
            "ReplicationController" => "/api/v1/namespaces/{ns}/replicationcontrollers",
            other => {
                return Err(format!(
                    "pods owned by a {other} have no scale for a disruption budget"
                ))
            }
        };
        let path = format!("{}/{name}", base.replace("{ns}", ns));
        self.client.get_json(&path).await.map_err(|e| e.to_string())
    }
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(pdb) = c.budgets.get(k) else {
        return Ok(None);
    };
    let (ns, name) = namespace_and_name(&pdb);
    let sel = selector(&pdb);
    let pods: Vec<Arc<Value>> = c
        .pods
        .in_namespace(ns)
        .into_iter()
        .filter(|p| {
            sel.as_ref().is_some_and(|s| {
                s.matches(p.pointer("/metadata/labels").and_then(Value::as_object))
            })
        })
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .collect();
    let now = chrono::Utc::now();
    // Evictions still waiting for their pod to go, and when the next one expires.
    let live: HashSet<&str> = pods.iter().map(|p| namespace_and_name(p).1).collect();
    let mut disrupted = BTreeMap::new();
    let mut recheck = None;
    for (pod, at) in pdb
        .pointer("/status/disruptedPods")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(at) = at
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        else {
            continue;
        };
        let expires = at.with_timezone(&chrono::Utc) + DELETION_TIMEOUT;
        if live.contains(pod.as_str()) && expires > now {
            disrupted.insert(
                pod.clone(),
                json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
            let left = (expires - now).to_std().ok();
            recheck = recheck.min(left).or(left);
        }
    }
    let spec = pdb.get("spec").cloned().unwrap_or(json!({}));
    let counts = if let Some(max) = spec.get("maxUnavailable") {
        c.expected_scale(ns, &pods)
            .await
            .and_then(|expected| Ok((expected, (expected - scaled(max, expected)?).max(0))))
    } else if let Some(min) = spec.get("minAvailable") {
        match min {
            Value::Number(n) => Ok((pods.len() as i64, n.as_i64().unwrap_or(0))),
            _ => c
                .expected_scale(ns, &pods)
                .await
                .and_then(|expected| Ok((expected, scaled(min, expected)?))),
        }
    } else {
        Ok((pods.len() as i64, 0))
    };
    let healthy = pods
        .iter()
        .filter(|p| is_ready(p) && !disrupted.contains_key(namespace_and_name(p).1))
        .count() as i64;
    let mut status = pdb.get("status").cloned().unwrap_or(json!({}));
    let (allowed, reason, message) = match counts {
        Ok((expected, desired)) => {
            status["expectedPods"] = json!(expected);
            status["desiredHealthy"] = json!(desired);
            status["currentHealthy"] = json!(healthy);
            let allowed = (healthy - desired).max(0);
            let reason = if allowed > 0 {
                "SufficientPods"
            } else {
                "InsufficientPods"
            };
            (allowed, reason, String::new())
        }
        // kube's failSafe: no disruptions while the budget cannot be worked out.
        Err(why) => (0, "SyncFailed", why),
    };
    status["disruptionsAllowed"] = json!(allowed);
    status["disruptedPods"] = json!(disrupted);
    if let Some(g) = pdb.pointer("/metadata/generation") {
        status["observedGeneration"] = g.clone();
    }
    let state = if allowed > 0 { "True" } else { "False" };
    let old = status
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "DisruptionAllowed"))
        .cloned();
    let since = old
        .as_ref()
        .filter(|c| c["status"] == state)
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    status["conditions"] = json!([{"type": "DisruptionAllowed", "status": state, "reason": reason, "message": message,
        "lastTransitionTime": since, "observedGeneration": pdb.pointer("/metadata/generation").cloned().unwrap_or(json!(0))}]);
    let path = format!("/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}");
    super::write_status(&c.client, &path, &pdb, status).await?;
    Ok(recheck)
}

/// Runs the disruption controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (budgets, mut budget_changes) =
        inform(&informers, "/apis/policy/v1/poddisruptionbudgets").await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        client,
        budgets,
        pods,
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = budget_changes.recv() => match change {
                Some(Change::Upsert { new, .. }) => queue.add(crate::informer::key(&new)),
                Some(Change::Gone(_)) => {}
                None => return,
            },
            change = pod_changes.recv() => {
                let (old, pod) = match &change {
                    Some(Change::Upsert { old, new }) => (old.clone(), new.clone()),
                    Some(Change::Gone(p)) => (None, p.clone()),
                    None => return,
                };
                // Every budget in the namespace that selects the pod, as it is or as it was.
                let (ns, _) = namespace_and_name(&pod);
                for pdb in c.budgets.in_namespace(ns) {
                    let Some(sel) = selector(&pdb) else { continue };
                    let labels = |p: &Value| p.pointer("/metadata/labels").and_then(Value::as_object).cloned();
                    if sel.matches(labels(&pod).as_ref()) || old.as_deref().is_some_and(|o| sel.matches(labels(o).as_ref())) {
                        queue.add(crate::informer::key(&pdb));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_scale_percentages_up() {
        assert_eq!(scaled(&json!("50%"), 5), Ok(3));
        assert_eq!(scaled(&json!(2), 5), Ok(2));
        assert_eq!(scaled(&json!("0%"), 5), Ok(0));
        assert!(scaled(&json!("half"), 5).is_err());
    }
}
