"""The build backend of pyproject.toml, in the standard library only.

`pip install ./bindings/python` builds a wheel in an isolated environment
that holds what [build-system] requires. It requires nothing, so no
download is needed (PyPI may be out of reach); this file packs coord.py
into a wheel, or an sdist, named and versioned as [project] says (PEP 517,
PEP 427). coord.py loads libcoord.so.1 at import: install the library
first (`make install`, then `ldconfig`).
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ["coord.py"]
SDIST_FILES = ["pyproject.toml", "build_backend.py"] + MODULES
TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the same bytes from every build


def project():
    """[project] of pyproject.toml: its `key = "text"` lines are all it has,
    read by tomllib where there is one (Python 3.11+)."""
    path = os.path.join(HERE, "pyproject.toml")
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        with open(path, encoding="utf-8") as f:
            table = f.read().split("[project]", 1)[1].split("\n[", 1)[0]
        return dict(re.findall(r'^([\w-]+) = "([^"]*)"$', table, re.M))
    with open(path, "rb") as f:
        return tomllib.load(f)["project"]


def metadata():
    p = project()
    return (f"Metadata-Version: 2.1\nName: {p['name']}\nVersion: {p['version']}\n"
            f"Summary: {p['description']}\nRequires-Python: {p['requires-python']}\n"
            f"License: {p['license']}\n")


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    p = project()
    name = f"{p['name']}-{p['version']}"
    dist_info = f"{name}.dist-info"
    files = {}
    for module in MODULES:
        with open(os.path.join(HERE, module), "rb") as f:
            files[module] = f.read()
    files[f"{dist_info}/METADATA"] = metadata().encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: libcoord build_backend\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    wheel = f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return wheel


def build_sdist(sdist_directory, config_settings=None):
    p = project()
    name = f"{p['name']}-{p['version']}"
    sdist = f"{name}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, sdist), "w:gz") as tar:
        def add(path, data):
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
        for path in SDIST_FILES:
            with open(os.path.join(HERE, path), "rb") as f:
                add(path, f.read())
        add("PKG-INFO", metadata().encode())
    return sdist
