#!/usr/bin/env python3
"""moto_server with ranged GETs that read only the range: a shim for the optional FirecREST v2 test bed
(not part of FirecREST, moto or this library). Run it with the Python that has moto, with moto_server's
arguments, in place of moto_server.

moto 5.2 answers `GET` with `Range: bytes=A-B` by reading the WHOLE object from its spooled temporary
file and slicing it, so one 1 MiB range of a 1 GiB object costs about 0.6 s here, and FirecREST's
ingress job (job_s3_downloader.sh: one ranged GET of max_part_size per part) costs O(size^2): a 1 GiB
upload with 1 MiB parts never finished. Real S3 serves a range in time proportional to the range.
This launcher makes moto do the same: while a GET with one `bytes=` range is handled, FakeKey.value is
a view whose len() is the object's size and whose slice reads just that slice from the file. Every
other request (and any range moto does not slice, e.g. several ranges) sees the bytes as before.
"""
import sys
import threading

from moto.s3 import models, responses
from moto.server import main

_ctx = threading.local()
_value = models.FakeKey.value  # the property


class _RangeView:
    """What moto's range handling needs of a body: len() and one slice."""

    def __init__(self, key):
        self.key = key

    def __len__(self):
        return self.key.size

    def __getitem__(self, s):
        start, stop, _ = s.indices(self.key.size)
        with self.key.lock:
            self.key._value_buffer.seek(start)
            return self.key._value_buffer.read(max(0, stop - start))

    def whole(self):
        return _value.fget(self.key)


def _patched_value(self):
    return _RangeView(self) if getattr(_ctx, "ranged", False) else _value.fget(self)


models.FakeKey.value = property(_patched_value, _value.fset)

_key_response = responses.S3Response.key_response


def _patched_key_response(self, request, full_url, headers):
    rng = request.headers.get("range", "")
    _ctx.ranged = (request.method == "GET" and rng.startswith("bytes=") and "," not in rng
                   and request.headers.get("x-amz-checksum-mode", "").upper() != "ENABLED")
    try:
        status, hdrs, body = _key_response(self, request, full_url, headers)
    finally:
        _ctx.ranged = False
    if isinstance(body, _RangeView):  # a range moto answered with the whole object
        body = body.whole()
    return status, hdrs, body


responses.S3Response.key_response = _patched_key_response

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
