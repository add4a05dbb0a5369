"""Recording modes: what `no_grad` guarantees (see docs/reliability.md).

Higher derivatives work inside it; one mode object is reusable, re-entrant and shared safely by
threads, asyncio tasks and generators, each getting back the mode it had.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Generator

import pytest

import autograd
from autograd import (
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    hessian,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from autograd.check import gradgradcheck


def recording() -> bool:
    """Whether an operation records here and now, asked of the engine, not of the flag."""
    return not (Value(1.0) * 2).is_leaf


# -- higher derivatives inside no_grad -----------------------------------------------------------


def test_hessian_inside_no_grad_is_the_true_matrix() -> None:
    x, y = Value(2.0, label="x"), Value(1.0, label="y")
    f = x * x * y
    with no_grad():
        h = hessian(f, [x, y])
        assert not recording()
    assert h == [[2 * y.data, 2 * x.data], [2 * x.data, 0.0]]  # ∂²(x²y): [[2y, 2x], [2x, 0]]
    g = x * y  # its first derivatives are the inputs themselves
    with no_grad():
        assert hessian(g, [x, y]) == [[0.0, 1.0], [1.0, 0.0]]


def test_grad_create_graph_inside_no_grad_gives_a_differentiable_result() -> None:
    x, y = Value(2.0), Value(3.0)
    f = x * x * y
    with no_grad():
        dfdx = grad(f, x, create_graph=True)
        assert not dfdx.is_leaf
        assert dfdx.data == 12.0  # 2xy
        assert grad(dfdx, [x, y]) == [6.0, 4.0]  # [2y, 2x]
        assert not is_grad_enabled()


def test_gradgradcheck_inside_no_grad_checks_real_second_derivatives() -> None:
    x, y = Value(0.3, label="x"), Value(-0.7, label="y")
    with no_grad():
        report = gradgradcheck(lambda a, b: (a * b).sin() * a, [x, y])
    assert report
    assert all(row.engine != 0.0 for row in report.rows)


def test_hessian_of_an_output_computed_inside_no_grad_is_refused() -> None:
    x, y = Value(2.0), Value(1.0)
    with no_grad():
        f = x * x * y
        with pytest.raises(ValueError, match="no_grad"):
            hessian(f, [x, y])
        with pytest.raises(ValueError, match="no_grad"):
            grad(f, x)


# -- one object: reused, re-entered, nested ------------------------------------------------------


@pytest.mark.parametrize("make", [no_grad, enable_grad, detect_anomaly])
def test_one_object_is_reusable_and_reentrant(make: type) -> None:
    guard = make()
    flags = (is_grad_enabled(), is_anomaly_enabled())
    for _ in range(2):
        with guard:
            inner = (is_grad_enabled(), is_anomaly_enabled())
            with guard, guard:
                assert (is_grad_enabled(), is_anomaly_enabled()) == inner
            assert (is_grad_enabled(), is_anomaly_enabled()) == inner
        assert (is_grad_enabled(), is_anomaly_enabled()) == flags


def test_nested_modes_unwind_in_order_even_through_an_exception() -> None:
    quiet, loud = no_grad(), enable_grad()
    with quiet:
        with pytest.raises(KeyError), loud, detect_anomaly():
            assert recording() and is_anomaly_enabled()
            raise KeyError("inside")
        assert not recording() and not is_anomaly_enabled()
        with loud, quiet, loud:
            assert recording()
        assert not recording()
    assert recording()


def test_an_exit_without_an_enter_says_so() -> None:
    with pytest.raises(RuntimeError, match="no_grad"):
        no_grad().__exit__(None, None, None)


def test_bare_decorators_work_as_called_ones() -> None:
    @no_grad
    def quiet() -> bool:
        return recording()

    @enable_grad
    def loud() -> bool:
        return recording()

    assert quiet() is False
    with no_grad():
        assert loud() is True
        assert not recording()


# -- threads --------------------------------------------------------------------------------------


def test_one_object_used_by_two_threads_at_once_restores_each() -> None:
    guard = no_grad()
    both_inside = threading.Barrier(2, timeout=5)
    first_out = threading.Event()
    seen: dict[str, tuple[bool, bool]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with guard:
                both_inside.wait()
                inside = recording()
                if name == "second":
                    first_out.wait(5)  # exits after the first thread's exit: not LIFO
            if name == "first":
                first_out.set()
            seen[name] = (inside, recording())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert seen == {"first": (False, True), "second": (False, True)}
    assert recording()


@pytest.mark.slow
def test_thousands_of_shared_blocks_across_threads_raise_nothing_and_restore() -> None:
    guards = [no_grad(), enable_grad(), detect_anomaly()]
    errors: list[BaseException] = []
    wrong: list[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(500):
                outer, inner = rng.choice(guards), rng.choice(guards)
                before = (recording(), is_anomaly_enabled())
                with outer:
                    expected = recording()
                    with inner:
                        Value(rng.random()) * 2
                    if recording() != expected:
                        wrong.append(f"inner exit in thread {seed}")
                if (recording(), is_anomaly_enabled()) != before:
                    wrong.append(f"outer exit in thread {seed}")
            if not recording() or is_anomaly_enabled():
                wrong.append(f"thread {seed} ends in a changed mode")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and wrong == []  # 8 threads × 500 × 2 = 8,000 block uses
    assert recording() and not is_anomaly_enabled()


# -- asyncio tasks --------------------------------------------------------------------------------


def test_one_object_shared_by_asyncio_tasks_restores_each_task() -> None:
    guard = no_grad()

    async def task(delay: float, outer: bool) -> tuple[bool, bool, bool]:
        if outer:
            with enable_grad():
                return await inside(delay)
        return await inside(delay)

    async def inside(delay: float) -> tuple[bool, bool, bool]:
        before = recording()
        with guard:
            await asyncio.sleep(delay)  # the other task enters and leaves meanwhile
            during = recording()
        return before, during, recording()

    async def main() -> list[tuple[bool, bool, bool]]:
        results = await asyncio.gather(*(task(0.01 * (i % 3), i % 2 == 0) for i in range(50)))
        assert recording()
        return results

    assert asyncio.run(main()) == [(True, False, True)] * 50
    assert recording()


def test_an_async_function_decorated_holds_the_mode_across_awaits() -> None:
    @no_grad()
    async def quiet() -> list[bool]:
        first = recording()
        await asyncio.sleep(0)
        return [first, recording()]

    async def main() -> tuple[list[bool], bool]:
        return await quiet(), recording()

    assert asyncio.run(main()) == ([False, False], True)


@pytest.mark.slow
def test_thousands_of_shared_blocks_across_asyncio_tasks() -> None:
    guards = [no_grad(), enable_grad(), detect_anomaly()]

    async def task(seed: int) -> int:
        rng = random.Random(seed)
        wrong = 0
        for _ in range(100):
            before = (recording(), is_anomaly_enabled())
            with rng.choice(guards):
                await asyncio.sleep(0)
                with rng.choice(guards):
                    await asyncio.sleep(0)
            wrong += (recording(), is_anomaly_enabled()) != before
        return wrong

    async def main() -> list[int]:
        return await asyncio.gather(*(task(seed) for seed in range(20)))

    assert asyncio.run(main()) == [0] * 20  # 20 tasks × 100 × 2 = 4,000 block uses
    assert recording()


# -- generators ----------------------------------------------------------------------------------


def test_a_decorated_generator_runs_its_body_in_the_mode_and_yields_in_the_callers() -> None:
    @no_grad()
    def steps(n: int) -> Generator[bool, str, str]:
        got = ""
        for _ in range(n):
            got += yield recording()
        return got

    gen = steps(3)
    assert recording()  # making the generator changes nothing
    assert next(gen) is False
    assert recording()  # between yields: the caller's mode
    assert gen.send("a") is False
    with enable_grad():
        assert gen.send("b") is False
    with pytest.raises(StopIteration) as stop:
        gen.send("c")
    assert stop.value.value == "abc"
    assert recording()


def test_a_decorated_generator_passes_on_throw_and_close_in_its_mode() -> None:
    seen: list[tuple[str, bool]] = []

    @enable_grad()
    def loud() -> Generator[int, None, None]:
        try:
            while True:
                try:
                    yield 1
                except KeyError:
                    seen.append(("caught", recording()))
        finally:
            seen.append(("closed", recording()))

    with no_grad():
        gen = loud()
        next(gen)
        assert gen.throw(KeyError("x")) == 1
        assert not recording()
        gen.close()
        assert not recording()
    assert seen == [("caught", True), ("closed", True)]


def test_yield_from_a_decorated_generator_keeps_the_mode_per_step() -> None:
    @no_grad()
    def inner() -> Generator[bool, None, int]:
        yield recording()
        yield recording()
        return 7

    def outer() -> Generator[bool, None, None]:
        result = yield from inner()
        assert result == 7
        yield recording()

    assert list(outer()) == [False, False, True]


def test_the_modes_are_in_the_public_api() -> None:
    assert {"no_grad", "enable_grad", "detect_anomaly"} <= set(autograd.__all__)
