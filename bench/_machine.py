"""What machine a benchmark ran on, printed with its figures."""

from __future__ import annotations

import os
import platform


def describe_machine() -> str:
    """One line: CPU model, cores, memory, Python and pandas versions."""
    import pandas as pd

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, pandas {pd.__version__}"
    )


def compile_package() -> str:
    """Compile pipereview's modules to bytecode, as an installed package has them (pip
    compiles at install), and say so. Where Python writes no bytecode itself
    (``PYTHONDONTWRITEBYTECODE``), every new process, a kernel or a ``papermill``
    command, would otherwise compile the package from source again (~0.2 s each)."""
    import compileall
    from pathlib import Path

    import pipereview

    folder = Path(pipereview.__file__).parent
    compileall.compile_dir(str(folder), quiet=1)
    return f"bytecode: {folder.name} compiled ahead, as installed"
