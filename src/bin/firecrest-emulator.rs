//! `firecrest-emulator [--api v1|v2] [--port N] [--root DIR] [--token-ttl S] [--task-delay-ms MS] [fault flags]`
fn main() {
    todo!()
}
