"""A real S3 HTTP server on loopback for the test session: moto's server mode.

No MinIO package is reachable here; moto serves the S3 REST protocol over HTTP, so the store
runs through boto3, botocore's signing and retries, and a real socket, as against a bucket.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

REGION = "us-east-1"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"  # moto accepts any pair; the store must still sign with it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class S3Server:
    url: str

    def client(self) -> Any:
        """A boto3 S3 client for this server, with the test credentials."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def create_bucket(self, name: str) -> None:
        client = self.client()
        client.create_bucket(Bucket=name)

    def list_keys(self, bucket: str) -> list[str]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []) if "Key" in item)


def bucket_media(s3: S3Server, bucket: str, prefix: str) -> dict[str, Any]:
    """The settings that keep media under `prefix` in `bucket` on `s3`."""
    return {
        "media_url": f"s3://{bucket}/{prefix}",
        "s3_endpoint_url": s3.url,
        "s3_access_key_id": ACCESS_KEY,
        "s3_secret_access_key": SecretStr(SECRET_KEY),
        "s3_region": REGION,
    }


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's threaded server on a free loopback port; stop it afterwards."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
