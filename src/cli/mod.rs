//! The command line: clap arguments, one file per subcommand group, human tables for people
//! and `--json` for scripts. Every mutation goes through [`crate::actions`].

pub mod act;
pub mod alerts;
pub mod compose;
pub mod compose_config;
mod compose_down;
pub mod df;
pub mod docs;
pub mod events;
pub mod exec;
pub mod gc;
pub mod gpu;
pub mod history;
pub mod hosts;
pub mod images;
pub mod inspect;
pub mod jobs;
pub mod keep;
pub mod logs;
pub mod node;
pub mod output;
pub mod parse;
pub mod prune;
pub mod ps;
pub mod record;
pub mod run;
pub mod service;
pub mod service_logs;
pub mod stack;
pub mod stats;
pub mod swarm_act;
pub mod triage;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::session::{CliError, EXIT_CODES_HELP, Exit, Globals};

#[derive(Debug, Parser)]
#[command(
    name = "fleetdeck",
    version,
    about = "A terminal console for a fleet of Docker containers",
    long_about = "A terminal console for a fleet of Docker containers.\n\n\
        With no subcommand, opens the console. Every action it offers also runs headless, \
        through the same action layer (`fleetdeck stop web-1 --json`).",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// A Docker host (unix:///path, tcp://host:port, ssh://user@host[:port]), optionally named
    /// (NAME=URL); repeat for several. Default: the config's [[hosts]], else $DOCKER_HOST, else
    /// the docker CLI's current context, else the local socket.
    #[arg(long = "host", short = 'H', global = true, value_name = "[NAME=]URL")]
    pub hosts: Vec<String>,
    /// A docker context (from the docker CLI's config); repeat for several.
    #[arg(long = "context", global = true, value_name = "NAME")]
    pub contexts: Vec<String>,
    /// How long any daemon call may take before its host counts as not answering (default:
    /// the config's [daemon] timeout, 5s).
    #[arg(
        long = "daemon-timeout",
        global = true,
        value_name = "DURATION",
        value_parser = crate::duration::parse
    )]
    pub daemon_timeout: Option<std::time::Duration>,
    /// Refuse every mutation (start, stop, rm, ...).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Config file (default: $XDG_CONFIG_HOME/fleetdeck/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Audit log file (default: from the config, else $XDG_STATE_HOME/fleetdeck/audit.jsonl).
    #[arg(long, global = true, value_name = "FILE", env = "FLEETDECK_AUDIT_FILE")]
    pub audit_file: Option<PathBuf>,
    /// History store (default: from the config, else $XDG_STATE_HOME/fleetdeck/fleet.db).
    #[arg(long, global = true, value_name = "FILE", env = "FLEETDECK_STORE")]
    pub store: Option<PathBuf>,
    /// Log more on stderr (by default only warnings and errors): -v info, -vv debug, -vvv
    /// trace; before the subcommand (`run -v` is a volume, as docker's). FLEETDECK_LOG takes
    /// RUST_LOG-style directives (`warn,fleetdeck=debug`) over it.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub compose: compose::FileArgs,
    /// Print the default configuration, with comments, and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List containers (running ones; -a for all).
    Ps(ps::PsArgs),
    /// Show one container's state, exit reason, health log, mounts, env (secrets masked).
    Inspect(inspect::InspectArgs),
    /// Start containers.
    Start(act::TargetArgs),
    /// Stop containers (SIGTERM, then SIGKILL after the timeout).
    Stop(act::StopArgs),
    /// Restart containers.
    Restart(act::StopArgs),
    /// Send a signal to containers (SIGKILL by default). Asks first, or needs --yes.
    Kill(act::KillArgs),
    /// Pause containers.
    Pause(act::TargetArgs),
    /// Unpause containers.
    Unpause(act::TargetArgs),
    /// Remove containers. Asks first, or needs --yes.
    Rm(act::RmArgs),
    /// Stream container events until interrupted.
    Events(events::EventsArgs),
    /// Show containers' logs (several merged by time); -f to follow, across restarts.
    Logs(logs::LogsArgs),
    /// GPU memory per GPU, per process and per container.
    Gpu(gpu::GpuArgs),
    /// The recorded events of a container (by name, id or prefix, also one the daemon no
    /// longer has) or of all, from the history store, newest last.
    History(history::HistoryArgs),
    /// What is wrong in the fleet, worst first (exit 6 when anything is).
    Triage(triage::TriageArgs),
    /// Run a shell (or `-- CMD`) in a running container: interactive when stdin is a terminal,
    /// else captured; the command's exit code becomes fleetdeck's.
    Exec(exec::ExecArgs),
    /// Run a one-shot container (safe defaults, timeout, captured output), always removed.
    Run(Box<run::RunArgs>),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff) to stdout: `fleetdeck man | man -l -`.
    Man,
    /// Compare the compose files with the daemon: per container create, recreate (which
    /// fields), start, unchanged, remove, orphan or conflict. Changes nothing.
    Plan(compose::PlanArgs),
    /// Make the daemon match the compose files (networks, volumes, then services in
    /// depends_on order); every step audited, each outcome reported.
    Apply(compose::ApplyArgs),
    /// Print the compose project as fleetdeck reads it (files merged, interpolated, extends
    /// and include resolved, defaults filled), YAML or --json, like `docker compose config`.
    Config(compose_config::ConfigArgs),
    /// Stop and remove the compose project's containers and networks (volumes with
    /// --volumes). Asks first, or needs --yes.
    Down(compose::DownArgs),
    /// Run the keeper in the foreground: record every event, keep the compose projects of the
    /// -f files running (restart budget, backoff, give up), GC, scheduled jobs.
    Keep(keep::KeepArgs),
    /// Remove the containers fleetdeck left behind (owner gone, or past --max-age), never one
    /// it does not own; says why for each.
    Gc(gc::GcArgs),
    /// List the scheduled jobs of the config with their last and next run.
    Jobs(jobs::JobsArgs),
    /// List the alert rules and the last alerts with their delivery state; `alerts test NAME`
    /// sends a sample alert through a rule.
    Alerts(alerts::AlertsArgs),
    /// List images (every one `docker images -a` lists), with the containers using each.
    Images(images::ObjectsArgs),
    /// List volumes, with the containers using each, anonymous or named.
    Volumes(images::ObjectsArgs),
    /// List networks, with the containers on each.
    Networks(images::ObjectsArgs),
    /// The daemon's disk usage: images, containers, volumes, build cache (count, size,
    /// reclaimable).
    Df(df::DfArgs),
    /// Remove unused images (dangling; --all: unused), volumes (anonymous; --all: named too;
    /// never one in use), networks or build cache, after a preview. Asks first, or needs --yes.
    Prune(prune::PruneArgs),
    /// The hosts this run talks to: where each was named or found, whether it answers, and
    /// which engine it is (Docker or Podman, with versions).
    Hosts(hosts::HostsArgs),
    /// CPU and memory of the running containers (or the TARGETS), one reading each: from the
    /// cgroup files for a daemon on this machine, else the stats API.
    Stats(stats::StatsArgs),
    /// Docker Swarm services (on the first host that is a manager): ls, ps, scale, update,
    /// rollback, rm, logs.
    Service(service::ServiceArgs),
    /// Docker Swarm nodes (through the first host that is a manager): ls, drain, pause,
    /// activate, promote, demote.
    Node(node::NodeArgs),
}

