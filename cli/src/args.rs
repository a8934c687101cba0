//! The command line, as pyfirecrest 3.10.0's CLI (`firecrest.cli2`) has it: the same global
//! options and environment variables, the same commands, arguments and flags, so that a script
//! written for it runs unchanged. What goes beyond it: `view`, `completions`, `--json` on every
//! command, `--table` on `ls` and `systems`, `--staged`/`--direct` on transfers.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "firecrest",
    about = "CLI for FirecREST",
    long_about = "CLI for FirecREST (API v1 and v2), a drop-in for pyfirecrest's `firecrest`.\n\n\
        Authentication, choose one mode:\n\
        - client credentials: FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL\n  \
          (or --client-id, --client-secret, --token-url);\n\
        - a token command: FIRECREST_TOKEN_COMMAND (or --token-command), a shell command whose\n  \
          stdout is the bearer token, run again when a token is needed (a JWT is kept until\n  \
          shortly before it expires);\n\
        - an API key: FIRECREST_API_KEY (or --api-key), sent in the header\n  \
          FIRECREST_API_KEY_HEADER (--api-key-header, X-API-Key).\n\n\
        Debugging: --verbose shows retries and token refreshes, --debug every request (method,\n\
        URL without signatures, status, duration, X-Correlation-ID); a failure names the\n\
        X-Correlation-ID of its request, for the centre's support.",
    disable_version_flag = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// pyfirecrest's global options. Secrets are read from the environment without ever being
/// shown (`hide_env_values`), in `--help` or anywhere else.
#[derive(Args, Debug)]
pub struct Global {
    /// A YAML file of default option values (pyfirecrest's); not supported yet.
    #[arg(long, env = "FIRECREST_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<String>,
    /// Show the application's version and exit.
    #[arg(long)]
    pub version: bool,
    /// FirecREST URL.
    #[arg(long, env = "FIRECREST_URL", global = true, value_name = "URL")]
    pub firecrest_url: Option<String>,
    /// Registered client ID.
    #[arg(long, env = "FIRECREST_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// Secret for the client.
    #[arg(
        long,
        env = "FIRECREST_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub client_secret: Option<String>,
    /// URL of the token request in the authorization server.
    #[arg(long, env = "AUTH_TOKEN_URL", global = true, value_name = "URL")]
    pub token_url: Option<String>,
    /// How the client credentials reach the token endpoint.
    #[arg(
        long,
        env = "FIRECREST_CLIENT_AUTH_METHOD",
        global = true,
        value_enum,
        default_value = "client_secret_post"
    )]
    pub client_auth_method: ClientAuthMethod,
    /// Shell command whose stdout is the bearer token (run with `sh -c`). Its value is never
    /// shown either: a command line may carry a token.
    #[arg(
        long,
        env = "FIRECREST_TOKEN_COMMAND",
        hide_env_values = true,
        global = true,
        value_name = "COMMAND"
    )]
    pub token_command: Option<String>,
    /// API key (e.g. for a service account), sent on every request in --api-key-header.
    #[arg(long, env = "FIRECREST_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// API key mode only: the name of the header carrying the key.
    #[arg(
        long,
        env = "FIRECREST_API_KEY_HEADER",
        global = true,
        default_value = "X-API-Key"
    )]
    pub api_key_header: String,
    /// The server's API version (e.g. 1.13.1 or 2.2.0); its major number picks v1 or v2.
    /// Detected from the server when not given.
    #[arg(
        long,
        env = "FIRECREST_API_VERSION",
        global = true,
        value_name = "VERSION"
    )]
    pub api_version: Option<String>,
    /// The X-Correlation-ID of every request (a UUID); a fresh one per command otherwise.
    #[arg(
        long,
        env = "FIRECREST_CORRELATION_ID",
        global = true,
        value_name = "UUID"
    )]
    pub correlation_id: Option<String>,
    /// Enable verbose mode (what is done, retries and token refreshes, on stderr; never a
    /// secret).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Seconds to wait for the FirecREST server to send data before giving up.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Seconds to wait for the authorization server (accepted; the client's timeouts apply).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub auth_timeout: Option<f64>,
    /// Enable debug mode (requests and timings on stderr; never a secret or a token).
    #[arg(long, global = true, overrides_with = "no_debug")]
    pub debug: bool,
    #[arg(long, global = true, hide = true)]
    pub no_debug: bool,
    /// Print the output as JSON (the default of every command but head, tail, id, file, view).
    #[arg(long, global = true)]
    pub json: bool,
    /// pyfirecrest's: prints a completion script for $SHELL (see `firecrest completions`).
    #[arg(long)]
    pub show_completion: bool,
    /// pyfirecrest's: not supported; redirect `firecrest completions SHELL` into your shell's
    /// completion directory instead.
    #[arg(long)]
    pub install_completion: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    ClientSecretPost,
    ClientSecretBasic,
}

