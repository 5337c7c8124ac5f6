"""Every tool the MCP server offers, in the order an assistant sees them: the reads, then
the plan, then what changes it (read-write tokens only)."""

from __future__ import annotations

from fitcoach.mcp.context import ToolSpec
from fitcoach.mcp.effort_tools import EFFORT_TOOLS
from fitcoach.mcp.plan_tools import PLAN_TOOLS, WRITE_TOOLS
from fitcoach.mcp.tools import READ_TOOLS

TOOLS: tuple[ToolSpec, ...] = READ_TOOLS + EFFORT_TOOLS + PLAN_TOOLS + WRITE_TOOLS
