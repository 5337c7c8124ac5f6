"""The athlete's own AI assistant, connected: a Model Context Protocol server over their
numbers (docs/assistant.md).

``tokens`` are the per-athlete access tokens (stored hashed); ``tools`` the registry of
what an assistant may call, each a plain function of a ``ToolContext``; ``server`` builds
the SDK's server from the registry, served at ``/mcp`` by the web app (``http``) and over
stdio by ``fitcoach mcp``; ``endpoints`` the settings page where tokens are made and
revoked. What a model may see follows the narrator's policy (``narrator.policy``).
"""