/// `-s/--system`, from FIRECREST_SYSTEM when not given.
#[derive(Args, Debug)]
pub struct System {
    /// The name of the system.
    #[arg(short, long, env = "FIRECREST_SYSTEM")]
    pub system: String,
}

/// `--pager` of pyfirecrest's listing commands: accepted, the output goes to stdout anyway.
#[derive(Args, Debug)]
pub struct Pager {
    /// Accepted for compatibility; pipe into a pager yourself.
    #[arg(long, overrides_with = "no_pager")]
    pub pager: bool,
    #[arg(long, hide = true)]
    pub no_pager: bool,
}

/// `--account` of pyfirecrest's v2 commands: the library has no account parameter yet.
#[derive(Args, Debug)]
pub struct Account {
    /// The account to use for the operation (accepted; the server's default is used).
    #[arg(long)]
    pub account: Option<String>,
}

/// How upload/download move the data.
#[derive(Args, Debug)]
pub struct Route {
    /// Always go through the staging area (external transfer).
    #[arg(long, conflicts_with = "direct")]
    pub staged: bool,
    /// Always send the data in the request itself (small files).
    #[arg(long)]
    pub direct: bool,
}

/// mv and extract: a system, a source, a destination, an account.
#[derive(Args, Debug)]
pub struct SourceDestination {
    #[command(flatten)]
    pub system: System,
    /// The absolute source path.
    pub source: String,
    /// The absolute destination path.
    pub destination: String,
    #[command(flatten)]
    pub account: Account,
}

