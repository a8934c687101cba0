! job.f90: run a batch job through FirecREST and fetch what it wrote (job.c's twin).
!
!   job [WORKING_DIRECTORY]
!
! Submits a short script that writes result.txt in WORKING_DIRECTORY (a remote directory; default
! $FIRECREST_HOME), waits
! for the job, prints result.txt, the job's final state and its exit code. The system is
! $FIRECREST_SYSTEM; the server and credentials come from pyfirecrest's variables. The same
! program runs unchanged against FirecREST v1 and v2.
program job
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_ptr, c_null_ptr
    use firecrest
    implicit none
    character(len=*), parameter :: nl = new_line('a')
    character(len=*), parameter :: script = '#!/bin/bash'//nl// &
        '#SBATCH --job-name=firecrest-fortran-example'//nl// &
        'echo "job $SLURM_JOB_ID in $(pwd)" > result.txt'//nl
    type(c_ptr) :: client = c_null_ptr, handle = c_null_ptr
    character(:), allocatable :: system, workdir, id, result
    character(len=4096) :: arg
    integer :: state, exit_code, n
    integer(c_int32_t) :: s

    if (command_argument_count() > 1) then
        print '(a)', 'usage: job [WORKING_DIRECTORY]'
        error stop 2
    else if (command_argument_count() == 1) then
        call get_command_argument(1, arg)
    else
        call get_environment_variable('FIRECREST_HOME', arg, n)
    end if
    workdir = trim(arg)
    call get_environment_variable('FIRECREST_SYSTEM', arg, n)
    system = trim(arg)

    s = fc_client_new_from_env(client)
    if (s == FIRECREST_STATUS_OK) s = fc_job_submit(client, system, script, workdir, handle)
    if (s == FIRECREST_STATUS_OK) s = fc_job_id(handle, id)
    if (s == FIRECREST_STATUS_OK) then
        print '(a)', 'submitted job '//id//' on '//system
        s = fc_job_wait(handle, 3600000, state)
    end if
    if (s == FIRECREST_STATUS_OK) then
        if (state == FIRECREST_JOB_COMPLETED) then
            print '(a)', 'job '//id//' ended COMPLETED'
        else
            print '(a)', 'job '//id//' ended in state '//fc_int_str(state)
        end if
        if (fc_job_exit_code(handle, exit_code) == FIRECREST_STATUS_OK) then
            print '(a)', 'exit code '//fc_int_str(exit_code)
        end if
        s = fc_view(client, system, workdir//'/result.txt', result)
    end if
    if (s == FIRECREST_STATUS_OK) then
        print '(a)', '--- '//workdir//'/result.txt'
        print '(a)', result
    else
        print '(a)', fc_error(s)
    end if
    call fc_job_close(handle)
    call fc_client_close(client)
    if (allocated(id)) deallocate (id)
    if (allocated(result)) deallocate (result)
    deallocate (system, workdir)
    if (s /= FIRECREST_STATUS_OK) error stop 1
    if (state /= FIRECREST_JOB_COMPLETED) error stop 1
end program job
