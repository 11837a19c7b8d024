"""Frameworks and gateways above the instrumentation: agent frameworks, the LiteLLM proxy."""
