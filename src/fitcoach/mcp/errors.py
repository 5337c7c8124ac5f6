"""Why the MCP server refused: each refusal a type, so callers decide on the type."""

from __future__ import annotations

from fitcoach.core.errors import FitcoachError


class McpError(FitcoachError):
    """Base of the MCP server's refusals."""


class InvalidToken(McpError):
    """No token, an unknown one, or one that was revoked or has expired."""

    status = 401
    what_to_do = (
        "Create a token on fitcoach's settings page (Assistant) and send it as a Bearer token."
    )


class ScopeRefused(McpError):
    """A read token called a tool that changes something."""

    status = 403
    what_to_do = (
        "Create a read-write token on the settings page to let the assistant change the plan."
    )


class ToolRefused(McpError):
    """A tool cannot answer this request (an unknown activity, a range too long, data the
    policy withholds, an answer too large); the message says what to ask instead."""

    status = 400


class BadTokenRequest(McpError):
    """A token cannot be made as asked (a bad scope, name or lifetime)."""

    status = 400
