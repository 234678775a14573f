//! The fleetdeck binary: parse the command line, run the console or a subcommand, map the
//! outcome to an exit code.

use clap::Parser;
use fleetdeck::cli::{self, Cli, Exit, Globals};
use fleetdeck::config::{Config, DEFAULT_CONFIG};
use fleetdeck::session::logging::{self, Verbosity};

fn main() -> std::process::ExitCode {
    one_malloc_arena();
    more_open_files();
    if let Err(e) = color_eyre::install() {
        eprintln!("fleetdeck: cannot install the error handler: {e}");
    }
    let args = Cli::parse();
    if args.print_config {
        print!("{DEFAULT_CONFIG}");
        print!(
            "{}",
            fleetdeck::session::stats_source::print_config_note(
                args.hosts.first().map(String::as_str)
            )
        );
        return std::process::ExitCode::SUCCESS;
    }
    let code = match real_main(args) {
        Ok(exit) => exit,
        Err(e) => {
            // A daemon's error quotes what it likes: printed made safe for the terminal.
            cli::output::warn(&e);
            e.exit()
        }
    };
    std::process::ExitCode::from(code.code())
}

/// One malloc arena for every thread (glibc). By default each thread that allocates gets an
/// arena of its own (up to eight per core) that keeps what it freed: the event loop, the
/// runtime's workers, the cgroup sampler, the vitals watch and the audit writer each held one
/// — 1.4 MiB more resident memory over 200 containers than one shared arena, for threads that
/// rarely allocate at the same time. Set before any thread starts.
#[allow(unsafe_code)]
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's allocator; called first thing in main,
    // before any other thread exists. Its answer (0 when refused) leaves the default.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Raises the soft limit on open files toward the hard one, to [`OPEN_FILES`] at most, as Go
/// programs (the docker CLI among them) do at start. Many systems give a process 1,024 (soft)
/// of a much higher hard limit; the vitals reader keeps a container's cgroup files open only
/// within a share of the soft limit above 1,024, so at the default it would reopen every file
/// at each reading. A limit that cannot be raised is left as it is.
fn more_open_files() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    const OPEN_FILES: u64 = 8192;
    let limit = getrlimit(Resource::Nofile);
    let want = limit
        .maximum
        .map_or(OPEN_FILES, |hard| hard.min(OPEN_FILES));
    if limit.current.is_some_and(|soft| soft < want) {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: limit.maximum,
            },
        );
    }
}

fn real_main(args: Cli) -> Result<Exit, cli::CliError> {
    // Completions and the man page need neither the config nor a daemon.
    match &args.command {
        Some(cli::Command::Completions(a)) => return cli::docs::completions(a),
        Some(cli::Command::Man) => return cli::docs::man(),
        _ => {}
    }
    let verbosity = Verbosity::from_env(args.verbose);
    if args.command.is_some() {
        // Every subcommand logs to stderr: warnings of the layers under it are never lost,
        // and stdout keeps only what the command prints (`--json` stays clean).
        logging::init_stderr(&verbosity);
    }
    let config = Config::load(args.config.as_deref())?;
    let globals = Globals {
        config,
        hosts: args.hosts,
        contexts: args.contexts,
        timeout: args.daemon_timeout,
        read_only: args.read_only,
        audit_file: args.audit_file,
        compose_files: args.compose.files,
        project_name: args.compose.project_name,
        store_file: args.store,
        verbosity,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.command {
        Some(command) => runtime.block_on(cli::run(command, globals)),
        None => runtime.block_on(fleetdeck::tui::run_console(globals)),
    }
}
