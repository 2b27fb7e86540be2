"""Pick the media store a deployment configured: a bucket when MEDIA_URL names one.

`storage.s3media` (and with it boto3, about 10 MB) is imported only when a bucket is
configured, so a deployment on one machine does not hold it in memory.
"""

from __future__ import annotations

from config.settings import Settings
from storage.media import LocalMediaStore, MediaStore


def open_media_store(settings: Settings) -> MediaStore:
    """The S3 store for `MEDIA_URL=s3://…`, else the directory MEDIA_DIR."""
    bucket = settings.media_bucket
    if bucket is None:
        return LocalMediaStore(settings.media_dir)
    from storage.s3media import S3MediaStore

    name, prefix = bucket
    secret = settings.s3_secret_access_key
    return S3MediaStore(
        name,
        prefix=prefix,
        endpoint_url=settings.s3_endpoint_url,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        region=settings.s3_region,
    )
