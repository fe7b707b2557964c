"""sr_audit.allocator: glibc malloc tuning, its fall-back elsewhere, and who applies it."""
from __future__ import annotations

import ctypes.util
import platform

import pytest

import sr_audit.allocator as allocator


@pytest.fixture(autouse=True)
def fresh_cache():
    allocator.retain_freed_memory.cache_clear()
    yield
    allocator.retain_freed_memory.cache_clear()


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc")
def test_glibc_accepts_both_thresholds():
    assert allocator.retain_freed_memory() is True


def test_without_a_c_library_it_does_nothing(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert allocator.retain_freed_memory() is False


def test_a_library_without_mallopt_is_not_glibc(monkeypatch):
    class NoMallopt:
        def __init__(self, name):
            pass

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libc.so.6")
    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    assert allocator.retain_freed_memory() is False


def test_a_refused_value_reports_false(monkeypatch):
    calls = []

    class Refusing:
        def __init__(self, name):
            def mallopt(param, value):
                calls.append((param, value))
                return 0

            self.mallopt = mallopt

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libc.so.6")
    monkeypatch.setattr(ctypes, "CDLL", Refusing)
    assert allocator.retain_freed_memory() is False
    assert calls == [(-3, allocator.MMAP_THRESHOLD)]


def test_freed_memory_retained_reports_without_tuning(monkeypatch):
    calls = []
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: calls.append(name))
    assert allocator.freed_memory_retained() is False and calls == []  # asking does not tune
    assert allocator.retain_freed_memory() is False and calls == ["c"]
    assert allocator.freed_memory_retained() is False and calls == ["c"]


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc")
def test_freed_memory_retained_after_opting_in():
    assert allocator.freed_memory_retained() is False
    allocator.retain_freed_memory()
    assert allocator.freed_memory_retained() is True
