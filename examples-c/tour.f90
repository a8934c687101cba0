! tour.f90: the FirecREST tutorial's exercises in Fortran, step for step the same as tour.c.
!
! Reads pyfirecrest's environment variables: FIRECREST_URL, FIRECREST_CLIENT_ID,
! FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, plus FIRECREST_SYSTEM (the system to use) and
! FIRECREST_HOME (a directory on it the user may write). Runs unchanged against FirecREST v1 and
! v2 (steps a server's version lacks print UNSUPPORTED and the tour goes on) and against the
! project's emulator. Local files go to $TMPDIR (or /tmp). Exit status 0 when no step failed.
!
!   gfortran -std=f2018 ../include/firecrest.f90 tour.f90 -L<libdir> -lfirecrest
module tour_support
    use, intrinsic :: iso_c_binding, only: c_int, c_int32_t, c_int64_t, c_ptr, c_f_pointer, &
        c_associated
    use firecrest
    implicit none
    private
    public :: progress_counter, on_progress, pause_ms, process_id, getenv_or_stop, is_terminal
    public :: write_file, same_file, delete_file

    !> What the progress callback saw: the last (done, total) and how often it was called.
    type, bind(c) :: progress_counter
        integer(c_int64_t) :: done = 0
        integer(c_int64_t) :: total = 0
        integer(c_int64_t) :: calls = 0
    end type progress_counter

    ! Fortran has neither sleep nor a process id; POSIX has both.
    interface
        function c_usleep(us) result(rc) bind(c, name='usleep')
            import :: c_int
            integer(c_int), value :: us
            integer(c_int) :: rc
        end function c_usleep

        function c_getpid() result(pid) bind(c, name='getpid')
            import :: c_int
            integer(c_int) :: pid
        end function c_getpid
    end interface

contains

    !> Progress callback (procedure(firecrest_progress_cb)): records the bytes sent or received.
    function on_progress(userdata, done, total) result(rc) bind(c)
        type(c_ptr), value :: userdata
        integer(c_int64_t), value :: done, total
        integer(c_int32_t) :: rc
        type(progress_counter), pointer :: counter
        rc = 0
        if (.not. c_associated(userdata)) return
        call c_f_pointer(userdata, counter)
        counter%done = done
        counter%total = total
        counter%calls = counter%calls + 1
    end function on_progress

    subroutine pause_ms(ms)
        integer, intent(in) :: ms
        integer(c_int) :: rc
        rc = c_usleep(int(ms * 1000, c_int))
    end subroutine pause_ms

    integer function process_id()
        process_id = int(c_getpid())
    end function process_id

    !> The variable's value; stops the program with a hint when it is unset.
    function getenv_or_stop(name) result(value)
        character(*), intent(in) :: name
        character(:), allocatable :: value
        integer :: length, stat
        call get_environment_variable(name, length=length, status=stat)
        if (stat /= 0 .or. length == 0) then
            write (*, '(a)') 'tour: set '//name//' (FIRECREST_URL, FIRECREST_CLIENT_ID, '// &
                'FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, FIRECREST_SYSTEM, FIRECREST_HOME)'
            error stop 2
        end if
        allocate (character(len=length) :: value)
        call get_environment_variable(name, value)
    end function getenv_or_stop

    logical function is_terminal(status)
        integer, intent(in) :: status
        is_terminal = any(status == [FIRECREST_UPLOAD_DONE, FIRECREST_UPLOAD_FAILED, &
            FIRECREST_DOWNLOAD_READY, FIRECREST_DOWNLOAD_FAILED, FIRECREST_TASK_DONE, &
            FIRECREST_TASK_INVALIDATED, FIRECREST_TASK_FAILED])
    end function is_terminal

    !> n bytes, byte i (from 0) being mod(31 i + seed, 251), as tour.c writes them.
    subroutine write_file(path, n, seed, ok)
        character(*), intent(in) :: path
        integer, intent(in) :: n, seed
        logical, intent(out) :: ok
        character(len=:), allocatable :: data
        integer :: i, unit, stat
        allocate (character(len=n) :: data)
        do i = 0, n - 1
            data(i + 1:i + 1) = achar(mod(31 * i + seed, 251))
        end do
        open (newunit=unit, file=path, access='stream', form='unformatted', status='replace', &
            action='write', iostat=stat)
        ok = stat == 0
        if (.not. ok) return
        write (unit, iostat=stat) data
        ok = stat == 0
        close (unit)
    end subroutine write_file

    function read_file(path) result(data)
        character(*), intent(in) :: path
        character(:), allocatable :: data
        integer :: n, unit, stat
        data = ''
        open (newunit=unit, file=path, access='stream', form='unformatted', status='old', &
            action='read', iostat=stat)
        if (stat /= 0) return
        inquire (unit=unit, size=n)
        deallocate (data)
        allocate (character(len=max(n, 0)) :: data)
        if (n > 0) read (unit, iostat=stat) data
        close (unit)
    end function read_file

    !> True when the two local files have the same bytes.
    logical function same_file(a, b)
        character(*), intent(in) :: a, b
        character(:), allocatable :: da, db
        da = read_file(a)
        db = read_file(b)
        same_file = len(da) == len(db) .and. da == db
    end function same_file

    subroutine delete_file(path)
        character(*), intent(in) :: path
        integer :: unit, stat
        open (newunit=unit, file=path, status='old', iostat=stat)
        if (stat == 0) close (unit, status='delete')
    end subroutine delete_file

end module tour_support

program tour
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_int64_t, c_ptr, c_null_ptr, c_loc
    use firecrest
    use tour_support
    implicit none

    integer, parameter :: big_size = 3 * 1024 * 1024 + 17
    integer :: steps_ok = 0, steps_unsupported = 0, steps_failed = 0

    type(c_ptr) :: auth = c_null_ptr, client = c_null_ptr, up = c_null_ptr, down = c_null_ptr
    type(progress_counter), target :: progress
    character(:), allocatable :: url, system, home, tmp, json, text, pid
    character(:), allocatable :: small_local, small_back, big_local, big_back
    character(:), allocatable :: small_name, small_remote, big_remote
    integer(c_int32_t) :: s
    integer(c_int64_t) :: size
    integer :: n, i, status, version, length
    logical :: written

    url = getenv_or_stop('FIRECREST_URL')
    system = getenv_or_stop('FIRECREST_SYSTEM')
    home = getenv_or_stop('FIRECREST_HOME')
    write (*, '(a)') 'firecrest library '//fc_version()//' (Fortran module)'

    ! the same variables tour.c's firecrest_client_new_from_env reads, passed one by one
    s = fc_auth_client_credentials_new(getenv_or_stop('FIRECREST_CLIENT_ID'), &
        getenv_or_stop('FIRECREST_CLIENT_SECRET'), getenv_or_stop('AUTH_TOKEN_URL'), auth)
    if (s == FIRECREST_STATUS_OK) s = fc_client_new(url, auth, c_null_ptr, client)
    call fc_auth_close(auth) ! the client keeps what it needs
    if (s /= FIRECREST_STATUS_OK) then
        call report('fc_client_new', s)
        error stop 1
    end if
    s = fc_client_detect_api_version(client, version)
    if (s /= FIRECREST_STATUS_OK) then
        call report('fc_client_detect_api_version', s)
        call fc_client_close(client)
        error stop 1
    end if
    write (*, '(a,i0,a)') 'FirecREST API v', version, ' at '//url//', system '//system// &
        ', home '//home

    ! local scratch files and remote names unique to this run
    call get_environment_variable('TMPDIR', length=length)
    if (length > 0) then
        allocate (character(len=length) :: tmp)
        call get_environment_variable('TMPDIR', tmp)
    else
        tmp = '/tmp'
    end if
    pid = fc_int_str(process_id())
    small_local = tmp//'/firecrest-tour-f-'//pid//'-small.txt'
    small_back = tmp//'/firecrest-tour-f-'//pid//'-small-back.txt'
    big_local = tmp//'/firecrest-tour-f-'//pid//'-big.bin'
    big_back = tmp//'/firecrest-tour-f-'//pid//'-big-back.bin'
    small_name = 'firecrest-tour-f-'//pid//'-small.txt'
    small_remote = home//'/'//small_name
    big_remote = home//'/firecrest-tour-f-'//pid//'-big.bin'

    call step(1, "the deployment's parameters")
    s = fc_parameters(client, json)
    if (s == FIRECREST_STATUS_OK) then
        call rows_ok(json, '/utilities', '  utilities: ', '/name', ' = ', '/value')
    else
        call report('fc_parameters', s)
    end if

    call step(2, 'the user name')
    s = fc_whoami(client, '', text) ! '': the name in the access token
    if (s == FIRECREST_STATUS_OK) then
        write (*, '(a)') '  user: '//text
        call ok()
    else
        call report('fc_whoami', s)
    end if

    call step(3, 'the services and their status')
    s = fc_all_services(client, json)
    if (s == FIRECREST_STATUS_OK) then
        call rows_ok(json, '', '  service ', '/service', ': ', '/status')
    else
        call report('fc_all_services', s)
    end if

    call step(4, 'the systems')
    s = fc_all_systems(client, json)
    if (s == FIRECREST_STATUS_OK) then
        call rows_ok(json, '', '  system ', '/system', ': ', '/status')
    else
        call report('fc_all_systems', s)
    end if

    call step(5, 'a directory listing')
    s = fc_list_files(client, system, home, .false., json)
    if (s == FIRECREST_STATUS_OK) then
        n = 0
        s = fc_json_array_len(json, '', n)
        write (*, '(a,i0,a)') '  '//home//' has ', n, ' entries'
        do i = 0, min(n, 20) - 1
            size = 0
            s = fc_json_get_int_at(json, '', i, '/size', size)
            write (*, '(a,i10,a)') '  '//member(json, '', i, '/type')// &
                member(json, '', i, '/permissions'), size, &
                ' '//member(json, '', i, '/name')
        end do
        call ok()
    else
        call report('fc_list_files', s)
    end if

    call step(6, 'a small upload and download')
    call write_file(small_local, 1000, 7, written)
    if (.not. written) then
        write (*, '(a)') '  tour: cannot write '//small_local
        steps_failed = steps_failed + 1
    else
        s = fc_simple_upload(client, system, small_local, home, small_name)
        if (s /= FIRECREST_STATUS_OK) then
            call report('fc_simple_upload', s)
        else
            s = fc_simple_download(client, system, small_remote, small_back)
            if (s /= FIRECREST_STATUS_OK) then
                call report('fc_simple_download', s)
            else
                if (fc_checksum(client, system, small_remote, text) == FIRECREST_STATUS_OK) then
                    write (*, '(a)') '  sha256 '//text
                end if
                call check_same('  uploaded '//small_remote//', downloaded it back: ', &
                    small_local, small_back)
            end if
        end if
    end if

    call step(7, 'an external upload, polling the status integers')
    call write_file(big_local, big_size, 3, written)
    if (.not. written) then
        write (*, '(a)') '  tour: cannot write '//big_local
        steps_failed = steps_failed + 1
    else
        s = fc_external_upload(client, system, big_local, big_remote, up)
        if (s /= FIRECREST_STATUS_OK) then
            call report('fc_external_upload', s)
        else
            status = poll_until(up, FIRECREST_UPLOAD_URL_READY, 120)
            if (status == FIRECREST_UPLOAD_URL_READY) then
                write (*, '(a,i0,a)') '  sending ', big_size, ' bytes to the staging area'
                s = fc_transfer_set_progress(up, on_progress, c_loc(progress))
                if (s == FIRECREST_STATUS_OK) s = firecrest_transfer_finish_upload(up)
                if (s /= FIRECREST_STATUS_OK) then
                    call report('firecrest_transfer_finish_upload', s)
                else
                    write (*, '(a,i0,a,i0,a)') '  progress: ', progress%done, ' of ', &
                        progress%total, ' bytes'
                    status = poll_until(up, FIRECREST_UPLOAD_DONE, 300)
                    if (status == FIRECREST_UPLOAD_DONE) then
                        write (*, '(a)') '  upload done: '//big_remote
                        call ok()
                    else
                        write (*, '(a,i0)') '  upload ended with status ', status
                        steps_failed = steps_failed + 1
                    end if
                end if
            else
                write (*, '(a,i0,a)') '  upload never became ready (status ', status, ')'
                steps_failed = steps_failed + 1
            end if
        end if
    end if
    call fc_transfer_close(up)

    call step(8, 'an external download, polling the status integers')
    s = fc_external_download(client, system, big_remote, down)
    if (s /= FIRECREST_STATUS_OK) then
        call report('fc_external_download', s)
    else
        status = poll_until(down, FIRECREST_DOWNLOAD_READY, 300)
        if (status /= FIRECREST_DOWNLOAD_READY) then
            write (*, '(a,i0,a)') '  download never became ready (status ', status, ')'
            steps_failed = steps_failed + 1
        else
            write (*, '(a)') '  the staged file is ready'
            call ok()

            call step(9, 'finish_download')
            s = fc_transfer_finish_download(down, big_back)
            if (s /= FIRECREST_STATUS_OK) then
                call report('fc_transfer_finish_download', s)
            else
                call check_same('  downloaded '//fc_int_str(big_size)//' bytes: ', big_local, &
                    big_back)
            end if

            call step(10, 'the object-storage link')
            s = fc_transfer_object_storage_link(down, text)
            if (s == FIRECREST_STATUS_OK) then
                ! the query string is the signature: whoever has it can fetch the file
                i = index(text, '?')
                if (i > 0) then
                    write (*, '(a)') '  link: '//text(1:i - 1)//'?<signature hidden>'
                else
                    write (*, '(a)') '  link: '//text
                end if
                call ok()
            else
                call report('fc_transfer_object_storage_link', s)
            end if

            call step(11, 'invalidation')
            s = firecrest_transfer_invalidate(down)
            if (s == FIRECREST_STATUS_OK) then
                write (*, '(a)') '  the link is invalidated'
                call ok()
            else
                call report('firecrest_transfer_invalidate', s)
            end if
        end if
    end if
    call fc_transfer_close(down)
    call fc_transfer_close(down) ! closing twice is harmless

    call step(12, 'cleaning up')
    written = .true.
    s = fc_remove(client, system, small_remote)
    if (s /= FIRECREST_STATUS_OK .and. s /= FIRECREST_STATUS_NOT_FOUND) then
        call report('fc_remove', s)
        written = .false.
    end if
    s = fc_remove(client, system, big_remote)
    if (s /= FIRECREST_STATUS_OK .and. s /= FIRECREST_STATUS_NOT_FOUND) then
        call report('fc_remove', s)
        written = .false.
    end if
    call delete_file(small_local)
    call delete_file(small_back)
    call delete_file(big_local)
    call delete_file(big_back)
    if (written) call ok()

    call fc_client_close(client)
    write (*, '(/,a,i0,a,i0,a,i0,a)') 'tour finished: ', steps_ok, ' ok, ', steps_unsupported, &
        ' unsupported, ', steps_failed, ' failed'
    i = steps_failed
    ! gfortran keeps the main program's allocatables to the end; free them for valgrind
    deallocate (url, system, home, tmp, pid, small_local, small_back, big_local, big_back)
    deallocate (small_name, small_remote, big_remote)
    if (allocated(json)) deallocate (json)
    if (allocated(text)) deallocate (text)
    if (i /= 0) error stop 1

contains

    subroutine step(number, title)
        integer, intent(in) :: number
        character(*), intent(in) :: title
        write (*, '(/,a,i0,a)') '== step ', number, ': '//title
    end subroutine step

    subroutine ok()
        write (*, '(a)') '  ok'
        steps_ok = steps_ok + 1
    end subroutine ok

    !> Prints why `what` failed; counts the step as unsupported or failed.
    subroutine report(what, st)
        character(*), intent(in) :: what
        integer(c_int32_t), intent(in) :: st
        if (st == FIRECREST_STATUS_UNSUPPORTED) then
            write (*, '(a)') '  '//what//': UNSUPPORTED on this server ('//fc_last_error()//')'
            steps_unsupported = steps_unsupported + 1
        else
            write (*, '(a,i0,a)') '  '//what//' FAILED: '//fc_status_str(st)//' (' &
                //fc_int_str(int(st))//'), HTTP ', firecrest_last_error_http_status(), &
                ': '//fc_last_error()
            steps_failed = steps_failed + 1
        end if
    end subroutine report

    !> The string at `pointer` from element k of the array at `array` in a JSON text returned by
    !> the library, or '?'.
    function member(json, array, k, pointer) result(value)
        character(*), intent(in) :: json, array, pointer
        integer, intent(in) :: k
        character(:), allocatable :: value
        if (fc_json_get_string_at(json, array, k, pointer, value) /= FIRECREST_STATUS_OK) value = '?'
    end function member

    !> Prints label, member1, sep, member2 of each element of the array at `array`, and counts
    !> the step as ok.
    subroutine rows_ok(json, array, label, member1, sep, member2)
        character(*), intent(in) :: json, array, label, member1, sep, member2
        integer :: count, k
        count = 0
        if (fc_json_array_len(json, array, count) /= FIRECREST_STATUS_OK) count = 0
        do k = 0, count - 1
            write (*, '(a)') label//member(json, array, k, member1)//sep//member(json, array, k, member2)
        end do
        call ok()
    end subroutine rows_ok

    subroutine check_same(label, original, copy)
        character(*), intent(in) :: label, original, copy
        if (same_file(original, copy)) then
            write (*, '(a)') label//'same bytes'
            call ok()
        else
            write (*, '(a)') label//'DIFFERENT BYTES'
            steps_failed = steps_failed + 1
        end if
    end subroutine check_same

    !> Polls the transfer's status integer (one request each time) until `until` or a terminal
    !> status, printing each change. Returns the last status, or -1 on an error.
    integer function poll_until(transfer, until, timeout_s) result(last)
        type(c_ptr), intent(in) :: transfer
        integer, intent(in) :: until, timeout_s
        integer :: now, waited
        integer(c_int32_t) :: rc
        last = -1
        do waited = 0, timeout_s * 1000, 100
            rc = fc_transfer_status(transfer, now)
            if (rc /= FIRECREST_STATUS_OK) then
                call report('fc_transfer_status', rc)
                last = -1
                return
            end if
            if (now /= last) write (*, '(a,i0)') '  status ', now
            last = now
            if (now == until .or. is_terminal(now)) return
            call pause_ms(100)
        end do
        write (*, '(a,i0,a)') '  gave up waiting after ', timeout_s, ' s'
    end function poll_until

end program tour
