//! FirecREST v1 routes.

use super::server::{Api, Req, Resp};
use super::State;
use std::sync::Arc;

pub(crate) struct V1 {}

impl V1 {
    pub fn new() -> V1 {
        V1 {}
    }
}

impl Api for V1 {
    fn handle(&self, _state: &Arc<State>, _req: &mut Req) -> Option<Resp> {
        None
    }
}
