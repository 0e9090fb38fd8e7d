//! `kyb cp SRC DEST` between this machine and a container, as kubectl copies: tar over exec. To a pod, a
//! local file or folder is packed under the destination's name and unpacked there by `tar -xmf - -C DIR`
//! (into the destination when it is a folder already); from a pod, `tar cf - PATH` is unpacked here with
//! the source's path taken off each entry. `[NAMESPACE/]POD:PATH` names the container's side.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::exec::{open, session, Input};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct CpArgs {
    src: Option<String>,
    dest: Option<String>,
    /// Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation, else the first container.
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// The copied file/directory's ownership and permissions will not be preserved in the container
    #[arg(long)]
    no_preserve: bool,
}

/// One side of a copy: a pod's path, or a local one.
struct Spec {
    namespace: Option<String>,
    pod: Option<String>,
    path: String,
}

fn parse(s: &str) -> Spec {
    // A colon before any slash-free prefix names a pod (`pod:path`, `ns/pod:path`); a local path that
    // holds a colon must be written with a slash first (`./a:b`).
    if let Some((left, path)) = s.split_once(':') {
        if !left.is_empty() && !left.starts_with('.') && !left.starts_with('/') {
            let (namespace, pod) = match left.split_once('/') {
                Some((ns, pod)) => (Some(ns.to_string()), pod.to_string()),
                None => (None, left.to_string()),
            };
            return Spec {
                namespace,
                pod: Some(pod),
                path: path.to_string(),
            };
        }
    }
    Spec {
        namespace: None,
        pod: None,
        path: s.to_string(),
    }
}

/// Runs `command` in the container with `input` on stdin: (stdout, stderr, exit code).
async fn run_in(
    ctx: &Ctx,
    pod: &str,
    container: &str,
    command: &[&str],
    input: Option<Vec<u8>>,
) -> CliResult<(Vec<u8>, Vec<u8>, u8)> {
    let command: Vec<String> = command.iter().map(|c| c.to_string()).collect();
    let (socket, v5) = open(
        ctx,
        pod,
        container,
        ("exec", &command),
        input.is_some(),
        false,
    )
    .await?;
    let input = input.map(|bytes| Box::new(std::io::Cursor::new(bytes)) as Input);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = session(socket, input, false, v5, |channel, data| {
        if channel == 2 {
            err.extend_from_slice(data);
        } else {
            out.extend_from_slice(data);
        }
    })
    .await?;
    Ok((out, err, code))
}

/// The last component of a path, as Go's path.Base reads it.
fn base(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((_, b)) => b.to_string(),
        None if trimmed.is_empty() => "/".into(),
        None => trimmed.to_string(),
    }
}

/// The folder of a path, as Go's path.Dir reads it.
fn dir(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", _)) => "/".into(),
        Some((d, _)) => d.to_string(),
        None => ".".into(),
    }
}

/// A tar of a local file or folder, its entries named under `name`.
fn pack(src: &Path, name: &str) -> CliResult<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let packed = if src.is_dir() {
        builder.append_dir_all(name, src)
    } else {
        builder.append_path_with_name(src, name)
    };
    packed
        .and_then(|()| builder.into_inner())
        .map_err(|e| CliError::Msg(format!("{}: {e}", src.display())))
}

/// Unpacks a tar from a pod into `dest`, with `prefix` (the source path as tar names it) taken off each
/// entry; entries outside the prefix, or that would climb out of `dest`, are skipped as kubectl does.
fn unpack(bytes: &[u8], prefix: &str, dest: &Path) -> CliResult<()> {
    let mut archive = tar::Archive::new(bytes);
    let entries = archive
        .entries()
        .map_err(|e| CliError::Msg(format!("reading the archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| CliError::Msg(format!("reading the archive: {e}")))?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(rest) = name
            .trim_end_matches('/')
            .strip_prefix(prefix)
            .filter(|r| r.is_empty() || r.starts_with('/'))
        else {
            continue;
        };
        let relative = PathBuf::from(rest.trim_start_matches('/'));
        if relative
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
        {
            eprintln!(
                "warning: skipping {name:?}: it would be written outside {}",
                dest.display()
            );
            continue;
        }
        let target = dest.join(&relative);
        if entry.header().entry_type().is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| CliError::Msg(format!("{}: {e}", target.display())))?;
            continue;
        }
        if entry.header().entry_type().is_symlink() {
            eprintln!(
                "warning: skipping symlink: {:?}",
                target.display().to_string()
            );
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::Msg(format!("{}: {e}", parent.display())))?;
        }
        entry
            .unpack(&target)
            .map_err(|e| CliError::Msg(format!("{}: {e}", target.display())))?;
    }
    Ok(())
}

