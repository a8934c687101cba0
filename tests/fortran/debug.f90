! What a Fortran user has to debug a failure and the token sources centres offer, through the
! module's helpers: client credentials by HTTP Basic, a token command, an API key, correlation
! ids (the client's, the thread's, a fresh one) and the log callback.
! Self-checking: one "check <name>: ok|FAILED" line per check, a closing "debug: N passed,
! M failed" line, and a non-zero exit when a check failed.
!
! Environment: FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL,
! FIRECREST_SYSTEM, FIRECREST_HOME (an emulator that takes no API key).
module debug_callbacks
    use, intrinsic :: iso_c_binding, only: c_associated, c_f_pointer, c_int32_t, c_ptr
    implicit none
    private
    public :: counting_log

contains

    !> A log callback (procedure(firecrest_log_cb)) that counts records in the integer at userdata.
    subroutine counting_log(userdata, level, message) bind(c)
        type(c_ptr), value :: userdata
        integer(c_int32_t), value :: level
        type(c_ptr), value :: message
        integer(c_int32_t), pointer :: calls
        if (.not. c_associated(userdata) .or. .not. c_associated(message)) return
        if (level < 1 .or. level > 5) return
        call c_f_pointer(userdata, calls)
        calls = calls + 1
    end subroutine counting_log

end module debug_callbacks

program debug
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_loc, c_null_ptr, c_ptr
    use firecrest
    use debug_callbacks, only: counting_log
    implicit none

    character(*), parameter :: ID = '2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11'
    character(*), parameter :: ID2 = '0f0e0d0c-0b0a-4908-8706-050403020100'
    integer :: passed = 0, failed = 0
    integer(c_int32_t), target :: records = 0
    integer(c_int32_t) :: st
    type(c_ptr) :: auth, opts, client
    character(:), allocatable :: user, json, system, home, missing, fresh

    system = env('FIRECREST_SYSTEM')
    home = env('FIRECREST_HOME')
    missing = home//'/no-such-dir'

    st = fc_set_log_callback(counting_log, int(FIRECREST_LOG_DEBUG), c_loc(records))
    call check('set log callback', st == FIRECREST_STATUS_OK)

    ! Client credentials by HTTP Basic.
    st = fc_auth_client_credentials_basic_new(env('FIRECREST_CLIENT_ID'), &
        env('FIRECREST_CLIENT_SECRET'), env('AUTH_TOKEN_URL'), auth)
    call check('basic auth', st == FIRECREST_STATUS_OK)
    st = fc_client_new(env('FIRECREST_URL'), auth, c_null_ptr, client)
    call fc_auth_close(auth)
    st = fc_whoami(client, '', user)
    call check('whoami with Basic', st == FIRECREST_STATUS_OK .and. user == 'testuser')
    call fc_client_close(client)

    ! A token command that fails: AUTH, with its stderr.
    st = fc_auth_token_command_new("echo 'no session for cscs' >&2; exit 4", auth, 5000)
    call check('token command', st == FIRECREST_STATUS_OK)
    st = fc_client_new(env('FIRECREST_URL'), auth, c_null_ptr, client)
    call fc_auth_close(auth)
    st = fc_list_files(client, system, home, .false., json)
    call check('failing token command: AUTH', st == FIRECREST_STATUS_AUTH)
    call check('its stderr in the message', index(fc_last_error(), 'no session for cscs') > 0)
    call fc_client_close(client)

    ! An API key this server does not take: UNAUTHORIZED, the key nowhere in the message.
    st = fc_auth_api_key_new('k3y-unknown-000', auth)
    call check('api key', st == FIRECREST_STATUS_OK)
    st = fc_client_new(env('FIRECREST_URL'), auth, c_null_ptr, client)
    call fc_auth_close(auth)
    st = fc_list_files(client, system, home, .false., json)
    call check('unknown API key: UNAUTHORIZED', st == FIRECREST_STATUS_UNAUTHORIZED)
    call check('no key in the message', index(fc_last_error(), 'k3y-unknown') == 0)
    call fc_client_close(client)
    st = fc_auth_api_key_new('k3y', auth, header_name='Bad Header')
    call check('bad header name', st == FIRECREST_STATUS_INVALID_ARGUMENT)

    ! Correlation ids.
    st = fc_options_new(opts)
    st = fc_options_set_correlation_id(opts, 'my-workflow')
    call check('correlation id not a UUID', st == FIRECREST_STATUS_INVALID_ARGUMENT)
    st = fc_options_set_correlation_id(opts, ID)
    call check('options correlation id', st == FIRECREST_STATUS_OK)
    st = fc_auth_client_credentials_new(env('FIRECREST_CLIENT_ID'), &
        env('FIRECREST_CLIENT_SECRET'), env('AUTH_TOKEN_URL'), auth)
    st = fc_client_new(env('FIRECREST_URL'), auth, opts, client)
    call fc_auth_close(auth)
    call fc_options_close(opts)
    st = fc_list_files(client, system, missing, .false., json)
    call check('missing path fails', st /= FIRECREST_STATUS_OK)
    call check('the client''s id', fc_last_error_correlation_id() == ID)
    st = fc_set_correlation_id(ID2)
    st = fc_list_files(client, system, missing, .false., json)
    call check('the thread''s id', fc_last_error_correlation_id() == ID2)
    st = fc_set_correlation_id('')
    call check('back to the default', st == FIRECREST_STATUS_OK)
    call fc_client_close(client)
    st = fc_auth_client_credentials_new(env('FIRECREST_CLIENT_ID'), &
        env('FIRECREST_CLIENT_SECRET'), env('AUTH_TOKEN_URL'), auth)
    st = fc_client_new(env('FIRECREST_URL'), auth, c_null_ptr, client)
    call fc_auth_close(auth)
    st = fc_list_files(client, system, missing, .false., json)
    fresh = fc_last_error_correlation_id()
    call check('a fresh id', len(fresh) == 36 .and. fresh /= ID .and. fresh /= ID2)
    print '(a)', 'fresh id: '//fresh
    call fc_client_close(client)

    ! The log callback saw the requests; off, it sees no more.
    st = fc_set_log_callback(counting_log, int(FIRECREST_LOG_OFF))
    call check('log callback off', st == FIRECREST_STATUS_OK)
    call check('log records arrived', records > 5)

    print '(a,i0,a,i0,a)', 'debug: ', passed, ' passed, ', failed, ' failed'
    if (failed > 0) error stop 1

contains

    subroutine check(name, ok)
        character(*), intent(in) :: name
        logical, intent(in) :: ok
        if (ok) then
            passed = passed + 1
            print '(a)', 'check '//name//': ok'
        else
            failed = failed + 1
            print '(a)', 'check '//name//': FAILED ('//fc_last_error()//')'
        end if
    end subroutine check

    function env(name) result(value)
        character(*), intent(in) :: name
        character(:), allocatable :: value
        integer :: length
        call get_environment_variable(name, length=length)
        allocate (character(len=length) :: value)
        if (length > 0) call get_environment_variable(name, value)
    end function env

end program debug
