//! The header promises that one `firecrest_client` may be used from several threads at once and
//! that an auth object may be shared; transfers and options move between threads.

use firecrest::capi::{firecrest_auth, firecrest_client, firecrest_options, firecrest_transfer};

fn send_and_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn c_visible_handles_have_the_documented_thread_safety() {
    send_and_sync::<firecrest_client>();
    send_and_sync::<firecrest_auth>();
    send::<firecrest_options>();
    send::<firecrest_transfer>();
}
