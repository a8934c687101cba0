//! FirecREST v1: the micro-service endpoints (status, utilities, storage, tasks).
//!
//! CONTRACT (skeleton): `Client` dispatches here when the server speaks v1. Fill in the bodies.
#![allow(unused_variables)]

use crate::client::Client;
use crate::error::Result;
use crate::transfers::Transfer;
use crate::types::*;
use std::io::{Read, Write};
use std::path::Path;

pub(crate) fn all_services(c: &Client) -> Result<Vec<Service>> {
    todo!("v1::all_services")
}

pub(crate) fn service(c: &Client, name: &str) -> Result<Service> {
    todo!("v1::service")
}

pub(crate) fn all_systems(c: &Client) -> Result<Vec<System>> {
    todo!("v1::all_systems")
}

pub(crate) fn system(c: &Client, system: &str) -> Result<System> {
    todo!("v1::system")
}

pub(crate) fn parameters(c: &Client) -> Result<Parameters> {
    todo!("v1::parameters")
}

pub(crate) fn filesystems(c: &Client, system: Option<&str>) -> Result<serde_json::Value> {
    todo!("v1::filesystems")
}

pub(crate) fn groups(c: &Client, system: &str) -> Result<UserGroups> {
    todo!("v1::groups")
}

pub(crate) fn list_files(
    c: &Client,
    system: &str,
    path: &str,
    options: ListOptions,
) -> Result<Vec<FileEntry>> {
    todo!("v1::list_files")
}

pub(crate) fn mkdir(c: &Client, system: &str, path: &str, parents: bool) -> Result<()> {
    todo!("v1::mkdir")
}

pub(crate) fn mv(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    todo!("v1::mv")
}

pub(crate) fn copy(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    todo!("v1::copy")
}

pub(crate) fn chmod(c: &Client, system: &str, path: &str, mode: &str) -> Result<()> {
    todo!("v1::chmod")
}

pub(crate) fn chown(
    c: &Client,
    system: &str,
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<()> {
    todo!("v1::chown")
}

pub(crate) fn remove(c: &Client, system: &str, path: &str) -> Result<()> {
    todo!("v1::remove")
}

pub(crate) fn symlink(c: &Client, system: &str, target: &str, link_path: &str) -> Result<()> {
    todo!("v1::symlink")
}

pub(crate) fn file_type(c: &Client, system: &str, path: &str) -> Result<String> {
    todo!("v1::file_type")
}

pub(crate) fn stat(c: &Client, system: &str, path: &str, dereference: bool) -> Result<Stat> {
    todo!("v1::stat")
}

pub(crate) fn checksum(c: &Client, system: &str, path: &str) -> Result<String> {
    todo!("v1::checksum")
}

pub(crate) fn head(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    todo!("v1::head")
}

pub(crate) fn tail(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    todo!("v1::tail")
}

pub(crate) fn view(c: &Client, system: &str, path: &str) -> Result<String> {
    todo!("v1::view")
}

pub(crate) fn simple_upload_reader(
    c: &Client,
    system: &str,
    body: &mut dyn Read,
    size: u64,
    remote_dir: &str,
    filename: &str,
) -> Result<()> {
    todo!("v1::simple_upload_reader")
}

pub(crate) fn simple_download_to(
    c: &Client,
    system: &str,
    remote_path: &str,
    writer: &mut dyn Write,
) -> Result<u64> {
    todo!("v1::simple_download_to")
}

pub(crate) fn task(c: &Client, task_id: &str) -> Result<Task> {
    todo!("v1::task")
}

pub(crate) fn tasks(c: &Client, task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
    todo!("v1::tasks")
}

pub(crate) fn external_upload(
    c: &Client,
    system: &str,
    local_path: &Path,
    remote_path: &str,
) -> Result<Transfer> {
    todo!("v1::external_upload")
}

pub(crate) fn external_download(c: &Client, system: &str, remote_path: &str) -> Result<Transfer> {
    todo!("v1::external_download")
}