pub async fn run(ctx: &Ctx, a: CpArgs) -> CliResult {
    let (Some(src), Some(dest)) = (&a.src, &a.dest) else {
        return Err(CliError::Msg("source and destination are required".into()));
    };
    let (src, dest) = (parse(src), parse(dest));
    if src.pod.is_some() && dest.pod.is_some() {
        return Err(CliError::Msg(
            "one of src or dest must be a local file specification".into(),
        ));
    }
    if src.path.is_empty() || dest.path.is_empty() {
        return Err(CliError::Msg("filepath can not be empty".into()));
    }
    let remote = match (&src.pod, &dest.pod) {
        (Some(_), _) => &src,
        (_, Some(_)) => &dest,
        _ => {
            return Err(CliError::Msg(
                "one of src or dest must be a remote file specification".into(),
            ))
        }
    };
    let ctx = match &remote.namespace {
        Some(ns) => Ctx {
            client: ctx.client.with_namespace(ns),
        },
        None => Ctx {
            client: ctx.client.clone(),
        },
    };
    if src.pod.is_none() && std::fs::symlink_metadata(&src.path).is_err() {
        return Err(CliError::Msg(format!(
            "{} doesn't exist in local filesystem",
            src.path
        )));
    }
    let pod_name = remote.pod.clone().unwrap_or_default();
    let pod = super::logs::pod_for(&ctx, &pod_name, Duration::from_secs(20)).await?;
    let container = super::logs::container_of(&pod, a.container.as_deref(), false)?;
    if src.pod.is_some() {
        let (out, err, code) = run_in(
            &ctx,
            &pod_name,
            &container,
            &["tar", "cf", "-", &src.path],
            None,
        )
        .await?;
        if code != 0 {
            let words = String::from_utf8_lossy(&err).trim().to_string();
            return Err(CliError::Msg(if words.is_empty() {
                format!("command terminated with exit code {code}")
            } else {
                words
            }));
        }
        let prefix = src
            .path
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string();
        return unpack(&out, &prefix, Path::new(&dest.path));
    }
    let local = Path::new(&src.path);
    // Into a folder that is there already, the source keeps its name.
    let mut target = dest.path.clone();
    let (_, _, is_dir) =
        run_in(&ctx, &pod_name, &container, &["test", "-d", &target], None).await?;
    if is_dir == 0 {
        target = format!("{}/{}", target.trim_end_matches('/'), base(&src.path));
    }
    let archive = pack(local, &base(&target))?;
    let mut command = vec!["tar", "-xmf", "-"];
    if a.no_preserve {
        command.extend(["--no-same-permissions", "--no-same-owner"]);
    }
    let parent = dir(&target);
    command.extend(["-C", &parent]);
    let (_, err, code) = run_in(&ctx, &pod_name, &container, &command, Some(archive)).await?;
    if code != 0 {
        return Err(CliError::Msg(format!(
            "{}command terminated with exit code {code}",
            String::from_utf8_lossy(&err)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_paths_read_as_kubectl_reads_them() {
        let s = parse("ns/web:/tmp/x");
        assert_eq!(
            (s.namespace.as_deref(), s.pod.as_deref(), s.path.as_str()),
            (Some("ns"), Some("web"), "/tmp/x")
        );
        assert!(parse("./a:b").pod.is_none());
        assert!(parse("/tmp/a").pod.is_none());
        assert_eq!(
            (base("/tmp/x/"), dir("/tmp/x/")),
            ("x".to_string(), "/tmp".to_string())
        );
        assert_eq!(
            (base("x"), dir("x"), dir("/x")),
            ("x".to_string(), ".".to_string(), "/".to_string())
        );
    }

    #[test]
    fn unpacking_drops_the_prefix_and_refuses_to_climb_out() {
        let dir = std::env::temp_dir().join(format!("kyb-cp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, body: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            let _ = b.append_data(&mut h, name, body);
        };
        add("tmp/src/a.txt", b"a");
        add("tmp/src/sub/b.txt", b"b");
        add("tmp/other.txt", b"no");
        add("tmp/srcfoo/c.txt", b"no");
        let bytes = b.into_inner().unwrap_or_default();
        let out = unpack(&bytes, "tmp/src", &dir);
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap_or_default();
        let (a, b2) = (read("a.txt"), read("sub/b.txt"));
        let other = dir.join("other.txt").exists() || dir.join("foo").exists();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.is_ok());
        assert_eq!((a.as_str(), b2.as_str(), other), ("a", "b", false));
    }
}
