"""Impacts of one embedding request: a prefill without decode. Pure functions, no SDK.

An embedding model reads its input once (one forward pass over every token) and returns a
vector: there is no token-by-token decoding. Its cost is therefore the prefill of the text
model (``docs/methodology.md``, "Embeddings"), on the same hardware, data-centre and
electricity layers, computed by :mod:`tokenprint.impacts.llm` with ``output_tokens = 0``.
The one difference is the utilisation range: embedding encoders are often small (20 M to 1 B
parameters), and their narrow matrices keep the tensor cores less busy than an LLM prefill.
"""

from __future__ import annotations

from tokenprint.impacts.llm import Intensities, llm_intensities, llm_request
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range

__all__ = ["EMBEDDING_MFU", "embedding_impacts", "embedding_intensities", "embedding_request"]

Vectors = tuple[tuple[float, ...], tuple[float, ...]]

# Model-FLOPs utilisation of an embedding forward pass. High end: the LLM prefill's 60 %
# (methodology §5; servers such as text-embeddings-inference batch requests token-wise, so
# large embedders run like a prefill). Low end 10 %, our assumption: encoders with hidden
# sizes of 384-1024 (MiniLM, BERT-base/large) use only part of an H100's tensor cores.
EMBEDDING_MFU = Range(0.1, 0.6)


def embedding_intensities(
    model: ModelSpec,
    accelerator: Accelerator,
    server: Server,
    datacenter: DataCenter,
    mix: ElectricityMix,
) -> tuple[Intensities, Intensities]:
    """(low, high) per-token factors of an embedding model served at a site."""
    return llm_intensities(model, accelerator, server, datacenter, mix, prefill_mfu=EMBEDDING_MFU)


def embedding_request(ks: tuple[Intensities, Intensities], input_tokens: float) -> Vectors:
    """(low, high) impact vectors of embedding ``input_tokens`` tokens (all inputs together).

    Prefill only: no output tokens, no prompt cache, and no decode time for a measured
    latency to bound. The server time is the prefill time, not divided by a batch size: a
    compute-bound pass keeps the accelerators busy whatever the batch (see the methodology).
    """
    return llm_request(ks, 0.0, input_tokens)


def embedding_impacts(
    model: ModelSpec,
    *,
    input_tokens: float,
    accelerator: Accelerator,
    server: Server,
    datacenter: DataCenter,
    mix: ElectricityMix,
) -> Vectors:
    """Impacts of one embedding request as (low, high) vectors in the layout of ``results``."""
    ks = embedding_intensities(model, accelerator, server, datacenter, mix)
    return embedding_request(ks, input_tokens)
