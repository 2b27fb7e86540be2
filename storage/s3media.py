"""The media store in an S3-compatible bucket, for deployments with more than one replica.

A photo received by one replica must be sendable by the replica that leads the outbox, so
the bytes cannot stay on one machine's disk. Keys mirror the local layout under a prefix
(`<prefix>/ab/cd/<sha256>.jpg`), so `MEDIA_DIR` can be copied into a bucket as it is.

boto3 rather than aiobotocore: the `MediaStore` port is synchronous and every caller already
runs it in a worker thread (Pillow work happens in the same thread as the write), boto3
clients are thread-safe, and boto3 is the most widely kept S3 client. aiobotocore would make
the port async, pin botocore to its own narrow range, and buy nothing at a few requests per
report.

S3 PUTs are atomic, so a reader never sees half an object, and content addressing makes a
concurrent double PUT of the same sha harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.media import (
    ORIGINAL_SUFFIX,
    PHOTO_SUFFIX,
    THUMB_SUFFIX,
    MediaUnavailable,
    relative_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = {"404", "NoSuchKey", "NotFound"}
# The worker threads of asyncio.to_thread can all be in the store at once.
_POOL = 32


class S3MediaStore:
    """Objects in one bucket under a key prefix, addressed by the sha256 of the photo."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=_POOL,
            # MinIO, Ceph and most self-hosted servers serve buckets by path, not by host name.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        # A session per store: boto3's default session is global and not thread-safe.
        session = boto3.session.Session()
        self._client: S3Client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
            config=config,
        )

    def key(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> str:
        """The object key of a file (validated like a local path)."""
        relative = relative_key(sha, suffix)
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def put(self, data: bytes, *, suffix: str = PHOTO_SUFFIX) -> str:
        """Store bytes under their sha256 unless already there; return the sha256."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha, suffix=suffix):
            self._put(self.key(sha, suffix=suffix), data)
        return sha

    def put_thumb(self, sha: str, data: bytes) -> None:
        """Store the thumbnail of the photo `sha` unless it has one already."""
        if not self.exists(sha, suffix=THUMB_SUFFIX):
            self._put(self.key(sha, suffix=THUMB_SUFFIX), data)

    def get(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bytes:
        """Read a stored object; FileNotFoundError if it is not there."""
        key = self.key(sha, suffix=suffix)
        with _missing_as_not_found(key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        return response["Body"].read()

    def get_thumb(self, sha: str) -> bytes:
        """Read the thumbnail of the photo `sha`."""
        return self.get(sha, suffix=THUMB_SUFFIX)

    def exists(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> bool:
        """Tell whether an object is stored."""
        try:
            self.size(sha, suffix=suffix)
        except FileNotFoundError:
            return False
        return True

    def size(self, sha: str, *, suffix: str = PHOTO_SUFFIX) -> int:
        """The object's length from a HEAD request; FileNotFoundError if it is not there."""
        key = self.key(sha, suffix=suffix)
        with _missing_as_not_found(key):
            head = self._client.head_object(Bucket=self.bucket, Key=key)
        return head["ContentLength"]

    def delete(self, sha: str) -> None:
        """Remove a photo and its thumbnail; S3 deletes of absent keys succeed."""
        keys = [self.key(sha, suffix=suffix) for suffix in (PHOTO_SUFFIX, THUMB_SUFFIX)]
        for key in keys:
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def put_original(self, sha: str, sealed: bytes, *, replace: bool = False) -> None:
        """Store a sealed original under the hash of its plaintext unless it is there."""
        if replace or not self.exists(sha, suffix=ORIGINAL_SUFFIX):
            self._put(self.key(sha, suffix=ORIGINAL_SUFFIX), sealed)

    def get_original(self, sha: str) -> bytes:
        """Read a sealed original; FileNotFoundError if it is not there."""
        return self.get(sha, suffix=ORIGINAL_SUFFIX)

    def delete_original(self, sha: str) -> None:
        """Remove a sealed original; S3 deletes of absent keys succeed."""
        self._client.delete_object(Bucket=self.bucket, Key=self.key(sha, suffix=ORIGINAL_SUFFIX))

    def check(self) -> str:
        """HEAD the bucket: reachable, it exists, and these credentials may use it."""
        where = f"s3://{self.bucket}/{self.prefix}" + (
            f" at {self.endpoint_url}" if self.endpoint_url else ""
        )
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            raise MediaUnavailable(f"{where}: {_code(error)}") from None
        except BotoCoreError as error:
            raise MediaUnavailable(f"{where}: {type(error).__name__}: {error}") from None
        return where

    def _put(self, key: str, data: bytes) -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType="application/octet-stream"
        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _missing_as_not_found(key: str) -> Iterator[None]:
    """Raise S3's "no such key" as FileNotFoundError, what the `MediaStore` port promises."""
    try:
        yield
    except ClientError as error:
        if _code(error) in _MISSING:
            raise FileNotFoundError(key) from None
        raise
