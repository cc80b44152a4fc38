"""Network layer: ``client.make_client``, ``fetch.fetch`` (limits, redirects, retries),
``retry`` (pure policy) and ``urls`` (validation, normalisation, SSRF guard).

Import from the modules (``from scraper.net.fetch import fetch``): re-exporting ``fetch`` here
would shadow the ``scraper.net.fetch`` module."""
