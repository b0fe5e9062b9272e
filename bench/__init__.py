"""The avala benchmark suite: ``python -m bench`` (see bench/README.md).

Starts the bundled test server (``python -m avala.testing``) in a second process and
measures the SDK against raw aiohttp and an httpx + pydantic stack, interleaved, reporting
medians of several repetitions and the ratio to raw aiohttp.
"""
