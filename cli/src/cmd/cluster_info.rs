//! `kyb cluster-info`: where the control plane and the cluster services are.

use kyb_api::client::Method;
use serde_json::Value;

use super::{CliResult, Ctx};

pub async fn run(ctx: &Ctx) -> CliResult {
    // The services kubectl lists are those labelled as cluster services in kube-system.
    let path = "/api/v1/namespaces/kube-system/services?labelSelector=kubernetes.io%2Fcluster-service%3Dtrue";
    let services = ctx
        .client
        .send(Method::GET, path, "application/json", None)
        .await?
        .json()?;
    println!("Kubernetes control plane is running at {}", ctx.client.base);
    for svc in services
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = svc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let shown = svc
            .pointer("/metadata/labels/kubernetes.io~1name")
            .and_then(Value::as_str)
            .unwrap_or(name);
        let port = svc.pointer("/spec/ports/0").map(|p| {
            match p
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                Some(n) => format!(":{n}"),
                None => p.get("port").map(|n| format!(":{n}")).unwrap_or_default(),
            }
        });
        println!(
            "{shown} is running at {}/api/v1/namespaces/kube-system/services/{name}{}/proxy",
            ctx.client.base,
            port.unwrap_or_default()
        );
    }
    println!("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
    Ok(())
}
