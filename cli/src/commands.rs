//! Each command: the library call and what is printed (see `output` for the shapes).

use crate::args::{Command, Global, HeadTail, System};
use crate::{connect, output, transfer, Failure};
use clap::CommandFactory;
use firecrest::{Client, CompressOptions, HeadTailOptions, JobFilter, ListOptions, TimeWindow};
use std::io::{BufRead, Write};
use std::path::Path;

pub fn completions(shell: clap_complete::Shell) {
    let mut command = crate::args::Cli::command();
    clap_complete::generate(shell, &mut command, "firecrest", &mut std::io::stdout());
}

fn lib<T>(result: firecrest::Result<T>) -> Result<T, Failure> {
    result.map_err(Failure::Lib)
}

/// A warning for a flag the library cannot pass yet (the command still runs).
fn ignored(command: &str, flag: &str, given: bool) {
    if given {
        eprintln!("firecrest: {command}: warning: {flag} is not supported yet and was ignored");
    }
}

pub fn run(command: &Command, name: &str, g: &Global) -> Result<(), Failure> {
    use Command::*;
    // The one command that needs no server.
    if let Completions { shell } = command {
        completions(*shell);
        return Ok(());
    }
    let client = connect::client(g)?;
    let c = &client;
    match command {
        ServerVersion => server_version(c, g),
        Systems { table, .. } => {
            let systems = lib(c.all_systems())?;
            print_list(g, *table, &systems, output::systems_table, output::system);
            Ok(())
        }
        // JSON lists, as the library's types serialise (the C API's schema).
        GetNodes { system, .. } => {
            output::print_json(&lib(c.nodes(&system.system))?);
            Ok(())
        }
        GetPartitions { system, .. } => {
            output::print_json(&lib(c.partitions(&system.system))?);
            Ok(())
        }
        GetReservations { system, .. } => {
            output::print_json(&lib(c.reservations(&system.system))?);
            Ok(())
        }
        Id { system } => {
            let groups = lib(c.groups(&system.system))?;
            if g.json {
                output::print_json(&groups);
            } else {
                println!("{}", output::id_line(&groups));
            }
            Ok(())
        }
        Ls {
            system,
            path,
            show_hidden,
            recursive,
            numeric_uid_gid,
            dereference,
            table,
        } => {
            let options = ListOptions {
                show_hidden: *show_hidden,
                recursive: *recursive,
                numeric_uid: *numeric_uid_gid,
                dereference: *dereference,
            };
            let entries = lib(c.list_files(&system.system, path, options))?;
            print_list(g, *table, &entries, output::ls_table, output::file_entry);
            Ok(())
        }
        Mkdir { system, path, p } => lib(c.mkdir(&system.system, path, *p)),
        Submit {
            system,
            wait,
            working_dir,
            job_script,
            env_vars,
            account,
            partition,
            reservation,
        } => submit(
            c,
            &system.system,
            *wait,
            working_dir,
            job_script,
            env_vars,
            account.account.as_deref(),
            partition,
            reservation,
        ),
        JobInfo {
            system,
            jobid,
            all_users,
            account,
            name: job_name,
            time_window,
        } => {
            ignored(name, "--all-users", *all_users);
            ignored(name, "--account", account.account.is_some());
            let time_window = match time_window.as_deref() {
                None => None,
                Some(text) => Some(
                    text.parse::<TimeWindow>()
                        .map_err(|e| Failure::Usage(format!("--time-window: {e}")))?,
                ),
            };
            let filter = JobFilter {
                name: job_name.clone(),
                time_window,
            };
            let jobs = match jobid {
                Some(id) => vec![lib(lib(c.job(&system.system, id))?.info())?],
                None => lib(c.jobs_filtered(&system.system, &filter))?,
            };
            output::print_json(&jobs.iter().map(output::job).collect::<Vec<_>>());
            Ok(())
        }
        WaitForJob { system, jobid } => {
            let mut job = lib(c.job(&system.system, jobid))?;
            lib(job.wait(NO_LIMIT))?;
            output::print_json(&vec![output::job(&lib(job.info())?)]);
            Ok(())
        }
        JobMetadata { system, job } => {
            let info = lib(lib(c.job(&system.system, job))?.info())?;
            output::print_json(&vec![output::job_metadata(&info)]);
            Ok(())
        }
        Cancel { system, job } => lib(lib(c.job(&system.system, job))?.cancel()),
        AttachToJob {
            system,
            job,
            command,
        } => lib(lib(c.job(&system.system, job))?.attach(command)),
        Mv(args) => lib(c.mv(&args.system.system, &args.source, &args.destination)),
        Chmod { system, path, mode } => lib(c.chmod(&system.system, path, mode)),
        Chown {
            system,
            path,
            owner,
            group,
        } => lib(c.chown(&system.system, path, owner.as_deref(), group.as_deref())),
        Cp {
            system,
            source,
            destination,
            dereference,
            ..
        } => {
            ignored(name, "-L/--dereference", *dereference);
            lib(c.copy(&system.system, source, destination))
        }
        Compress {
            system,
            source,
            destination,
            dereference,
            regexp,
            ..
        } => {
            let options = CompressOptions {
                dereference: *dereference,
                match_pattern: regexp.clone(),
            };
            lib(c.compress(&system.system, source, destination, &options))
        }
        Extract(a) => lib(c.extract(&a.system.system, &a.source, &a.destination)),
        File { system, path } => {
            let kind = lib(c.file_type(&system.system, path))?;
            print_text(g, kind.trim_end());
            Ok(())
        }
        Stat {
            system,
            path,
            dereference,
        } => {
            let stat = lib(c.stat(&system.system, path, *dereference))?;
            output::print_json(&stat);
            Ok(())
        }
        Symlink {
            system,
            target,
            link_name,
        } => lib(c.symlink(&system.system, target, link_name)),
        Rm {
            system,
            path,
            force,
            no_force,
            ..
        } => {
            if *force || (!*no_force && confirm()?) {
                lib(c.remove(&system.system, path))
            } else {
                println!("Operation cancelled");
                Ok(())
            }
        }
        Checksum { system, path } => {
            let sum = lib(c.checksum(&system.system, path))?;
            output::print_json(&output::checksum(&sum));
            Ok(())
        }
        Head(args) => head_tail(c, g, args, false),
        Tail(args) => head_tail(c, g, args, true),
        View { system, path } => {
            let content = lib(c.view(&system.system, path))?;
            if g.json {
                output::print_json(&serde_json::json!({ "content": content }));
            } else {
                output::print_raw(&content);
            }
            Ok(())
        }
        Download {
            system,
            source,
            destination,
            recursive: true,
            ..
        } => transfer::download_dir(c, &system.system, source, destination.as_deref()),
        Download {
            system,
            source,
            destination,
            route,
            ..
        } => transfer::download(c, g, &system.system, source, destination.as_deref(), route),
        Upload {
            system,
            source,
            destination_directory,
            filename,
            recursive: true,
            ..
        } => transfer::upload_dir(
            c,
            &system.system,
            Path::new(source),
            destination_directory,
            filename.as_deref(),
        ),
        Upload {
            system,
            source,
            destination_directory,
            filename,
            route,
            ..
        } => transfer::upload(
            c,
            g,
            &system.system,
            Path::new(source),
            destination_directory,
            filename.as_deref(),
            route,
        ),
        _ => unreachable!("handled above"),
    }
}

