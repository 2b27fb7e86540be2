"""The test session's throwaway IDENTITY_KEY, in the environment for Settings and subprocesses."""

from __future__ import annotations

import os

from storage.identity import IdentityKeys, generate_key

os.environ.setdefault("IDENTITY_KEY", generate_key())
TEST_KEYS = IdentityKeys.from_text(os.environ["IDENTITY_KEY"])
