! Errors reach Fortran with their status and a message that names what was wrong.
! Self-checking: one "check <name>: ok|FAILED" line per check, a closing "N passed, M failed"
! line, and a non-zero exit when a check failed.
!
! Environment: FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL,
! FIRECREST_SYSTEM, FIRECREST_HOME (as for examples-c/tour.f90). Writes one small local file to the current
! directory and removes it; leaves errors-buffer.bin (3000 bytes, byte i = (31 i + 5) mod 251)
! and an empty errors-empty.bin in FIRECREST_HOME for the caller to check.
module errors_callbacks
    use, intrinsic :: iso_c_binding, only: c_associated, c_char, c_f_pointer, c_int8_t, &
        c_int32_t, c_int64_t, c_null_char, c_ptr, c_size_t
    use firecrest, only: fc_copy_to_buffer
    implicit none
    private
    public :: refusing_token, bogus_token, aborting_progress, collecting_write, aborting_write

    !> What collecting_write appends to; its userdata is c_loc of one of these.
    type, public :: byte_sink
        integer(c_int8_t), allocatable :: bytes(:)
        integer :: calls = 0
    end type byte_sink

contains

    !> Counts a call in the integer(c_int32_t) that userdata points at.
    subroutine count_call(userdata)
        type(c_ptr), intent(in) :: userdata
        integer(c_int32_t), pointer :: calls
        if (.not. c_associated(userdata)) return
        call c_f_pointer(userdata, calls)
        calls = calls + 1
    end subroutine count_call

    !> A token callback (procedure(firecrest_token_cb)) that has no token to give.
    function refusing_token(userdata, buf, buf_len) result(rc) bind(c)
        type(c_ptr), value :: userdata
        character(kind=c_char), intent(out) :: buf(*)
        integer(c_size_t), value :: buf_len
        integer(c_int32_t) :: rc
        call count_call(userdata)
        if (buf_len > 0) buf(1) = c_null_char
        rc = 1
    end function refusing_token

    !> A token callback that gives a token the server does not know.
    function bogus_token(userdata, buf, buf_len) result(rc) bind(c)
        type(c_ptr), value :: userdata
        character(kind=c_char), intent(out) :: buf(*)
        integer(c_size_t), value :: buf_len
        integer(c_int32_t) :: rc
        call count_call(userdata)
        rc = fc_copy_to_buffer('not-a-token-from-this-server', buf, buf_len)
    end function bogus_token

    !> A progress callback (procedure(firecrest_progress_cb)) that stops the transfer at its
    !> first report (which may come before any byte moved: done = 0).
    function aborting_progress(userdata, done, total) result(rc) bind(c)
        type(c_ptr), value :: userdata
        integer(c_int64_t), value :: done, total
        integer(c_int32_t) :: rc
        call count_call(userdata)
        rc = 1
        if (done < 0 .or. total < 0) rc = 2 ! unsigned in C: never negative
    end function aborting_progress

    !> A write callback (procedure(firecrest_write_cb)) that appends each chunk to the byte_sink
    !> at userdata (the chunk is the library's, valid only during the call: copied here).
    function collecting_write(userdata, data, len) result(rc) bind(c)
        type(c_ptr), value :: userdata, data
        integer(c_size_t), value :: len
        integer(c_int32_t) :: rc
        type(byte_sink), pointer :: sink
        integer(c_int8_t), pointer :: chunk(:)
        rc = 1
        if (.not. c_associated(userdata)) return
        call c_f_pointer(userdata, sink)
        sink%calls = sink%calls + 1
        if (.not. allocated(sink%bytes)) allocate (sink%bytes(0))
        rc = 0
        if (len == 0) return
        call c_f_pointer(data, chunk, [len])
        sink%bytes = [sink%bytes, chunk]
    end function collecting_write

    !> A write callback that refuses the first chunk.
    function aborting_write(userdata, data, len) result(rc) bind(c)
        type(c_ptr), value :: userdata, data
        integer(c_size_t), value :: len
        integer(c_int32_t) :: rc
        call count_call(userdata)
        rc = 1
        if (.not. c_associated(data) .and. len > 0) rc = 2
    end function aborting_write

end module errors_callbacks

program errors
    use, intrinsic :: iso_c_binding, only: c_char, c_funloc, c_int8_t, c_int32_t, c_int64_t, &
        c_loc, c_null_ptr, c_ptr, c_size_t
    use firecrest
    use errors_callbacks
    implicit none

    character(*), parameter :: local_file = 'errors-upload.txt'
    character(*), parameter :: wrong_secret = 'not-the-secret-4711'
    type(c_ptr) :: auth = c_null_ptr, client = c_null_ptr, bad_client = c_null_ptr
    type(c_ptr) :: transfer = c_null_ptr
    character(:), allocatable :: url, client_id, secret, token_url, system, home, json, text
    character(kind=c_char) :: tiny(4)
    integer(c_size_t) :: needed
    integer(c_int32_t) :: st
    integer(c_int64_t) :: number
    integer(c_int32_t), target :: calls = 0
    integer, parameter :: buffer_size = 3000
    integer(c_int8_t), target :: sent(buffer_size)
    integer(c_int8_t) :: nothing(0)
    type(byte_sink), target :: received
    integer(c_int64_t), target :: size_out
    integer :: passed = 0, failed = 0, status, unit, i

    url = env('FIRECREST_URL')
    client_id = env('FIRECREST_CLIENT_ID')
    secret = env('FIRECREST_CLIENT_SECRET')
    token_url = env('AUTH_TOKEN_URL')
    system = env('FIRECREST_SYSTEM')
    home = env('FIRECREST_HOME')

    st = fc_auth_client_credentials_new(client_id, secret, token_url, auth)
    if (st == FIRECREST_STATUS_OK) st = fc_client_new(url, auth, c_null_ptr, client)
    call fc_auth_close(auth)
    if (st /= FIRECREST_STATUS_OK) then
        write (*, '(a)') 'errors: cannot create the client: '//fc_error(st)
        error stop 2
    end if

    ! a NULL handle is an error with a name, not a crash
    st = fc_all_systems(c_null_ptr, json)
    call expect('null client', st, FIRECREST_STATUS_NULL_ARGUMENT, 'NULL')
    call check('null client leaves the output empty', len(json) == 0, 'json = "'//json//'"')

    ! an unknown system: the message names it, the HTTP status is known
    st = fc_system(client, 'no-such-system', json)
    call expect_failure('unknown system', st, 'no-such-system')
    ! v1 asks the server (404); v2 has no per-system endpoint and finds it missing in the list
    if (firecrest_client_api_version(client) == 1) then
        call check('unknown system has an HTTP status', firecrest_last_error_http_status() >= 400, &
            'http status '//fc_int_str(int(firecrest_last_error_http_status())))
    end if
    st = fc_list_files(client, 'no-such-system', home, .false., json)
    call expect_failure('list on unknown system', st, 'no-such-system')

    ! a missing path: the message names the path
    st = fc_list_files(client, system, home//'/no-such-dir', .false., json)
    call expect_failure('missing path', st, 'no-such-dir')

    ! a failure does not survive a success on the same thread (message stays from the failure)
    st = fc_all_systems(client, json)
    call expect('success after failures', st, FIRECREST_STATUS_OK, '')

    ! wrong credentials: AUTH, and the secret appears in no message
    st = fc_auth_client_credentials_new(client_id, wrong_secret, token_url, auth)
    if (st == FIRECREST_STATUS_OK) st = fc_client_new(url, auth, c_null_ptr, bad_client)
    if (st == FIRECREST_STATUS_OK) st = fc_whoami(bad_client, system, text)
    call expect('wrong credentials', st, FIRECREST_STATUS_AUTH, '')
    call check('wrong credentials: no secret in the message', &
        index(fc_last_error(), wrong_secret) == 0, fc_last_error())
    call fc_client_close(bad_client)
    call fc_auth_close(auth)

    ! token callbacks written in Fortran: one that refuses, one with a token the server rejects
    st = fc_auth_callback_new(refusing_token, auth, c_loc(calls))
    if (st == FIRECREST_STATUS_OK) st = fc_client_new(url, auth, c_null_ptr, bad_client)
    if (st == FIRECREST_STATUS_OK) st = fc_whoami(bad_client, system, text)
    call expect('token callback refuses', st, FIRECREST_STATUS_ABORTED_BY_CALLBACK, '')
    call check('token callback got its userdata', calls > 0, fc_int_str(int(calls)))
    call fc_client_close(bad_client)
    call fc_auth_close(auth)
    st = fc_auth_callback_new(bogus_token, auth)
    if (st == FIRECREST_STATUS_OK) st = fc_client_new(url, auth, c_null_ptr, bad_client)
    if (st == FIRECREST_STATUS_OK) st = fc_all_systems(bad_client, text)
    call expect_failure('token callback with a bogus token', st, '401')
    call check('bogus token: UNAUTHORIZED or AUTH', st == FIRECREST_STATUS_UNAUTHORIZED .or. &
        st == FIRECREST_STATUS_AUTH, fc_status_str(st))
    call fc_client_close(bad_client)
    call fc_auth_close(auth)

    ! transfers: a call that does not fit the direction, and a progress callback that aborts
    open (newunit=unit, file=local_file, status='replace', action='write')
    write (unit, '(a)') 'a file for an upload that a callback stops'
    close (unit)
    st = fc_external_upload(client, system, local_file, home//'/errors-upload.txt', transfer)
    call expect('external upload starts', st, FIRECREST_STATUS_OK, '')
    st = fc_transfer_finish_download(transfer, 'never-written.txt')
    call expect('finish_download on an upload', st, FIRECREST_STATUS_INVALID_STATE, '')
    st = fc_transfer_wait(transfer, FIRECREST_UPLOAD_URL_READY, 30000, status)
    call check('wait for the upload URL', st == FIRECREST_STATUS_OK .and. &
        status == FIRECREST_UPLOAD_URL_READY, fc_int_str(int(st))//' status '//fc_int_str(status))
    calls = 0
    st = fc_transfer_set_progress(transfer, aborting_progress, c_loc(calls))
    if (st == FIRECREST_STATUS_OK) st = firecrest_transfer_finish_upload(transfer)
    call expect('progress callback aborts', st, FIRECREST_STATUS_ABORTED_BY_CALLBACK, '')
    call check('progress callback called once', calls == 1, fc_int_str(int(calls)))
    st = fc_transfer_last_status(transfer, status)
    call check('last status without a request', st == FIRECREST_STATUS_OK .and. &
        status == FIRECREST_UPLOAD_URL_READY, fc_int_str(status))
    call fc_transfer_close(transfer)
    call fc_transfer_close(transfer)
    open (newunit=unit, file=local_file, status='old')
    close (unit, status='delete')

    ! bytes from memory and back into memory: the C functions themselves, then the fc_ helpers
    do i = 1, buffer_size
        sent(i) = signed_byte(mod(31*(i - 1) + 5, 251))
    end do
    st = firecrest_simple_upload_buffer(client, fc_c_string(system), c_loc(sent), &
        size(sent, kind=c_size_t), fc_c_string(home), fc_c_string('errors-buffer.bin'))
    call expect('buffer upload', st, FIRECREST_STATUS_OK, '')
    size_out = -1
    st = firecrest_simple_download_cb(client, fc_c_string(system), &
        fc_c_string(home//'/errors-buffer.bin'), c_funloc(collecting_write), c_loc(received), &
        c_loc(size_out))
    call expect('callback download', st, FIRECREST_STATUS_OK, '')
    call check('callback download: same bytes', same_bytes(received, sent), &
        fc_int_str(received_size(received))//' bytes in '//fc_int_str(received%calls)//' calls')
    call check('callback download: size_out', size_out == buffer_size, fc_int_str(int(size_out)))

    st = fc_simple_upload_buffer(client, system, nothing, home, 'errors-empty.bin')
    call expect('empty buffer upload', st, FIRECREST_STATUS_OK, '')
    call reset(received)
    size_out = -1
    st = fc_simple_download_cb(client, system, home//'/errors-empty.bin', collecting_write, &
        c_loc(received), size_out)
    call check('empty callback download', st == FIRECREST_STATUS_OK .and. size_out == 0 .and. &
        received_size(received) == 0, fc_status_str(st)//', '//fc_int_str(int(size_out)))

    calls = 0
    st = fc_simple_download_cb(client, system, home//'/errors-buffer.bin', aborting_write, &
        c_loc(calls), size_out)
    call expect('write callback aborts', st, FIRECREST_STATUS_ABORTED_BY_CALLBACK, '')
    call check('write callback called once', calls == 1 .and. size_out == 0, &
        fc_int_str(int(calls))//' calls, size '//fc_int_str(int(size_out)))

    ! a staged download into the same callback
    st = fc_external_download(client, system, home//'/errors-buffer.bin', transfer)
    if (st == FIRECREST_STATUS_OK) st = fc_transfer_wait(transfer, FIRECREST_DOWNLOAD_READY, &
        30000, status)
    call reset(received)
    if (st == FIRECREST_STATUS_OK) st = fc_transfer_finish_download_cb(transfer, &
        collecting_write, c_loc(received), size_out)
    call expect('staged callback download', st, FIRECREST_STATUS_OK, '')
    call check('staged callback download: same bytes', same_bytes(received, sent) .and. &
        size_out == buffer_size, fc_int_str(received_size(received))//' bytes, size_out '// &
        fc_int_str(int(size_out)))
    call fc_transfer_close(transfer)

    ! the raw call reports BUFFER_TOO_SMALL and the full length
    st = fc_system(client, 'no-such-system', json)
    text = fc_last_error()
    needed = 0
    st = firecrest_last_error_message(tiny, size(tiny, kind=c_size_t), needed)
    call check('small buffer', st == FIRECREST_STATUS_BUFFER_TOO_SMALL .and. needed == len(text), &
        'status '//fc_int_str(int(st))//', length '//fc_int_str(int(needed)))

    ! the status names
    text = fc_status_str(FIRECREST_STATUS_AUTH)//' '//fc_status_str(FIRECREST_STATUS_NOT_FOUND)
    call check('status names', index(text, 'AUTH') > 0 .and. index(text, 'NOT_FOUND') > 0, text)

    ! the scheduler's view: one node, partition and reservation on the emulator
    st = fc_nodes(client, system, json)
    call check('nodes', st == FIRECREST_STATUS_OK .and. index(json, '"localhost"') > 0, json)
    st = fc_partitions(client, system, json)
    call check('partitions', st == FIRECREST_STATUS_OK .and. index(json, '"normal"') > 0, json)
    st = fc_reservations(client, system, json)
    call check('reservations', st == FIRECREST_STATUS_OK .and. &
        index(json, '"maintenance"') > 0, json)
    st = fc_jobs_filtered(client, system, 'no-such-job-name', '', json)
    call check('jobs filtered by name', st == FIRECREST_STATUS_OK .and. json == '[]', json)
    st = fc_jobs_filtered(client, system, '', 'fortnight', json)
    call expect('jobs with an unknown window', st, FIRECREST_STATUS_INVALID_ARGUMENT, 'time_window')
    st = fc_nodes(client, 'no-such-system', json)
    call expect_failure('nodes of an unknown system', st, 'no-such-system')
    st = fc_list_files_flags(client, system, home, FIRECREST_LIST_HIDDEN + FIRECREST_LIST_NUMERIC_IDS, json)
    call check('list with flags', st == FIRECREST_STATUS_OK .and. index(json, '"user"') > 0, json)
    st = fc_list_files_flags(client, system, home, 64, json)
    call expect('list with an unknown flag', st, FIRECREST_STATUS_INVALID_ARGUMENT, 'flags')

    ! JSON helpers: a missing field names the pointer, bad JSON is JSON
    st = fc_json_get_int('{"a": 1}', '/b', number)
    call expect_failure('json missing pointer', st, '/b')
    st = fc_json_get_string('{"a": ', '/a', text)
    call expect('json invalid', st, FIRECREST_STATUS_JSON, '')
    st = fc_json_get_int('{"a": {"b": [5, 42]}}', '/a/b/1', number)
    call check('json int', st == FIRECREST_STATUS_OK .and. number == 42, fc_int_str(int(number)))

    ! closing twice is harmless
    call fc_client_close(client)
    call fc_client_close(client)
    st = fc_all_systems(client, json)
    call expect('closed client is NULL', st, FIRECREST_STATUS_NULL_ARGUMENT, 'NULL')

    write (*, '(a)') 'errors: '//fc_int_str(passed)//' passed, '//fc_int_str(failed)//' failed'
    deallocate (url, client_id, secret, token_url, system, home, json, text)
    call reset(received)
    if (failed > 0) error stop 1

contains

    function env(name) result(value)
        character(*), intent(in) :: name
        character(:), allocatable :: value
        integer :: length
        call get_environment_variable(name, length=length)
        allocate (character(len=length) :: value)
        if (length > 0) call get_environment_variable(name, value)
    end function env


    !> The byte (two's complement) whose unsigned value is v, 0 <= v < 256.
    pure function signed_byte(v) result(b)
        integer, intent(in) :: v
        integer(c_int8_t) :: b
        if (v > 127) then
            b = int(v - 256, c_int8_t)
        else
            b = int(v, c_int8_t)
        end if
    end function signed_byte

    subroutine reset(sink)
        type(byte_sink), intent(inout) :: sink
        if (allocated(sink%bytes)) deallocate (sink%bytes)
        sink%calls = 0
    end subroutine reset

    pure function received_size(sink) result(n)
        type(byte_sink), intent(in) :: sink
        integer :: n
        ! an empty file may come without any call of the callback
        n = 0
        if (allocated(sink%bytes)) n = size(sink%bytes)
    end function received_size

    pure function same_bytes(sink, wanted) result(same)
        type(byte_sink), intent(in) :: sink
        integer(c_int8_t), intent(in) :: wanted(:)
        logical :: same
        same = received_size(sink) == size(wanted)
        if (same) same = all(sink%bytes == wanted)
    end function same_bytes

    subroutine check(name, ok, detail)
        character(*), intent(in) :: name, detail
        logical, intent(in) :: ok
        if (ok) then
            passed = passed + 1
            write (*, '(a)') 'check '//name//': ok ('//detail//')'
        else
            failed = failed + 1
            write (*, '(a)') 'check '//name//': FAILED ('//detail//')'
        end if
    end subroutine check

    !> st must be `wanted`, and the last error must mention `word` (when given).
    subroutine expect(name, st, wanted, word)
        character(*), intent(in) :: name, word
        integer(c_int32_t), intent(in) :: st, wanted
        character(:), allocatable :: msg
        msg = fc_last_error()
        if (st == FIRECREST_STATUS_OK) msg = ''
        call check(name, st == wanted .and. (len(word) == 0 .or. index(msg, word) > 0), &
            fc_status_str(st)//' '//fc_int_str(int(st))//': '//msg)
    end subroutine expect

    !> st must be a failure whose message mentions `word`.
    subroutine expect_failure(name, st, word)
        character(*), intent(in) :: name, word
        integer(c_int32_t), intent(in) :: st
        character(:), allocatable :: msg
        msg = fc_last_error()
        call check(name, st /= FIRECREST_STATUS_OK .and. index(msg, word) > 0, &
            fc_status_str(st)//' '//fc_int_str(int(st))//': '//msg)
    end subroutine expect_failure

end program errors