/// A list as JSON, or with `--table` (and without `--json`) as a table.
fn print_list<'a, T, J: serde::Serialize>(
    g: &Global,
    table: bool,
    items: &'a [T],
    as_table: fn(&[T]) -> String,
    as_json: fn(&'a T) -> J,
) {
    if table && !g.json {
        print!("{}", as_table(items));
    } else {
        output::print_json(&items.iter().map(as_json).collect::<Vec<J>>());
    }
}

/// A line of text, or with `--json` the same as a JSON string.
fn print_text(g: &Global, text: &str) {
    if g.json {
        output::print_json(&text);
    } else {
        println!("{text}");
    }
}

fn server_version(c: &Client, g: &Global) -> Result<(), Failure> {
    let parameters = lib(c.parameters())?;
    // pyfirecrest reports the unreleased development version "2.x.x" as "2".
    let version = parameters
        .get("FIRECREST_VERSION")
        .map(|v| if v.trim() == "2.x.x" { "2".into() } else { v })
        .filter(|v| !v.trim().is_empty());
    match (version, g.json) {
        (Some(v), _) => print_text(g, v.trim()),
        (None, true) => output::print_json(&serde_json::Value::Null),
        // pyfirecrest's words, on stdout, exit 0.
        (None, false) => println!("Server version not available"),
    }
    Ok(())
}

