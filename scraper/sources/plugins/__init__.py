"""Source plugins: one module and one class per source that needs code (see registry.PLUGINS)."""

from scraper.sources.plugins.base import SourcePlugin, SourcePluginProtocol
from scraper.sources.plugins.developpez import DeveloppezSource

__all__ = ["DeveloppezSource", "SourcePlugin", "SourcePluginProtocol"]
