"""SlowMap and CacheSlowMap: values held back until their time, the same answer in every process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from django_static_pipe.slowmap import CacheSlowMap, SlowMap
from tests.cdn.conftest import FakeClock


@pytest.fixture(params=["memory", "cache"])
def slowmap(request, settings, tmp_path):
    clock = FakeClock()
    if request.param == "memory":
        return SlowMap(60, clock=clock), clock
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    return CacheSlowMap(60, prefix="t:", clock=clock), clock


def test_value_is_released_after_the_timeout(slowmap):
    values, clock = slowmap
    values["k"] = "v"
    assert values.get("k") is None and values.get("k", "d") == "d" and "k" not in values
    assert values.is_set("k")
    clock.advance(59.9)
    assert values.get("k") is None
    clock.advance(0.1)
    assert values.get("k") == "v" and "k" in values


def test_setting_the_same_value_keeps_the_clock(slowmap):
    values, clock = slowmap
    values["k"] = "v"
    clock.advance(40)
    values["k"] = "v"
    clock.advance(20)
    assert values.get("k") == "v"


def test_a_different_value_restarts_the_clock(slowmap):
    values, clock = slowmap
    values["k"] = "v1"
    clock.advance(40)
    values["k"] = "v2"
    clock.advance(20)
    assert values.get("k") is None
    clock.advance(40)
    assert values.get("k") == "v2"


def test_unknown_keys(slowmap):
    values, _clock = slowmap
    assert values.get("nope") is None and "nope" not in values and not values.is_set("nope")


def test_memory_map_is_thread_safe():
    clock = FakeClock()
    values = SlowMap(0, clock=clock)

    def writer(start: int) -> None:
        for index in range(start, start + 500):
            values[index] = index * 2

    threads = [threading.Thread(target=writer, args=(n * 500,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(values) == 4000 and all(values.get(i) == i * 2 for i in range(4000))


CHILD = """
import json, sys
import django
from django.conf import settings
settings.configure(CACHES={"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": sys.argv[1]}})
django.setup()
from django_static_pipe.slowmap import CacheSlowMap
answers = {}
for now in (float(sys.argv[2]), float(sys.argv[3])):
    values = CacheSlowMap(60, prefix="t:", clock=lambda now=now: now)
    answers[str(now)] = values.get("k")
print(json.dumps(answers))
"""


def test_other_processes_release_at_the_same_moment(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    clock = FakeClock()
    CacheSlowMap(60, prefix="t:", clock=clock)["k"] = "https://cdn/k"
    before, after = clock.now + 59, clock.now + 60
    output = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), str(before), str(after)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output) == {str(before): None, str(after): "https://cdn/k"}
