"""The engine must run headless: importing it may not pull in Textual or the UI packages."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import engine


def test_engine_imports_no_textual_widgets_or_console():
    modules = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'widgets', 'console'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"engine imported UI modules: {out.stdout.strip()}"
    assert (
        "engine.sim.server.app" in modules and "engine.brokers.ccxt.broker" in modules
    )  # all walked


def test_no_engine_source_line_imports_the_ui():
    root = Path(engine.__file__).parent
    offenders = [
        f"{p}:{i}"
        for p in root.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if line.lstrip().startswith(
            (
                "import textual",
                "from textual",
                "import widgets",
                "from widgets",
                "import console",
                "from console",
            )
        )
    ]
    assert offenders == []
