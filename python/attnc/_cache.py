"""Compiled libraries kept between compile() calls, keyed by everything
that decides the code: the model file's bytes, the options, the driver and
the runtime it links (their paths, sizes and times), and any file the extra
arguments name (a weights file to embed). Entries are written whole and
renamed into place, so concurrent compiles never see half an entry.

The directory is $ATTNC_CACHE_DIR, else $XDG_CACHE_HOME/attnc, else
~/.cache/attnc."""

import hashlib
import json
import os
import shutil
import tempfile

# Options that change nothing in the compiled code.
_RUN_ONLY = {"threads", "cache", "cache_dir"}


def directory():
    named = os.environ.get("ATTNC_CACHE_DIR")
    if named:
        return named
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "attnc")


def _stat(h, path):
    st = os.stat(path)
    h.update(("%s %d %d\n" % (os.path.realpath(path), st.st_size, st.st_mtime_ns)).encode())


def key(path, options, driver, runtime_library):
    h = hashlib.sha256(b"attnc-python-cache 1\n")
    _stat(h, driver)
    _stat(h, runtime_library)
    with open(path, "rb") as f:
        h.update(f.read())
    compiled = {k: v for k, v in options.items() if k not in _RUN_ONLY}
    h.update(repr(sorted((k, repr(v)) for k, v in compiled.items())).encode())
    for arg in options.get("extra_args") or []:
        if os.path.isfile(str(arg)):
            _stat(h, str(arg))
    return h.hexdigest()


def lookup(k):
    """(library path, manifest) of a cached compile, or None."""
    stem = os.path.join(directory(), k)
    try:
        with open(stem + ".json") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return (stem + ".so", manifest) if os.path.isfile(stem + ".so") else None


def store(k, library, manifest):
    """Keeps a compile; a cache that cannot be written is skipped."""
    try:
        os.makedirs(directory(), exist_ok=True)
        stem = os.path.join(directory(), k)
        for suffix, write in ((".so", lambda f: shutil.copyfileobj(open(library, "rb"), f)),
                              (".json", lambda f: f.write(json.dumps(manifest).encode()))):
            fd, tmp = tempfile.mkstemp(dir=directory(), suffix=suffix + ".part")
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, stem + suffix)  # the .json last: it marks a whole entry
    except OSError:
        pass
