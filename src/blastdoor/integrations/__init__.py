"""Native guards for agent frameworks, one module per framework, each an optional extra.

``blastdoor.integrations.pydantic_ai`` (``pip install 'blastdoor[pydantic-ai]'``), ``.langchain``
(``[langchain]``), ``.openai_agents`` (``[openai-agents]``), ``.google_adk`` (``[google-adk]``),
``.crewai`` (``[crewai]``). Each uses its framework; nothing in the core imports them. Every one of
them is built on ``blastdoor.sdk.Guard`` (docs/SDK.md).
"""
