"""OpenAI chat completions (create, parse, the ``.stream()`` helper) and legacy completions."""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.providers.openai import TextStream, both, stream_helper

__all__ = ["TARGETS"]


class ChatStream(TextStream):
    """Chat and legacy completion chunks: usage from the final ``choices=[]`` chunk."""

    __slots__ = ()

    def add(self, chunk: Any) -> bool:
        if not self.model:
            self.model = getattr(chunk, "model", None) or None  # Azure: first chunk has ""
        choices = getattr(chunk, "choices", None)
        for choice in choices or ():
            delta = getattr(choice, "delta", None)
            text = getattr(delta, "content", None) if delta is not None else choice.text
            if text:
                self.chars += len(text)
        u = getattr(chunk, "usage", None)
        if u is not None:
            self.u = u
            return not choices
        return False


# Modules that define the classes (patched when the SDK imports them, never imported by us).
# Newer releases split resources into packages; the older single-module paths follow.
_CHAT = "openai.resources.chat.completions.completions"
_CHAT_OLD = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"  # parse() lived here before openai 1.92
_LIB = "openai.lib.streaming"

TARGETS = [
    *both(_CHAT, "Completions", "create", "chat.completions.create", ChatStream),
    *both(_CHAT_OLD, "Completions", "create", "chat.completions.create", ChatStream),
    *both(_CHAT, "Completions", "parse", "chat.completions.parse", None),
    *both(_CHAT_OLD, "Completions", "parse", "chat.completions.parse", None),
    *both(_BETA_CHAT, "Completions", "parse", "chat.completions.parse", None),
    *both("openai.resources.completions", "Completions", "create", "completions.create",
          ChatStream),
    *stream_helper(f"{_LIB}.chat._completions", "ChatCompletionStreamManager",
                   "chat.completions.stream", "get_final_completion"),
]  # fmt: skip
