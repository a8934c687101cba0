//! Batch jobs: the handle of a submitted (or attached) job, and the one polling loop that waits
//! for any scheduler job — the user's own and v2's transfer jobs alike.

use crate::api::Api;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::transport::{correlation, poll_delay};
use crate::types::{JobInfo, JobState};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a freshly submitted job may be unknown to the scheduler before that is an error:
/// real schedulers take up to about 20 s to list a new job.
pub(crate) const UNKNOWN_GRACE: Duration = Duration::from_secs(90);

/// How long a wait tolerates "not listed" for a job attached to by id and never seen yet (it
/// may have just been submitted elsewhere); a single look at such a job says NotFound at once.
const ATTACHED_GRACE: Duration = Duration::from_secs(30);

/// One look at something being waited for.
pub(crate) enum Look<T> {
    Done(T),
    /// Not yet; the text says where it stands (for a timeout's message).
    NotYet(String),
}

/// Calls `look` on the schedule of `options` (`poll_initial` doubling to half a second, then a
/// tenth of the time waited so far, at most `poll_max`: see `poll_delay`) until it is done, an error, or `timeout` has passed (then `Timeout`, naming
/// `what` and the last state seen). The only waiting loop for scheduler jobs.
pub(crate) fn poll<T>(
    options: &Options,
    timeout: Duration,
    what: &str,
    mut look: impl FnMut() -> Result<Look<T>>,
) -> Result<T> {
    let start = Instant::now();
    let mut round = 0;
    loop {
        let last = match look()? {
            Look::Done(t) => return Ok(t),
            Look::NotYet(last) => last,
        };
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("{what}: still {last} after {:.1} s", elapsed.as_secs_f64()),
            ));
        }
        let delay = poll_delay(options.poll_initial, options.poll_max, round, elapsed);
        std::thread::sleep(delay.min(timeout - elapsed));
        round = round.saturating_add(1);
    }
}

/// A batch job on a system: submitted through [`crate::Client::submit_job`] or attached to by
/// id with [`crate::Client::job`]. Used from one thread at a time.
pub struct Job {
    api: Arc<dyn Api>,
    options: Options,
    system: String,
    id: String,
    /// Until then the scheduler may not list the job yet.
    unknown_until: Instant,
    last: Option<JobInfo>,
    /// The X-Correlation-ID of the call that submitted or attached to the job: its later
    /// requests carry it too.
    correlation_id: String,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("system", &self.system)
            .field("id", &self.id)
            .field("last", &self.last.as_ref().map(|i| &i.state))
            .finish()
    }
}

impl Job {
    pub(crate) fn new(
        api: Arc<dyn Api>,
        options: &Options,
        system: &str,
        id: &str,
        just_submitted: bool,
    ) -> Job {
        let grace = if just_submitted {
            UNKNOWN_GRACE
        } else {
            Duration::ZERO
        };
        Job {
            api,
            options: options.clone(),
            system: system.to_string(),
            id: id.to_string(),
            unknown_until: Instant::now() + grace,
            last: None,
            correlation_id: correlation::current()
                .or_else(|| options.correlation_id.clone())
                .unwrap_or_else(correlation::fresh),
        }
    }

    /// Runs `f` under the job's correlation id (unless the thread chose one).
    fn traced<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let id = self.correlation_id.clone();
        correlation::call(Some(&id), || f(self))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn system(&self) -> &str {
        &self.system
    }

    fn what(&self) -> String {
        format!("job {} on {}", self.id, self.system)
    }

    /// Asks the scheduler once. A job it does not list yet, shortly after submission, is
    /// pending; one it does not know at all is `NotFound`.
    pub fn state(&mut self) -> Result<JobState> {
        self.traced(|this| this.state_untraced())
    }

    fn state_untraced(&mut self) -> Result<JobState> {
        match self.look()? {
            Some(info) => Ok(info.job_state()),
            None => Ok(JobState::Pending),
        }
    }

    /// The job as the scheduler reports it now, with its script and output files where the
    /// server tells them (a request or two; none for the state once it is final).
    pub fn info(&mut self) -> Result<JobInfo> {
        self.traced(|this| this.info_untraced())
    }

    fn info_untraced(&mut self) -> Result<JobInfo> {
        match self.look()? {
            Some(info) => self
                .api
                .job_metadata(&self.system, info)
                .map_err(|e| e.context(self.what())),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!("{}: the scheduler does not list it yet", self.what()),
            )),
        }
    }

    /// The last report, without a request.
    pub fn last_info(&self) -> Option<&JobInfo> {
        self.last.as_ref()
    }

    /// The exit code, once the job is final (from the last report).
    pub fn exit_code(&self) -> Option<i32> {
        self.last
            .as_ref()
            .filter(|i| i.job_state().is_final())
            .and_then(|i| i.exit_code)
    }

    /// Polls with backoff until the job is final and returns its state (a failed job is a
    /// state, not an error). After `timeout`, `Timeout`: the job keeps running.
    pub fn wait(&mut self, timeout: Duration) -> Result<JobState> {
        self.traced(|this| this.wait_untraced(timeout))
    }

    fn wait_untraced(&mut self, timeout: Duration) -> Result<JobState> {
        if self.last.is_none() {
            self.unknown_until = self.unknown_until.max(Instant::now() + ATTACHED_GRACE);
        }
        let what = self.what();
        let options = self.options.clone();
        poll(&options, timeout, &what, || {
            Ok(match self.look()? {
                Some(info) if info.job_state().is_final() => Look::Done(info.job_state()),
                Some(info) => Look::NotYet(info.state),
                None => Look::NotYet("not listed by the scheduler yet".into()),
            })
        })
    }

    /// Runs `command` inside the running job (v2; v1 has no such endpoint: Unsupported).
    pub fn attach(&mut self, command: &str) -> Result<()> {
        self.traced(|this| this.attach_untraced(command))
    }

    fn attach_untraced(&mut self, command: &str) -> Result<()> {
        let what = format!("attach to {}", self.what());
        if command.trim().is_empty() {
            return Err(Error::invalid_argument("the command is empty").context(what));
        }
        self.api
            .attach_job(&self.system, &self.id, command)
            .map_err(|e| e.context(what))
    }

    /// Asks the scheduler to cancel the job.
    pub fn cancel(&mut self) -> Result<()> {
        self.traced(|this| this.cancel_untraced())
    }

    fn cancel_untraced(&mut self) -> Result<()> {
        self.api
            .cancel_job(&self.system, &self.id)
            .map_err(|e| e.context(format!("cancel {}", self.what())))
    }

    /// One look: the job's report, or None while the scheduler may still not list it.
    fn look(&mut self) -> Result<Option<JobInfo>> {
        if let Some(last) = &self.last {
            if last.job_state().is_final() {
                return Ok(Some(last.clone()));
            }
        }
        let what = self.what();
        match self.api.job_info(&self.system, &self.id) {
            Ok(Some(info)) => {
                self.last = Some(info.clone());
                Ok(Some(info))
            }
            Ok(None) if Instant::now() < self.unknown_until => Ok(None),
            Ok(None) => Err(Error::new(
                ErrorKind::NotFound,
                format!("{what}: the scheduler does not know this job"),
            )),
            Err(e) => Err(e.context(what)),
        }
    }
}
