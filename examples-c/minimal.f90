! minimal.f90: the first system's name, from Fortran (minimal.c's twin).
program minimal
    use, intrinsic :: iso_c_binding, only: c_int32_t, c_ptr, c_null_ptr
    use firecrest
    implicit none
    type(c_ptr) :: client = c_null_ptr
    character(:), allocatable :: json, name
    integer(c_int32_t) :: s

    s = fc_client_new_from_env(client) ! pyfirecrest's variables
    if (s == FIRECREST_STATUS_OK) s = fc_all_systems(client, json)
    if (s == FIRECREST_STATUS_OK) s = fc_json_get_string(json, '/0/system', name)
    if (s == FIRECREST_STATUS_OK) then
        print '(a)', 'first system: '//name
    else
        print '(a)', fc_error(s) ! "FIRECREST_STATUS_... (code): message"
    end if
    call fc_client_close(client)
    if (allocated(json)) deallocate (json)
    if (allocated(name)) deallocate (name)
    if (s /= FIRECREST_STATUS_OK) error stop 1
end program minimal
