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
                .unwrap_or_else(|_| "info,hickory_server=warn".into()),
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
        Command::Proxy(args) => runtime.block_on(run_proxy(args)),
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
    run_node(
        client,
        node,
        runtime,
        &args.docker_network,
        args.pod_cidr,
        args.cluster_dns_upstream,
        args.proxy,
    )
    .await
}

fn host_name() -> std::io::Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_lowercase())
}

/// Runs this host as a node on the `docker` or `process` runtime, with its service proxy, until a signal
/// comes; then takes the proxy's rules off the host.
async fn run_node(
    client: kyb_api::client::Client,
    node: kubelet::node::HostNode,
    runtime: &str,
    network: &str,
    pod_cidr: Option<String>,
    dns_upstream: Option<std::net::SocketAddr>,
    proxy_args: config::ProxyArgs,
) -> anyhow::Result<()> {
    use kubelet::runtime::{docker::DockerRuntime, process::ProcessRuntime};
    let mut proxy = proxy::Options {
        node: node.name.clone(),
        address: "127.0.0.1".into(),
        mode: proxy_args.proxy_mode,
        bridge: None,
        pod_subnet: None,
        metrics_address: proxy_args.metrics_bind_address,
    };
    if runtime == "docker" {
        let mut docker = DockerRuntime::connect(&node.name, network, pod_cidr)
            .await
            .context("connecting to Docker")?;
        let address = docker.network.gateway.clone();
        // Cluster DNS on the pods' gateway, where their resolvers reach it; without it pods keep Docker's.
        match dns::serve(client.clone(), &address, dns_upstream).await {
            Ok(()) => docker.runtime.dns = Some(address.clone()),
            Err(e) => {
                tracing::warn!(address, error = %e, "no cluster DNS on this node")
            }
        }
        proxy.address = address.clone();
        proxy.bridge = Some(docker.network.bridge);
        proxy.pod_subnet = Some(docker.network.subnet);
        let proxy = proxy::Proxy::start(client.clone(), proxy)
            .await
            .map_err(anyhow::Error::msg)?;
        let node = kubelet::node::run(client, node, docker.runtime, docker.version, address);
        let r = tokio::select! {
            r = node => r.context("running the docker node"),
            _ = shutdown_signal() => Ok(()),
        };
        proxy.stop().await;
        r
    } else {
        let processes = ProcessRuntime::new(node.root_dir.join("containers"), &proxy.address)
            .context("setting up the process runtime")?;
        tracing::warn!(
            "the process runtime runs containers as host processes, with no isolation: images, mounts, limits and users are not applied"
        );
        let address = proxy.address.clone();
        let proxy = proxy::Proxy::start(client.clone(), proxy)
            .await
            .map_err(anyhow::Error::msg)?;
        let node = kubelet::node::run(client, node, processes, ProcessRuntime::version(), address);
        let r = tokio::select! {
            r = node => r.context("running the process node"),
            _ = shutdown_signal() => Ok(()),
        };
        proxy.stop().await;
        r
    }
}

/// `kybd proxy`: the service proxy alone, until a signal comes.
async fn run_proxy(args: config::ProxyCommandArgs) -> anyhow::Result<()> {
    let node = match args.hostname_override {
        Some(n) => n,
        None => host_name().context("reading the host name; pass --hostname-override")?,
    };
    if args.cleanup {
        return proxy::cleanup(&node).map_err(anyhow::Error::msg);
    }
    let client = args
        .client
        .client()
        .context("connecting to the API server")?;
    let mut options = proxy::Options {
        node,
        address: args.bind_address,
        mode: args.proxy.proxy_mode,
        bridge: None,
        pod_subnet: None,
        metrics_address: args.proxy.metrics_bind_address,
    };
    if let Some(network) = args.docker_network {
        let pods = kubelet::runtime::docker::pod_network(&network)
            .await
            .with_context(|| format!("reading the Docker network {network}"))?;
        options.bridge = Some(pods.bridge);
        options.pod_subnet = Some(pods.subnet);
    }
    let proxy = proxy::Proxy::start(client, options)
        .await
        .map_err(anyhow::Error::msg)?;
    shutdown_signal().await;
    proxy.stop().await;
    Ok(())
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
    let mut agent = None;
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
        let proxy = config::ProxyArgs {
            proxy_mode: "auto".into(),
            metrics_bind_address: "127.0.0.1:10249".into(),
        };
        agent = Some(tokio::spawn(async move {
            if let Err(e) = run_node(client, node, runtime, "kybernet", None, None, proxy).await {
                tracing::error!(error = %format!("{e:#}"), "the embedded node agent stopped");
            }
        }));
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
    if let Some(agent) = agent {
        // The agent saw the same signal: let it take its proxy rules off the host.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), agent).await;
    }
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
