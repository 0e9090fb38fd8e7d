//! `kyb attach (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t]`, as kubectl attaches: the container's own
//! process over a websocket to `pods/attach`, its output from now on, and with `-i` its input (containers
//! made with `stdin: true`); `-t` makes the local terminal raw for the session.

use clap::Args;

use super::exec::{open, session, write_local, Input, RawMode};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// POD or TYPE/NAME
    target: Option<String>,
    /// Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation, else the first container.
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// Pass stdin to the container
    #[arg(short = 'i', long)]
    stdin: bool,
    /// Stdin is a TTY
    #[arg(short = 't', long)]
    tty: bool,
    /// Only print output from the remote session
    #[arg(short = 'q', long)]
    quiet: bool,
    /// How long to wait for a workload's pod to exist (e.g. 5s, 2m).
    #[arg(long, default_value = "1m")]
    pod_running_timeout: String,
}

pub async fn run(ctx: &Ctx, a: AttachArgs) -> CliResult {
    let Some(target) = &a.target else {
        return Err(CliError::Msg(
            "expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw 0".into(),
        ));
    };
    let (name, container) = super::logs::live_target(
        ctx,
        target,
        a.container.as_deref(),
        &a.pod_running_timeout,
        ("attach", a.quiet),
    )
    .await?;
    if a.stdin && a.tty && !a.quiet {
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let (socket, v5) = open(ctx, &name, &container, ("attach", &[]), a.stdin, a.tty).await?;
    let code = {
        let _raw = match a.tty && a.stdin {
            true => Some(RawMode::enter()?),
            false => None,
        };
        let input: Option<Input> = a.stdin.then(|| Box::new(tokio::io::stdin()) as Input);
        session(socket, input, a.tty, v5, write_local).await?
    };
    match code {
        0 => Ok(()),
        code => Err(CliError::Exit(code)),
    }
}
