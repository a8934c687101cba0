//! The one operating-system call the safe rooms need and `std` lacks: ending a process group.

/// Sends SIGKILL to the process group that `child` leads (it was spawned with
/// `process_group(0)`, so its group id is its pid), reaching the processes it started too.
pub(crate) fn kill_process_group(child: &std::process::Child) {
    let Ok(pgid) = libc::pid_t::try_from(child.id()) else {
        return;
    };
    // 0 would be this process's own group and 1 or less every process: never those.
    if pgid > 1 {
        // SAFETY: killpg takes plain integers and touches no memory of ours.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}
