! A tour of the firecrest library from Fortran, the same steps as tour.c: parameters, user,
! services, systems, listing, a small upload and download, an external upload and download
! followed by polling the status integers, and the invalidation of the staging link.
!
! Environment (pyfirecrest's names): FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET,
! AUTH_TOKEN_URL, FIRECREST_SYSTEM (the system to use), FIRECREST_HOME (a writable directory on
! it). Local files are written to, and removed from, the current directory.
!
!   gfortran -std=f2018 -I<dir of firecrest.mod> ../include/firecrest.f90 tour.f90 -lfirecrest
module tour_support
    use, intrinsic :: iso_c_binding, only: c_int, c_int32_t, c_int64_t, c_ptr, c_f_pointer, &
        c_associated
    use firecrest
    implicit none
    private
    public :: progress_counter, on_progress, pause_ms, getenv_required, status_name, is_terminal
    public :: write_file, read_file, fail, fail_at

    !> What the progress callback saw: the last (done, total) and how often it was called.
    type, bind(c) :: progress_counter
        integer(c_int64_t) :: done = 0
        integer(c_int64_t) :: total = 0
        integer(c_int64_t) :: calls = 0
    end type progress_counter

    interface
        ! Fortran has no sleep; POSIX usleep is enough between two polls.
        function c_usleep(us) result(rc) bind(c, name='usleep')
            import :: c_int
            integer(c_int), value :: us
            integer(c_int) :: rc
        end function c_usleep
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

    function getenv_required(name) result(value)
        character(*), intent(in) :: name
        character(:), allocatable :: value
        integer :: length, stat
        call get_environment_variable(name, length=length, status=stat)
        if (stat /= 0 .or. length == 0) then
            write (*, '(a)') 'tour: environment variable '//name//' is not set'
            error stop 2
        end if
        allocate (character(len=length) :: value)
        call get_environment_variable(name, value)
    end function getenv_required

    function status_name(status) result(name)
        integer, intent(in) :: status
        character(:), allocatable :: name
        select case (status)
        case (FIRECREST_TASK_QUEUED); name = 'TASK_QUEUED'
        case (FIRECREST_UPLOAD_WAITING_URL); name = 'UPLOAD_WAITING_URL'
        case (FIRECREST_UPLOAD_URL_READY); name = 'UPLOAD_URL_READY'
        case (FIRECREST_UPLOAD_IN_STAGING); name = 'UPLOAD_IN_STAGING'
        case (FIRECREST_UPLOAD_MOVING); name = 'UPLOAD_MOVING'
        case (FIRECREST_UPLOAD_DONE); name = 'UPLOAD_DONE'
        case (FIRECREST_UPLOAD_FAILED); name = 'UPLOAD_FAILED'
        case (FIRECREST_DOWNLOAD_STAGING); name = 'DOWNLOAD_STAGING'
        case (FIRECREST_DOWNLOAD_READY); name = 'DOWNLOAD_READY'
        case (FIRECREST_DOWNLOAD_FAILED); name = 'DOWNLOAD_FAILED'
        case (FIRECREST_TASK_DONE); name = 'TASK_DONE'
        case (FIRECREST_TASK_INVALIDATED); name = 'TASK_INVALIDATED'
        case (FIRECREST_TASK_FAILED); name = 'TASK_FAILED'
        case default; name = 'UNKNOWN'
        end select
    end function status_name

    logical function is_terminal(status)
        integer, intent(in) :: status
        is_terminal = any(status == [FIRECREST_UPLOAD_DONE, FIRECREST_UPLOAD_FAILED, &
            FIRECREST_DOWNLOAD_READY, FIRECREST_DOWNLOAD_FAILED, FIRECREST_TASK_DONE, &
            FIRECREST_TASK_INVALIDATED, FIRECREST_TASK_FAILED])
    end function is_terminal

    !> Writes n bytes of a repeating pattern that starts with tag.
    subroutine write_file(path, tag, n)
        character(*), intent(in) :: path, tag
        integer, intent(in) :: n
        character(len=n) :: data
        integer :: i, unit
        do i = 1, n
            data(i:i) = achar(iachar('a') + mod(i - 1, 26))
        end do
        data(1:min(n, len(tag))) = tag(1:min(n, len(tag)))
        open (newunit=unit, file=path, access='stream', form='unformatted', status='replace', &
            action='write')
        write (unit) data
        close (unit)
    end subroutine write_file

    function read_file(path) result(data)
        character(*), intent(in) :: path
        character(:), allocatable :: data
        integer :: n, unit, stat
        logical :: exists
        inquire (file=path, exist=exists, size=n)
        if (.not. exists) then
            data = ''
            return
        end if
        allocate (character(len=n) :: data)
        open (newunit=unit, file=path, access='stream', form='unformatted', status='old', &
            action='read', iostat=stat)
        if (stat /= 0) error stop 'tour: cannot open '//path
        if (n > 0) read (unit) data
        close (unit)
    end function read_file

    !> Reports a failed step with the library's status and message, and stops.
    subroutine fail(step, st)
        character(*), intent(in) :: step
        integer(c_int32_t), intent(in) :: st
        write (*, '(a)') step//': FAILED '//fc_error(st)
        error stop 1
    end subroutine fail

    !> Reports a transfer that stopped at an unexpected status, and stops.
    subroutine fail_at(step, status)
        character(*), intent(in) :: step
        integer, intent(in) :: status
        write (*, '(a,i0,a)') step//': FAILED at status ', status, ' '//status_name(status)
        error stop 1
    end subroutine fail_at

end module tour_support

program tour
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_int64_t, c_ptr, c_null_ptr, c_loc
    use firecrest
    use tour_support
    implicit none

    character(*), parameter :: small_name = 'fortran-tour-small.txt'
    character(*), parameter :: big_name = 'fortran-tour-big.bin'
    character(*), parameter :: small_back = 'fortran-tour-small.back'
    character(*), parameter :: big_back = 'fortran-tour-big.back'
    integer, parameter :: big_size = 300000

    type(c_ptr) :: auth = c_null_ptr, opts = c_null_ptr, client = c_null_ptr
    type(c_ptr) :: transfer = c_null_ptr
    type(progress_counter), target :: progress
    character(:), allocatable :: url, client_id, secret, token_url, system, home, dir
    character(:), allocatable :: json, text, name, value
    integer(c_int32_t) :: st
    integer(c_int64_t) :: size
    integer :: n, i, status

    write (*, '(a)') 'version: '//fc_version()

    url = getenv_required('FIRECREST_URL')
    client_id = getenv_required('FIRECREST_CLIENT_ID')
    secret = getenv_required('FIRECREST_CLIENT_SECRET')
    token_url = getenv_required('AUTH_TOKEN_URL')
    system = getenv_required('FIRECREST_SYSTEM')
    home = getenv_required('FIRECREST_HOME')
    dir = home//'/fortran-tour'

    ! -- client: credentials, options, then the client (the auth handle may go right after) --
    st = fc_auth_client_credentials_new(client_id, secret, token_url, auth)
    if (st /= FIRECREST_STATUS_OK) call fail('auth', st)
    st = fc_options_new(opts)
    if (st /= FIRECREST_STATUS_OK) call fail('options', st)
    st = fc_options_set_timeout_ms(opts, 30000)
    if (st /= FIRECREST_STATUS_OK) call fail('options', st)
    st = fc_client_new(url, auth, opts, client)
    if (st /= FIRECREST_STATUS_OK) call fail('client', st)
    call fc_auth_close(auth)
    call fc_options_close(opts)

    ! -- parameters (v1 only: a v2 server says UNSUPPORTED) --
    st = fc_parameters(client, json)
    if (st == FIRECREST_STATUS_UNSUPPORTED) then
        write (*, '(a)') 'parameters: unsupported by this server: '//fc_last_error()
    else if (st /= FIRECREST_STATUS_OK) then
        call fail('parameters', st)
    else
        st = fc_json_array_len(json, '/utilities', n)
        if (st /= FIRECREST_STATUS_OK) call fail('parameters', st)
        write (*, '(a,i0,a)') 'parameters: ', n, ' utilities parameters'
        do i = 0, n - 1
            st = fc_json_get_string(json, '/utilities/'//fc_int_str(i)//'/name', name)
            if (st /= FIRECREST_STATUS_OK) cycle
            if (name /= 'UTILITIES_MAX_FILE_SIZE') cycle
            st = fc_json_get_string(json, '/utilities/'//fc_int_str(i)//'/value', value)
            if (st == FIRECREST_STATUS_OK) write (*, '(a)') 'parameters: '//name//' = '//value
        end do
    end if
    write (*, '(a,i0)') 'api version: ', firecrest_client_api_version(client)

    ! -- who am I --
    st = fc_whoami(client, system, text)
    if (st /= FIRECREST_STATUS_OK) call fail('whoami', st)
    write (*, '(a)') 'user: '//text

    ! -- services (v1 only) --
    st = fc_all_services(client, json)
    if (st == FIRECREST_STATUS_UNSUPPORTED) then
        write (*, '(a)') 'services: unsupported by this server: '//fc_last_error()
    else if (st /= FIRECREST_STATUS_OK) then
        call fail('services', st)
    else
        call print_entries('services', json, 'service')
    end if

    ! -- systems --
    st = fc_all_systems(client, json)
    if (st /= FIRECREST_STATUS_OK) call fail('systems', st)
    call print_entries('systems', json, 'system')
    st = fc_system(client, system, json)
    if (st /= FIRECREST_STATUS_OK) call fail('system', st)
    st = fc_json_get_string(json, '/status', text)
    if (st /= FIRECREST_STATUS_OK) call fail('system', st)
    write (*, '(a)') 'system: '//system//' '//text

    ! -- a directory, a small upload, the listing, the checksum, the download --
    st = fc_mkdir(client, system, dir, .true.)
    if (st /= FIRECREST_STATUS_OK) call fail('mkdir', st)
    write (*, '(a)') 'mkdir: '//dir
    call write_file(small_name, 'hello from Fortran', 64)
    st = fc_simple_upload(client, system, small_name, dir, '')
    if (st /= FIRECREST_STATUS_OK) call fail('upload', st)
    write (*, '(a)') 'upload: '//small_name//' -> '//dir

    st = fc_list_files(client, system, dir, .false., json)
    if (st /= FIRECREST_STATUS_OK) call fail('list', st)
    st = fc_json_array_len(json, '', n)
    if (st /= FIRECREST_STATUS_OK) call fail('list', st)
    write (*, '(a,i0,a)') 'list: ', n, ' entries in '//dir
    do i = 0, n - 1
        st = fc_json_get_string(json, '/'//fc_int_str(i)//'/name', name)
        if (st /= FIRECREST_STATUS_OK) call fail('list', st)
        st = fc_json_get_int(json, '/'//fc_int_str(i)//'/size', size)
        if (st /= FIRECREST_STATUS_OK) call fail('list', st)
        write (*, '(a,i0,a)') 'list: '//name//' ', size, ' bytes'
    end do

    st = fc_checksum(client, system, dir//'/'//small_name, text)
    if (st /= FIRECREST_STATUS_OK) call fail('checksum', st)
    write (*, '(a)') 'checksum: '//text

    st = fc_simple_download(client, system, dir//'/'//small_name, small_back)
    if (st /= FIRECREST_STATUS_OK) call fail('download', st)
    call compare('download', small_name, small_back)

    ! -- external upload: start, wait for the URL, send, wait until the file is in place --
    call write_file(big_name, 'external upload from Fortran', big_size)
    st = fc_external_upload(client, system, big_name, dir//'/'//big_name, transfer)
    if (st /= FIRECREST_STATUS_OK) call fail('external upload', st)
    call follow('external upload', FIRECREST_UPLOAD_URL_READY, status)
    if (status /= FIRECREST_UPLOAD_URL_READY) call fail_at('external upload', status)
    st = fc_transfer_set_progress(transfer, on_progress, c_loc(progress))
    if (st /= FIRECREST_STATUS_OK) call fail('external upload', st)
    st = firecrest_transfer_finish_upload(transfer)
    if (st /= FIRECREST_STATUS_OK) call fail('external upload', st)
    write (*, '(a,i0,a)') 'external upload: sent ', progress%done, ' bytes'
    call follow('external upload', FIRECREST_UPLOAD_DONE, status)
    if (status /= FIRECREST_UPLOAD_DONE) call fail_at('external upload', status)
    call fc_transfer_close(transfer)

    ! -- external download: wait for the staged copy, fetch it, then invalidate the link --
    st = fc_external_download(client, system, dir//'/'//big_name, transfer)
    if (st /= FIRECREST_STATUS_OK) call fail('external download', st)
    call follow('external download', FIRECREST_DOWNLOAD_READY, status)
    if (status /= FIRECREST_DOWNLOAD_READY) call fail_at('external download', status)
    st = fc_transfer_object_storage_link(transfer, text)
    if (st /= FIRECREST_STATUS_OK) call fail('external download', st)
    ! the link is a credential: show only that there is one
    write (*, '(a,i0,a)') 'external download: link of ', len(text), ' characters'
    st = fc_transfer_finish_download(transfer, big_back)
    if (st /= FIRECREST_STATUS_OK) call fail('external download', st)
    call compare('external download', big_name, big_back)
    st = firecrest_transfer_invalidate(transfer)
    if (st == FIRECREST_STATUS_UNSUPPORTED) then
        write (*, '(a)') 'invalidate: unsupported by this server: '//fc_last_error()
    else if (st /= FIRECREST_STATUS_OK) then
        call fail('invalidate', st)
    else
        write (*, '(a)') 'invalidate: done'
    end if
    call fc_transfer_close(transfer)
    call fc_transfer_close(transfer) ! closing twice is harmless

    ! -- clean up, remote and local --
    st = fc_remove(client, system, dir)
    if (st /= FIRECREST_STATUS_OK) call fail('remove', st)
    write (*, '(a)') 'remove: '//dir
    call delete_file(small_name)
    call delete_file(small_back)
    call delete_file(big_name)
    call delete_file(big_back)
    call fc_client_close(client)
    write (*, '(a)') 'tour: done'

    ! gfortran does not free the main program's allocatables; valgrind would call them lost
    deallocate (url, client_id, secret, token_url, system, home, dir, json, text)
    if (allocated(name)) deallocate (name)
    if (allocated(value)) deallocate (value)

contains

    !> Prints "<label>: N" and one line per entry: its key field and its status.
    subroutine print_entries(label, json, key)
        character(*), intent(in) :: label, json, key
        character(:), allocatable :: entry, state
        integer :: count, k
        integer(c_int32_t) :: rc
        rc = fc_json_array_len(json, '', count)
        if (rc /= FIRECREST_STATUS_OK) call fail(label, rc)
        write (*, '(a,i0)') label//': ', count
        do k = 0, count - 1
            rc = fc_json_get_string(json, '/'//fc_int_str(k)//'/'//key, entry)
            if (rc /= FIRECREST_STATUS_OK) call fail(label, rc)
            rc = fc_json_get_string(json, '/'//fc_int_str(k)//'/status', state)
            if (rc /= FIRECREST_STATUS_OK) call fail(label, rc)
            write (*, '(a)') label//': '//entry//' '//state
        end do
    end subroutine print_entries

    !> Polls the transfer, printing each new status, until `until` or a terminal status.
    subroutine follow(label, until, last)
        character(*), intent(in) :: label
        integer, intent(in) :: until
        integer, intent(out) :: last
        integer :: now, polls
        integer(c_int32_t) :: rc
        last = -1
        do polls = 1, 3000
            rc = fc_transfer_status(transfer, now)
            if (rc /= FIRECREST_STATUS_OK) call fail(label, rc)
            if (now /= last) write (*, '(a,i0,a)') label//': status ', now, ' '//status_name(now)
            last = now
            if (now == until .or. is_terminal(now)) return
            call pause_ms(20)
        end do
        write (*, '(a)') label//': gave up waiting'
    end subroutine follow

    subroutine compare(label, original, copy)
        character(*), intent(in) :: label, original, copy
        character(:), allocatable :: a, b
        a = read_file(original)
        b = read_file(copy)
        if (a /= b .or. len(a) /= len(b)) then
            write (*, '(a)') label//': FAILED '//copy//' differs from '//original
            error stop 1
        end if
        write (*, '(a,i0,a)') label//': ', len(b), ' bytes, identical'
    end subroutine compare

    subroutine delete_file(path)
        character(*), intent(in) :: path
        integer :: unit, stat
        open (newunit=unit, file=path, status='old', iostat=stat)
        if (stat == 0) close (unit, status='delete')
    end subroutine delete_file

end program tour
