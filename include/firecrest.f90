! Fortran interface of the firecrest library (a blocking FirecREST client with a C ABI).
!
! Two layers in one module:
!  - the C functions themselves, under their C names (firecrest_*), as bind(c) interfaces that
!    follow include/firecrest.h one to one: handles are type(c_ptr), strings in are
!    NUL-terminated character arrays, strings out are library pointers;
!  - Fortran helpers (fc_*): Fortran strings in (trimmed and NUL-terminated for the call),
!    library strings out as character(:), allocatable (the C copy is freed at once), logical
!    flags, default integers, the last error as a Fortran string, and close helpers that free a
!    handle and set it to c_null_ptr, so closing twice is harmless.
!
! Every fallible call returns a status, FIRECREST_STATUS_OK (0) on success. After a failure,
! fc_last_error() tells what went wrong on this thread, fc_last_error_correlation_id() the
! X-Correlation-ID of the failing request (for the centre's support). FIRECREST_LOG=debug in the
! environment prints the library's log on stderr. A string output of a failed fc_* call is
! the empty string. Handles must not be copied and used after one copy was closed.
!
! Build: gfortran -std=f2018 -c firecrest.f90, link with -lfirecrest (or libfirecrest.a plus
! -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc).
module firecrest
    use, intrinsic :: iso_c_binding, only: c_associated, c_char, c_f_pointer, c_funloc, c_funptr, &
        c_int8_t, c_int32_t, c_int64_t, c_loc, c_null_char, c_null_funptr, c_null_ptr, c_ptr, c_size_t
    implicit none
    private

    ! ---- status codes (enum firecrest_status of firecrest.h; never renumbered) -------------
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_OK = 0
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_NULL_ARGUMENT = 1
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_INVALID_ARGUMENT = 2
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_BUFFER_TOO_SMALL = 3
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_INVALID_STATE = 4
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_TRANSPORT = 10
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_DNS = 11
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_CONNECT = 12
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_TLS = 13
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_TIMEOUT = 14
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_PROXY = 15
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_HTTP = 30
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_UNAUTHORIZED = 31
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_FORBIDDEN = 32
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_NOT_FOUND = 33
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_API_ERROR = 34
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_RATE_LIMITED = 35
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_AUTH = 36
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_TASK_FAILED = 37
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_UNSUPPORTED = 38
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_JSON = 40
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_IO = 50
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_ABORTED_BY_CALLBACK = 60
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_PANIC = 98
    integer(c_int32_t), parameter, public :: FIRECREST_STATUS_INTERNAL = 99

    ! ---- transfer status integers (FirecREST v1 task codes; derived the same way on v2) --------
    integer(c_int32_t), parameter, public :: FIRECREST_TASK_QUEUED = 100
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_WAITING_URL = 110
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_URL_READY = 111
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_IN_STAGING = 112
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_MOVING = 113
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_DONE = 114
    integer(c_int32_t), parameter, public :: FIRECREST_UPLOAD_FAILED = 115
    integer(c_int32_t), parameter, public :: FIRECREST_DOWNLOAD_STAGING = 116
    integer(c_int32_t), parameter, public :: FIRECREST_DOWNLOAD_READY = 117
    integer(c_int32_t), parameter, public :: FIRECREST_DOWNLOAD_FAILED = 118
    integer(c_int32_t), parameter, public :: FIRECREST_TASK_DONE = 200
    integer(c_int32_t), parameter, public :: FIRECREST_TASK_INVALIDATED = 302
    integer(c_int32_t), parameter, public :: FIRECREST_TASK_FAILED = 400

    ! ---- Listing options (firecrest_list_files_flags), summed ---------------------------------
    integer(c_int32_t), parameter, public :: FIRECREST_LIST_HIDDEN = 1
    integer(c_int32_t), parameter, public :: FIRECREST_LIST_RECURSIVE = 2
    integer(c_int32_t), parameter, public :: FIRECREST_LIST_NUMERIC_IDS = 4
    integer(c_int32_t), parameter, public :: FIRECREST_LIST_DEREFERENCE = 8

    ! ---- Job states (firecrest_job_state, firecrest_job_wait) ---------------------------------
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_PENDING = 1
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_RUNNING = 2
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_COMPLETED = 3
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_FAILED = 4
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_CANCELLED = 5
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_TIMEOUT = 6
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_OUT_OF_MEMORY = 7
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_NODE_FAIL = 8
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_PREEMPTED = 9
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_BOOT_FAIL = 10
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_DEADLINE = 11
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_OTHER_FINAL = 98
    integer(c_int32_t), parameter, public :: FIRECREST_JOB_OTHER = 99

    ! ---- Log levels (firecrest_set_log_callback) -----------------------------------------------
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_OFF = 0
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_ERROR = 1
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_WARN = 2
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_INFO = 3
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_DEBUG = 4
    integer(c_int32_t), parameter, public :: FIRECREST_LOG_TRACE = 5

    ! ---- API versions for firecrest_options_set_api_version -----------------------------------
    integer(c_int32_t), parameter, public :: FIRECREST_API_DETECT = 0
    integer(c_int32_t), parameter, public :: FIRECREST_API_V1 = 1
    integer(c_int32_t), parameter, public :: FIRECREST_API_V2 = 2

    ! ---- callbacks: write them as bind(c) functions, pass c_funloc(f) ------------------------
    public :: firecrest_token_cb, firecrest_progress_cb, firecrest_write_cb, firecrest_log_cb
    abstract interface
        ! Writes a NUL-terminated access token into buf (buf_len bytes, NUL included);
        ! returns 0, or non-zero to fail the request (FIRECREST_STATUS_ABORTED_BY_CALLBACK).
        function firecrest_token_cb(userdata, buf, buf_len) result(rc) bind(c)
            import :: c_ptr, c_char, c_size_t, c_int32_t
            type(c_ptr), value :: userdata
            character(kind=c_char), intent(out) :: buf(*)
            integer(c_size_t), value :: buf_len
            integer(c_int32_t) :: rc
        end function firecrest_token_cb

        ! One log record: its level (FIRECREST_LOG_*) and its NUL-terminated text, valid only
        ! during the call. Called on the thread that made the request.
        subroutine firecrest_log_cb(userdata, level, message) bind(c)
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: userdata
            integer(c_int32_t), value :: level
            type(c_ptr), value :: message
        end subroutine firecrest_log_cb

        ! Bytes done and total (0 = unknown); returns 0 to continue, non-zero to abort.
        function firecrest_progress_cb(userdata, done, total) result(rc) bind(c)
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: userdata
            integer(c_int64_t), value :: done
            integer(c_int64_t), value :: total
            integer(c_int32_t) :: rc
        end function firecrest_progress_cb

        ! Receives the next len bytes at data (borrowed for the call only; copy them with
        ! c_f_pointer); returns 0 to continue, non-zero to abort.
        function firecrest_write_cb(userdata, data, len) result(rc) bind(c)
            import :: c_ptr, c_size_t, c_int32_t
            type(c_ptr), value :: userdata
            type(c_ptr), value :: data
            integer(c_size_t), value :: len
            integer(c_int32_t) :: rc
        end function firecrest_write_cb
    end interface

    ! ---- the C functions ----------------------------------------------------------------------
    ! library
    public :: firecrest_version, firecrest_status_str, firecrest_last_error_message
    public :: firecrest_last_error_http_status, firecrest_string_free, firecrest_test_panic
    public :: firecrest_last_error_correlation_id, firecrest_set_correlation_id
    public :: firecrest_set_log_callback
    ! authorization, options, client
    public :: firecrest_auth_client_credentials_new, firecrest_auth_static_token_new
    public :: firecrest_auth_callback_new, firecrest_auth_free
    public :: firecrest_auth_client_credentials_basic_new, firecrest_auth_token_command_new
    public :: firecrest_auth_api_key_new
    public :: firecrest_options_new, firecrest_options_set_api_version
    public :: firecrest_options_set_timeout_ms, firecrest_options_set_connect_timeout_ms
    public :: firecrest_options_set_ca_file, firecrest_options_set_ca_file_only
    public :: firecrest_options_set_max_retries
    public :: firecrest_options_set_token_refresh_margin_s, firecrest_options_set_poll_interval_ms
    public :: firecrest_options_set_parallel_parts, firecrest_options_set_user_agent
    public :: firecrest_options_set_max_answer_bytes, firecrest_options_set_call_timeout_ms
    public :: firecrest_options_set_low_speed, firecrest_options_set_fsync
    public :: firecrest_options_set_correlation_id
    public :: firecrest_options_set_transfer_account
    public :: firecrest_options_free
    public :: firecrest_client_new, firecrest_client_new_from_env, firecrest_client_api_version
    public :: firecrest_client_detect_api_version, firecrest_client_free
    ! status and identity
    public :: firecrest_all_systems, firecrest_system, firecrest_parameters
    public :: firecrest_all_services, firecrest_service, firecrest_filesystems
    public :: firecrest_whoami, firecrest_groups
    ! files on a system
    public :: firecrest_list_files, firecrest_list_files_recursive, firecrest_mkdir
    public :: firecrest_list_files_flags
    public :: firecrest_mv, firecrest_copy, firecrest_remove, firecrest_chmod, firecrest_chown
    public :: firecrest_symlink, firecrest_file_type, firecrest_stat, firecrest_checksum
    public :: firecrest_head, firecrest_tail, firecrest_view
    public :: firecrest_simple_upload, firecrest_simple_download
    public :: firecrest_simple_upload_buffer, firecrest_simple_download_cb
    ! archives and whole directories
    public :: firecrest_compress, firecrest_extract, firecrest_upload_dir, firecrest_download_dir
    ! external transfers
    public :: firecrest_external_upload, firecrest_external_download
    public :: firecrest_transfer_status, firecrest_transfer_last_status, firecrest_transfer_wait
    public :: firecrest_transfer_finish_upload, firecrest_transfer_finish_download
    public :: firecrest_transfer_object_storage_link, firecrest_transfer_object_storage_data
    public :: firecrest_transfer_invalidate, firecrest_transfer_set_progress
    public :: firecrest_transfer_finish_download_cb
    public :: firecrest_transfer_free
    ! batch jobs
    public :: firecrest_job_submit, firecrest_job_submit_path, firecrest_job_submit_with
    public :: firecrest_job_open, firecrest_job_id, firecrest_job_state, firecrest_job_wait
    public :: firecrest_job_exit_code, firecrest_job_info, firecrest_job_cancel
    public :: firecrest_job_free, firecrest_jobs
    public :: firecrest_nodes, firecrest_partitions, firecrest_reservations
    public :: firecrest_jobs_filtered
    public :: firecrest_job_options_new, firecrest_job_options_set_name
    public :: firecrest_job_options_set_account, firecrest_job_options_set_partition
    public :: firecrest_job_options_set_reservation, firecrest_job_options_set_stdout
    public :: firecrest_job_options_set_stderr, firecrest_job_options_add_env
    public :: firecrest_job_options_free
    ! JSON
    public :: firecrest_json_get_string, firecrest_json_get_int, firecrest_json_array_len
    public :: firecrest_json_get_string_at, firecrest_json_get_int_at

    interface
        ! -- library --
        function firecrest_version() result(s) bind(c, name='firecrest_version')
            import :: c_ptr
            type(c_ptr) :: s
        end function firecrest_version

        function firecrest_status_str(status) result(s) bind(c, name='firecrest_status_str')
            import :: c_ptr, c_int32_t
            integer(c_int32_t), value :: status
            type(c_ptr) :: s
        end function firecrest_status_str

        function firecrest_last_error_message(buf, buf_len, len_out) result(st) &
            bind(c, name='firecrest_last_error_message')
            import :: c_char, c_size_t, c_int32_t
            character(kind=c_char), intent(out) :: buf(*)
            integer(c_size_t), value :: buf_len
            integer(c_size_t), intent(out) :: len_out
            integer(c_int32_t) :: st
        end function firecrest_last_error_message

        function firecrest_last_error_http_status() result(http) &
            bind(c, name='firecrest_last_error_http_status')
            import :: c_int32_t
            integer(c_int32_t) :: http
        end function firecrest_last_error_http_status

        ! Same buffer rules as firecrest_last_error_message; '' when the failure was no request's.
        function firecrest_last_error_correlation_id(buf, buf_len, len_out) result(st) &
            bind(c, name='firecrest_last_error_correlation_id')
            import :: c_char, c_size_t, c_int32_t
            character(kind=c_char), intent(out) :: buf(*)
            integer(c_size_t), value :: buf_len
            integer(c_size_t), intent(out) :: len_out
            integer(c_int32_t) :: st
        end function firecrest_last_error_correlation_id

        ! correlation_id: a NUL-terminated UUID, or c_null_ptr to go back to the default.
        function firecrest_set_correlation_id(correlation_id) result(st) &
            bind(c, name='firecrest_set_correlation_id')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: correlation_id
            integer(c_int32_t) :: st
        end function firecrest_set_correlation_id

        ! cb: c_funloc of a procedure(firecrest_log_cb), or c_null_funptr to stop.
        function firecrest_set_log_callback(cb, userdata, max_level) result(st) &
            bind(c, name='firecrest_set_log_callback')
            import :: c_funptr, c_ptr, c_int32_t
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            integer(c_int32_t), value :: max_level
            integer(c_int32_t) :: st
        end function firecrest_set_log_callback

        subroutine firecrest_string_free(s) bind(c, name='firecrest_string_free')
            import :: c_ptr
            type(c_ptr), value :: s
        end subroutine firecrest_string_free

        ! Only in builds with the cargo feature test-exports: panics inside the library, to show
        ! that a panic comes back as FIRECREST_STATUS_PANIC. message is nullable.
        function firecrest_test_panic(message) result(st) bind(c, name='firecrest_test_panic')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: message
            integer(c_int32_t) :: st
        end function firecrest_test_panic

        ! -- authorization --
        function firecrest_auth_client_credentials_new(client_id, client_secret, token_url, &
            auth_out) result(st) bind(c, name='firecrest_auth_client_credentials_new')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: client_id(*), client_secret(*), token_url(*)
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_client_credentials_new

        function firecrest_auth_client_credentials_basic_new(client_id, client_secret, &
            token_url, auth_out) result(st) &
            bind(c, name='firecrest_auth_client_credentials_basic_new')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: client_id(*), client_secret(*), token_url(*)
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_client_credentials_basic_new

        function firecrest_auth_token_command_new(command, timeout_ms, auth_out) result(st) &
            bind(c, name='firecrest_auth_token_command_new')
            import :: c_char, c_ptr, c_int64_t, c_int32_t
            character(kind=c_char), intent(in) :: command(*)
            integer(c_int64_t), value :: timeout_ms
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_token_command_new

        ! header_name: a NUL-terminated name, or c_null_ptr for X-API-Key.
        function firecrest_auth_api_key_new(api_key, header_name, auth_out) result(st) &
            bind(c, name='firecrest_auth_api_key_new')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: api_key(*)
            type(c_ptr), value :: header_name
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_api_key_new

        function firecrest_auth_static_token_new(access_token, auth_out) result(st) &
            bind(c, name='firecrest_auth_static_token_new')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: access_token(*)
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_static_token_new

        function firecrest_auth_callback_new(cb, userdata, auth_out) result(st) &
            bind(c, name='firecrest_auth_callback_new')
            import :: c_funptr, c_ptr, c_int32_t
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            type(c_ptr), intent(out) :: auth_out
            integer(c_int32_t) :: st
        end function firecrest_auth_callback_new

        subroutine firecrest_auth_free(auth) bind(c, name='firecrest_auth_free')
            import :: c_ptr
            type(c_ptr), value :: auth
        end subroutine firecrest_auth_free

        ! -- options --
        function firecrest_options_new(opts_out) result(st) bind(c, name='firecrest_options_new')
            import :: c_ptr, c_int32_t
            type(c_ptr), intent(out) :: opts_out
            integer(c_int32_t) :: st
        end function firecrest_options_new

        function firecrest_options_set_api_version(o, version) result(st) &
            bind(c, name='firecrest_options_set_api_version')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: o
            integer(c_int32_t), value :: version
            integer(c_int32_t) :: st
        end function firecrest_options_set_api_version

        function firecrest_options_set_timeout_ms(o, ms) result(st) &
            bind(c, name='firecrest_options_set_timeout_ms')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: ms
            integer(c_int32_t) :: st
        end function firecrest_options_set_timeout_ms

        function firecrest_options_set_ca_file(o, pem_path) result(st) &
            bind(c, name='firecrest_options_set_ca_file')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: pem_path(*)
            integer(c_int32_t) :: st
        end function firecrest_options_set_ca_file

        function firecrest_options_set_ca_file_only(o, pem_path) result(st) &
            bind(c, name='firecrest_options_set_ca_file_only')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: pem_path(*)
            integer(c_int32_t) :: st
        end function firecrest_options_set_ca_file_only

        function firecrest_options_set_max_retries(o, retries) result(st) &
            bind(c, name='firecrest_options_set_max_retries')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: o
            integer(c_int32_t), value :: retries
            integer(c_int32_t) :: st
        end function firecrest_options_set_max_retries

        function firecrest_options_set_connect_timeout_ms(o, ms) result(st) &
            bind(c, name='firecrest_options_set_connect_timeout_ms')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: ms
            integer(c_int32_t) :: st
        end function firecrest_options_set_connect_timeout_ms

        function firecrest_options_set_token_refresh_margin_s(o, seconds) result(st) &
            bind(c, name='firecrest_options_set_token_refresh_margin_s')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: seconds
            integer(c_int32_t) :: st
        end function firecrest_options_set_token_refresh_margin_s

        function firecrest_options_set_poll_interval_ms(o, initial_ms, max_ms) result(st) &
            bind(c, name='firecrest_options_set_poll_interval_ms')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: initial_ms, max_ms
            integer(c_int32_t) :: st
        end function firecrest_options_set_poll_interval_ms

        function firecrest_options_set_parallel_parts(o, parts) result(st) &
            bind(c, name='firecrest_options_set_parallel_parts')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: o
            integer(c_int32_t), value :: parts
            integer(c_int32_t) :: st
        end function firecrest_options_set_parallel_parts

        function firecrest_options_set_max_answer_bytes(o, bytes) result(st) &
            bind(c, name='firecrest_options_set_max_answer_bytes')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: bytes
            integer(c_int32_t) :: st
        end function firecrest_options_set_max_answer_bytes

        function firecrest_options_set_call_timeout_ms(o, ms) result(st) &
            bind(c, name='firecrest_options_set_call_timeout_ms')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: ms
            integer(c_int32_t) :: st
        end function firecrest_options_set_call_timeout_ms

        function firecrest_options_set_low_speed(o, bytes_per_second, seconds) result(st) &
            bind(c, name='firecrest_options_set_low_speed')
            import :: c_ptr, c_int64_t, c_int32_t
            type(c_ptr), value :: o
            integer(c_int64_t), value :: bytes_per_second, seconds
            integer(c_int32_t) :: st
        end function firecrest_options_set_low_speed

        function firecrest_options_set_fsync(o, on) result(st) &
            bind(c, name='firecrest_options_set_fsync')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: o
            integer(c_int32_t), value :: on
            integer(c_int32_t) :: st
        end function firecrest_options_set_fsync

        ! correlation_id: a NUL-terminated UUID, or c_null_ptr for a fresh id per call.
        function firecrest_options_set_correlation_id(o, correlation_id) result(st) &
            bind(c, name='firecrest_options_set_correlation_id')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: o, correlation_id
            integer(c_int32_t) :: st
        end function firecrest_options_set_correlation_id

        function firecrest_options_set_user_agent(o, user_agent) result(st) &
            bind(c, name='firecrest_options_set_user_agent')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: user_agent(*)
            integer(c_int32_t) :: st
        end function firecrest_options_set_user_agent

        function firecrest_options_set_transfer_account(o, account) result(st) &
            bind(c, name='firecrest_options_set_transfer_account')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: account(*)
            integer(c_int32_t) :: st
        end function firecrest_options_set_transfer_account

        subroutine firecrest_options_free(o) bind(c, name='firecrest_options_free')
            import :: c_ptr
            type(c_ptr), value :: o
        end subroutine firecrest_options_free

        ! -- client --
        function firecrest_client_new(firecrest_url, auth, opts, client_out) result(st) &
            bind(c, name='firecrest_client_new')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: firecrest_url(*)
            type(c_ptr), value :: auth
            type(c_ptr), value :: opts
            type(c_ptr), intent(out) :: client_out
            integer(c_int32_t) :: st
        end function firecrest_client_new

        function firecrest_client_new_from_env(opts, client_out) result(st) &
            bind(c, name='firecrest_client_new_from_env')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: opts
            type(c_ptr), intent(out) :: client_out
            integer(c_int32_t) :: st
        end function firecrest_client_new_from_env

        function firecrest_client_api_version(c) result(version) &
            bind(c, name='firecrest_client_api_version')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            integer(c_int32_t) :: version
        end function firecrest_client_api_version

        function firecrest_client_detect_api_version(c, version_out) result(st) &
            bind(c, name='firecrest_client_detect_api_version')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            integer(c_int32_t), intent(out) :: version_out
            integer(c_int32_t) :: st
        end function firecrest_client_detect_api_version

        subroutine firecrest_client_free(c) bind(c, name='firecrest_client_free')
            import :: c_ptr
            type(c_ptr), value :: c
        end subroutine firecrest_client_free

        ! -- status and identity --
        function firecrest_all_systems(c, json_out) result(st) bind(c, name='firecrest_all_systems')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_all_systems

        function firecrest_system(c, system, json_out) result(st) bind(c, name='firecrest_system')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_system

        function firecrest_parameters(c, json_out) result(st) bind(c, name='firecrest_parameters')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_parameters

        function firecrest_all_services(c, json_out) result(st) &
            bind(c, name='firecrest_all_services')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_all_services

        function firecrest_service(c, service, json_out) result(st) bind(c, name='firecrest_service')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: service(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_service

        ! system is nullable (all systems): c_null_ptr, or c_loc of a NUL-terminated target string
        function firecrest_filesystems(c, system, json_out) result(st) &
            bind(c, name='firecrest_filesystems')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            type(c_ptr), value :: system
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_filesystems

        function firecrest_groups(c, system, json_out) result(st) bind(c, name='firecrest_groups')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_groups

        ! system is nullable (the name from the token): c_null_ptr, or c_loc of a target string
        function firecrest_whoami(c, system, username_out) result(st) &
            bind(c, name='firecrest_whoami')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: c
            type(c_ptr), value :: system
            type(c_ptr), intent(out) :: username_out
            integer(c_int32_t) :: st
        end function firecrest_whoami

        ! -- files on a system --
        function firecrest_list_files(c, system, path, show_hidden, json_out) result(st) &
            bind(c, name='firecrest_list_files')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t), value :: show_hidden
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_list_files

        function firecrest_list_files_recursive(c, system, path, show_hidden, recursive, &
            json_out) result(st) bind(c, name='firecrest_list_files_recursive')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t), value :: show_hidden, recursive
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_list_files_recursive

        ! flags: a sum of FIRECREST_LIST_HIDDEN, _RECURSIVE, _NUMERIC_IDS, _DEREFERENCE
        function firecrest_list_files_flags(c, system, path, flags, json_out) result(st) &
            bind(c, name='firecrest_list_files_flags')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t), value :: flags
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_list_files_flags

        function firecrest_mkdir(c, system, path, parents) result(st) bind(c, name='firecrest_mkdir')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t), value :: parents
            integer(c_int32_t) :: st
        end function firecrest_mkdir

        function firecrest_mv(c, system, source, target) result(st) bind(c, name='firecrest_mv')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), source(*), target(*)
            integer(c_int32_t) :: st
        end function firecrest_mv

        function firecrest_copy(c, system, source, target) result(st) bind(c, name='firecrest_copy')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), source(*), target(*)
            integer(c_int32_t) :: st
        end function firecrest_copy

        function firecrest_remove(c, system, path) result(st) bind(c, name='firecrest_remove')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t) :: st
        end function firecrest_remove

        function firecrest_chmod(c, system, path, mode) result(st) bind(c, name='firecrest_chmod')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*), mode(*)
            integer(c_int32_t) :: st
        end function firecrest_chmod

        ! owner and group are nullable (not both): c_null_ptr or c_loc of a target string
        function firecrest_chown(c, system, path, owner, group) result(st) &
            bind(c, name='firecrest_chown')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            type(c_ptr), value :: owner, group
            integer(c_int32_t) :: st
        end function firecrest_chown

        function firecrest_symlink(c, system, target, link_path) result(st) &
            bind(c, name='firecrest_symlink')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), target(*), link_path(*)
            integer(c_int32_t) :: st
        end function firecrest_symlink

        function firecrest_file_type(c, system, path, type_out) result(st) &
            bind(c, name='firecrest_file_type')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            type(c_ptr), intent(out) :: type_out
            integer(c_int32_t) :: st
        end function firecrest_file_type

        function firecrest_stat(c, system, path, dereference, json_out) result(st) &
            bind(c, name='firecrest_stat')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int32_t), value :: dereference
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_stat

        ! bytes, lines: 0 = unset (both 0: 10 lines)
        function firecrest_head(c, system, path, bytes, lines, skip, text_out) result(st) &
            bind(c, name='firecrest_head')
            import :: c_ptr, c_char, c_int32_t, c_int64_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int64_t), value :: bytes, lines
            integer(c_int32_t), value :: skip
            type(c_ptr), intent(out) :: text_out
            integer(c_int32_t) :: st
        end function firecrest_head

        function firecrest_tail(c, system, path, bytes, lines, skip, text_out) result(st) &
            bind(c, name='firecrest_tail')
            import :: c_ptr, c_char, c_int32_t, c_int64_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            integer(c_int64_t), value :: bytes, lines
            integer(c_int32_t), value :: skip
            type(c_ptr), intent(out) :: text_out
            integer(c_int32_t) :: st
        end function firecrest_tail

        function firecrest_view(c, system, path, text_out) result(st) bind(c, name='firecrest_view')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            type(c_ptr), intent(out) :: text_out
            integer(c_int32_t) :: st
        end function firecrest_view

        function firecrest_checksum(c, system, path, sha256_out) result(st) &
            bind(c, name='firecrest_checksum')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), path(*)
            type(c_ptr), intent(out) :: sha256_out
            integer(c_int32_t) :: st
        end function firecrest_checksum

        ! filename is nullable: c_null_ptr keeps the local file's name
        ! match_pattern: c_loc of a NUL-terminated string, or c_null_ptr for none
        function firecrest_compress(c, system, source, target, dereference, match_pattern) &
            result(st) bind(c, name='firecrest_compress')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), source(*), target(*)
            integer(c_int32_t), value :: dereference
            type(c_ptr), value :: match_pattern
            integer(c_int32_t) :: st
        end function firecrest_compress

        function firecrest_extract(c, system, source, target_dir) result(st) &
            bind(c, name='firecrest_extract')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), source(*), target_dir(*)
            integer(c_int32_t) :: st
        end function firecrest_extract

        ! cb: c_funloc of a procedure(firecrest_progress_cb), or c_null_funptr
        function firecrest_upload_dir(c, system, local_dir, remote_dir, cb, userdata) result(st) &
            bind(c, name='firecrest_upload_dir')
            import :: c_ptr, c_char, c_funptr, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), local_dir(*), remote_dir(*)
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            integer(c_int32_t) :: st
        end function firecrest_upload_dir

        ! cb: c_funloc of a procedure(firecrest_progress_cb), or c_null_funptr
        function firecrest_download_dir(c, system, remote_dir, local_dir, cb, userdata) &
            result(st) bind(c, name='firecrest_download_dir')
            import :: c_ptr, c_char, c_funptr, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), remote_dir(*), local_dir(*)
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            integer(c_int32_t) :: st
        end function firecrest_download_dir

        function firecrest_simple_upload(c, system, local_path, remote_dir, filename) result(st) &
            bind(c, name='firecrest_simple_upload')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), local_path(*), remote_dir(*)
            type(c_ptr), value :: filename
            integer(c_int32_t) :: st
        end function firecrest_simple_upload

        function firecrest_simple_download(c, system, remote_path, local_path) result(st) &
            bind(c, name='firecrest_simple_download')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), remote_path(*), local_path(*)
            integer(c_int32_t) :: st
        end function firecrest_simple_download

        ! data: c_loc of len bytes (any contiguous array); filename is required here
        function firecrest_simple_upload_buffer(c, system, data, len, remote_dir, filename) &
            result(st) bind(c, name='firecrest_simple_upload_buffer')
            import :: c_ptr, c_char, c_size_t, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), value :: data
            integer(c_size_t), value :: len
            character(kind=c_char), intent(in) :: remote_dir(*), filename(*)
            integer(c_int32_t) :: st
        end function firecrest_simple_upload_buffer

        ! cb: c_funloc of a procedure(firecrest_write_cb); size_out: c_loc of an
        ! integer(c_int64_t), or c_null_ptr
        function firecrest_simple_download_cb(c, system, remote_path, cb, userdata, size_out) &
            result(st) bind(c, name='firecrest_simple_download_cb')
            import :: c_ptr, c_char, c_funptr, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), remote_path(*)
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            type(c_ptr), value :: size_out
            integer(c_int32_t) :: st
        end function firecrest_simple_download_cb

        ! -- external (staged) transfers --
        function firecrest_external_upload(c, system, local_path, remote_path, transfer_out) &
            result(st) bind(c, name='firecrest_external_upload')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), local_path(*), remote_path(*)
            type(c_ptr), intent(out) :: transfer_out
            integer(c_int32_t) :: st
        end function firecrest_external_upload

        function firecrest_external_download(c, system, remote_path, transfer_out) result(st) &
            bind(c, name='firecrest_external_download')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), remote_path(*)
            type(c_ptr), intent(out) :: transfer_out
            integer(c_int32_t) :: st
        end function firecrest_external_download

        function firecrest_transfer_status(t, status_out) result(st) &
            bind(c, name='firecrest_transfer_status')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            integer(c_int32_t), intent(out) :: status_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_status

        function firecrest_transfer_last_status(t, status_out) result(st) &
            bind(c, name='firecrest_transfer_last_status')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            integer(c_int32_t), intent(out) :: status_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_last_status

        function firecrest_transfer_wait(t, until_status, timeout_ms, status_out) result(st) &
            bind(c, name='firecrest_transfer_wait')
            import :: c_ptr, c_int32_t, c_int64_t
            type(c_ptr), value :: t
            integer(c_int32_t), value :: until_status
            integer(c_int64_t), value :: timeout_ms
            integer(c_int32_t), intent(out) :: status_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_wait

        function firecrest_transfer_finish_upload(t) result(st) &
            bind(c, name='firecrest_transfer_finish_upload')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            integer(c_int32_t) :: st
        end function firecrest_transfer_finish_upload

        function firecrest_transfer_finish_download(t, local_path) result(st) &
            bind(c, name='firecrest_transfer_finish_download')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: t
            character(kind=c_char), intent(in) :: local_path(*)
            integer(c_int32_t) :: st
        end function firecrest_transfer_finish_download

        function firecrest_transfer_object_storage_link(t, url_out) result(st) &
            bind(c, name='firecrest_transfer_object_storage_link')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            type(c_ptr), intent(out) :: url_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_object_storage_link

        function firecrest_transfer_object_storage_data(t, json_out) result(st) &
            bind(c, name='firecrest_transfer_object_storage_data')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_object_storage_data

        function firecrest_transfer_invalidate(t) result(st) &
            bind(c, name='firecrest_transfer_invalidate')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: t
            integer(c_int32_t) :: st
        end function firecrest_transfer_invalidate

        ! cb: c_funloc of a procedure(firecrest_progress_cb), or c_null_funptr to remove it
        function firecrest_transfer_set_progress(t, cb, userdata) result(st) &
            bind(c, name='firecrest_transfer_set_progress')
            import :: c_ptr, c_funptr, c_int32_t
            type(c_ptr), value :: t
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            integer(c_int32_t) :: st
        end function firecrest_transfer_set_progress

        ! cb: c_funloc of a procedure(firecrest_write_cb); size_out: c_loc of an
        ! integer(c_int64_t), or c_null_ptr
        function firecrest_transfer_finish_download_cb(t, cb, userdata, size_out) result(st) &
            bind(c, name='firecrest_transfer_finish_download_cb')
            import :: c_ptr, c_funptr, c_int32_t
            type(c_ptr), value :: t
            type(c_funptr), value :: cb
            type(c_ptr), value :: userdata
            type(c_ptr), value :: size_out
            integer(c_int32_t) :: st
        end function firecrest_transfer_finish_download_cb

        subroutine firecrest_transfer_free(t) bind(c, name='firecrest_transfer_free')
            import :: c_ptr
            type(c_ptr), value :: t
        end subroutine firecrest_transfer_free

        ! -- reading the library's JSON (RFC 6901 pointers, e.g. "/0/system") --
        function firecrest_json_get_string(json, pointer, value_out) result(st) &
            bind(c, name='firecrest_json_get_string')
            import :: c_char, c_ptr, c_int32_t
            character(kind=c_char), intent(in) :: json(*), pointer(*)
            type(c_ptr), intent(out) :: value_out
            integer(c_int32_t) :: st
        end function firecrest_json_get_string

        function firecrest_json_get_int(json, pointer, value_out) result(st) &
            bind(c, name='firecrest_json_get_int')
            import :: c_char, c_int64_t, c_int32_t
            character(kind=c_char), intent(in) :: json(*), pointer(*)
            integer(c_int64_t), intent(out) :: value_out
            integer(c_int32_t) :: st
        end function firecrest_json_get_int

        function firecrest_json_array_len(json, pointer, len_out) result(st) &
            bind(c, name='firecrest_json_array_len')
            import :: c_char, c_size_t, c_int32_t
            character(kind=c_char), intent(in) :: json(*), pointer(*)
            integer(c_size_t), intent(out) :: len_out
            integer(c_int32_t) :: st
        end function firecrest_json_array_len

        ! the value at `member`, a pointer from element `index` (from 0) of the array at `array`
        function firecrest_json_get_string_at(json, array, index, member, value_out) result(st) &
            bind(c, name='firecrest_json_get_string_at')
            import :: c_char, c_ptr, c_size_t, c_int32_t
            character(kind=c_char), intent(in) :: json(*), array(*), member(*)
            integer(c_size_t), value :: index
            type(c_ptr), intent(out) :: value_out
            integer(c_int32_t) :: st
        end function firecrest_json_get_string_at

        function firecrest_json_get_int_at(json, array, index, member, value_out) result(st) &
            bind(c, name='firecrest_json_get_int_at')
            import :: c_char, c_size_t, c_int64_t, c_int32_t
            character(kind=c_char), intent(in) :: json(*), array(*), member(*)
            integer(c_size_t), value :: index
            integer(c_int64_t), intent(out) :: value_out
            integer(c_int32_t) :: st
        end function firecrest_json_get_int_at

        ! -- batch jobs --
        function firecrest_job_submit(c, system, script, working_dir, job_out) result(st) &
            bind(c, name='firecrest_job_submit')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), script(*), working_dir(*)
            type(c_ptr), intent(out) :: job_out
            integer(c_int32_t) :: st
        end function firecrest_job_submit

        function firecrest_job_submit_path(c, system, remote_script, working_dir, job_out) &
            result(st) bind(c, name='firecrest_job_submit_path')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), remote_script(*), working_dir(*)
            type(c_ptr), intent(out) :: job_out
            integer(c_int32_t) :: st
        end function firecrest_job_submit_path

        !> script, local_script, remote_script: pass exactly one as a C string (fc_c_string),
        !> the other two as c_null_ptr; opts may be c_null_ptr.
        function firecrest_job_submit_with(c, system, script, local_script, remote_script, &
            working_dir, opts, job_out) result(st) bind(c, name='firecrest_job_submit_with')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), value :: script, local_script, remote_script
            character(kind=c_char), intent(in) :: working_dir(*)
            type(c_ptr), value :: opts
            type(c_ptr), intent(out) :: job_out
            integer(c_int32_t) :: st
        end function firecrest_job_submit_with

        function firecrest_job_open(c, system, job_id, job_out) result(st) &
            bind(c, name='firecrest_job_open')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*), job_id(*)
            type(c_ptr), intent(out) :: job_out
            integer(c_int32_t) :: st
        end function firecrest_job_open

        function firecrest_job_id(j, id_out) result(st) bind(c, name='firecrest_job_id')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: j
            type(c_ptr), intent(out) :: id_out
            integer(c_int32_t) :: st
        end function firecrest_job_id

        function firecrest_job_state(j, state_out) result(st) bind(c, name='firecrest_job_state')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: j
            integer(c_int32_t), intent(out) :: state_out
            integer(c_int32_t) :: st
        end function firecrest_job_state

        function firecrest_job_wait(j, timeout_ms, state_out) result(st) &
            bind(c, name='firecrest_job_wait')
            import :: c_ptr, c_int32_t, c_int64_t
            type(c_ptr), value :: j
            integer(c_int64_t), value :: timeout_ms
            integer(c_int32_t), intent(out) :: state_out
            integer(c_int32_t) :: st
        end function firecrest_job_wait

        function firecrest_job_exit_code(j, exit_code_out) result(st) &
            bind(c, name='firecrest_job_exit_code')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: j
            integer(c_int32_t), intent(out) :: exit_code_out
            integer(c_int32_t) :: st
        end function firecrest_job_exit_code

        function firecrest_job_info(j, json_out) result(st) bind(c, name='firecrest_job_info')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: j
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_job_info

        function firecrest_job_cancel(j) result(st) bind(c, name='firecrest_job_cancel')
            import :: c_ptr, c_int32_t
            type(c_ptr), value :: j
            integer(c_int32_t) :: st
        end function firecrest_job_cancel

        subroutine firecrest_job_free(j) bind(c, name='firecrest_job_free')
            import :: c_ptr
            type(c_ptr), value :: j
        end subroutine firecrest_job_free

        function firecrest_jobs(c, system, json_out) result(st) bind(c, name='firecrest_jobs')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_jobs

        ! name, time_window: C strings or c_null_ptr (no filter); see fc_jobs_filtered
        function firecrest_jobs_filtered(c, system, name, time_window, json_out) result(st) &
            bind(c, name='firecrest_jobs_filtered')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), value :: name, time_window
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_jobs_filtered

        ! JSON arrays (see the header): nodes, partitions, reservations of a system
        function firecrest_nodes(c, system, json_out) result(st) bind(c, name='firecrest_nodes')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_nodes

        function firecrest_partitions(c, system, json_out) result(st) &
            bind(c, name='firecrest_partitions')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_partitions

        function firecrest_reservations(c, system, json_out) result(st) &
            bind(c, name='firecrest_reservations')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: c
            character(kind=c_char), intent(in) :: system(*)
            type(c_ptr), intent(out) :: json_out
            integer(c_int32_t) :: st
        end function firecrest_reservations

        function firecrest_job_options_new(opts_out) result(st) &
            bind(c, name='firecrest_job_options_new')
            import :: c_ptr, c_int32_t
            type(c_ptr), intent(out) :: opts_out
            integer(c_int32_t) :: st
        end function firecrest_job_options_new

        function firecrest_job_options_set_name(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_name')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_name

        function firecrest_job_options_set_account(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_account')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_account

        function firecrest_job_options_set_partition(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_partition')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_partition

        function firecrest_job_options_set_reservation(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_reservation')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_reservation

        function firecrest_job_options_set_stdout(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_stdout')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_stdout

        function firecrest_job_options_set_stderr(o, value) result(st) &
            bind(c, name='firecrest_job_options_set_stderr')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_set_stderr

        function firecrest_job_options_add_env(o, name, value) result(st) &
            bind(c, name='firecrest_job_options_add_env')
            import :: c_ptr, c_char, c_int32_t
            type(c_ptr), value :: o
            character(kind=c_char), intent(in) :: name(*), value(*)
            integer(c_int32_t) :: st
        end function firecrest_job_options_add_env

        subroutine firecrest_job_options_free(o) bind(c, name='firecrest_job_options_free')
            import :: c_ptr
            type(c_ptr), value :: o
        end subroutine firecrest_job_options_free
    end interface

    ! strlen from the C library, to measure the strings the library returns
    interface
        function c_strlen(s) result(n) bind(c, name='strlen')
            import :: c_ptr, c_size_t
            type(c_ptr), value :: s
            integer(c_size_t) :: n
        end function c_strlen
    end interface

    ! ---- Fortran helpers ----------------------------------------------------------------------
    public :: fc_c_string, fc_take_string, fc_copy_to_buffer, fc_int_str
    public :: fc_version, fc_status_str, fc_last_error, fc_error
    public :: fc_last_error_correlation_id, fc_set_correlation_id, fc_set_log_callback
    public :: fc_auth_client_credentials_new, fc_auth_static_token_new, fc_auth_callback_new
    public :: fc_auth_client_credentials_basic_new, fc_auth_token_command_new
    public :: fc_auth_api_key_new, fc_options_set_correlation_id
    public :: fc_options_new, fc_options_set_api_version, fc_options_set_timeout_ms
    public :: fc_options_set_connect_timeout_ms, fc_options_set_ca_file
    public :: fc_options_set_ca_file_only
    public :: fc_options_set_max_retries, fc_options_set_token_refresh_margin_s
    public :: fc_options_set_poll_interval_ms, fc_options_set_parallel_parts
    public :: fc_options_set_user_agent, fc_options_set_transfer_account
    public :: fc_client_new, fc_client_new_from_env, fc_client_detect_api_version
    public :: fc_auth_close, fc_options_close, fc_client_close, fc_transfer_close
    public :: fc_all_systems, fc_system, fc_parameters, fc_all_services, fc_service
    public :: fc_filesystems, fc_whoami, fc_groups
    public :: fc_nodes, fc_partitions, fc_reservations, fc_list_files_flags, fc_jobs_filtered
    public :: fc_list_files, fc_list_files_recursive, fc_mkdir, fc_mv, fc_copy, fc_remove
    public :: fc_chmod, fc_chown, fc_symlink, fc_file_type, fc_stat, fc_checksum
    public :: fc_head, fc_tail, fc_view, fc_simple_upload, fc_simple_download
    public :: fc_simple_upload_buffer, fc_simple_download_cb
    public :: fc_compress, fc_extract, fc_upload_dir, fc_download_dir
    public :: fc_external_upload, fc_external_download
    public :: fc_transfer_status, fc_transfer_last_status, fc_transfer_wait
    public :: fc_transfer_finish_download, fc_transfer_object_storage_link
    public :: fc_transfer_object_storage_data, fc_transfer_set_progress
    public :: fc_transfer_finish_download_cb
    public :: fc_json_get_string, fc_json_get_int, fc_json_array_len
    public :: fc_json_get_string_at, fc_json_get_int_at
    public :: fc_job_submit, fc_job_submit_path, fc_job_submit_file, fc_job_open, fc_job_id
    public :: fc_job_state, fc_job_wait, fc_job_exit_code, fc_job_info, fc_job_cancel
    public :: fc_job_close, fc_jobs

contains

    ! ---- strings ------------------------------------------------------------------------------

    !> s without trailing blanks, NUL-terminated: what the C functions take.
    pure function fc_c_string(s) result(c)
        character(*), intent(in) :: s
        character(kind=c_char, len=:), allocatable :: c
        c = trim(s)//c_null_char
    end function fc_c_string

    !> A copy of the NUL-terminated C string at p ('' for c_null_ptr); p stays untouched.
    function copy_c_string(p) result(s)
        type(c_ptr), intent(in) :: p
        character(:), allocatable :: s
        character(kind=c_char), pointer :: chars(:)
        integer :: i, n

        if (.not. c_associated(p)) then
            s = ''
            return
        end if
        n = int(c_strlen(p))
        call c_f_pointer(p, chars, [n])
        allocate (character(len=n) :: s)
        do i = 1, n
            s(i:i) = chars(i)
        end do
    end function copy_c_string

    !> A library-allocated string as a Fortran string; the C copy is freed at once and p becomes
    !> c_null_ptr. Use it on strings obtained from the firecrest_* functions directly.
    function fc_take_string(p) result(s)
        type(c_ptr), intent(inout) :: p
        character(:), allocatable :: s
        s = copy_c_string(p)
        call firecrest_string_free(p)
        p = c_null_ptr
    end function fc_take_string

    !> The string output of a call that returned st: the value on success, '' otherwise.
    function string_result(st, p) result(s)
        integer(c_int32_t), intent(in) :: st
        type(c_ptr), intent(inout) :: p
        character(:), allocatable :: s
        if (st == FIRECREST_STATUS_OK) then
            s = fc_take_string(p)
        else
            s = ''
        end if
    end function string_result

    !> The decimal text of i, e.g. for JSON pointers: '/'//fc_int_str(k)//'/name'.
    pure function fc_int_str(i) result(s)
        integer, intent(in) :: i
        character(:), allocatable :: s
        character(len=24) :: buf
        write (buf, '(i0)') i
        s = trim(buf)
    end function fc_int_str

    !> Writes s, NUL-terminated, into a C buffer of buf_len bytes (for a token callback).
    !> Returns FIRECREST_STATUS_BUFFER_TOO_SMALL, writing nothing, when it does not fit.
    function fc_copy_to_buffer(s, buf, buf_len) result(st)
        character(*), intent(in) :: s
        character(kind=c_char), intent(out) :: buf(*)
        integer(c_size_t), intent(in) :: buf_len
        integer(c_int32_t) :: st
        integer :: i, n
        n = len_trim(s)
        if (int(n, c_size_t) + 1 > buf_len) then
            st = FIRECREST_STATUS_BUFFER_TOO_SMALL
            return
        end if
        do i = 1, n
            buf(i) = s(i:i)
        end do
        buf(n + 1) = c_null_char
        st = FIRECREST_STATUS_OK
    end function fc_copy_to_buffer

    ! ---- library ------------------------------------------------------------------------------

    function fc_version() result(s)
        character(:), allocatable :: s
        s = copy_c_string(firecrest_version())
    end function fc_version

    !> The name of a status code (a static C string, nothing to free).
    function fc_status_str(status) result(s)
        integer(c_int32_t), intent(in) :: status
        character(:), allocatable :: s
        s = copy_c_string(firecrest_status_str(status))
    end function fc_status_str

    !> The message of the last failure on this thread ('' when there is none).
    function fc_last_error() result(msg)
        character(:), allocatable :: msg
        character(kind=c_char), allocatable :: buf(:)
        integer(c_size_t) :: cap, needed
        integer(c_int32_t) :: st
        integer :: attempt, i, n

        msg = ''
        cap = 512
        do attempt = 1, 4
            allocate (buf(cap))
            needed = 0
            st = firecrest_last_error_message(buf, cap, needed)
            if (st /= FIRECREST_STATUS_BUFFER_TOO_SMALL) exit
            ! the message grew or len_out counts the NUL: ask again with room for both
            cap = max(needed + 1, 2 * cap)
            deallocate (buf)
        end do
        if (st /= FIRECREST_STATUS_OK) return
        n = int(min(needed, cap - 1))
        do i = 1, n
            if (buf(i) == c_null_char) then
                n = i - 1
                exit
            end if
        end do
        deallocate (msg)
        allocate (character(len=n) :: msg)
        do i = 1, n
            msg(i:i) = buf(i)
        end do
    end function fc_last_error

    !> "NAME (code): message" for a failed call's status, for printing.
    function fc_error(status) result(s)
        integer(c_int32_t), intent(in) :: status
        character(:), allocatable :: s
        s = fc_status_str(status)//' ('//fc_int_str(int(status))//'): '//fc_last_error()
    end function fc_error

    !> The X-Correlation-ID of the request behind the last failure on this thread, to give the
    !> centre's support ('' when that failure was not a request's).
    function fc_last_error_correlation_id() result(id)
        character(:), allocatable :: id
        character(kind=c_char) :: buf(128)
        integer(c_size_t) :: needed
        integer :: i, n
        needed = 0
        id = ''
        if (firecrest_last_error_correlation_id(buf, int(size(buf), c_size_t), needed) &
            /= FIRECREST_STATUS_OK) return
        n = int(needed)
        deallocate (id)
        allocate (character(len=n) :: id)
        do i = 1, n
            id(i:i) = buf(i)
        end do
    end function fc_last_error_correlation_id

    !> The X-Correlation-ID (a UUID) of every later request of this thread; '' goes back to the
    !> client's own or a fresh id per call.
    function fc_set_correlation_id(id) result(st)
        character(*), intent(in) :: id
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: c
        if (len_trim(id) == 0) then
            st = firecrest_set_correlation_id(c_null_ptr)
        else
            c = fc_c_string(id)
            st = firecrest_set_correlation_id(c_loc(c))
        end if
    end function fc_set_correlation_id

    !> Sends the library's log records up to max_level (FIRECREST_LOG_*) to cb; userdata
    !> (optional) is passed to it. FIRECREST_LOG_OFF stops them.
    function fc_set_log_callback(cb, max_level, userdata) result(st)
        procedure(firecrest_log_cb) :: cb
        integer, intent(in) :: max_level
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int32_t) :: st
        st = firecrest_set_log_callback(c_funloc(cb), optional_ptr(userdata), &
            int(max_level, c_int32_t))
    end function fc_set_log_callback

    ! ---- handles ------------------------------------------------------------------------------

    function fc_auth_client_credentials_new(client_id, client_secret, token_url, auth) result(st)
        character(*), intent(in) :: client_id, client_secret, token_url
        type(c_ptr), intent(out) :: auth
        integer(c_int32_t) :: st
        auth = c_null_ptr
        st = firecrest_auth_client_credentials_new(fc_c_string(client_id), &
            fc_c_string(client_secret), fc_c_string(token_url), auth)
    end function fc_auth_client_credentials_new

    !> Client credentials sent by HTTP Basic authentication (client_secret_basic).
    function fc_auth_client_credentials_basic_new(client_id, client_secret, token_url, auth) &
        result(st)
        character(*), intent(in) :: client_id, client_secret, token_url
        type(c_ptr), intent(out) :: auth
        integer(c_int32_t) :: st
        auth = c_null_ptr
        st = firecrest_auth_client_credentials_basic_new(fc_c_string(client_id), &
            fc_c_string(client_secret), fc_c_string(token_url), auth)
    end function fc_auth_client_credentials_basic_new

    !> Tokens printed by `sh -c command`; timeout_ms (optional, default 60000) bounds each run.
    function fc_auth_token_command_new(command, auth, timeout_ms) result(st)
        character(*), intent(in) :: command
        type(c_ptr), intent(out) :: auth
        integer, intent(in), optional :: timeout_ms
        integer(c_int32_t) :: st
        integer(c_int64_t) :: ms
        auth = c_null_ptr
        ms = 0
        if (present(timeout_ms)) ms = int(timeout_ms, c_int64_t)
        st = firecrest_auth_token_command_new(fc_c_string(command), ms, auth)
    end function fc_auth_token_command_new

    !> An API key sent in header_name (optional, default X-API-Key) on every request.
    function fc_auth_api_key_new(api_key, auth, header_name) result(st)
        character(*), intent(in) :: api_key
        type(c_ptr), intent(out) :: auth
        character(*), intent(in), optional :: header_name
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: h
        auth = c_null_ptr
        if (present(header_name)) then
            h = fc_c_string(header_name)
            st = firecrest_auth_api_key_new(fc_c_string(api_key), c_loc(h), auth)
        else
            st = firecrest_auth_api_key_new(fc_c_string(api_key), c_null_ptr, auth)
        end if
    end function fc_auth_api_key_new

    function fc_auth_static_token_new(access_token, auth) result(st)
        character(*), intent(in) :: access_token
        type(c_ptr), intent(out) :: auth
        integer(c_int32_t) :: st
        auth = c_null_ptr
        st = firecrest_auth_static_token_new(fc_c_string(access_token), auth)
    end function fc_auth_static_token_new

    !> cb is called whenever a token is needed; userdata (optional) is passed to it.
    function fc_auth_callback_new(cb, auth, userdata) result(st)
        procedure(firecrest_token_cb) :: cb
        type(c_ptr), intent(out) :: auth
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int32_t) :: st
        auth = c_null_ptr
        st = firecrest_auth_callback_new(c_funloc(cb), optional_ptr(userdata), auth)
    end function fc_auth_callback_new

    function fc_options_new(opts) result(st)
        type(c_ptr), intent(out) :: opts
        integer(c_int32_t) :: st
        opts = c_null_ptr
        st = firecrest_options_new(opts)
    end function fc_options_new

    !> version: FIRECREST_API_DETECT, FIRECREST_API_V1 or FIRECREST_API_V2
    function fc_options_set_api_version(opts, version) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: version
        integer(c_int32_t) :: st
        st = firecrest_options_set_api_version(opts, int(version, c_int32_t))
    end function fc_options_set_api_version

    function fc_options_set_timeout_ms(opts, ms) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: ms
        integer(c_int32_t) :: st
        st = firecrest_options_set_timeout_ms(opts, int(ms, c_int64_t))
    end function fc_options_set_timeout_ms

    function fc_options_set_ca_file(opts, pem_path) result(st)
        type(c_ptr), intent(in) :: opts
        character(*), intent(in) :: pem_path
        integer(c_int32_t) :: st
        st = firecrest_options_set_ca_file(opts, fc_c_string(pem_path))
    end function fc_options_set_ca_file

    function fc_options_set_ca_file_only(opts, pem_path) result(st)
        type(c_ptr), intent(in) :: opts
        character(*), intent(in) :: pem_path
        integer(c_int32_t) :: st
        st = firecrest_options_set_ca_file_only(opts, fc_c_string(pem_path))
    end function fc_options_set_ca_file_only

    function fc_options_set_max_retries(opts, retries) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: retries
        integer(c_int32_t) :: st
        st = firecrest_options_set_max_retries(opts, int(retries, c_int32_t))
    end function fc_options_set_max_retries

    function fc_options_set_connect_timeout_ms(opts, ms) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: ms
        integer(c_int32_t) :: st
        st = firecrest_options_set_connect_timeout_ms(opts, int(ms, c_int64_t))
    end function fc_options_set_connect_timeout_ms

    function fc_options_set_token_refresh_margin_s(opts, seconds) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: seconds
        integer(c_int32_t) :: st
        st = firecrest_options_set_token_refresh_margin_s(opts, int(seconds, c_int64_t))
    end function fc_options_set_token_refresh_margin_s

    function fc_options_set_poll_interval_ms(opts, initial_ms, max_ms) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: initial_ms, max_ms
        integer(c_int32_t) :: st
        st = firecrest_options_set_poll_interval_ms(opts, int(initial_ms, c_int64_t), &
            int(max_ms, c_int64_t))
    end function fc_options_set_poll_interval_ms

    function fc_options_set_parallel_parts(opts, parts) result(st)
        type(c_ptr), intent(in) :: opts
        integer, intent(in) :: parts
        integer(c_int32_t) :: st
        st = firecrest_options_set_parallel_parts(opts, int(parts, c_int32_t))
    end function fc_options_set_parallel_parts

    function fc_options_set_user_agent(opts, user_agent) result(st)
        type(c_ptr), intent(in) :: opts
        character(*), intent(in) :: user_agent
        integer(c_int32_t) :: st
        st = firecrest_options_set_user_agent(opts, fc_c_string(user_agent))
    end function fc_options_set_user_agent

    !> The X-Correlation-ID (a UUID) of every request of clients made with opts; '' for a
    !> fresh id per call.
    function fc_options_set_correlation_id(opts, id) result(st)
        type(c_ptr), intent(in) :: opts
        character(*), intent(in) :: id
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: c
        if (len_trim(id) == 0) then
            st = firecrest_options_set_correlation_id(opts, c_null_ptr)
        else
            c = fc_c_string(id)
            st = firecrest_options_set_correlation_id(opts, c_loc(c))
        end if
    end function fc_options_set_correlation_id
    function fc_options_set_transfer_account(opts, account) result(st)
        type(c_ptr), intent(in) :: opts
        character(*), intent(in) :: account
        integer(c_int32_t) :: st
        st = firecrest_options_set_transfer_account(opts, fc_c_string(account))
    end function fc_options_set_transfer_account

    !> opts may be c_null_ptr (defaults). The auth handle may be closed right after.
    function fc_client_new(firecrest_url, auth, opts, client) result(st)
        character(*), intent(in) :: firecrest_url
        type(c_ptr), intent(in) :: auth, opts
        type(c_ptr), intent(out) :: client
        integer(c_int32_t) :: st
        client = c_null_ptr
        st = firecrest_client_new(fc_c_string(firecrest_url), auth, opts, client)
    end function fc_client_new

    !> From FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL.
    function fc_client_new_from_env(client, opts) result(st)
        type(c_ptr), intent(out) :: client
        type(c_ptr), intent(in), optional :: opts
        integer(c_int32_t) :: st
        client = c_null_ptr
        st = firecrest_client_new_from_env(optional_ptr(opts), client)
    end function fc_client_new_from_env

    !> The server's API version (1 or 2), asking the server once if it is not known yet.
    function fc_client_detect_api_version(client, version) result(st)
        type(c_ptr), intent(in) :: client
        integer, intent(out) :: version
        integer(c_int32_t) :: st
        integer(c_int32_t) :: v
        v = 0
        st = firecrest_client_detect_api_version(client, v)
        version = int(v)
    end function fc_client_detect_api_version

    ! Each close frees the handle once and leaves c_null_ptr behind.
    subroutine fc_auth_close(auth)
        type(c_ptr), intent(inout) :: auth
        if (c_associated(auth)) call firecrest_auth_free(auth)
        auth = c_null_ptr
    end subroutine fc_auth_close

    subroutine fc_options_close(opts)
        type(c_ptr), intent(inout) :: opts
        if (c_associated(opts)) call firecrest_options_free(opts)
        opts = c_null_ptr
    end subroutine fc_options_close

    subroutine fc_client_close(client)
        type(c_ptr), intent(inout) :: client
        if (c_associated(client)) call firecrest_client_free(client)
        client = c_null_ptr
    end subroutine fc_client_close

    subroutine fc_transfer_close(transfer)
        type(c_ptr), intent(inout) :: transfer
        if (c_associated(transfer)) call firecrest_transfer_free(transfer)
        transfer = c_null_ptr
    end subroutine fc_transfer_close

    ! ---- status and identity ------------------------------------------------------------------

    function fc_all_systems(client, json) result(st)
        type(c_ptr), intent(in) :: client
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_all_systems(client, p)
        json = string_result(st, p)
    end function fc_all_systems

    function fc_system(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_system(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_system

    function fc_parameters(client, json) result(st)
        type(c_ptr), intent(in) :: client
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_parameters(client, p)
        json = string_result(st, p)
    end function fc_parameters

    function fc_all_services(client, json) result(st)
        type(c_ptr), intent(in) :: client
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_all_services(client, p)
        json = string_result(st, p)
    end function fc_all_services

    !> system: the system to ask, or '' for the name in the access token (no request).
    function fc_whoami(client, system, username) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: username
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: csystem
        type(c_ptr) :: p
        st = firecrest_whoami(client, optional_c_string(system, csystem), p)
        username = string_result(st, p)
    end function fc_whoami

    function fc_service(client, service, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: service
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_service(client, fc_c_string(service), p)
        json = string_result(st, p)
    end function fc_service

    !> system: one system, or '' for all.
    function fc_filesystems(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: csystem
        type(c_ptr) :: p
        st = firecrest_filesystems(client, optional_c_string(system, csystem), p)
        json = string_result(st, p)
    end function fc_filesystems

    function fc_groups(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_groups(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_groups

    ! ---- the scheduler's view of a system -----------------------------------------------------

    function fc_nodes(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_nodes(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_nodes

    function fc_partitions(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_partitions(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_partitions

    function fc_reservations(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_reservations(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_reservations

    ! ---- files on a system --------------------------------------------------------------------

    !> flags: a sum of FIRECREST_LIST_HIDDEN, _RECURSIVE, _NUMERIC_IDS and _DEREFERENCE.
    function fc_list_files_flags(client, system, path, flags, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        integer(c_int32_t), intent(in) :: flags
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_list_files_flags(client, fc_c_string(system), fc_c_string(path), flags, p)
        json = string_result(st, p)
    end function fc_list_files_flags

    function fc_list_files(client, system, path, show_hidden, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        logical, intent(in) :: show_hidden
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_list_files(client, fc_c_string(system), fc_c_string(path), &
            c_flag(show_hidden), p)
        json = string_result(st, p)
    end function fc_list_files

    function fc_list_files_recursive(client, system, path, show_hidden, recursive, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        logical, intent(in) :: show_hidden, recursive
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_list_files_recursive(client, fc_c_string(system), fc_c_string(path), &
            c_flag(show_hidden), c_flag(recursive), p)
        json = string_result(st, p)
    end function fc_list_files_recursive

    function fc_mkdir(client, system, path, parents) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        logical, intent(in) :: parents
        integer(c_int32_t) :: st
        st = firecrest_mkdir(client, fc_c_string(system), fc_c_string(path), c_flag(parents))
    end function fc_mkdir

    function fc_mv(client, system, source, target) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, source, target
        integer(c_int32_t) :: st
        st = firecrest_mv(client, fc_c_string(system), fc_c_string(source), fc_c_string(target))
    end function fc_mv

    function fc_copy(client, system, source, target) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, source, target
        integer(c_int32_t) :: st
        st = firecrest_copy(client, fc_c_string(system), fc_c_string(source), fc_c_string(target))
    end function fc_copy

    function fc_remove(client, system, path) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        integer(c_int32_t) :: st
        st = firecrest_remove(client, fc_c_string(system), fc_c_string(path))
    end function fc_remove

    function fc_chmod(client, system, path, mode) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path, mode
        integer(c_int32_t) :: st
        st = firecrest_chmod(client, fc_c_string(system), fc_c_string(path), fc_c_string(mode))
    end function fc_chmod

    !> owner or group may be '' (unchanged), not both.
    function fc_chown(client, system, path, owner, group) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path, owner, group
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: cowner, cgroup
        st = firecrest_chown(client, fc_c_string(system), fc_c_string(path), &
            optional_c_string(owner, cowner), optional_c_string(group, cgroup))
    end function fc_chown

    function fc_symlink(client, system, target, link_path) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, target, link_path
        integer(c_int32_t) :: st
        st = firecrest_symlink(client, fc_c_string(system), fc_c_string(target), &
            fc_c_string(link_path))
    end function fc_symlink

    function fc_file_type(client, system, path, file_type) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        character(:), allocatable, intent(out) :: file_type
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_file_type(client, fc_c_string(system), fc_c_string(path), p)
        file_type = string_result(st, p)
    end function fc_file_type

    function fc_stat(client, system, path, dereference, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        logical, intent(in) :: dereference
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_stat(client, fc_c_string(system), fc_c_string(path), c_flag(dereference), p)
        json = string_result(st, p)
    end function fc_stat

    !> The first `bytes` bytes or `lines` lines (0 = unset; both 0: 10 lines); with skip,
    !> everything except the last ones.
    function fc_head(client, system, path, bytes, lines, skip, text) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        integer, intent(in) :: bytes, lines
        logical, intent(in) :: skip
        character(:), allocatable, intent(out) :: text
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_head(client, fc_c_string(system), fc_c_string(path), &
            int(bytes, c_int64_t), int(lines, c_int64_t), c_flag(skip), p)
        text = string_result(st, p)
    end function fc_head

    !> As fc_head, from the end.
    function fc_tail(client, system, path, bytes, lines, skip, text) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        integer, intent(in) :: bytes, lines
        logical, intent(in) :: skip
        character(:), allocatable, intent(out) :: text
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_tail(client, fc_c_string(system), fc_c_string(path), &
            int(bytes, c_int64_t), int(lines, c_int64_t), c_flag(skip), p)
        text = string_result(st, p)
    end function fc_tail

    function fc_view(client, system, path, text) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        character(:), allocatable, intent(out) :: text
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_view(client, fc_c_string(system), fc_c_string(path), p)
        text = string_result(st, p)
    end function fc_view

    function fc_checksum(client, system, path, sha256) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, path
        character(:), allocatable, intent(out) :: sha256
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_checksum(client, fc_c_string(system), fc_c_string(path), p)
        sha256 = string_result(st, p)
    end function fc_checksum

    !> A gzip-compressed tar of source at target. match_pattern: a regular expression the
    !> archived paths must match (FirecREST v2 only), or '' for all.
    function fc_compress(client, system, source, target, dereference, match_pattern) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, source, target, match_pattern
        logical, intent(in) :: dereference
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: cpattern
        st = firecrest_compress(client, fc_c_string(system), fc_c_string(source), &
            fc_c_string(target), c_flag(dereference), optional_c_string(match_pattern, cpattern))
    end function fc_compress

    !> Extracts the gzip-compressed tar source into the existing directory target_dir.
    function fc_extract(client, system, source, target_dir) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, source, target_dir
        integer(c_int32_t) :: st
        st = firecrest_extract(client, fc_c_string(system), fc_c_string(source), &
            fc_c_string(target_dir))
    end function fc_extract

    !> Uploads the local tree local_dir so that remote_dir holds its contents (merged into an
    !> existing remote_dir). cb (optional): a bind(c) procedure(firecrest_progress_cb).
    function fc_upload_dir(client, system, local_dir, remote_dir, cb, userdata) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, local_dir, remote_dir
        procedure(firecrest_progress_cb), optional :: cb
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int32_t) :: st
        st = firecrest_upload_dir(client, fc_c_string(system), fc_c_string(local_dir), &
            fc_c_string(remote_dir), optional_funptr(cb), optional_ptr(userdata))
    end function fc_upload_dir

    !> Downloads the remote tree remote_dir as the new local directory local_dir (which must not
    !> exist; it appears whole or not at all). cb as in fc_upload_dir.
    function fc_download_dir(client, system, remote_dir, local_dir, cb, userdata) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_dir, local_dir
        procedure(firecrest_progress_cb), optional :: cb
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int32_t) :: st
        st = firecrest_download_dir(client, fc_c_string(system), fc_c_string(remote_dir), &
            fc_c_string(local_dir), optional_funptr(cb), optional_ptr(userdata))
    end function fc_download_dir

    !> filename: the remote file's name, or '' to keep the local file's name.
    function fc_simple_upload(client, system, local_path, remote_dir, filename) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, local_path, remote_dir, filename
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: cname
        st = firecrest_simple_upload(client, fc_c_string(system), fc_c_string(local_path), &
            fc_c_string(remote_dir), optional_c_string(filename, cname))
    end function fc_simple_upload

    function fc_simple_download(client, system, remote_path, local_path) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_path, local_path
        integer(c_int32_t) :: st
        st = firecrest_simple_download(client, fc_c_string(system), fc_c_string(remote_path), &
            fc_c_string(local_path))
    end function fc_simple_download

    !> Uploads the bytes of data (none is fine) as remote_dir/filename.
    function fc_simple_upload_buffer(client, system, data, remote_dir, filename) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_dir, filename
        integer(c_int8_t), intent(in), target, contiguous :: data(:)
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        ! c_loc refuses zero-sized arrays; the library takes NULL with length 0
        p = c_null_ptr
        if (size(data) > 0) p = c_loc(data)
        st = firecrest_simple_upload_buffer(client, fc_c_string(system), p, &
            size(data, kind=c_size_t), fc_c_string(remote_dir), fc_c_string(filename))
    end function fc_simple_upload_buffer

    !> Downloads remote_path into cb, a bind(c) procedure(firecrest_write_cb) that gets userdata;
    !> size: the bytes delivered (0 after a failure).
    function fc_simple_download_cb(client, system, remote_path, cb, userdata, size) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_path
        procedure(firecrest_write_cb) :: cb
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int64_t), intent(out), optional :: size
        integer(c_int32_t) :: st
        integer(c_int64_t), target :: delivered
        delivered = 0
        st = firecrest_simple_download_cb(client, fc_c_string(system), fc_c_string(remote_path), &
            c_funloc(cb), optional_ptr(userdata), c_loc(delivered))
        if (present(size)) size = delivered
    end function fc_simple_download_cb

    ! ---- external transfers -------------------------------------------------------------------

    function fc_external_upload(client, system, local_path, remote_path, transfer) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, local_path, remote_path
        type(c_ptr), intent(out) :: transfer
        integer(c_int32_t) :: st
        transfer = c_null_ptr
        st = firecrest_external_upload(client, fc_c_string(system), fc_c_string(local_path), &
            fc_c_string(remote_path), transfer)
    end function fc_external_upload

    function fc_external_download(client, system, remote_path, transfer) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_path
        type(c_ptr), intent(out) :: transfer
        integer(c_int32_t) :: st
        transfer = c_null_ptr
        st = firecrest_external_download(client, fc_c_string(system), fc_c_string(remote_path), &
            transfer)
    end function fc_external_download

    !> Asks the server once; status gets a FIRECREST_TASK_*/UPLOAD_*/DOWNLOAD_* integer.
    function fc_transfer_status(transfer, status) result(st)
        type(c_ptr), intent(in) :: transfer
        integer, intent(out) :: status
        integer(c_int32_t) :: st
        integer(c_int32_t) :: s
        s = 0
        st = firecrest_transfer_status(transfer, s)
        status = int(s)
    end function fc_transfer_status

    !> The status seen by the last fc_transfer_status/fc_transfer_wait, without a request.
    function fc_transfer_last_status(transfer, status) result(st)
        type(c_ptr), intent(in) :: transfer
        integer, intent(out) :: status
        integer(c_int32_t) :: st
        integer(c_int32_t) :: s
        s = 0
        st = firecrest_transfer_last_status(transfer, s)
        status = int(s)
    end function fc_transfer_last_status

    !> Polls until until_status, a terminal status, or timeout_ms (FIRECREST_STATUS_TIMEOUT).
    function fc_transfer_wait(transfer, until_status, timeout_ms, status) result(st)
        type(c_ptr), intent(in) :: transfer
        integer, intent(in) :: until_status, timeout_ms
        integer, intent(out) :: status
        integer(c_int32_t) :: st
        integer(c_int32_t) :: s
        s = 0
        st = firecrest_transfer_wait(transfer, int(until_status, c_int32_t), &
            int(timeout_ms, c_int64_t), s)
        status = int(s)
    end function fc_transfer_wait

    function fc_transfer_finish_download(transfer, local_path) result(st)
        type(c_ptr), intent(in) :: transfer
        character(*), intent(in) :: local_path
        integer(c_int32_t) :: st
        st = firecrest_transfer_finish_download(transfer, fc_c_string(local_path))
    end function fc_transfer_finish_download

    !> As fc_transfer_finish_download, into cb (see fc_simple_download_cb) instead of a file.
    function fc_transfer_finish_download_cb(transfer, cb, userdata, size) result(st)
        type(c_ptr), intent(in) :: transfer
        procedure(firecrest_write_cb) :: cb
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int64_t), intent(out), optional :: size
        integer(c_int32_t) :: st
        integer(c_int64_t), target :: delivered
        delivered = 0
        st = firecrest_transfer_finish_download_cb(transfer, c_funloc(cb), optional_ptr(userdata), &
            c_loc(delivered))
        if (present(size)) size = delivered
    end function fc_transfer_finish_download_cb

    function fc_transfer_object_storage_link(transfer, url) result(st)
        type(c_ptr), intent(in) :: transfer
        character(:), allocatable, intent(out) :: url
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_transfer_object_storage_link(transfer, p)
        url = string_result(st, p)
    end function fc_transfer_object_storage_link

    function fc_transfer_object_storage_data(transfer, json) result(st)
        type(c_ptr), intent(in) :: transfer
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_transfer_object_storage_data(transfer, p)
        json = string_result(st, p)
    end function fc_transfer_object_storage_data

    !> cb gets (userdata, done, total) during finish_upload/finish_download.
    function fc_transfer_set_progress(transfer, cb, userdata) result(st)
        type(c_ptr), intent(in) :: transfer
        procedure(firecrest_progress_cb) :: cb
        type(c_ptr), intent(in), optional :: userdata
        integer(c_int32_t) :: st
        st = firecrest_transfer_set_progress(transfer, c_funloc(cb), optional_ptr(userdata))
    end function fc_transfer_set_progress

    ! ---- JSON ---------------------------------------------------------------------------------

    function fc_json_get_string(json, pointer, value) result(st)
        character(*), intent(in) :: json, pointer
        character(:), allocatable, intent(out) :: value
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_json_get_string(fc_c_string(json), fc_c_string(pointer), p)
        value = string_result(st, p)
    end function fc_json_get_string

    function fc_json_get_int(json, pointer, value) result(st)
        character(*), intent(in) :: json, pointer
        integer(c_int64_t), intent(out) :: value
        integer(c_int32_t) :: st
        value = 0
        st = firecrest_json_get_int(fc_c_string(json), fc_c_string(pointer), value)
    end function fc_json_get_int

    function fc_json_array_len(json, pointer, n) result(st)
        character(*), intent(in) :: json, pointer
        integer, intent(out) :: n
        integer(c_int32_t) :: st
        integer(c_size_t) :: length
        length = 0
        st = firecrest_json_array_len(fc_c_string(json), fc_c_string(pointer), length)
        n = int(length)
    end function fc_json_array_len

    !> The string at `member` (a pointer such as '/name') of element `index` (counted from 0, as
    !> in JSON pointers) of the array at `array` ('' for a listing): what fc_json_get_string
    !> finds at array//'/'//index//member, without writing that pointer for every element.
    function fc_json_get_string_at(json, array, index, member, value) result(st)
        character(*), intent(in) :: json, array, member
        integer, intent(in) :: index
        character(:), allocatable, intent(out) :: value
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_json_get_string_at(fc_c_string(json), fc_c_string(array), &
                                          int(index, c_size_t), fc_c_string(member), p)
        value = string_result(st, p)
    end function fc_json_get_string_at

    !> The integer at `member` of element `index` (from 0) of the array at `array`.
    function fc_json_get_int_at(json, array, index, member, value) result(st)
        character(*), intent(in) :: json, array, member
        integer, intent(in) :: index
        integer(c_int64_t), intent(out) :: value
        integer(c_int32_t) :: st
        value = 0
        st = firecrest_json_get_int_at(fc_c_string(json), fc_c_string(array), &
                                       int(index, c_size_t), fc_c_string(member), value)
    end function fc_json_get_int_at

    ! ---- internal -----------------------------------------------------------------------------

    pure function c_flag(flag) result(i)
        logical, intent(in) :: flag
        integer(c_int32_t) :: i
        i = merge(1_c_int32_t, 0_c_int32_t, flag)
    end function c_flag

    !> c_loc of s as a C string kept in buf, or c_null_ptr when s is blank (a NULL argument).
    function optional_c_string(s, buf) result(p)
        character(*), intent(in) :: s
        character(kind=c_char, len=:), allocatable, target, intent(out) :: buf
        type(c_ptr) :: p
        p = c_null_ptr
        if (len_trim(s) == 0) return
        buf = fc_c_string(s)
        p = c_loc(buf)
    end function optional_c_string

    !> c_funloc of a progress callback, or c_null_funptr when it is absent.
    function optional_funptr(cb) result(f)
        procedure(firecrest_progress_cb), optional :: cb
        type(c_funptr) :: f
        f = c_null_funptr
        if (present(cb)) f = c_funloc(cb)
    end function optional_funptr

    pure function optional_ptr(p) result(q)
        type(c_ptr), intent(in), optional :: p
        type(c_ptr) :: q
        q = c_null_ptr
        if (present(p)) q = p
    end function optional_ptr

    ! ---- batch jobs ---------------------------------------------------------------------------

    !> Submits the script text `script` on `system`, run in `working_dir`.
    function fc_job_submit(client, system, script, working_dir, job) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, script, working_dir
        type(c_ptr), intent(out) :: job
        integer(c_int32_t) :: st
        job = c_null_ptr
        st = firecrest_job_submit(client, fc_c_string(system), fc_c_string(script), &
            fc_c_string(working_dir), job)
    end function fc_job_submit

    !> Submits the script already on the system at `remote_script`, run in `working_dir`.
    function fc_job_submit_path(client, system, remote_script, working_dir, job) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, remote_script, working_dir
        type(c_ptr), intent(out) :: job
        integer(c_int32_t) :: st
        job = c_null_ptr
        st = firecrest_job_submit_path(client, fc_c_string(system), fc_c_string(remote_script), &
            fc_c_string(working_dir), job)
    end function fc_job_submit_path

    !> Submits the local script file `local_script`, run in `working_dir`; `opts` (optional)
    !> from firecrest_job_options_new.
    function fc_job_submit_file(client, system, local_script, working_dir, job, opts) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, local_script, working_dir
        type(c_ptr), intent(out) :: job
        type(c_ptr), intent(in), optional :: opts
        integer(c_int32_t) :: st
        character(kind=c_char), allocatable, target :: path(:)
        type(c_ptr) :: o
        integer :: i
        allocate (path(len(local_script) + 1))
        do i = 1, len(local_script)
            path(i) = local_script(i:i)
        end do
        path(len(local_script) + 1) = c_null_char
        o = c_null_ptr
        if (present(opts)) o = opts
        job = c_null_ptr
        st = firecrest_job_submit_with(client, fc_c_string(system), c_null_ptr, c_loc(path), &
            c_null_ptr, fc_c_string(working_dir), o, job)
    end function fc_job_submit_file

    !> A handle for the existing job `job_id` on `system`.
    function fc_job_open(client, system, job_id, job) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, job_id
        type(c_ptr), intent(out) :: job
        integer(c_int32_t) :: st
        job = c_null_ptr
        st = firecrest_job_open(client, fc_c_string(system), fc_c_string(job_id), job)
    end function fc_job_open

    function fc_job_id(job, id) result(st)
        type(c_ptr), intent(in) :: job
        character(:), allocatable, intent(out) :: id
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_job_id(job, p)
        id = string_result(st, p)
    end function fc_job_id

    function fc_job_state(job, state) result(st)
        type(c_ptr), intent(in) :: job
        integer, intent(out) :: state
        integer(c_int32_t) :: st
        integer(c_int32_t) :: s
        s = 0
        st = firecrest_job_state(job, s)
        state = int(s)
    end function fc_job_state

    !> Waits until the job is final (timeout_ms 0: no limit); `state` is its final state.
    function fc_job_wait(job, timeout_ms, state) result(st)
        type(c_ptr), intent(in) :: job
        integer, intent(in) :: timeout_ms
        integer, intent(out) :: state
        integer(c_int32_t) :: st
        integer(c_int32_t) :: s
        s = 0
        st = firecrest_job_wait(job, int(timeout_ms, c_int64_t), s)
        state = int(s)
    end function fc_job_wait

    function fc_job_exit_code(job, exit_code) result(st)
        type(c_ptr), intent(in) :: job
        integer, intent(out) :: exit_code
        integer(c_int32_t) :: st
        integer(c_int32_t) :: c
        c = 0
        st = firecrest_job_exit_code(job, c)
        exit_code = int(c)
    end function fc_job_exit_code

    function fc_job_info(job, json) result(st)
        type(c_ptr), intent(in) :: job
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_job_info(job, p)
        json = string_result(st, p)
    end function fc_job_info

    function fc_job_cancel(job) result(st)
        type(c_ptr), intent(in) :: job
        integer(c_int32_t) :: st
        st = firecrest_job_cancel(job)
    end function fc_job_cancel

    !> Frees a job handle (the job goes on) and nulls it; a null handle is left alone.
    subroutine fc_job_close(job)
        type(c_ptr), intent(inout) :: job
        if (c_associated(job)) call firecrest_job_free(job)
        job = c_null_ptr
    end subroutine fc_job_close

    function fc_jobs(client, system, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        type(c_ptr) :: p
        st = firecrest_jobs(client, fc_c_string(system), p)
        json = string_result(st, p)
    end function fc_jobs

    !> name: '' for any; time_window: '' for the server's default, else 1h, 8h, 24h, 3d or 7d.
    function fc_jobs_filtered(client, system, name, time_window, json) result(st)
        type(c_ptr), intent(in) :: client
        character(*), intent(in) :: system, name, time_window
        character(:), allocatable, intent(out) :: json
        integer(c_int32_t) :: st
        character(kind=c_char, len=:), allocatable, target :: cname, cwindow
        type(c_ptr) :: p
        st = firecrest_jobs_filtered(client, fc_c_string(system), optional_c_string(name, cname), &
            optional_c_string(time_window, cwindow), p)
        json = string_result(st, p)
    end function fc_jobs_filtered

end module firecrest
