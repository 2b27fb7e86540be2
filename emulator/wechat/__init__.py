"""A local WeChat Official Account platform: pushes to the bot's `/wechat`, the server API.

It signs and (in safe or compatible mode) encrypts pushes as WeChat does, retries a push
that gets no answer in time, and serves the API endpoints the bot calls with WeChat's
errcode JSON, enforcing access_token expiry and the 48-hour customer-service window on a
clock the tests move.
"""
