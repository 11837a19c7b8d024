"""Impacts of one embedding request: a prefill without decode. Pure functions, no SDK.

An embedding model reads its input once (one forward pass over every token) and returns a
vector: there is no token-by-token decoding. Its cost is therefore the prefill of the text
model (``docs/methodology.md``, "Embeddings"), on the same hardware, data-centre and
electricity layers, computed by :mod:`tokenprint.impacts.llm` with no output tokens.
The one difference is the utilisation range: embedding encoders are often small (20 M to 1 B
parameters), and their narrow matrices keep the tensor cores less busy than an LLM prefill.
"""

from __future__ import annotations

from collections.abc import Callable

from tokenprint.impacts.llm import Coefficients, coefficients, request
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range

__all__ = [
    "EMBEDDING_INPUT_TOKENS",
    "EMBEDDING_MFU",
    "embedding_coefficients",
    "embedding_request",
]

# Model-FLOPs utilisation of an embedding forward pass. High end: the LLM prefill's 60 %
# (methodology §4; servers such as text-embeddings-inference batch requests token-wise, so
# large embedders run like a prefill). Low end 10 %, our assumption: encoders with hidden
# sizes of 384-1024 (MiniLM, BERT-base/large) use only part of an H100's tensor cores.
EMBEDDING_MFU = Range(0.1, 0.6)
# The APIs report the tokens of all inputs of a request together; each input is its own
# sequence. Attention is counted over inputs of at most 512 tokens: the limit of BERT-class
# encoders (bge, e5, MiniLM) and a common RAG chunk size. Our assumption.
EMBEDDING_INPUT_TOKENS = 512.0


def embedding_coefficients(
    model: ModelSpec,
    accelerators: Callable[[str], Accelerator],
    server: Server,
    site: DataCenter,
    mix: ElectricityMix,
) -> Coefficients:
    """Per-token coefficients of an embedding model served at a site."""
    return coefficients(model, accelerators, server, site, mix, prefill_mfu=EMBEDDING_MFU)


def embedding_request(c: Coefficients, input_tokens: float) -> tuple[tuple[float, ...], ...]:
    """(P5, best estimate, P95) impact vectors of embedding ``input_tokens`` tokens.

    Prefill only: no output tokens and no prompt cache. The accelerator time is the prefill
    time, not shared with a batch: a compute-bound pass keeps the accelerators busy whatever
    the batch (see the methodology).
    """
    per_input = min(input_tokens, EMBEDDING_INPUT_TOKENS)
    return request(c, (0.0, 0.0, input_tokens, input_tokens * per_input / 2.0, 0.0))
