"""EcoLogits.label(): labels for the requests made inside, in every form, sync and async;
the rule every label obeys (names, reserved names, value types and sizes)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tokenprint import EcoLogits, context
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, TokenprintError


def test_label_as_context_manager_nests_and_restores() -> None:
    assert context.labels() == {}
    with EcoLogits.label(task="summarise", user=7):
        assert context.labels() == {"task": "summarise", "user": "7"}
        with EcoLogits.label(task="translate"):
            assert context.labels() == {"task": "translate", "user": "7"}
        assert context.labels() == {"task": "summarise", "user": "7"}
    assert context.labels() == {}


def test_label_as_decorator_applies_on_each_call() -> None:
    @EcoLogits.label(task="qa")
    def answer() -> dict[str, str]:
        return dict(context.labels())

    assert answer() == {"task": "qa"}
    assert answer() == {"task": "qa"}
    assert context.labels() == {}


async def test_label_as_async_context_manager() -> None:
    async with EcoLogits.label(task="chat"):
        await asyncio.sleep(0)
        assert context.labels() == {"task": "chat"}
    assert context.labels() == {}


async def test_label_as_async_decorator_isolates_concurrent_tasks() -> None:
    @EcoLogits.label(task="a")
    async def a() -> dict[str, str]:
        await asyncio.sleep(0.01)
        return dict(context.labels())

    @EcoLogits.label(task="b")
    async def b() -> dict[str, str]:
        await asyncio.sleep(0)
        return dict(context.labels())

    assert list(await asyncio.gather(a(), b())) == [{"task": "a"}, {"task": "b"}]
    assert context.labels() == {}


# -- labels are data, not attributes: one rule for names and values ---------------------------
@pytest.mark.parametrize(
    "name",
    [
        "provider",
        "model",
        "endpoint",
        "modality",
        "host",
        "requested_model",
        "Model",  # any case
        "gen_ai.system",
        "gen_ai.request.model",
        "GEN_AI.usage.input_tokens",
        "tokenprint.impacts.gwp",
        "tokenprint.methodology_version",
    ],
)
def test_a_reserved_name_is_refused_when_the_label_is_made(name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rf"label name '{re.escape(name)}' is reserved"):
        EcoLogits.label(**{name: "spoofed"})
    assert context.labels() == {}


def test_spoofing_model_and_provider_raises_before_any_block_runs() -> None:
    with pytest.raises(InvalidArgumentError, match=r"'model' is reserved.*choose another name"):
        EcoLogits.label(model="spoofed", provider="acme")


@pytest.mark.parametrize("name", ["", "a b", "task!", "x" * 65, "new\nline", "tab\t", "a/b"])
def test_a_name_outside_the_allowed_characters_or_length_is_refused(name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"must be 1 to 64 letters, digits"):
        EcoLogits.label(**{name: "x"})


def test_names_of_letters_of_any_script_digits_and_separators_are_accepted() -> None:
    names = ["task", "team_2", "app.version", "run-id", "équipe", "用户", "x" * 64, "_", "1"]
    with EcoLogits.label(**dict.fromkeys(names, "v")):
        assert list(context.labels()) == names


def test_values_are_str_int_float_or_bool_kept_as_text() -> None:
    with EcoLogits.label(task="qa", user=7, ratio=0.5, cached=True, empty=""):
        assert context.labels() == {
            "task": "qa",
            "user": "7",
            "ratio": "0.5",
            "cached": "True",
            "empty": "",
        }


class _Opaque:
    def __repr__(self) -> str:
        return "<secret object at 0x1>"


@pytest.mark.parametrize("value", [None, _Opaque(), ["a"], {"a": 1}, b"bytes", (1, 2)])
def test_a_value_of_another_type_is_refused_naming_the_label(value: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"label 'owner' must be a str, int, float or bool"):
        EcoLogits.label(owner=value)


def test_a_value_longer_than_256_characters_is_refused_naming_the_label() -> None:
    with EcoLogits.label(note="x" * 256, emoji="🚀" * 256):  # characters, not bytes
        assert len(context.labels()["note"]) == 256
    with pytest.raises(InvalidArgumentError, match=r"label 'note' is 257 characters long"):
        EcoLogits.label(note="x" * 257)
    with pytest.raises(InvalidArgumentError, match=r"label 'n' is .* characters long"):
        EcoLogits.label(n=10**300)
    with pytest.raises(InvalidArgumentError, match=r"label 'n' is .* characters long"):
        EcoLogits.label(n=10**10_000)  # beyond Python's int-to-text limit


def test_label_errors_are_tokenprint_errors_and_builtin_ones() -> None:
    with pytest.raises(ValueError):
        EcoLogits.label(model="x")
    with pytest.raises(TypeError):
        EcoLogits.label(task=None)
    with pytest.raises(TokenprintError):
        EcoLogits.label(task=None)


def test_check_labels_is_the_one_rule() -> None:
    assert context.check_labels({"a": 1, "b": False}) == {"a": "1", "b": "False"}
    with pytest.raises(InvalidTypeError, match=r"where: label name 1 must be a str"):
        context.check_labels({1: "x"}, "where")
    with pytest.raises(InvalidTypeError, match=r"expected a mapping"):
        context.check_labels(["task=x"])
    assert {"provider", "model", "endpoint", "modality", "host"} <= context.RESERVED_LABELS
