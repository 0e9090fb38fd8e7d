//! `kyb attach (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t]`, as kubectl attaches: the container's own
//! process over a websocket to `pods/attach`, its output from now on, and with `-i` its input (containers
//! made with `stdin: true`); `-t` makes the local terminal raw for the session.

use clap::Args;

use super::exec::{run_session, SessionFlags};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// POD or TYPE/NAME
    target: Option<String>,
    #[command(flatten)]
    session: SessionFlags,
}

pub async fn run(ctx: &Ctx, a: AttachArgs) -> CliResult {
    let Some(target) = &a.target else {
        return Err(CliError::Msg(
            "expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw 0".into(),
        ));
    };
    let code = run_session(ctx, target, &a.session, ("attach", &[])).await?;
    match code {
        0 => Ok(()),
        code => Err(CliError::Exit(code)),
    }
}
