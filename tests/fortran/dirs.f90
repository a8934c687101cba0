! Whole directories and archives from Fortran: fc_upload_dir, fc_compress, fc_extract and
! fc_download_dir, with a progress callback. Self-checking: one "check <name>: ok|FAILED" line
! per check, a closing "N passed, M failed" line, and a non-zero exit when a check failed.
!
! Environment: as examples-c/tour.f90. Works in the current directory (a local tree `tree` and
! its copy `back`) and in FIRECREST_HOME/f90-dirs, which it removes at the end.
module dirs_callbacks
    use, intrinsic :: iso_c_binding, only: c_associated, c_f_pointer, c_int32_t, c_int64_t, c_ptr
    implicit none
    private
    public :: counting_progress

contains

    !> A progress callback (procedure(firecrest_progress_cb)) that counts its calls in the
    !> integer(c_int32_t) userdata points at.
    function counting_progress(userdata, done, total) result(rc) bind(c)
        type(c_ptr), value :: userdata
        integer(c_int64_t), value :: done, total
        integer(c_int32_t) :: rc
        integer(c_int32_t), pointer :: calls
        if (c_associated(userdata) .and. done >= 0 .and. total >= 0) then
            call c_f_pointer(userdata, calls)
            calls = calls + 1
        end if
        rc = 0
    end function counting_progress
end module dirs_callbacks

program dirs
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_loc, c_null_ptr, c_ptr
    use firecrest
    use dirs_callbacks
    implicit none

    type(c_ptr) :: client = c_null_ptr
    character(:), allocatable :: system, home, base, text
    integer(c_int32_t) :: st
    integer(c_int32_t), target :: calls = 0
    integer :: passed = 0, failed = 0, unit, version

    system = env('FIRECREST_SYSTEM')
    home = env('FIRECREST_HOME')
    base = home//'/f90-dirs'
    st = fc_client_new_from_env(client)
    if (st /= FIRECREST_STATUS_OK) then
        write (*, '(a)') 'dirs: cannot create the client: '//fc_error(st)
        error stop 2
    end if
    st = fc_client_detect_api_version(client, version)

    ! a local tree: tree/top.txt (600), tree/sub/run.sh (755)
    call execute_command_line('mkdir -p tree/sub')
    open (newunit=unit, file='tree/top.txt', status='replace', action='write')
    write (unit, '(a)') 'from fortran'
    close (unit)
    open (newunit=unit, file='tree/sub/run.sh', status='replace', action='write')
    write (unit, '(a)') '#!/bin/sh'
    close (unit)
    call execute_command_line('chmod 600 tree/top.txt && chmod 755 tree/sub/run.sh')

    st = fc_upload_dir(client, system, 'tree', base//'/tree', counting_progress, c_loc(calls))
    call check('upload_dir', st == FIRECREST_STATUS_OK, fc_error(st))
    call check('upload_dir reported progress', calls >= 1, '')
    st = fc_head(client, system, base//'/tree/top.txt', 0, 0, .false., text)
    call check('uploaded top.txt', st == FIRECREST_STATUS_OK .and. text == 'from fortran'//new_line('a'), &
        fc_error(st))

    st = fc_compress(client, system, base//'/tree', base//'/tree.tar.gz', .false., '')
    call check('compress', st == FIRECREST_STATUS_OK, fc_error(st))
    st = fc_mkdir(client, system, base//'/ex', .true.)
    st = fc_extract(client, system, base//'/tree.tar.gz', base//'/ex')
    call check('extract', st == FIRECREST_STATUS_OK, fc_error(st))
    st = fc_head(client, system, base//'/ex/tree/sub/run.sh', 0, 0, .false., text)
    call check('extracted run.sh', st == FIRECREST_STATUS_OK .and. text == '#!/bin/sh'//new_line('a'), &
        fc_error(st))
    st = fc_compress(client, system, base//'/tree', base//'/p.tar.gz', .false., '.*\.sh')
    if (version == 1) then
        call check('compress with a pattern on v1', st == FIRECREST_STATUS_UNSUPPORTED, fc_error(st))
    else
        call check('compress with a pattern on v2', st == FIRECREST_STATUS_OK, fc_error(st))
    end if

    st = fc_download_dir(client, system, base//'/tree', 'back')
    call check('download_dir', st == FIRECREST_STATUS_OK, fc_error(st))
    open (newunit=unit, file='back/top.txt', status='old', action='read', iostat=st)
    call check('back/top.txt exists', st == 0, '')
    if (st == 0) close (unit)
    st = fc_download_dir(client, system, base//'/tree', 'back')
    call check('download_dir onto an existing directory', st == FIRECREST_STATUS_INVALID_ARGUMENT, &
        fc_error(st))
    st = fc_download_dir(client, system, base//'/none', 'none')
    call check('download_dir of a missing directory', st /= FIRECREST_STATUS_OK, '')

    st = fc_remove(client, system, base)
    call fc_client_close(client)
    write (*, '(i0,a,i0,a)') passed, ' passed, ', failed, ' failed'
    if (failed > 0) error stop 1

contains

    function env(name) result(value)
        character(*), intent(in) :: name
        character(:), allocatable :: value
        integer :: n
        call get_environment_variable(name, length=n)
        allocate (character(n) :: value)
        if (n > 0) call get_environment_variable(name, value)
    end function env

    subroutine check(name, ok, detail)
        character(*), intent(in) :: name, detail
        logical, intent(in) :: ok
        if (ok) then
            passed = passed + 1
            write (*, '(a)') 'check '//name//': ok'
        else
            failed = failed + 1
            write (*, '(a)') 'check '//name//': FAILED '//detail
        end if
    end subroutine check
end program dirs
