"""The sync facade under stress: many threads on one ``Client``, re-entry from its own loop
thread, ``os.fork()``, Ctrl-C, interpreter exit and garbage collection. Anything that could
hang runs in a subprocess or a watched thread with a timeout, so a regression fails the test
instead of stalling the suite."""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from avala import AsyncClient, AvalaError, Client
from avala.testing import Fault, ServerHandle, encode_cursor

from ._support import Since

T = TypeVar("T")
LOOP_THREAD = "avala-client-loop"
SUBPROCESS_TIMEOUT = 60


def bounded(fn: Callable[[], T], timeout: float = 20.0) -> T:
    """Run ``fn`` in a watched thread: its result or error, or a failure if it hangs."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:
            outcome.append((False, exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        pytest.fail(f"the call did not return within {timeout} s (deadlock?)")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def run_python(
    srv: ServerHandle, code: str, *args: str, flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter configured (by environment) for the server."""
    env = {
        **os.environ,
        "AVALA_BASE_URL": srv.base_url,
        "AVALA_ALLOW_INSECURE_BASE_URL": "true",
        "AVALA_API_KEY": srv.api_key,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    return subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


def loop_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == LOOP_THREAD)


# ------------------------------------------------------------------------------ threads


def test_sixteen_threads_share_one_client(srv: ServerHandle) -> None:
    threads, calls = 16, 200
    store = srv.state.store
    tasks, datasets, projects = store.tasks, store.datasets, store.projects
    errors: list[BaseException] = []
    wrong: list[str] = []
    done = [0] * threads
    start = threading.Barrier(threads)

    def worker(n: int, client: Client) -> None:
        start.wait()
        try:
            for i in range(calls):
                k = n * calls + i
                kind = k % 4
                if kind == 0:
                    task = tasks[k % len(tasks)]
                    got = client.tasks.get(task["uid"])
                    ok = (got.uid, got.name) == (task["uid"], task["name"])
                elif kind == 1:
                    dataset = datasets[k % len(datasets)]
                    got_ds = client.datasets.get(dataset["uid"])
                    ok = (got_ds.uid, got_ds.slug) == (dataset["uid"], dataset["slug"])
                elif kind == 2:
                    offset = k % len(tasks)
                    page = client.tasks.list(limit=1, cursor=encode_cursor(offset))
                    ok = [t.uid for t in page.items] == [tasks[offset]["uid"]]
                else:
                    project = projects[k % len(projects)]
                    ok = client.projects.get(project["uid"]).name == project["name"]
                if not ok:
                    wrong.append(f"thread {n} call {i}")
                done[n] += 1
        except BaseException as exc:
            errors.append(exc)

    sent = Since(srv)
    with Client(api_key=srv.api_key, base_url=srv.base_url) as client:
        pool = [threading.Thread(target=worker, args=(n, client)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        assert not any(t.is_alive() for t in pool)
    assert errors == []
    assert wrong == []
    assert done == [calls] * threads
    assert len(sent()) == threads * calls  # one request per call, nothing retried or lost


# ------------------------------------------------------------------- re-entry on the loop


def test_sync_call_from_the_loop_thread_raises_instead_of_deadlocking(
    srv: ServerHandle,
) -> None:
    uid = str(srv.state.store.datasets[0]["uid"])
    with Client(api_key=srv.api_key, base_url=srv.base_url) as client:
        export = client.exports.create(dataset=uid)
        seen: list[str] = []

        def on_poll(current: Any) -> None:
            seen.append(threading.current_thread().name)
            client.datasets.get(uid)  # re-enters the facade from its own loop thread

        with pytest.raises(AvalaError, match="own event-loop thread") as info:
            bounded(lambda: client.exports.wait(export.uid, interval=0.01, on_poll=on_poll))
        assert "AsyncClient" in str(info.value)  # it says what to do instead
        assert seen == [LOOP_THREAD]

        derived = client.with_options(max_retries=0)
        for reenter in (
            lambda _: derived.tasks.list(),
            lambda _: client.close(),
        ):
            export = client.exports.create(dataset=uid)
            wait = functools.partial(
                client.exports.wait, export.uid, interval=0.01, on_poll=reenter
            )
            with pytest.raises(AvalaError, match="event-loop thread"):
                bounded(wait)

        # The client survived all of it.
        assert not client.is_closed
        assert client.datasets.get(uid).uid == uid
        assert bounded(lambda: client.exports.wait(export.uid, interval=0.01)).uid == export.uid


# ------------------------------------------------------------------------------------ fork

FORK = """
    import os, signal, sys, warnings
    from avala import AvalaError, Client

    # Python 3.12+ warns about any fork() in a process with threads (a Client has its
    # loop thread); forking anyway is exactly the case under test (gunicorn --preload).
    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
    client = Client()
    uid = client.tasks.list(limit=1).items[0].uid  # the parent has pooled connections now
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)  # a hung child dies instead of lingering
        try:
            print("child-old-client:", client.tasks.get(uid).uid == uid)
            print("child-walk:", len(list(client.tasks.list(limit=5))) > 5)
        except AvalaError as exc:
            print("child-old-client: error:", exc)
        client.close()
        try:
            client.tasks.get(uid)
        except AvalaError as exc:
            print("child-after-close:", exc)
        with Client() as fresh:
            print("child-new-client:", fresh.tasks.get(uid).uid == uid)
        sys.stdout.flush()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("child-exit:", os.waitstatus_to_exitcode(status))
    print("parent-client:", client.tasks.get(uid).uid == uid)
    print("parent-walk:", len(list(client.tasks.list(limit=5))) > 5)
    client.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_after_fork_the_client_works_in_child_and_parent(srv: ServerHandle) -> None:
    result = run_python(srv, FORK)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "child-old-client: True" in lines, result.stdout
    assert "child-walk: True" in lines
    assert any(line.startswith("child-after-close:") and "closed" in line for line in lines)
    assert "child-new-client: True" in lines
    assert "child-exit: 0" in lines
    assert "parent-client: True" in lines
    assert "parent-walk: True" in lines
    assert result.stderr == ""


ASYNC_FORK = """
    import asyncio, os, signal, sys
    from avala import AsyncClient

    client = AsyncClient()
    loop = asyncio.new_event_loop()
    uid = loop.run_until_complete(client.tasks.list(limit=1)).items[0].uid  # session open
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)

        async def child():
            task = await client.tasks.get(uid)  # on the child's own loop and connections
            await client.close()
            return task.uid == uid

        print("child:", asyncio.run(child()))
        sys.stdout.flush()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("child-exit:", os.waitstatus_to_exitcode(status))
    print("parent:", loop.run_until_complete(client.tasks.get(uid)).uid == uid)
    loop.run_until_complete(client.close())
    loop.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_after_fork_an_async_client_works_on_the_childs_loop(srv: ServerHandle) -> None:
    result = run_python(srv, ASYNC_FORK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["child: True", "child-exit: 0", "parent: True"]
    assert result.stderr == ""


# ---------------------------------------------------------------------------------- Ctrl-C

CTRL_C = """
    import _thread, os, signal, sys, threading, time
    from avala import Client

    how = sys.argv[1]
    client = Client()
    uid = client.tasks.list(limit=1).items[0].uid
    fired = []

    def interrupt():
        fired.append(time.monotonic())
        if how == "interrupt_main":
            _thread.interrupt_main()
        else:
            os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(0.3, interrupt).start()
    try:
        client.projects.list()  # the server holds this one for 30 s
        print("interrupted: no")
    except KeyboardInterrupt:
        print(f"interrupted-after: {time.monotonic() - fired[0]:.3f}")
    print("next-call:", client.tasks.get(uid).uid == uid)
    client.close()
    print("closed:", client.is_closed)
"""


@pytest.mark.parametrize("how", ["interrupt_main", "sigint"])
def test_ctrl_c_interrupts_a_sync_call_promptly(srv: ServerHandle, how: str) -> None:
    srv.state.faults.push(Fault.delay(30, path="/users/me/projects/"))
    result = run_python(srv, CTRL_C, how, flags=("-X", "dev", "-W", "error"))
    assert result.returncode == 0, result.stderr
    out = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert "interrupted-after" in out, result.stdout
    assert float(out["interrupted-after"]) < 5
    assert out["next-call"] == "True"
    assert out["closed"] == "True"
    assert result.stderr == ""


# ------------------------------------------------------------------------- exit and GC

EXIT = """
    import gc, sys
    from avala import Client

    case = sys.argv[1]
    if case == "used":
        client = Client()
        client.tasks.list(limit=1)
        pages = client.tasks.list(limit=1).pages()
    elif case == "derived-only":
        client = Client().with_options(max_retries=0)
        client.tasks.list(limit=1)
    elif case == "unused":
        client = Client()
    elif case == "collected":
        client = Client()
        client.tasks.list(limit=1)
        del client
        gc.collect()
    elif case == "exit-from-a-thread-call":
        import threading
        client = Client()
        worker = threading.Thread(target=lambda: client.tasks.list(limit=1))
        worker.start()
        worker.join()
    print("done")
"""


@pytest.mark.parametrize(
    "case", ["used", "derived-only", "unused", "collected", "exit-from-a-thread-call"]
)
def test_exit_with_an_unclosed_client_is_quiet(srv: ServerHandle, case: str) -> None:
    result = run_python(srv, EXIT, case, flags=("-W", "error", "-X", "dev"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == ""


def test_unclosed_sync_client_is_closed_by_gc_quietly(srv: ServerHandle) -> None:
    before = loop_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = Client(api_key=srv.api_key, base_url=srv.base_url)
        client.tasks.list(limit=1)
        assert loop_threads() == before + 1
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert loop_threads() == before


async def test_unclosed_async_client_warns_when_collected(srv: ServerHandle) -> None:
    client = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)
    await client.tasks.list(limit=1)
    with pytest.warns(ResourceWarning) as caught:
        del client
        gc.collect()
    ours = [w for w in caught if "Unclosed AsyncClient" in str(w.message)]
    assert len(ours) == 1
    assert "await client.close()" in str(ours[0].message)
    await asyncio.sleep(0)  # let aiohttp finish closing what the collected connector aborted
    await asyncio.sleep(0)


async def test_unused_or_closed_async_client_collects_silently(srv: ServerHandle) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unused = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)
        closed = AsyncClient(api_key=srv.api_key, base_url=srv.base_url)
        await closed.tasks.list(limit=1)
        await closed.close()
        del unused, closed
        gc.collect()
    assert [str(w.message) for w in caught] == []
