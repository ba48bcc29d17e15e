"""The one registry type: lookups by name, class or instance; a miss lists the known names; duplicates refused."""

import pytest

from accelsmith.errors import AccelsmithError, DuplicateRegistration, UnknownName
from accelsmith.registry import Registry


class _Kind:
    kind = "tanh"


def test_a_miss_lists_the_known_names_and_is_one_error_class():
    table = Registry("widget")
    table.register("b", 2)
    table.register("a", 1)
    with pytest.raises(UnknownName, match=r"^unknown widget 'c'; known: a, b$") as err:
        table.get("c")
    assert isinstance(err.value, AccelsmithError) and isinstance(err.value, ValueError)
    assert table.names() == ["a", "b"] and "a" in table and "c" not in table and len(table) == 2


def test_a_second_registration_under_a_taken_name_is_refused():
    table = Registry("template")
    first = object()
    table.register("gemm", first)
    table.register("gemm", first)  # the same object again (a module imported twice) is harmless
    with pytest.raises(DuplicateRegistration, match="template 'gemm' is registered twice"):
        table.register("gemm", object())


def test_a_spec_class_or_instance_is_looked_up_by_its_kind():
    table = Registry("deriver")
    table.decorator(_Kind)(len)
    assert table.get(_Kind) is len and table.get(_Kind()) is len and table.get("tanh") is len
    with pytest.raises(TypeError):
        table.register(3, len)


def test_load_runs_once_before_the_first_lookup():
    calls = []
    table = Registry("backend", load=lambda: (calls.append(1), table.register("x", 1)))
    assert table.get("x") == 1 and table.names() == ["x"]
    assert calls == [1]


def test_threads_wait_for_one_load():
    import threading
    import time

    def load():
        time.sleep(0.2)  # a slow plug-in import: other threads must not see the table half-filled
        table.register("x", 1)

    table = Registry("deriver", load=load)
    got = []
    threads = [threading.Thread(target=lambda: got.append(table.get("x"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [1, 1, 1, 1]