#[derive(Args, Debug)]
pub struct HeadTail {
    #[command(flatten)]
    pub system: System,
    /// The absolute target path.
    pub path: String,
    /// Number of lines (head: `-NUM` all but the last NUM; tail: `+NUM` from line NUM).
    #[arg(short = 'n', long, allow_hyphen_values = true, value_name = "[-+]NUM")]
    pub lines: Option<String>,
    /// Number of bytes (head: `-NUM` all but the last NUM; tail: `+NUM` from byte NUM).
    #[arg(short = 'c', long, allow_hyphen_values = true, value_name = "[-+]NUM")]
    pub bytes: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Provides the exact version of the FirecREST server, when available.
    ServerVersion,
    /// Provides information for the available systems in FirecREST.
    Systems {
        #[command(flatten)]
        pager: Pager,
        /// Print a table instead of JSON.
        #[arg(long)]
        table: bool,
    },
    /// Retrieves information about the compute nodes of the scheduler (JSON).
    GetNodes {
        #[command(flatten)]
        system: System,
        #[command(flatten)]
        pager: Pager,
    },
    /// Retrieves information about the scheduler reservations (JSON).
    GetReservations {
        #[command(flatten)]
        system: System,
        #[command(flatten)]
        pager: Pager,
    },
    /// Retrieves information about the scheduler partitions (JSON).
    GetPartitions {
        #[command(flatten)]
        system: System,
        #[command(flatten)]
        pager: Pager,
    },
    /// Return the identity of the user in the remote system.
    Id {
        #[command(flatten)]
        system: System,
    },
    /// List directory contents.
    Ls {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        /// Include directory entries whose names begin with a dot.
        #[arg(short = 'a', long)]
        show_hidden: bool,
        /// Recursively list directories encountered.
        #[arg(short = 'R', long)]
        recursive: bool,
        /// Print numeric UID and GID instead of names.
        #[arg(short = 'n', long)]
        numeric_uid_gid: bool,
        /// Show the file a symbolic link references.
        #[arg(short = 'L')]
        dereference: bool,
        /// Print an `ls -l` style table instead of JSON.
        #[arg(long)]
        table: bool,
    },
    /// Create new directories.
    Mkdir {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        /// Create intermediate directories as required.
        #[arg(short = 'p')]
        p: bool,
    },
    /// Rename/move files, directory, or symlink.
    Mv(SourceDestination),
    /// Change the file mod bits of a given file according to the specified mode.
    Chmod {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        /// Same as numeric mode of linux chmod tool.
        mode: String,
    },
    /// Change the user and/or group ownership of a given file.
    Chown {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        /// Owner ID for target.
        #[arg(long)]
        owner: Option<String>,
        /// Group ID for target.
        #[arg(long)]
        group: Option<String>,
    },
    /// Copy files.
    Cp {
        #[command(flatten)]
        system: System,
        /// The absolute source path.
        source: String,
        /// The absolute destination path.
        destination: String,
        /// Copy what a symbolic link points to (not passed yet: the link is copied).
        #[arg(short = 'L', long)]
        dereference: bool,
        #[command(flatten)]
        account: Account,
    },
    /// Compress files using gzip compression.
    Compress {
        #[command(flatten)]
        system: System,
        /// The absolute source path.
        source: String,
        /// The absolute destination path.
        #[arg(value_name = "DESTINATION.tar.gz")]
        destination: String,
        #[arg(long, overrides_with = "no_dereference")]
        dereference: bool,
        #[arg(long, hide = true)]
        no_dereference: bool,
        /// A regular expression to filter files to be compressed.
        #[arg(long)]
        regexp: Option<String>,
        #[command(flatten)]
        account: Account,
    },
    /// Extract a gzip-compressed tar archive into an existing directory.
    Extract(SourceDestination),
    /// Determine file type.
    File {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
    },
    /// Print the status of a file (`stat`).
    Stat {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        /// Follow links.
        #[arg(short = 'L', long)]
        dereference: bool,
    },
    /// Create a symbolic link.
    Symlink {
        #[command(flatten)]
        system: System,
        /// The path of the original file.
        target: String,
        /// The name of the link to the TARGET.
        link_name: String,
    },
    /// Remove directory entries.
    Rm {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
        #[command(flatten)]
        account: Account,
        /// Remove without asking for confirmation (otherwise asked on the terminal).
        #[arg(long, overrides_with = "no_force")]
        force: bool,
        /// Ask for confirmation.
        #[arg(long)]
        no_force: bool,
    },
    /// Calculate the SHA256 (256-bit) checksum.
    Checksum {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
    },
    /// Display the beginning of a file (10 lines unless -n or -c is given).
    Head(HeadTail),
    /// Display the end of a file (10 lines unless -n or -c is given).
    Tail(HeadTail),
    /// Print a whole (small) file.
    View {
        #[command(flatten)]
        system: System,
        /// The absolute target path.
        path: String,
    },
    /// Download a file.
    Download {
        #[command(flatten)]
        system: System,
        /// The absolute source path.
        source: String,
        /// The destination path (default: the source's name in the current directory).
        destination: Option<String>,
        /// Download a whole directory (as one archive; the local directory must not exist).
        #[arg(short = 'r', long)]
        recursive: bool,
        #[command(flatten)]
        account: Account,
        #[command(flatten)]
        route: Route,
    },
    /// Upload a file.
    Upload {
        #[command(flatten)]
        system: System,
        /// The source path (can be relative).
        source: String,
        /// The absolute destination path.
        destination_directory: String,
        /// The name of the file in the system (default: the source's name).
        filename: Option<String>,
        /// Upload a whole directory (as one archive), merged into an existing one.
        #[arg(short = 'r', long)]
        recursive: bool,
        #[command(flatten)]
        account: Account,
        #[command(flatten)]
        route: Route,
    },
    /// Submit a batch script to the workload manager.
    Submit {
        #[command(flatten)]
        system: System,
        /// Wait for the job to end; the exit status follows its final state (0 for COMPLETED,
        /// its exit code for FAILED, 1 otherwise).
        #[arg(long)]
        wait: bool,
        /// Working directory of the job.
        #[arg(long)]
        working_dir: String,
        /// The path of the job script (remote if it starts with 'remote://').
        job_script: String,
        /// Environment variable of the job (VAR=VALUE).
        #[arg(short = 'e', long = "env-var", value_name = "VAR=VALUE")]
        env_vars: Vec<String>,
        #[command(flatten)]
        account: Account,
        #[arg(long)]
        partition: Option<String>,
        #[arg(long)]
        reservation: Option<String>,
    },
    /// Retrieve information about submitted jobs.
    JobInfo {
        #[command(flatten)]
        system: System,
        /// Job ID to display.
        jobid: Option<String>,
        #[arg(long)]
        all_users: bool,
        #[command(flatten)]
        account: Account,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        time_window: Option<String>,
    },
    /// Wait for a job to complete; prints the job's information.
    WaitForJob {
        #[command(flatten)]
        system: System,
        /// Job id of the job to wait for.
        jobid: String,
    },
    /// Retrieve metadata for a current job (script, output files).
    JobMetadata {
        #[command(flatten)]
        system: System,
        /// Job id.
        job: String,
    },
    /// Cancel job.
    Cancel {
        #[command(flatten)]
        system: System,
        /// The ID of the job that will be cancelled.
        job: String,
    },
    /// Attach a process to a job (FirecREST v2).
    AttachToJob {
        #[command(flatten)]
        system: System,
        /// The ID of the job.
        job: String,
        /// The command that will be executed in the context of the job.
        command: String,
    },
    /// Print a completion script for a shell.
    Completions { shell: clap_complete::Shell },
}