/// pyfirecrest's `rm` without `--force`: asks on the terminal; no answer is a no.
fn confirm() -> Result<bool, Failure> {
    eprint!("Are you sure you want to delete this entry? [y/n]: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => Err(Failure::Message("Aborted.".into())),
        Ok(_) => Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES")),
    }
}

/// head `-n -5` / tail `-n +5` as pyfirecrest reads them: the sign means skip.
fn head_tail(c: &Client, g: &Global, args: &HeadTail, tail: bool) -> Result<(), Failure> {
    let HeadTail {
        system: System { system },
        path,
        lines,
        bytes,
    } = args;
    let op = if tail { "tail" } else { "head" };
    if lines.is_some() && bytes.is_some() {
        return Err(Failure::Message(
            "cannot specify both 'bytes' and 'lines'".into(),
        ));
    }
    let skip_sign = if tail { '+' } else { '-' };
    let count = |value: &Option<String>, what: &str| -> Result<Option<u64>, Failure> {
        let Some(text) = value else { return Ok(None) };
        let digits = text.trim_start_matches(['+', '-']);
        digits
            .parse::<u64>()
            .map(Some)
            .map_err(|_| Failure::Usage(format!("invalid number of {what} for {op}: {text:?}")))
    };
    let given = lines.as_ref().or(bytes.as_ref());
    let options = HeadTailOptions {
        lines: count(lines, "lines")?,
        bytes: count(bytes, "bytes")?,
        skip: given.is_some_and(|t| t.starts_with(skip_sign)),
    };
    let content = if tail {
        lib(c.tail(system, path, options))?
    } else {
        lib(c.head(system, path, options))?
    };
    if g.json {
        output::print_json(&output::head_tail(&content, &options, tail));
    } else {
        output::print_raw(&content);
    }
    Ok(())
}

/// "No limit" for a wait: a span no job outlives, so deadline arithmetic cannot overflow.
const NO_LIMIT: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 24 * 3600);

/// `submit`: a local script, or `remote://PATH` for one on the system; prints `{"jobId": …}`
/// as the server answers, then with `--wait` the job's final information.
#[allow(clippy::too_many_arguments)]
fn submit(
    c: &Client,
    system: &str,
    wait: bool,
    working_dir: &str,
    job_script: &str,
    env_vars: &[String],
    account: Option<&str>,
    partition: &Option<String>,
    reservation: &Option<String>,
) -> Result<(), Failure> {
    let script = match job_script.strip_prefix("remote://") {
        Some(path) => firecrest::JobScript::Remote(path.to_string()),
        None => firecrest::JobScript::LocalFile(job_script.into()),
    };
    let mut spec = firecrest::JobSpec::new(script, working_dir);
    for var in env_vars {
        let (k, v) = var
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--env-var {var:?} is not VAR=VALUE")))?;
        spec.env.push((k.to_string(), v.to_string()));
    }
    spec.account = account.map(str::to_string);
    spec.partition = partition.clone();
    spec.reservation = reservation.clone();
    let mut job = lib(c.submit_job(system, &spec))?;
    output::print_json(&serde_json::json!({ "jobId": job.id() }));
    if !wait {
        return Ok(());
    }
    let state = lib(job.wait(NO_LIMIT))?;
    let info = lib(job.info())?;
    output::print_json(&vec![output::job(&info)]);
    match state {
        firecrest::JobState::Completed => Ok(()),
        firecrest::JobState::Failed => Err(Failure::JobEnded(
            format!("job {} ended FAILED", job.id()),
            job.exit_code()
                .filter(|c| (1..=255).contains(c))
                .unwrap_or(1),
        )),
        other => Err(Failure::JobEnded(
            format!("job {} ended {other:?}", job.id()),
            1,
        )),
    }
}
