//! kyb: the kubectl-compatible CLI. This build has only its skeleton; the commands arrive with the CLI issue.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("version") | Some("--version") => println!("kyb {}", env!("CARGO_PKG_VERSION")),
        Some("dashboard") => {
            eprintln!("error: {}", kyb_tui::NOT_YET);
            std::process::exit(1);
        }
        Some(other) => {
            eprintln!("error: unknown command \"{other}\" for \"kyb\"");
            std::process::exit(1);
        }
        None => println!("kyb controls a Kubernetes-compatible cluster. Commands: version"),
    }
}