/// Options shared by every output.
#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// Print JSON (snake_case fields, RFC 3339 times) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs a subcommand and returns the exit status.
pub async fn run(command: Command, globals: Globals) -> Result<Exit, CliError> {
    match command {
        Command::Ps(args) => ps::run(args, &globals).await,
        Command::Inspect(args) => inspect::run(args, &globals).await,
        Command::Events(args) => events::run(args, &globals).await,
        Command::Logs(args) => logs::run(args, &globals).await,
        Command::Gpu(args) => gpu::run(args, &globals).await,
        Command::History(args) => history::run(args, &globals).await,
        Command::Triage(args) => triage::run(args, &globals).await,
        Command::Exec(args) => exec::run(args, &globals).await,
        Command::Run(args) => run::run(*args, &globals).await,
        Command::Completions(args) => docs::completions(&args),
        Command::Man => docs::man(),
        Command::Plan(args) => compose::plan(args, &globals).await,
        Command::Apply(args) => compose::apply(args, &globals).await,
        Command::Down(args) => compose::down(args, &globals).await,
        Command::Config(args) => compose_config::run(&args, &globals),
        Command::Keep(args) => keep::run(args, &globals).await,
        Command::Gc(args) => gc::run(args, &globals).await,
        Command::Jobs(args) => jobs::run(args, &globals).await,
        Command::Alerts(args) => alerts::run(args, &globals).await,
        Command::Images(args) => images::run(images::Listing::Images, args, &globals).await,
        Command::Volumes(args) => images::run(images::Listing::Volumes, args, &globals).await,
        Command::Networks(args) => images::run(images::Listing::Networks, args, &globals).await,
        Command::Df(args) => df::run(args, &globals).await,
        Command::Prune(args) => prune::run(args, &globals).await,
        Command::Hosts(args) => hosts::run(args, &globals).await,
        Command::Stats(args) => stats::run(args, &globals).await,
        Command::Service(args) => service::run(args, &globals).await,
        Command::Node(args) => node::run(args, &globals).await,
        Command::Start(args) => act::run(act::Request::start(args), &globals).await,
        Command::Stop(args) => act::run(act::Request::stop(args, &globals.config), &globals).await,
        Command::Restart(args) => {
            act::run(act::Request::restart(args, &globals.config), &globals).await
        }
        Command::Kill(args) => act::run(act::Request::kill(args, &globals.config), &globals).await,
        Command::Pause(args) => act::run(act::Request::pause(args), &globals).await,
        Command::Unpause(args) => act::run(act::Request::unpause(args), &globals).await,
        Command::Rm(args) => act::run(act::Request::remove(args), &globals).await,
    }
}
