"""blastdoor: an action boundary for AI agents.

Every action an agent wants to take is classified (what it does, to what, where) and judged by a
policy kept as code: ``allow``, ``ask``, ``approve`` or ``deny``. See docs/ARCHITECTURE.md.
"""

__version__ = "0.1.0"
