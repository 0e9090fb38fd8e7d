//! kybd: the Kybernet server. With no subcommand, or `server`, it runs the control plane.

mod apiserver;
mod config;
mod controllers;
mod cron;
mod dns;
mod informer;
mod kubelet;
mod proxy;
mod scheduler;
mod store;

use anyhow::Context;
use clap::Parser;

use config::{Cli, Command, ServerArgs};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A shim is one process per container: no async runtime, no log set-up.
    if let Some(Command::Shim(args)) = &cli.command {
        std::process::exit(kubelet::runtime::process::shim(&args.dir));
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KYBD_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command.unwrap_or(Command::Server(cli.server)) {
        Command::Server(args) => runtime.block_on(run_server(args)),
        Command::Agent(args) => runtime.block_on(run_agent(args)),
        Command::Scheduler(args) => runtime.block_on(async move {
            let client = args.client().context("connecting to the API server")?;
            tracing::info!(server = client.base, "scheduler started");
            tokio::select! {
                _ = scheduler::run(client) => {}
                _ = shutdown_signal() => {}
            }
            Ok(())
        }),
        Command::Shim(_) => Ok(()),
        Command::ControllerManager(args) => runtime.block_on(async move {
            let client = args
                .client
                .client()
                .context("connecting to the API server")?;
            tracing::info!(server = client.base, "controller manager started");
            tokio::select! {
                _ = controllers::run_workload_controllers(client, args.controllers) => {}
                _ = shutdown_signal() => {}
            }
            Ok(())
        }),
    }
}

async fn run_agent(args: config::AgentArgs) -> anyhow::Result<()> {
    let client = args
        .client
        .client()
        .context("connecting to the API server")?;
    let lease_interval = std::time::Duration::from_secs(args.lease_interval_seconds.max(1));
    if args.runtime == "simulated" {
        let nodes = kubelet::SimulatedNodes {
            count: args.nodes,
            prefix: args.node_name_prefix,
            cpu: args.cpu,
            memory: args.memory,
            max_pods: args.max_pods,
            lease_interval,
        };
        tokio::select! {
            r = kubelet::run_simulated(client, nodes) => r.context("running the simulated nodes")?,
            _ = shutdown_signal() => {}
        }
        return Ok(());
    }
    let name = match args.node_name {
        Some(n) => n,
        None => host_name().context("reading the host name; pass --node-name")?,
    };
    let root_dir = match args.root_dir {
        Some(d) => d,
        None => std::env::var_os("HOME")
            .map(|h| std::path::PathBuf::from(h).join(".local/share/kybernet/agent"))
            .context("no home directory for the default --root-dir; pass --root-dir")?,
    };
    let node = kubelet::node::HostNode {
        name,
        lease_interval,
        root_dir,
        kubelet_port: args.kubelet_port,
    };
    let runtime = match args.runtime.as_str() {
        "auto" if kubelet::runtime::docker::available().await => "docker",
        "auto" => "process",
        "docker" | "process" => args.runtime.as_str(),
        other => anyhow::bail!(
            "unknown runtime {other:?}: use --runtime auto, docker, process or simulated"
        ),
    };
    tokio::select! {
        r = run_node(client, node, runtime, &args.docker_network, args.pod_cidr) => r?,
        _ = shutdown_signal() => {}
    }
    Ok(())
}

fn host_name() -> std::io::Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_lowercase())
}

/// Runs this host as a node on the `docker` or `process` runtime until the process ends.
async fn run_node(
    client: kyb_api::client::Client,
    node: kubelet::node::HostNode,
    runtime: &str,
    network: &str,
    pod_cidr: Option<String>,
) -> anyhow::Result<()> {
    use kubelet::runtime::{docker::DockerRuntime, process::ProcessRuntime};
    if runtime == "docker" {
        let mut docker = DockerRuntime::connect(&node.name, network, pod_cidr)
            .await
            .context("connecting to Docker")?;
        // Cluster DNS on the pods' gateway, where their resolvers reach it; without it pods keep Docker's.
        match dns::serve(client.clone(), &docker.address).await {
            Ok(()) => docker.runtime.dns = Some(docker.address.clone()),
            Err(e) => {
                tracing::warn!(address = docker.address, error = %e, "no cluster DNS on this node")
            }
        }
        tokio::spawn(proxy::run(client.clone(), docker.address.clone()));
        kubelet::node::run(client, node, docker.runtime, docker.version, docker.address)
            .await
            .context("running the docker node")
    } else {
        let address = "127.0.0.1";
        let processes = ProcessRuntime::new(node.root_dir.join("containers"), address)
            .context("setting up the process runtime")?;
        tracing::warn!(
            "the process runtime runs containers as host processes, with no isolation: images, mounts, limits and users are not applied"
        );
        tokio::spawn(proxy::run(client.clone(), address.to_string()));
        kubelet::node::run(
            client,
            node,
            processes,
            ProcessRuntime::version(),
            address.into(),
        )
        .await
        .context("running the process node")
    }
}

async fn run_server(args: ServerArgs) -> anyhow::Result<()> {
    let settings = config::ServerSettings::try_from(args)?;
    let store =
        store::open(&settings.datastore_endpoint, &settings.data_dir).with_context(|| {
            format!(
                "opening the datastore under {}",
                settings.data_dir.display()
            )
        })?;
    let api = apiserver::Api::start(store, &settings.api)
        .await
        .context("starting the API server")?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    config::write_kubeconfig(&settings.kubeconfig, addr)
        .with_context(|| format!("writing {}", settings.kubeconfig.display()))?;
    tracing::info!(%addr, kubeconfig = %settings.kubeconfig.display(), "kybd API server ready");
    if settings.agent {
        // This host becomes a node: on Docker when its daemon answers, else as host processes.
        let args = config::ClientArgs {
            kubeconfig: None,
            server: Some(format!("http://{addr}")),
        };
        let client = args.client().context("building the agent's client")?;
        let node = kubelet::node::HostNode {
            name: host_name().unwrap_or_else(|_| "kybernet-node".into()),
            lease_interval: std::time::Duration::from_secs(10),
            root_dir: settings.data_dir.join("agent"),
            kubelet_port: 10250,
        };
        let runtime = if kubelet::runtime::docker::available().await {
            "docker"
        } else {
            "process"
        };
        tokio::spawn(async move {
            if let Err(e) = run_node(client, node, runtime, "kybernet", None).await {
                tracing::error!(error = %format!("{e:#}"), "the embedded node agent stopped");
            }
        });
    }
    if settings.scheduler {
        // The embedded scheduler is a client of this server like any other: no side channel.
        let args = config::ClientArgs {
            kubeconfig: None,
            server: Some(format!("http://{addr}")),
        };
        let client = args.client().context("building the scheduler's client")?;
        tokio::spawn(scheduler::run(client));
    }
    if let Some(mut options) = settings.controllers {
        options
            .local_path_dir
            .get_or_insert_with(|| settings.data_dir.join("storage"));
        let args = config::ClientArgs {
            kubeconfig: None,
            server: Some(format!("http://{addr}")),
        };
        let client = args.client().context("building the controllers' client")?;
        tokio::spawn(controllers::run_workload_controllers(client, options));
    }
    if let Some(grace) = settings.node_lifecycle {
        let args = config::ClientArgs {
            kubeconfig: None,
            server: Some(format!("http://{addr}")),
        };
        let client = args
            .client()
            .context("building the node lifecycle controller's client")?;
        tokio::spawn(controllers::node_lifecycle::run(client, grace));
    }
    apiserver::serve(listener, api, shutdown_signal()).await?;
    tracing::info!("kybd stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
