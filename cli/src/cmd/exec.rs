//! `kyb exec (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t] -- COMMAND [args...]`, as kubectl execs: a websocket
//! to `pods/exec` in the `v5.channel.k8s.io` protocol (v4 when that is all the server speaks), stdin piped
//! in, stdout and stderr out, the command's exit code as kyb's. With `-t` the local terminal goes raw for
//! the session, its size is sent at the start and on every change, and it is restored on every way out.

use std::io::Write;

use clap::Args;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::protocol::{Message, Role};
use tokio_tungstenite::WebSocketStream;

use super::get::encode;
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// POD or TYPE/NAME
    target: Option<String>,
    /// The command and its arguments, after `--`
    #[arg(last = true)]
    command: Vec<String>,
    #[command(flatten)]
    session: SessionFlags,
}

/// The flags exec and attach share.
#[derive(Debug, Args)]
pub struct SessionFlags {
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

/// Finds the target's container (waiting for a workload's pod), opens an `exec` or `attach` session to it
/// and runs it on the local terminal: the command's exit code.
pub(super) async fn run_session(
    ctx: &Ctx,
    target: &str,
    f: &SessionFlags,
    (verb, command): (&str, &[String]),
) -> CliResult<u8> {
    let waiting = if verb == "exec" { "exec into" } else { verb };
    let (name, container) = super::logs::live_target(
        ctx,
        target,
        f.container.as_deref(),
        &f.pod_running_timeout,
        (waiting, f.quiet),
    )
    .await?;
    if verb == "attach" && f.stdin && f.tty && !f.quiet {
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let (socket, v5) = open(ctx, &name, &container, (verb, command), f.stdin, f.tty).await?;
    // The terminal is raw only while the session runs; the guard restores it on every way out.
    let _raw = match f.tty && f.stdin {
        true => Some(RawMode::enter()?),
        false => None,
    };
    let input: Option<Input> = f.stdin.then(|| Box::new(tokio::io::stdin()) as Input);
    session(socket, input, f.tty, v5, write_local).await
}

/// Puts the terminal in raw mode, and back when dropped: on success, error, and unwinding alike.
pub(super) struct RawMode;

impl RawMode {
    pub(super) fn enter() -> CliResult<RawMode> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| CliError::Msg(format!("could not make the terminal raw: {e}")))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// A resize message for channel 4.
fn resize_frame() -> Option<Vec<u8>> {
    let (w, h) = crossterm::terminal::size().ok()?;
    let mut frame = vec![4u8];
    frame.extend(format!("{{\"Width\":{w},\"Height\":{h}}}").into_bytes());
    Some(frame)
}

/// The exit code a channel 3 Status tells, or its failure's words.
fn exit_code(status: &Value) -> Result<u8, String> {
    if status["status"] == "Success" {
        return Ok(0);
    }
    if status["reason"] == "NonZeroExitCode" {
        let code = status["details"]["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["reason"] == "ExitCode")
            .and_then(|c| c["message"].as_str())
            .and_then(|m| m.parse::<i64>().ok())
            .unwrap_or(1);
        return Ok(u8::try_from(code.rem_euclid(256)).unwrap_or(1));
    }
    Err(status["message"]
        .as_str()
        .unwrap_or("exec failed")
        .to_string())
}

pub async fn run(ctx: &Ctx, a: ExecArgs) -> CliResult {
    let Some(target) = &a.target else {
        return Err(CliError::Msg(
            "pod, type/name or --filename must be specified".into(),
        ));
    };
    if a.command.is_empty() {
        return Err(CliError::Msg(
            "you must specify at least one command for the container".into(),
        ));
    }
    let code = run_session(ctx, target, &a.session, ("exec", &a.command)).await?;
    if code != 0 {
        eprintln!("command terminated with exit code {code}");
        return Err(CliError::Exit(code));
    }
    Ok(())
}

/// What a command's stdin is read from.
pub(super) type Input = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

/// Writes a command's output where kyb's own goes: channel 1 to stdout, 2 to stderr.
pub(super) fn write_local(channel: u8, data: &[u8]) {
    if channel == 2 {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(data);
        let _ = err.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(data);
        let _ = out.flush();
    }
}

/// Starts `command` in a pod's container (`exec`), or attaches to its process (`attach`, no command), over
/// a websocket: the connection and whether it speaks v5.
pub(super) async fn open(
    ctx: &Ctx,
    pod: &str,
    container: &str,
    (verb, command): (&str, &[String]),
    stdin: bool,
    tty: bool,
) -> CliResult<(WebSocketStream<reqwest::Upgraded>, bool)> {
    let mut query: Vec<String> = command
        .iter()
        .map(|c| format!("command={}", encode(c)))
        .collect();
    query.push(format!("container={}", encode(container)));
    query.push(format!("stdin={stdin}"));
    query.push("stdout=true".into());
    query.push(format!("stderr={}", !tty));
    query.push(format!("tty={tty}"));
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/{verb}?{}",
        ctx.namespace(),
        encode(pod),
        query.join("&")
    );
    let (raw, protocol) = ctx
        .client
        .upgrade(&path, &["v5.channel.k8s.io", "v4.channel.k8s.io"])
        .await?;
    let socket = WebSocketStream::from_raw_socket(raw, Role::Client, None).await;
    Ok((socket, protocol == "v5.channel.k8s.io"))
}

/// Runs the streams until the server's Status arrives or the connection closes; the exit code. Output
/// goes to `output` as (channel, bytes).
pub(super) async fn session<S>(
    socket: WebSocketStream<S>,
    input: Option<Input>,
    tty: bool,
    v5: bool,
    mut output: impl FnMut(u8, &[u8]),
) -> CliResult<u8>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    if let Some(mut input) = input {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            loop {
                match input.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut frame = vec![0u8];
                        frame.extend_from_slice(&buf[..n]);
                        if tx.send(frame).await.is_err() {
                            return;
                        }
                    }
                }
            }
            // v5 can say that stdin has ended; v4 cannot.
            if v5 {
                let _ = tx.send(vec![255, 0]).await;
            }
        });
    }
    if tty {
        if let Some(frame) = resize_frame() {
            let _ = tx.send(frame).await;
        }
        let tx = tx.clone();
        tokio::spawn(async move {
            let Ok(mut changes) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
            else {
                return;
            };
            while changes.recv().await.is_some() {
                if let Some(frame) = resize_frame() {
                    if tx.send(frame).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
    drop(tx);
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if sink.send(Message::Binary(frame.into())).await.is_err() {
                break;
            }
        }
    });
    let mut code = Ok(0);
    while let Some(message) = stream.next().await {
        let data = match message {
            Ok(Message::Binary(b)) => b.to_vec(),
            Ok(Message::Text(t)) => t.as_bytes().to_vec(),
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
            Err(e) => {
                writer.abort();
                return Err(CliError::Msg(format!("error reading from the stream: {e}")));
            }
        };
        match data.split_first() {
            Some((channel @ (1 | 2), rest)) => output(*channel, rest),
            Some((3, rest)) if !rest.is_empty() => {
                let status: Value = serde_json::from_slice(rest).unwrap_or(Value::Null);
                code = exit_code(&status);
            }
            _ => {}
        }
    }
    writer.abort();
    code.map_err(CliError::Msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_exit_code_comes_from_the_status() {
        assert_eq!(exit_code(&json!({"status": "Success"})), Ok(0));
        let failed = json!({"status": "Failure", "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}});
        assert_eq!(exit_code(&failed), Ok(3));
        let other = json!({"status": "Failure", "reason": "InternalError", "message": "boom"});
        assert_eq!(exit_code(&other), Err("boom".into()));
    }
}
