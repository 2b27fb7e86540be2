"""WeChat Official Account protocol: signatures, safe-mode crypto, push XML, replies, API client.

Pure protocol code with no knowledge of tickets, storage or aiogram, so the endpoint, the
outbox adapter and the emulator all speak the same wire format from one place.
"""
